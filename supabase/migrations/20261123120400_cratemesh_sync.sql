/**
 * Cratemesh: device sync.
 *
 * sync_manifest() tells a device what to download, delete and refresh;
 * report_sync() records what it did. Both are the only write path from a
 * device into shared state besides its own devices row, and both are rate
 * and size limited here, in the database, because a misbehaving player
 * (a tight retry loop, a corrupted cache listing) talks to PostgREST with a
 * valid JWT and nothing else stands between it and Postgres.
 *
 * Limits (keep supabase/README.md in sync):
 *   sync_manifest: have_hashes <= 20,000 entries, each a lowercase hex
 *                  sha256; at most one call per device per second;
 *                  downloads capped at 2,000 per response (the rest
 *                  are counted in downloads_remaining).
 *   report_sync:   downloaded/deleted/failed <= 2,000 hashes each; error
 *                  text <= 1,000 characters; app_version <= 64; at most
 *                  one report per device every 5 seconds.
 */

/**
  * -------------------------------------------------------
  * Section - Sync logs
  * -------------------------------------------------------
  */

create table if not exists public.sync_logs
(
    id                  bigint generated always as identity primary key,
    tenant_id           uuid        not null references public.tenants on delete cascade,
    -- No foreign key: the audit trail outlives a deleted device.
    device_id           uuid        not null,
    reported_by         uuid,
    manifest_hash       text check (manifest_hash ~ '^[0-9a-f]{64}$'),
    downloaded          text[]      not null default '{}' check (cardinality(downloaded) <= 2000),
    deleted             text[]      not null default '{}' check (cardinality(deleted) <= 2000),
    failed              text[]      not null default '{}' check (cardinality(failed) <= 2000),
    downloaded_count    integer generated always as (cardinality(downloaded)) stored,
    deleted_count       integer generated always as (cardinality(deleted)) stored,
    failed_count        integer generated always as (cardinality(failed)) stored,
    cached_assets_count integer check (cached_assets_count between 0 and 1000000),
    app_version         text check (char_length(app_version) <= 64),
    error               text check (char_length(error) <= 1000),
    created_at          timestamptz not null default now()
);

comment on table public.sync_logs is 'Append-only audit of device syncs. Written only by report_sync().';

create index if not exists sync_logs_tenant_id_created_at_idx on public.sync_logs (tenant_id, created_at desc);
create index if not exists sync_logs_device_id_created_at_idx on public.sync_logs (device_id, created_at desc);

/**
 * Grants already keep every API role away from update and delete; this
 * also stops the table owner and the dashboard's SQL editor. The one
 * exception is the cascade from deleting a whole tenant, which the tenant
 * owner is entitled to (and data protection may demand).
 */
create or replace function cratemesh.trigger_sync_logs_append_only()
    returns trigger
    language plpgsql
    security definer
    set search_path = ''
as
$$
begin
    if tg_op = 'DELETE' and not exists(select 1 from public.tenants t where t.id = old.tenant_id) then
        return old;
    end if;
    raise exception 'sync_logs is append-only' using errcode = '42501';
end;
$$;

revoke all on function cratemesh.trigger_sync_logs_append_only() from public;

create trigger cratemesh_sync_logs_append_only
    before update or delete
    on public.sync_logs
    for each row
execute function cratemesh.trigger_sync_logs_append_only();

create trigger cratemesh_sync_logs_no_truncate
    before truncate
    on public.sync_logs
    for each statement
execute function cratemesh.trigger_sync_logs_append_only();

alter table public.sync_logs
    enable row level security;

revoke all on table public.sync_logs from anon, authenticated, service_role;
grant select on table public.sync_logs to authenticated;
grant select, insert on table public.sync_logs to service_role;

create policy "Staff can read their tenant's sync logs" on public.sync_logs
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Players can read their own devices' sync logs" on public.sync_logs
    for select
    to authenticated
    using (device_id in (select cratemesh.own_device_ids()));

/**
  * -------------------------------------------------------
  * Section - Sync state (private)
  * -------------------------------------------------------
  * Not exposed through PostgREST (schema cratemesh) and not granted to any
  * API role; RLS is on with no policies as a second lock.
  */

-- Bumped once per statement that changes what any device of the tenant could receive.
create table if not exists cratemesh.tenant_epochs
(
    tenant_id uuid primary key references public.tenants on delete cascade,
    epoch     bigint not null default 1
);

