-- sync_poll: when 1 of many assets changes, the answer carries only that
-- change, computed from the set the server issued last time (no list sent):
-- one download, one delete, the playlist as a one-position patch, no
-- schedule entries; entries come back when they change.
BEGIN;
select plan(14);

select tests.create_world('a');
select tests.create_asset('a', 'p' || n) from generate_series(2, 9) n;
select tests.add_item('a', 'main', 'p' || n, n) from generate_series(2, 9) n;
select tests.authenticate_as('a.player1');
select tests.as_superuser();

create function tests.digest(have text[]) returns text
    language sql immutable
as
$$
select encode(sha256(convert_to(coalesce((select string_agg(h, '' order by h collate "C") from unnest(have) h), ''),
                                'UTF8')), 'hex');
$$;
create function tests.poll(device text, last_hash text, have text[], at timestamptz) returns jsonb
    language sql
as
$$
select cratemesh.sync_poll_at(tests.id(device), last_hash, cardinality(have), tests.digest(have), at);
$$;

select tests.poll('a.device.d1', null, '{}', '2030-01-07 12:00:00Z') ->> 'hash' as h1 \gset
select array(select tests.sha('a.' || l) from unnest(array ['one', 'two', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9']) l)::text as held \gset

/** ---- Replace the asset at position 5 with a new one ---- **/
select tests.create_asset('a', 'fresh');
update public.playlist_items set asset_id = tests.id('a.asset.fresh')
where playlist_id = tests.id('a.playlist.main') and asset_id = tests.id('a.asset.p5');
select tests.poll('a.device.d1', :'h1', :'held'::text[], '2030-01-07 12:00:01Z') as r \gset

select is(:'r'::jsonb ->> 'unchanged', 'false', 'a change: not unchanged');
select isnt(:'r'::jsonb ->> 'hash', :'h1', '... with a new hash');
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.fresh'), 'only the new asset is a download');
select is(tests.texts(:'r'::jsonb -> 'deletes'), tests.shas('a.p5'), 'only the replaced one is a delete');
select is(:'r'::jsonb -> 'updates', '[]', 'no metadata updates');
select ok(not (:'r'::jsonb -> 'schedule' ? 'entries'), 'schedule entries did not change: not sent');
select is(:'r'::jsonb -> 'schedule' -> 'playlists',
          jsonb_build_array(jsonb_build_object('id', tests.id('a.playlist.main'), 'name', 'Main', 'count', 10,
                                               'set', jsonb_build_array(jsonb_build_array(5, tests.sha('a.fresh'))))),
          'the playlist comes as a patch of the one position that changed');
select cmp_ok(octet_length(:'r'), '<', 1200, format('the whole answer is %s bytes', octet_length(:'r')));
select :'r'::jsonb ->> 'hash' as h2 \gset

/** ---- The device applied it: its set is the new manifest's ---- **/
select array(select tests.sha('a.' || l) from unnest(array ['one', 'two', 'p2', 'p3', 'p4', 'fresh', 'p6', 'p7', 'p8', 'p9']) l)::text as held2 \gset
select is(tests.poll('a.device.d1', :'h2', :'held2'::text[], '2030-01-07 12:00:02Z') ->> 'unchanged', 'true',
          'after applying it: unchanged');

/** ---- A metadata edit: one update, nothing else ---- **/
update public.media_assets set title = 'Two (radio edit)' where id = tests.id('a.asset.two');
select tests.poll('a.device.d1', :'h2', :'held2'::text[], '2030-01-07 12:00:03Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'updates', 'hash'), tests.shas('a.two'), 'an edit: one update');
select is((:'r'::jsonb -> 'downloads') || (:'r'::jsonb -> 'deletes') || (:'r'::jsonb -> 'schedule' -> 'playlists'), '[]',
          '... and no transfer, no playlist');
select :'r'::jsonb ->> 'hash' as h3 \gset

/** ---- A schedule change: the entries come back ---- **/
update public.schedules set name = 'All day long' where id = tests.id('a.schedule.allday');
select tests.poll('a.device.d1', :'h3', :'held2'::text[], '2030-01-07 12:00:04Z') as r \gset
select is(:'r'::jsonb -> 'schedule' -> 'entries' -> 0 ->> 'name', 'All day long', 'a renamed schedule: the entries are sent');

/** ---- A reorder that moves most items: the whole list (smaller than the patch) ---- **/
update public.playlist_items set position = 100 - position where playlist_id = tests.id('a.playlist.main');
select tests.poll('a.device.d1', (:'r'::jsonb ->> 'hash'), :'held2'::text[], '2030-01-07 12:00:05Z') as r \gset
select is(jsonb_array_length(:'r'::jsonb -> 'schedule' -> 'playlists' -> 0 -> 'items'), 10,
          'a reversed playlist is sent whole');
select is(:'r'::jsonb -> 'schedule' -> 'playlists' -> 0 -> 'items' ->> 0, tests.sha('a.p9'), '... in its new order');

select * from finish();
ROLLBACK;
