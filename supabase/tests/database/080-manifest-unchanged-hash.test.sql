-- `unchanged` is tiny, and the hash is stable: same effective manifest,
-- same hash, whoever asks, with or without the cache, whatever the order
-- of have_hashes; any real change (even a reorder) changes it.
BEGIN;
select plan(16);

select tests.create_world('a');
select tests.create_world('b');
select tests.authenticate_as('a.player1');
select tests.as_superuser();

select tests.sync('a.device.d1', null, '{}', '2030-01-07 12:00:00Z') ->> 'hash' as h \gset
select tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:01Z') as u \gset

select is(:'u'::jsonb ->> 'unchanged', 'true', 'nothing changed: unchanged');
select cmp_ok(octet_length(:'u'), '<', 200, format('unchanged payload is under 200 bytes (%s)', octet_length(:'u')));
select is(array(select jsonb_object_keys(:'u'::jsonb) order by 1), '{hash,next_change_at,unchanged}',
          'unchanged carries only hash, unchanged and next_change_at');
select is(tests.sync('a.device.d1', :'h', array [tests.sha('a.two'), tests.sha('a.one')], '2030-01-07 12:00:02Z') ->> 'unchanged',
          'true', 'the order of have_hashes does not matter');

update cratemesh.device_sync_state set cache_epoch = null where device_id = tests.id('a.device.d1');
select is(tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:03Z'),
          :'u'::jsonb, 'recomputed without the cache: the same answer');

select tests.authenticate_as('a.manager');
select tests.as_superuser();
select is(tests.sync('a.device.d1', null, '{}', '2030-01-07 12:00:04Z') ->> 'hash', :'h',
          'a manager asking for the device gets the same hash');
select tests.authenticate_as('a.player1');
select tests.as_superuser();

update public.media_assets set title = 'Elsewhere' where tenant_id = tests.id('b');
select is(tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:05Z') ->> 'unchanged', 'true',
          'edits in another tenant do not touch this manifest');

update public.media_assets set title = title where tenant_id = tests.id('a');
select is(tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:06Z') ->> 'unchanged', 'true',
          'a no-op update keeps the hash');

update public.media_assets set title = 'Spare (edit)' where id = tests.id('a.asset.other');
select is(tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:07Z') ->> 'unchanged', 'true',
          'editing an asset the device does not get keeps the hash');

select tests.sync('a.device.d1', :'h', tests.shas('a.one'), '2030-01-07 12:00:08Z') as r \gset
select is(:'r'::jsonb ->> 'unchanged', 'false', 'current hash but a file missing: not unchanged');
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.two'), '... the missing file is a download');
select is(:'r'::jsonb ->> 'hash', :'h', '... and the hash is the same');

update public.playlist_items set position = 1 - position where playlist_id = tests.id('a.playlist.main');
select tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:09Z') as r \gset
select isnt(:'r'::jsonb ->> 'hash', :'h', 'reordering a playlist changes the hash');
select is((select p -> 'items' from jsonb_array_elements(:'r'::jsonb -> 'schedule' -> 'playlists') p),
          jsonb_build_array(tests.sha('a.two'), tests.sha('a.one')), '... and resends the playlist in its new order');
select :'r'::jsonb ->> 'hash' as h2 \gset

update public.playlists set name = 'Main (renamed)' where id = tests.id('a.playlist.main');
select tests.sync('a.device.d1', :'h2', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:10Z') as r \gset
select isnt(:'r'::jsonb ->> 'hash', :'h2', 'renaming a playlist changes the hash');
select is(:'r'::jsonb -> 'schedule' -> 'playlists' -> 0 ->> 'name', 'Main (renamed)', '... and resends it');

select * from finish();
ROLLBACK;