-- One row per device: rate-limit clocks plus the identity of the last
-- computed manifest, valid while the tenant epoch is unchanged and until
-- next_change_at. Unlogged: it is a cache and a clock, both safe to lose
-- in a crash, and polling should not generate WAL.
create unlogged table if not exists cratemesh.device_sync_state
(
    device_id             uuid primary key references public.devices on delete cascade,
    last_manifest_call_at timestamptz,
    last_report_at        timestamptz,
    cache_epoch           bigint,
    manifest_hash         text,
    asset_count           integer,
    computed_at           timestamptz,
    next_change_at        timestamptz
);

-- The manifest itself (parallel arrays, one element per asset), so that a
-- device polling again before the manifest changes (a paged first sync, a
-- retry) skips the 10,000-row computation. Separate from the row above so
-- the per-poll rate-limit update never rewrites or detoasts it.
create unlogged table if not exists cratemesh.device_manifest_cache
(
    device_id        uuid primary key references public.devices on delete cascade,
    manifest_hash    text     not null,
    asset_ids        uuid[]   not null,
    asset_shas       text[]   not null,
    asset_versions   bigint[] not null,
    asset_priorities smallint[] not null,
    asset_positions  integer[] not null,
    playlist_digests text[]   not null,
    entries          jsonb    not null
);

-- What each recently issued manifest contained, so the next delta can say
-- which metadata the device has not seen. A few per device.
create table if not exists cratemesh.device_manifests
(
    device_id        uuid        not null references public.devices on delete cascade,
    manifest_hash    text        not null,
    issued_at        timestamptz not null,
    asset_versions   bigint[]    not null,
    playlist_digests text[]      not null,
    primary key (device_id, manifest_hash)
);

-- Hashes, uuids and sequence numbers do not compress; trying costs more than the write itself.
alter table cratemesh.device_manifest_cache
    alter column asset_ids set storage external,
    alter column asset_shas set storage external,
    alter column asset_versions set storage external,
    alter column asset_priorities set storage external,
    alter column asset_positions set storage external;
alter table cratemesh.device_manifests
    alter column asset_versions set storage external;

alter table cratemesh.tenant_epochs
    enable row level security;
alter table cratemesh.device_sync_state
    enable row level security;
alter table cratemesh.device_manifests
    enable row level security;
alter table cratemesh.device_manifest_cache
    enable row level security;
revoke all on table cratemesh.tenant_epochs, cratemesh.device_sync_state, cratemesh.device_manifests,
    cratemesh.device_manifest_cache
    from public, anon, authenticated;

/**
 * Statement-level, with transition tables: a 10,000-row import bumps the
 * epoch once, not 10,000 times on the same row.
 */
create or replace function cratemesh.trigger_bump_tenant_epoch()
    returns trigger
    language plpgsql
    security definer
    set search_path = ''
as
$$
begin
    if tg_op = 'INSERT' then
        insert into cratemesh.tenant_epochs as e (tenant_id)
        select distinct r.tenant_id
        from new_rows r
        where exists(select 1 from public.tenants t where t.id = r.tenant_id)
        on conflict (tenant_id) do update set epoch = e.epoch + 1;
    elsif tg_op = 'UPDATE' then
        insert into cratemesh.tenant_epochs as e (tenant_id)
        select r.tenant_id
        from (select n.tenant_id from new_rows n union select o.tenant_id from old_rows o) r
        where exists(select 1 from public.tenants t where t.id = r.tenant_id)
        on conflict (tenant_id) do update set epoch = e.epoch + 1;
    else
        -- A tenant being deleted takes its epoch row with it; skip it.
        insert into cratemesh.tenant_epochs as e (tenant_id)
        select distinct r.tenant_id
        from old_rows r
        where exists(select 1 from public.tenants t where t.id = r.tenant_id)
        on conflict (tenant_id) do update set epoch = e.epoch + 1;
    end if;
    return null;
end;
$$;

revoke all on function cratemesh.trigger_bump_tenant_epoch() from public;

do
$$
    declare
        v_table text;
    begin
        -- Everything a manifest is computed from, except the device row itself (below).
        foreach v_table in array array ['media_assets', 'playlists', 'playlist_items', 'schedules']
            loop
                execute format('create trigger cratemesh_%1$s_epoch_ins after insert on public.%1$I '
                                   'referencing new table as new_rows for each statement '
                                   'execute function cratemesh.trigger_bump_tenant_epoch()', v_table);
                execute format('create trigger cratemesh_%1$s_epoch_upd after update on public.%1$I '
                                   'referencing old table as old_rows new table as new_rows for each statement '
                                   'execute function cratemesh.trigger_bump_tenant_epoch()', v_table);
                execute format('create trigger cratemesh_%1$s_epoch_del after delete on public.%1$I '
                                   'referencing old table as old_rows for each statement '
                                   'execute function cratemesh.trigger_bump_tenant_epoch()', v_table);
            end loop;
    end
