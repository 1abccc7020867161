-- The director panel's additions: a playlist reordered in one atomic call (managers only),
-- and "now playing" telemetry a player writes on its own device row.
BEGIN;
select plan(14);

select tests.create_world('a');
select tests.create_world('b');
select tests.as_superuser();
select tests.create_asset('a', 'three');
select tests.add_item('a', 'main', 'three', 2);
select id as one from public.playlist_items where asset_id = tests.id('a.asset.one') \gset
select id as two from public.playlist_items where asset_id = tests.id('a.asset.two') \gset
select id as three from public.playlist_items where asset_id = tests.id('a.asset.three') \gset

-- Reorder: managers, atomically, the whole list or nothing.
select tests.authenticate_as('a.manager');
select is(public.reorder_playlist_items(tests.id('a.playlist.main'), array [:'three', :'one', :'two']::uuid[]), 3,
          'a manager reorders the playlist in one call');
select results_eq(format('select asset_id from public.playlist_items where playlist_id = %L order by position',
                         tests.id('a.playlist.main')),
                  format('values (%L::uuid), (%L::uuid), (%L::uuid)', tests.id('a.asset.three'),
                         tests.id('a.asset.one'), tests.id('a.asset.two')),
                  'the new order is stored');
select results_eq(format('select position from public.playlist_items where playlist_id = %L order by position',
                         tests.id('a.playlist.main')),
                  'values (0), (1), (2)', 'positions stay 0..n-1');
select throws_ok(format('select public.reorder_playlist_items(%L, %L::uuid[])', tests.id('a.playlist.main'),
                        array [:'three', :'one']),
                 '22023', null, 'a list missing an item is refused');
select throws_ok(format('select public.reorder_playlist_items(%L, %L::uuid[])', tests.id('a.playlist.main'),
                        array [:'three', :'one', :'one']),
                 '22023', null, 'a list with a duplicate is refused');
select throws_ok(format('select public.reorder_playlist_items(%L, %L::uuid[])', tests.id('a.playlist.spare'),
                        array [:'three', :'one', :'two']),
                 '22023', null, 'items of another playlist are refused');

select tests.authenticate_as('a.dj');
select throws_ok(format('select public.reorder_playlist_items(%L, %L::uuid[])', tests.id('a.playlist.main'),
                        array [:'one', :'two', :'three']),
                 '42501', null, 'a dj (who can read the items) cannot reorder');
select tests.authenticate_as('b.manager');
select throws_ok(format('select public.reorder_playlist_items(%L, %L::uuid[])', tests.id('a.playlist.main'),
                        array [:'one', :'two', :'three']),
                 '22023', null, 'a manager of another tenant sees no items to reorder');
select tests.authenticate_as_anon();
select throws_ok(format('select public.reorder_playlist_items(%L, %L::uuid[])', tests.id('a.playlist.main'),
                        array [:'one', :'two', :'three']),
                 '42501', null, 'anon cannot call it');
select tests.as_superuser();
select results_eq(format('select asset_id from public.playlist_items where playlist_id = %L order by position',
                         tests.id('a.playlist.main')),
                  format('values (%L::uuid), (%L::uuid), (%L::uuid)', tests.id('a.asset.three'),
                         tests.id('a.asset.one'), tests.id('a.asset.two')),
                  'refused calls changed nothing');

-- Now playing: the player writes it on its own row, staff read it, nobody else writes it.
select tests.authenticate_as('a.player1');
select lives_ok(format('update public.devices set now_playing_sha256 = %L, now_playing_title = %L, now_playing_at = now() where id = %L',
                       tests.asset_sha('a', 'one'), 'Track <one>', tests.id('a.device.d1')),
                'a player reports what it plays on its own device');
update public.devices set now_playing_title = 'forged' where id = tests.id('a.device.d2');
select tests.authenticate_as('a.manager');
select results_eq(format('select now_playing_title, now_playing_sha256, now_playing_at is not null from public.devices where id = %L',
                         tests.id('a.device.d1')),
                  format('values (%L::text, %L::text, true)', 'Track <one>', tests.asset_sha('a', 'one')),
                  'staff read it');
select is((select now_playing_title from public.devices where id = tests.id('a.device.d2')), null,
          'a player cannot write another device''s now playing');
select tests.authenticate_as('a.player1');
select throws_ok(format('update public.devices set now_playing_sha256 = %L where id = %L', 'not-a-hash',
                        tests.id('a.device.d1')),
                 '23514', null, 'now_playing_sha256 must be a sha256');

select * from finish();
ROLLBACK;
