-- sync_manifest deltas, step by step on one device: add, move between
-- playlists, expire (by edit and by time), emergency pool in and out,
-- metadata change, unknown previous manifest, stray files, regrouping.
BEGIN;
select plan(40);

select tests.create_world('a');
-- A second all-day playlist on d1, so assets can move between scheduled playlists.
insert into public.playlists (id, tenant_id, name) values (tests.id('a.playlist.late'), tests.id('a'), 'Late');
insert into public.schedules (tenant_id, playlist_id, device_id, name)
values (tests.id('a'), tests.id('a.playlist.late'), tests.id('a.device.d1'), 'Late, all day');
select tests.authenticate_as('a.player1');
select tests.as_superuser();

/** ---- First sync: everything scheduled is a download ---- **/
select tests.sync('a.device.d1', null, '{}', '2030-01-07 12:00:00Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.one', 'a.two'), 'first sync: downloads = scheduled assets');
select is(:'r'::jsonb -> 'deletes', '[]', 'first sync: nothing to delete');
select is(:'r'::jsonb -> 'updates', '[]', 'first sync: nothing held, so no metadata updates');
select is((:'r'::jsonb ->> 'asset_count')::int, 2, 'first sync: asset_count');
select matches(:'r'::jsonb ->> 'hash', '^[0-9a-f]{64}$', 'hash is a hex sha256');
select is(:'r'::jsonb -> 'downloads' -> 0 -> 'asset' ->> 'title', 'Track one', 'downloads carry asset metadata');
select :'r'::jsonb ->> 'hash' as h1 \gset