$$;

/**
 * Moving a device to another group changes only that device's manifest;
 * telemetry updates (every report) must not invalidate anything.
 */
create or replace function cratemesh.trigger_device_group_changed()
    returns trigger
    language plpgsql
    security definer
    set search_path = ''
as
$$
begin
    update cratemesh.device_sync_state set cache_epoch = null where device_id = new.id;
    return null;
end;
$$;

revoke all on function cratemesh.trigger_device_group_changed() from public;

create trigger cratemesh_devices_group_changed
    after update of group_id
    on public.devices
    for each row
    when (old.group_id is distinct from new.group_id)
execute function cratemesh.trigger_device_group_changed();

/**
  * -------------------------------------------------------
  * Section - Dayparts
  * -------------------------------------------------------
  */

/**
 * Is `at` inside the daypart? Evaluated in the daypart's own zone, so
 * "08:00-12:00 Europe/Paris" follows DST. A daypart that ends before it
 * starts runs past midnight and belongs to the day it started on.
 */
create or replace function cratemesh.daypart_is_current(days smallint[], start_time time, end_time time,
                                                         time_zone text, at timestamptz)
    returns boolean
    language sql
    immutable
    -- No SET clause: it would stop the planner from inlining this per schedule row.
    -- Only built-ins are used, and pg_catalog is always searched first.
as
$$
select case
           when start_time < end_time then
                       extract(isodow from l.ts)::smallint = any (days)
                   and l.ts::time >= start_time
                   and l.ts::time < end_time
           else
                       (extract(isodow from l.ts)::smallint = any (days) and l.ts::time >= start_time)
                   or ((((extract(isodow from l.ts)::int + 5) % 7) + 1)::smallint = any (days)
                   and l.ts::time < end_time)
           end
from (select at at time zone time_zone as ts) l;
$$;

/**
 * The first instant after `at` where this daypart may start or end. It
 * deliberately ignores the days filter: a spurious boundary only costs
 * the device one extra `unchanged` poll, while a missed one would leave
 * it on a stale manifest.
 */
create or replace function cratemesh.daypart_next_boundary(start_time time, end_time time, time_zone text,
                                                            at timestamptz)
    returns timestamptz
    language sql
    immutable
as
$$
select min(b.instant)
from (select ((l.local_date + k) + t) at time zone time_zone as instant
      from (select (at at time zone time_zone)::date as local_date) l,
           generate_series(0, 8) k,
           unnest(array [start_time, end_time]) t) b
where b.instant > at;
$$;

revoke all on function cratemesh.daypart_is_current(smallint[], time, time, text, timestamptz) from public, anon;
revoke all on function cratemesh.daypart_next_boundary(time, time, text, timestamptz) from public, anon;
grant execute on function cratemesh.daypart_is_current(smallint[], time, time, text, timestamptz) to authenticated, service_role;
grant execute on function cratemesh.daypart_next_boundary(time, time, text, timestamptz) to authenticated, service_role;

/**
  * -------------------------------------------------------
  * Section - Authorisation helper
  * -------------------------------------------------------
  */

/**
 * The device's own user, an owner/manager of its tenant, or the service
 * role. Unknown and foreign devices get the same error so that a caller
 * cannot probe for device ids.
 */
create or replace function cratemesh.authorize_device(p_device_id uuid)
    returns public.devices
    language plpgsql
    stable
    security definer
    set search_path = ''
as
$$
declare
    v_device public.devices;
begin
    select * into v_device from public.devices d where d.id = p_device_id;
    if not found
        or not (coalesce(v_device.user_id = auth.uid(), false)
            or cratemesh.has_role_on_tenant(v_device.tenant_id, '{owner,manager}')
            or coalesce(auth.role() = 'service_role', false)) then
        raise exception 'Device not found or not yours' using errcode = '42501';
    end if;
    return v_device;
end;
$$;

revoke all on function cratemesh.authorize_device(uuid) from public, anon, authenticated;
grant execute on function cratemesh.authorize_device(uuid) to service_role;

/**
  * -------------------------------------------------------
  * Section - sync_manifest
  * -------------------------------------------------------
  */

