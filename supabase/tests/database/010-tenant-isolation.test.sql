-- An owner of tenant A (the most privileged tenant role) can neither see
-- nor change anything of tenant B, table by table.
BEGIN;
select plan(44);

select tests.create_world('a');
select tests.create_world('b');
insert into public.sync_logs (tenant_id, device_id, manifest_hash)
values (tests.id('a'), tests.id('a.device.d1'), null),
       (tests.id('b'), tests.id('b.device.d1'), null);

select tests.authenticate_as('a.owner');

/** ---- A sees its own rows (so the zeros below are not vacuous) ---- **/
select is((select count(*)::int from public.tenants), 1, 'A sees its tenant');
select is((select count(*)::int from public.memberships), 5, 'A sees its memberships');
select is((select count(*)::int from public.device_groups), 1, 'A sees its device groups');
select is((select count(*)::int from public.devices), 2, 'A sees its devices');
select is((select count(*)::int from public.media_assets), 3, 'A sees its assets');
select is((select count(*)::int from public.playlists), 2, 'A sees its playlists');
select is((select count(*)::int from public.playlist_items), 3, 'A sees its playlist items');
select is((select count(*)::int from public.schedules), 1, 'A sees its schedules');
select is((select count(*)::int from public.sync_logs), 1, 'A sees its sync logs');

/** ---- Read ---- **/
select is((select count(*)::int from public.tenants where id = tests.id('b')), 0, 'A cannot read B''s tenant');
select is((select count(*)::int from public.memberships where tenant_id = tests.id('b')), 0, 'A cannot read B''s memberships');
select is((select count(*)::int from public.device_groups where tenant_id = tests.id('b')), 0, 'A cannot read B''s device groups');
select is((select count(*)::int from public.devices where tenant_id = tests.id('b')), 0, 'A cannot read B''s devices');
select is((select count(*)::int from public.media_assets where tenant_id = tests.id('b')), 0, 'A cannot read B''s assets');
select is((select count(*)::int from public.playlists where tenant_id = tests.id('b')), 0, 'A cannot read B''s playlists');
select is((select count(*)::int from public.playlist_items where tenant_id = tests.id('b')), 0, 'A cannot read B''s playlist items');
select is((select count(*)::int from public.schedules where tenant_id = tests.id('b')), 0, 'A cannot read B''s schedules');
select is((select count(*)::int from public.sync_logs where tenant_id = tests.id('b')), 0, 'A cannot read B''s sync logs');

/** ---- Update (silently matches nothing) ---- **/
with u as (update public.tenants set name = 'pwned' where id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot rename B') from u;
with u as (update public.memberships set role = 'dj' where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot change B''s roles') from u;
with u as (update public.device_groups set name = 'pwned' where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot rename B''s device groups') from u;
with u as (update public.devices set name = 'pwned' where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot rename B''s devices') from u;
with u as (update public.media_assets set title = 'pwned' where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot edit B''s assets') from u;
with u as (update public.playlists set name = 'pwned' where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot rename B''s playlists') from u;
with u as (update public.playlist_items set position = position + 10 where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot reorder B''s playlist items') from u;
with u as (update public.schedules set name = 'pwned' where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot edit B''s schedules') from u;

/** ---- Delete ---- **/
with d as (delete from public.tenants where id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot delete B') from d;
with d as (delete from public.memberships where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot remove B''s members') from d;
with d as (delete from public.device_groups where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot delete B''s device groups') from d;
with d as (delete from public.devices where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot delete B''s devices') from d;
with d as (delete from public.media_assets where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot delete B''s assets') from d;
with d as (delete from public.playlists where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot delete B''s playlists') from d;
with d as (delete from public.playlist_items where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot delete B''s playlist items') from d;
with d as (delete from public.schedules where tenant_id = tests.id('b') returning 1)
select is(count(*)::int, 0, 'A cannot delete B''s schedules') from d;

/** ---- Insert into B ---- **/
select throws_ok(format('insert into public.memberships (tenant_id, user_id, role) values (%L, %L, ''owner'')',
                        tests.id('b'), tests.id('a.owner')),
                 '42501', null, 'A cannot make itself a member of B');
select throws_ok(format('insert into public.device_groups (tenant_id, name) values (%L, ''x'')', tests.id('b')),
                 '42501', null, 'A cannot create device groups in B');
select throws_ok(format('insert into public.devices (tenant_id, name) values (%L, ''x'')', tests.id('b')),
                 '42501', null, 'A cannot register devices in B');
select throws_ok(format('insert into public.media_assets (tenant_id, sha256, size_bytes, mime, title, valid_until)
                         values (%L, %L, 1, ''audio/mpeg'', ''x'', now() + interval ''1 day'')',
                        tests.id('b'), tests.sha('intruder')),
                 '42501', null, 'A cannot add assets to B');
select throws_ok(format('insert into public.playlists (tenant_id, name) values (%L, ''x'')', tests.id('b')),
                 '42501', null, 'A cannot create playlists in B');
select throws_ok(format('insert into public.playlist_items (tenant_id, playlist_id, asset_id, position)
                         values (%L, %L, %L, 9)', tests.id('b'), tests.id('b.playlist.main'), tests.id('b.asset.one')),
                 '42501', null, 'A cannot add items to B''s playlists');
select throws_ok(format('insert into public.schedules (tenant_id, playlist_id, device_id) values (%L, %L, %L)',
                        tests.id('b'), tests.id('b.playlist.main'), tests.id('b.device.d1')),
                 '42501', null, 'A cannot schedule on B''s devices');
select throws_ok(format('insert into public.sync_logs (tenant_id, device_id) values (%L, %L)',
                        tests.id('b'), tests.id('b.device.d1')),
                 '42501', null, 'A cannot write B''s sync logs');

/** ---- Cross-tenant references from A's own rows ---- **/
select throws_ok(format('insert into public.playlist_items (tenant_id, playlist_id, asset_id, position)
                         values (%L, %L, %L, 9)', tests.id('a'), tests.id('a.playlist.main'), tests.id('b.asset.one')),
                 '23503', null, 'A cannot put B''s asset into its own playlist');
select throws_ok(format('insert into public.schedules (tenant_id, playlist_id, device_id) values (%L, %L, %L)',
                        tests.id('a'), tests.id('a.playlist.main'), tests.id('b.device.d1')),
                 '23503', null, 'A cannot schedule its playlist on B''s device');

select * from finish();
ROLLBACK;