select is(tests.sync('a.device.d1', :'h1', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:01Z'),
          jsonb_build_object('hash', :'h1', 'unchanged', true, 'next_change_at', '2030-01-08T00:00:00+00:00'),
          'holding everything with the current hash: unchanged');

/** ---- Add an asset to a scheduled playlist ---- **/
select tests.create_asset('a', 'three');
select tests.add_item('a', 'main', 'three', 2);
select tests.sync('a.device.d1', :'h1', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:02Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.three'), 'add: only the new asset is downloaded');
select is(:'r'::jsonb -> 'deletes', '[]', 'add: nothing deleted');
select is(:'r'::jsonb -> 'updates', '[]', 'add: kept assets are unchanged, no updates');
select isnt(:'r'::jsonb ->> 'hash', :'h1', 'add: the hash changes');
select is((select p -> 'items' from jsonb_array_elements(:'r'::jsonb -> 'schedule' -> 'playlists') p where p ->> 'name' = 'Main'),
          jsonb_build_array(tests.sha('a.one'), tests.sha('a.two'), tests.sha('a.three')),
          'add: the changed playlist is sent with its items in order');
select is(:'r'::jsonb -> 'downloads' -> 0 ->> 'url_path',
          '/storage/v1/object/authenticated/media/' || tests.id('a') || '/' || tests.sha('a.three'),
          'downloads carry the storage path');
select :'r'::jsonb ->> 'hash' as h2 \gset

/** ---- Move an asset between scheduled playlists ---- **/
delete from public.playlist_items where playlist_id = tests.id('a.playlist.main') and asset_id = tests.id('a.asset.two');
select tests.add_item('a', 'late', 'two', 0);
select tests.sync('a.device.d1', :'h2', tests.shas('a.one', 'a.two', 'a.three'), '2030-01-07 12:00:03Z') as r \gset
select is(:'r'::jsonb -> 'downloads', '[]', 'move: an asset the device holds is never downloaded again');
select is(:'r'::jsonb -> 'deletes', '[]', 'move: nor deleted');
select is(:'r'::jsonb -> 'updates', '[]', 'move: its metadata did not change');
select is(tests.texts(:'r'::jsonb -> 'schedule' -> 'playlists', 'name'), '{Late,Main}', 'move: both playlists are resent');
select isnt(:'r'::jsonb ->> 'hash', :'h2', 'move: the hash changes');
select :'r'::jsonb ->> 'hash' as h3 \gset

/** ---- Expire by editing valid_until ---- **/
update public.media_assets set valid_until = '2030-01-07 12:00:00Z' where id = tests.id('a.asset.one');
select tests.sync('a.device.d1', :'h3', tests.shas('a.one', 'a.two', 'a.three'), '2030-01-07 12:00:04Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'deletes'), tests.shas('a.one'), 'expired: the held hash is a delete');
select is(:'r'::jsonb -> 'downloads', '[]', 'expired: no download');
select is((:'r'::jsonb ->> 'asset_count')::int, 2, 'expired: it left the manifest');
select is((select p -> 'items' from jsonb_array_elements(:'r'::jsonb -> 'schedule' -> 'playlists') p where p ->> 'name' = 'Main'),
          jsonb_build_array(tests.sha('a.three')), 'expired: and its playlist no longer lists it');
select :'r'::jsonb ->> 'hash' as h4 \gset

/** ---- Expire by the passing of time ---- **/
update public.media_assets set valid_until = '2030-01-07 13:00:00Z' where id = tests.id('a.asset.three');
select tests.sync('a.device.d1', :'h4', tests.shas('a.two', 'a.three'), '2030-01-07 12:00:05Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'updates', 'hash'), tests.shas('a.three'), 'validity change: sent as an update');
select is(:'r'::jsonb -> 'updates' -> 0 -> 'asset' ->> 'valid_until', '2030-01-07T13:00:00+00:00', 'update carries the new validity');
select is(:'r'::jsonb ->> 'next_change_at', '2030-01-07T13:00:00+00:00', 'next_change_at is the expiry');
select :'r'::jsonb ->> 'hash' as h5 \gset
select is(tests.sync('a.device.d1', :'h5', tests.shas('a.two', 'a.three'), '2030-01-07 12:59:59Z') ->> 'unchanged', 'true',
          'a second before expiry: unchanged');
select tests.sync('a.device.d1', :'h5', tests.shas('a.two', 'a.three'), '2030-01-07 13:00:00Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'deletes'), tests.shas('a.three'), 'at expiry, with no edit: delete');
select isnt(:'r'::jsonb ->> 'hash', :'h5', 'at expiry: the hash changes');
select :'r'::jsonb ->> 'hash' as h6 \gset

/** ---- Emergency pool ---- **/
update public.media_assets set emergency_eligible = true where id = tests.id('a.asset.other');
select tests.sync('a.device.d1', :'h6', tests.shas('a.two'), '2030-01-07 13:00:01Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.other'), 'emergency-eligible: joins every device''s manifest');
select is((:'r'::jsonb -> 'downloads' -> 0 ->> 'priority')::int, 1, 'emergency assets have priority 1');
select :'r'::jsonb ->> 'hash' as h7 \gset
update public.media_assets set emergency_eligible = false where id = tests.id('a.asset.other');
select tests.sync('a.device.d1', :'h7', tests.shas('a.two', 'a.other'), '2030-01-07 13:00:02Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'deletes'), tests.shas('a.other'), 'no longer emergency-eligible and unscheduled: delete');
select is(:'r'::jsonb -> 'downloads', '[]', '... and nothing to download');
select :'r'::jsonb ->> 'hash' as h8 \gset

/** ---- Metadata change ---- **/
update public.media_assets set title = 'Two (radio edit)', bpm = 126 where id = tests.id('a.asset.two');
select tests.sync('a.device.d1', :'h8', tests.shas('a.two'), '2030-01-07 13:00:03Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'updates', 'hash'), tests.shas('a.two'), 'metadata change: update');
select is(:'r'::jsonb -> 'updates' -> 0 -> 'asset' ->> 'title', 'Two (radio edit)', 'the update carries the new metadata');
select is((:'r'::jsonb -> 'downloads') || (:'r'::jsonb -> 'deletes'), '[]', 'metadata change: no transfer');
select :'r'::jsonb ->> 'hash' as h9 \gset

/** ---- Unknown previous manifest: resend metadata for everything held ---- **/
select tests.sync('a.device.d1', null, tests.shas('a.two'), '2030-01-07 13:00:04Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'updates', 'hash'), tests.shas('a.two'), 'no previous hash: full metadata for kept assets');
select is(:'r'::jsonb ->> 'hash', :'h9', 'and the same hash as before');

/** ---- A file the device should not have ---- **/
select tests.sync('a.device.d1', :'h9', tests.shas('a.two', 'stranger'), '2030-01-07 13:00:05Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'deletes'), tests.shas('stranger'), 'unknown held hashes are deletes');

/** ---- Group schedules follow the device's group ---- **/
insert into public.schedules (tenant_id, playlist_id, group_id)
values (tests.id('a'), tests.id('a.playlist.spare'), tests.id('a.group.g1'));
select tests.sync('a.device.d1', :'h9', tests.shas('a.two'), '2030-01-07 13:00:06Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.other'), 'a schedule on the device''s group adds its assets');
select :'r'::jsonb ->> 'hash' as h10 \gset
update public.devices set group_id = null where id = tests.id('a.device.d1');
select tests.sync('a.device.d1', :'h10', tests.shas('a.two', 'a.other'), '2030-01-07 13:00:07Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'deletes'), tests.shas('a.other'), 'leaving the group removes them');

select * from finish();
ROLLBACK;