/**
 * The effective manifest of a device at instant p_now:
 *   schedules  targeting the device or its group, each flagged `current`
 *              when p_now falls inside its daypart;
 *   assets     in the playlists of those schedules, plus the tenant's
 *              emergency-eligible pool, that are valid at p_now or become
 *              valid within 24 h (prefetch), and not expired;
 *   playlists  those playlists' items in order, restricted to the above.
 *
 * Its hash is sha256 over a canonical text: one line per schedule entry
 * (ordered by id, with its `current` flag), one line per playlist (ordered
 * by id: name digest and an order-sensitive digest of its items), and one
 * line for the asset set (count plus a 64-bit XOR digest of
 * "sha256:version", which is order-independent so that 10,000 assets
 * need no sort). Asset metadata enters through `version`, which changes on
 * every edit. The hash is therefore stable across calls and sessions, and
 * changes exactly when the effective manifest does, including when p_now
 * crosses a daypart or validity boundary. It is opaque: only compare it.
 *
 * `unchanged` means: the caller's last_manifest_hash equals the current
 * hash AND it holds as many hashes as the manifest lists (a cheap guard
 * against an evicted or half-filled cache). The next instant at which
 * time alone changes the manifest is returned as next_change_at, so an
 * offline player knows when its copy goes stale.
 *
 * p_now exists for tests and service jobs; the public wrapper always
 * passes now() so a device cannot ask for tomorrow's manifest.
 */
create or replace function cratemesh.sync_manifest_at(p_device_id uuid, p_last_manifest_hash text,
                                                       p_have_hashes text[], p_now timestamptz)
    returns jsonb
    language plpgsql
    security definer
    set search_path = ''
    -- JSON timestamps in UTC whatever the session says.
    set timezone = 'UTC'
    -- unnest() of a 10,000-element variable must be planned with its real size.
    set plan_cache_mode = 'force_custom_plan'
    -- Joins of two unnested arrays have no statistics; the planner then prefers a
    -- merge join with two 10,000-row sorts over a hash join at half the cost.
    set enable_mergejoin = 'off'
as
$$
declare
    c_max_have       constant integer  := 20000;
    c_min_interval   constant interval := '1 second';
    c_prefetch       constant interval := '24 hours';
    c_max_downloads  constant integer  := 2000;
    c_keep_snapshots constant integer  := 4;
    c_url_prefix     constant text     := '/storage/v1/object/authenticated/media/';
    v_have           text[]            := coalesce(p_have_hashes, '{}');
    v_device         public.devices;
    v_state          cratemesh.device_sync_state;
    v_epoch          bigint;
    v_cached         boolean;
    v_hash           text;
    v_count          integer;
    v_next           timestamptz;
    v_next_assets    timestamptz;
    v_entries        jsonb;
    v_sched_text     text;
    v_current_pl     uuid[];
    v_all_pl         uuid[];
    v_set_line       text;
    v_pl_digests     text[];
    v_ids            uuid[];
    v_shas           text[];
    v_versions       bigint[];
    v_prios          smallint[];
    v_positions      integer[];
    v_prev           cratemesh.device_manifests;
    v_download_ids   uuid[];
    v_download_prios smallint[];
    v_download_total integer;
    v_delete_shas    text[];
    v_update_ids     uuid[];
    v_kept           bigint[];
    v_downloads      jsonb;
    v_updates        jsonb;
    v_playlists      jsonb;
