-- Invariants that every later migration must keep: RLS everywhere, no
-- anon access, definer functions pinned to a search_path, policies only
-- for authenticated, indexes under the policies' filter columns.
BEGIN;
select plan(16);

select tables_are('public',
                  array ['tenants', 'memberships', 'device_groups', 'devices', 'media_assets', 'playlists',
                      'playlist_items', 'schedules', 'sync_logs', 'invitations'],
                  'public has exactly the Cratemesh tables');

select is(array(select c.relname::text
                from pg_class c
                where c.relnamespace in ('public'::regnamespace, 'cratemesh'::regnamespace)
                  and c.relkind in ('r', 'p')
                  and not c.relrowsecurity
                order by 1),
          '{}'::text[],
          'every table in public and cratemesh has RLS enabled');

select is(array(select p.oid::regprocedure::text
                from pg_proc p
                where p.pronamespace in ('public'::regnamespace, 'cratemesh'::regnamespace)
                  and p.prosecdef
                  and not exists(select 1 from unnest(p.proconfig) c where c like 'search_path=%')
                order by 1),
          '{}'::text[],
          'every security definer function sets search_path');

select ok((select count(*) from pg_proc p
           where p.pronamespace in ('public'::regnamespace, 'cratemesh'::regnamespace) and p.prosecdef) >= 10,
          'the definer functions are there to be checked');

select is(array(select format('%s.%s', c.relname, pr.privilege_type)
                from pg_class c
                         cross join (values ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) pr(privilege_type)
                where c.relnamespace in ('public'::regnamespace, 'cratemesh'::regnamespace)
                  and c.relkind in ('r', 'p', 'v')
                  and has_table_privilege('anon', c.oid, pr.privilege_type)
                  -- pgTAP's own views live in public in the test database.
                  and not exists(select 1 from pg_depend d where d.objid = c.oid and d.deptype = 'e')
                order by 1),
          '{}'::text[],
          'anon holds no privilege on any table');

select is(array(select p.oid::regprocedure::text
                from pg_proc p
                where p.pronamespace in ('public'::regnamespace, 'cratemesh'::regnamespace)
                  and (p.prosecdef or p.proname in ('sync_manifest', 'report_sync', 'create_tenant'))
                  and has_function_privilege('anon', p.oid, 'EXECUTE')
                order by 1),
          '{}'::text[],
          'anon cannot execute any definer function or RPC');

select is(array(select p.oid::regprocedure::text
                from pg_proc p
                where p.pronamespace = 'cratemesh'::regnamespace
                  and p.proname in ('sync_manifest_at', 'report_sync_at', 'authorize_device')
                  and has_function_privilege('authenticated', p.oid, 'EXECUTE')
                order by 1),
          '{}'::text[],
          'authenticated cannot call the time-travelling internals directly');

select is(array(select format('%s.%s: %s', pol.schemaname, pol.tablename, pol.policyname)
                from pg_policies pol
                where pol.schemaname in ('public', 'cratemesh')
                  and pol.roles <> '{authenticated}'::name[]
                order by 1),
          '{}'::text[],
          'every policy is for authenticated only');

select is(array(select format('%s: %s', pol.tablename, pol.policyname)
                from pg_policies pol
                where pol.schemaname in ('public', 'storage')
                  and (coalesce(pol.qual, '') || coalesce(pol.with_check, '')) ~ 'auth\.uid\(\)'
                  and (coalesce(pol.qual, '') || coalesce(pol.with_check, '')) !~ 'SELECT auth\.uid\(\)'
                order by 1),
          '{}'::text[],
          'policies wrap auth.uid() in a sub-select');

select ok((select count(*) from pg_policies where schemaname = 'public') >= 30, 'policies exist on public tables');

select has_index('public', 'memberships', 'memberships_user_id_idx', 'memberships are indexed by user for policies');
select has_index('public', 'devices', 'devices_user_id_idx', 'devices are indexed by their signed-in user');
select has_index('public', 'playlist_items', 'playlist_items_asset_id_idx', 'playlist items are indexed by asset');

select is(array(select c.relname::text
                from pg_class c
                where c.relnamespace = 'public'::regnamespace
                  and c.relkind = 'r'
                  and not exists(select 1
                                 from pg_index i
                                          join pg_attribute att on att.attrelid = i.indrelid and att.attnum = i.indkey[0]
                                 where i.indrelid = c.oid
                                   and att.attname in ('tenant_id', 'id'))
                order by 1),
          '{}'::text[],
          'every table has an index led by tenant_id or id');

select is((select public from storage.buckets where id = 'media'), false, 'the media bucket exists and is private');

select col_is_pk('public', 'memberships', array ['tenant_id', 'user_id'], 'a user is a member of a tenant once');

select * from finish();
ROLLBACK;