begin
    /** ---- Input limits, before touching any table ---- **/
    -- Entry format is checked later, on the few hashes that do not match the
    -- manifest: everything that matches is valid by construction.
    if cardinality(v_have) > c_max_have then
        raise exception 'have_hashes has % entries; the limit is %', cardinality(v_have), c_max_have
            using errcode = 'PT413', hint = 'Send at most 20000 hashes.';
    end if;
    if p_last_manifest_hash is not null and p_last_manifest_hash !~ '^[0-9a-f]{64}$' then
        raise exception 'last_manifest_hash must be a lowercase hex sha256 digest' using errcode = '22023';
    end if;

    v_device := cratemesh.authorize_device(p_device_id);

    /** ---- Rate limit (and read the cached manifest identity in the same statement) ---- **/
    insert into cratemesh.device_sync_state as s (device_id, last_manifest_call_at)
    values (p_device_id, p_now)
    on conflict (device_id) do update
        set last_manifest_call_at = excluded.last_manifest_call_at
    where s.last_manifest_call_at is null
       or s.last_manifest_call_at <= excluded.last_manifest_call_at - c_min_interval
    returning s.* into v_state;
    if not found then
        raise exception 'sync_manifest called again within % for this device', c_min_interval
            using errcode = 'PT429', hint = 'Poll at most once per second per device.';
    end if;

    -- Read before the data: a concurrent change then at worst forces one extra recomputation.
    select coalesce((select e.epoch from cratemesh.tenant_epochs e where e.tenant_id = v_device.tenant_id), 0)
    into v_epoch;

    v_cached := coalesce(v_state.cache_epoch = v_epoch
                             and p_now >= v_state.computed_at
                             and p_now < coalesce(v_state.next_change_at, 'infinity'), false);

    /** ---- Fast path: nothing changed since the cached computation ---- **/
    if v_cached
        and p_last_manifest_hash = v_state.manifest_hash
        and cardinality(v_have) = v_state.asset_count then
        return jsonb_strip_nulls(jsonb_build_object('hash', v_state.manifest_hash, 'unchanged', true,
                                                    'next_change_at', v_state.next_change_at));
    end if;

    if v_cached then
        select c.manifest_hash, c.asset_ids, c.asset_shas, c.asset_versions, c.asset_priorities,
               c.asset_positions, c.playlist_digests, c.entries
        into v_hash, v_ids, v_shas, v_versions, v_prios, v_positions, v_pl_digests, v_entries
        from cratemesh.device_manifest_cache c
        where c.device_id = p_device_id;
        v_cached := found and v_hash = v_state.manifest_hash;
        v_count := v_state.asset_count;
        v_next := v_state.next_change_at;
    end if;

    if not v_cached then
        /** ---- Schedules targeting the device ---- **/
        select coalesce(jsonb_agg(jsonb_build_object(
                                          'id', s.id,
                                          'playlist_id', s.playlist_id,
                                          'target', case when s.device_id is null then 'group' else 'device' end,
                                          'name', s.name,
                                          'days', s.days_of_week,
                                          'start', to_char(s.start_time, 'HH24:MI'),
                                          'end', to_char(s.end_time, 'HH24:MI'),
                                          'time_zone', s.time_zone,
                                          'priority', s.priority,
                                          'current', s.cur) order by s.id), '[]'::jsonb),
               string_agg(concat_ws('|', s.id, s.playlist_id, s.device_id, s.group_id, s.name, s.days_of_week,
                                    s.start_time, s.end_time, s.time_zone, s.priority, s.cur),
                          E'\n' order by s.id),
               coalesce(array_agg(distinct s.playlist_id) filter (where s.cur), '{}'),
               coalesce(array_agg(distinct s.playlist_id), '{}'),
               min(s.next_boundary)
        into v_entries, v_sched_text, v_current_pl, v_all_pl, v_next
        from (select sc.*,
                     cratemesh.daypart_is_current(sc.days_of_week, sc.start_time, sc.end_time, sc.time_zone,
                                                  p_now) as cur,
                     cratemesh.daypart_next_boundary(sc.start_time, sc.end_time, sc.time_zone, p_now) as next_boundary
              from public.schedules sc
              where sc.tenant_id = v_device.tenant_id
                and (sc.device_id = v_device.id or sc.group_id = v_device.group_id)) s;

        /** ---- Assets: scheduled playlists plus the emergency pool ---- **/
        -- Narrow ids are grouped first and joined once; every output comes from one
        -- aggregate node (no CTE materialization, no per-aggregate sort).
        select format('assets|%s|%s', count(*) filter (where x.in_window),
                      coalesce(bit_xor(hashtextextended(x.sha256 || ':' || x.version, 0))
                               filter (where x.in_window), 0)),
               coalesce(array_agg(x.id) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.sha256) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.version) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.prio) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.position) filter (where x.in_window), '{}'),
               count(*) filter (where x.in_window),
               least(min(x.valid_until) filter (where x.in_window),
                     min(x.valid_from - c_prefetch) filter (where not x.in_window and x.valid_until > p_now
                         and x.valid_from - c_prefetch > p_now))
        into v_set_line, v_ids, v_shas, v_versions, v_prios, v_positions, v_count, v_next_assets
        from (select a.id, a.sha256, a.version, a.valid_from, a.valid_until, g.prio, g.position,
                     a.valid_until > p_now and a.valid_from <= p_now + c_prefetch as in_window
              from (select c.asset_id, min(c.prio)::smallint as prio, min(c.position) as position
                    from (select pi.asset_id,
                                 case when pi.playlist_id = any (v_current_pl) then 0 else 2 end as prio,
                                 pi.position
                          from public.playlist_items pi
                          where pi.playlist_id = any (v_all_pl)
                          union all
                          select e.id, 1, null
                          from public.media_assets e
                          where e.tenant_id = v_device.tenant_id
                            and e.emergency_eligible) c
                    group by c.asset_id) g
                       join public.media_assets a on a.id = g.asset_id
              where a.tenant_id = v_device.tenant_id) x;

        /** ---- Playlists: name and an order-sensitive digest of their valid items ---- **/
        select coalesce(array_agg(format('%s:%s:%s:%s', p.id, md5(p.name), coalesce(d.n, 0), coalesce(d.x, 0))
                                  order by p.id), '{}')
        into v_pl_digests
        from public.playlists p
                 left join (select pi.playlist_id,
                                   count(*) as n,
                                   bit_xor(hashtextextended(a.sha256 || ':' || pi.position, 0)) as x
                            from public.playlist_items pi
                                     join public.media_assets a on a.id = pi.asset_id
                            where pi.playlist_id = any (v_all_pl)
                              and a.valid_until > p_now
                              and a.valid_from <= p_now + c_prefetch
                            group by pi.playlist_id) d on d.playlist_id = p.id
        where p.id = any (v_all_pl);

        v_next := least(v_next, v_next_assets);
        v_hash := encode(sha256(convert_to(concat_ws(E'\n', 'cratemesh-manifest-v1', coalesce(v_sched_text, ''),
                                                     array_to_string(v_pl_digests, E'\n'), v_set_line),
                                           'UTF8')), 'hex');

        update cratemesh.device_sync_state s
        set cache_epoch    = v_epoch,
            manifest_hash  = v_hash,
            asset_count    = v_count,
            computed_at    = p_now,
            next_change_at = v_next
        where s.device_id = p_device_id;

        insert into cratemesh.device_manifest_cache as c (device_id, manifest_hash, asset_ids, asset_shas,
                                                          asset_versions, asset_priorities, asset_positions,
                                                          playlist_digests, entries)
        values (p_device_id, v_hash, v_ids, v_shas, v_versions, v_prios, v_positions, v_pl_digests, v_entries)
        on conflict (device_id) do update
            set manifest_hash    = excluded.manifest_hash,
                asset_ids        = excluded.asset_ids,
                asset_shas       = excluded.asset_shas,
                asset_versions   = excluded.asset_versions,
                asset_priorities = excluded.asset_priorities,
                asset_positions  = excluded.asset_positions,
                playlist_digests = excluded.playlist_digests,
                entries          = excluded.entries;

        if p_last_manifest_hash = v_hash and cardinality(v_have) = v_count then
            return jsonb_strip_nulls(jsonb_build_object('hash', v_hash, 'unchanged', true,
                                                        'next_change_at', v_next));
        end if;
    end if;

    /** ---- Delta against what the device holds and was last told ---- **/
    select * into v_prev
    from cratemesh.device_manifests dm
    where dm.device_id = p_device_id
      and dm.manifest_hash = p_last_manifest_hash;

    -- One full join classifies every hash: listed only = download, held only =
    -- delete, both = kept. Only the sha array is unnested (with its index);
    -- the other arrays are read by subscript for the few rows that need them.
    with m as (select u.sha, u.i from unnest(v_shas) with ordinality as u(sha, i)),
         h as (select x.sha from unnest(v_have) as x(sha)),
         j as (select m.i, coalesce(m.sha, h.sha) as sha, m.i is not null as listed, h.sha is not null as held
               from m
                        full join h on h.sha = m.sha)
    select count(*) filter (where j.listed and not j.held),
           (array_agg(v_ids[j.i] order by v_prios[j.i], v_positions[j.i] nulls last, j.sha collate "C")
                      filter (where j.listed and not j.held))[1:c_max_downloads],
           (array_agg(v_prios[j.i] order by v_prios[j.i], v_positions[j.i] nulls last, j.sha collate "C")
                      filter (where j.listed and not j.held))[1:c_max_downloads],
           -- distinct: have_hashes may repeat a hash.
           coalesce(array_agg(distinct j.sha) filter (where j.held and not j.listed), '{}'),
           coalesce(array_agg(j.i) filter (where j.listed and j.held), '{}')
    into v_download_total, v_download_ids, v_download_prios, v_delete_shas, v_kept
    from j;

    -- Kept assets whose metadata the device has not been sent: all of them
    -- when the previous manifest is unknown, else those with a new version.
    select coalesce(array_agg(distinct v_ids[k.i]), '{}')
    into v_update_ids
    from unnest(v_kept) as k(i)
             left join unnest(coalesce(v_prev.asset_versions, '{}')) as p(version) on p.version = v_versions[k.i]
    where p.version is null;

    if exists(select 1 from unnest(v_delete_shas) d(sha) where d.sha is null or d.sha !~ '^[0-9a-f]{64}$') then
        raise exception 'have_hashes must contain lowercase hex sha256 digests only' using errcode = '22023';
    end if;

    select coalesce(jsonb_agg(jsonb_build_object(
                                      'asset', jsonb_build_object(
                                    'id', a.id, 'title', a.title, 'artist', a.artist,
                                    'duration_ms', a.duration_ms, 'bpm', a.bpm, 'key', a.musical_key,
                                    'mime', a.mime, 'valid_from', a.valid_from, 'valid_until', a.valid_until,
                                    'emergency_eligible', a.emergency_eligible, 'version', a.version),
                                      'hash', a.sha256,
                                      'size', a.size_bytes,
                                      'url_path', c_url_prefix || a.storage_path,
                                      'priority', d.prio)
                              order by d.ord), '[]'::jsonb)
    into v_downloads
    from unnest(coalesce(v_download_ids, '{}'), coalesce(v_download_prios, '{}')) with ordinality as d(id, prio, ord)
             join public.media_assets a on a.id = d.id;

    select coalesce(jsonb_agg(jsonb_build_object(
                                      'hash', a.sha256,
                                      'asset', jsonb_build_object(
                                    'id', a.id, 'title', a.title, 'artist', a.artist,
                                    'duration_ms', a.duration_ms, 'bpm', a.bpm, 'key', a.musical_key,
                                    'mime', a.mime, 'valid_from', a.valid_from, 'valid_until', a.valid_until,
                                    'emergency_eligible', a.emergency_eligible, 'version', a.version))
                              order by a.sha256 collate "C"), '[]'::jsonb)
    into v_updates
    from unnest(v_update_ids) as u(id)
             join public.media_assets a on a.id = u.id;

    -- Only playlists whose name or items changed since the previous manifest.
    with changed as (select split_part(d, ':', 1)::uuid as playlist_id
                     from unnest(v_pl_digests) as d
                     where not (d = any (coalesce(v_prev.playlist_digests, '{}'))))
    select coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'items', p.items)
                              order by p.id), '[]'::jsonb)
    into v_playlists
    from (select pl.id,
                 pl.name,
                 coalesce((select jsonb_agg(a.sha256 order by pi.position)
                           from public.playlist_items pi
                                    join public.media_assets a on a.id = pi.asset_id
                           where pi.playlist_id = pl.id
                             and a.valid_until > p_now
                             and a.valid_from <= p_now + c_prefetch), '[]'::jsonb) as items
          from public.playlists pl
                   join changed c on c.playlist_id = pl.id) p;

    -- Checked first: re-sending the same manifest (a retry) should not build an 80 kB row to discard.
    if not exists(select 1 from cratemesh.device_manifests dm
                  where dm.device_id = p_device_id and dm.manifest_hash = v_hash) then
        insert into cratemesh.device_manifests (device_id, manifest_hash, issued_at, asset_versions, playlist_digests)
        values (p_device_id, v_hash, p_now, v_versions, v_pl_digests)
        on conflict (device_id, manifest_hash) do nothing;
        delete
        from cratemesh.device_manifests dm
        where dm.device_id = p_device_id
          and dm.manifest_hash not in (select k.manifest_hash
                                       from cratemesh.device_manifests k
                                       where k.device_id = p_device_id
                                       order by k.issued_at desc
                                       limit c_keep_snapshots);
    end if;

    return jsonb_strip_nulls(jsonb_build_object(
            'hash', v_hash,
            'unchanged', false,
            'asset_count', v_count,
            'next_change_at', v_next,
            'downloads', v_downloads,
            'downloads_remaining', greatest(v_download_total - c_max_downloads, 0),
            'deletes', to_jsonb(v_delete_shas),
            'updates', v_updates,
            'schedule', jsonb_build_object('entries', v_entries, 'playlists', v_playlists)));
end;
$$;

revoke all on function cratemesh.sync_manifest_at(uuid, text, text[], timestamptz) from public, anon, authenticated;
grant execute on function cratemesh.sync_manifest_at(uuid, text, text[], timestamptz) to service_role;

/**
 * The RPC devices call: POST /rest/v1/rpc/sync_manifest
 * {"device_id": ..., "last_manifest_hash": ..., "have_hashes": [...]}.
 * Always evaluated at now().
 */
create or replace function public.sync_manifest(device_id uuid, last_manifest_hash text default null,
                                                have_hashes text[] default '{}')
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.sync_manifest_at(device_id, last_manifest_hash, have_hashes, now());
$$;

revoke all on function public.sync_manifest(uuid, text, text[]) from public, anon;
grant execute on function public.sync_manifest(uuid, text, text[]) to authenticated, service_role;

/**
  * -------------------------------------------------------
  * Section - report_sync
  * -------------------------------------------------------
  */

create or replace function cratemesh.report_sync_at(p_device_id uuid, p_manifest_hash text, p_downloaded text[],
                                                     p_deleted text[], p_failed text[],
                                                     p_cached_assets_count integer, p_app_version text,
                                                     p_error text, p_now timestamptz)
    returns jsonb
    language plpgsql
    security definer
    set search_path = ''
    set timezone = 'UTC'
as
$$
declare
    c_max_hashes   constant integer  := 2000;
    c_max_error    constant integer  := 1000;
    c_min_interval constant interval := '5 seconds';
    v_downloaded   text[]            := coalesce(p_downloaded, '{}');
    v_deleted      text[]            := coalesce(p_deleted, '{}');
    v_failed       text[]            := coalesce(p_failed, '{}');
    v_all          text;
    v_device       public.devices;
    v_log_id       bigint;
begin
    /** ---- Input limits ---- **/
    if greatest(cardinality(v_downloaded), cardinality(v_deleted), cardinality(v_failed)) > c_max_hashes then
        raise exception 'A report lists at most % hashes per kind', c_max_hashes
            using errcode = 'PT413', hint = 'Split the report, one call per 5 seconds.';
    end if;
    if char_length(p_error) > c_max_error or char_length(p_app_version) > 64 then
        raise exception 'error is limited to % characters and app_version to 64', c_max_error
            using errcode = 'PT413';
    end if;
    v_all := array_to_string(v_downloaded || v_deleted || v_failed, '');
    if octet_length(v_all) <> 64 * (cardinality(v_downloaded) + cardinality(v_deleted) + cardinality(v_failed))
        or v_all !~ '^[0-9a-f]*$' then
        raise exception 'downloaded, deleted and failed must contain lowercase hex sha256 digests only'
            using errcode = '22023';
    end if;
    if p_manifest_hash is not null and p_manifest_hash !~ '^[0-9a-f]{64}$' then
        raise exception 'manifest_hash must be a lowercase hex sha256 digest' using errcode = '22023';
    end if;
    if p_cached_assets_count is not null and p_cached_assets_count not between 0 and 1000000 then
        raise exception 'cached_assets_count out of range' using errcode = '22023';
    end if;

    v_device := cratemesh.authorize_device(p_device_id);

    /** ---- Rate limit ---- **/
    insert into cratemesh.device_sync_state as s (device_id, last_report_at)
    values (p_device_id, p_now)
    on conflict (device_id) do update
        set last_report_at = excluded.last_report_at
    where s.last_report_at is null
       or s.last_report_at <= excluded.last_report_at - c_min_interval;
    if not found then
        raise exception 'report_sync called again within % for this device', c_min_interval
            using errcode = 'PT429', hint = 'Report at most once every 5 seconds per device.';
    end if;

    insert into public.sync_logs (tenant_id, device_id, reported_by, manifest_hash, downloaded, deleted, failed,
                                  cached_assets_count, app_version, error, created_at)
    values (v_device.tenant_id, v_device.id, auth.uid(), p_manifest_hash, v_downloaded, v_deleted, v_failed,
            p_cached_assets_count, p_app_version, p_error, p_now)
    returning id into v_log_id;

    update public.devices d
    set last_sync_at        = p_now,
        last_manifest_hash  = coalesce(p_manifest_hash, d.last_manifest_hash),
        cached_assets_count = coalesce(p_cached_assets_count, d.cached_assets_count),
        app_version         = coalesce(p_app_version, d.app_version)
    where d.id = v_device.id;

    return jsonb_build_object('log_id', v_log_id, 'logged_at', p_now,
                              'next_report_after', p_now + c_min_interval);
end;
$$;

revoke all on function cratemesh.report_sync_at(uuid, text, text[], text[], text[], integer, text, text, timestamptz)
    from public, anon, authenticated;
grant execute on function cratemesh.report_sync_at(uuid, text, text[], text[], text[], integer, text, text, timestamptz)
    to service_role;

/**
 * POST /rest/v1/rpc/report_sync
 * {"device_id": ..., "manifest_hash": ..., "downloaded": [...], "deleted": [...],
 *  "failed": [...], "cached_assets_count": 1234, "app_version": "1.4.0", "error": null}
 */
create or replace function public.report_sync(device_id uuid, manifest_hash text default null,
                                              downloaded text[] default '{}', deleted text[] default '{}',
                                              failed text[] default '{}', cached_assets_count integer default null,
                                              app_version text default null, error text default null)
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.report_sync_at(device_id, manifest_hash, downloaded, deleted, failed, cached_assets_count,
                                app_version, error, now());
$$;

revoke all on function public.report_sync(uuid, text, text[], text[], text[], integer, text, text) from public, anon;
grant execute on function public.report_sync(uuid, text, text[], text[], text[], integer, text, text)
    to authenticated, service_role;
