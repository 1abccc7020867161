-- Within one tenant: owners and managers write the library, playlists and
-- schedules; DJs read; players read only what is scheduled for their own
-- device and write only their own device row.
BEGIN;
select plan(45);

select tests.create_world('a');
select tests.create_user('a.newbie');
-- A group schedule for d1's group, so group targeting is covered too.
insert into public.playlists (id, tenant_id, name) values (tests.id('a.playlist.groupy'), tests.id('a'), 'Groupy');
select tests.create_asset('a', 'g-only');
select tests.add_item('a', 'groupy', 'g-only', 0);
insert into public.schedules (tenant_id, playlist_id, group_id)
values (tests.id('a'), tests.id('a.playlist.groupy'), tests.id('a.group.g1'));

/** ---- Player: reads ---- **/
select tests.authenticate_as('a.player1');
select is((select count(*)::int from public.tenants), 1, 'player reads its tenant');
select is((select array_agg(user_id) from public.memberships), array [tests.id('a.player1')], 'player reads only its own membership');
select is((select array_agg(id) from public.devices), array [tests.id('a.device.d1')], 'player reads only its own device');
select is((select array_agg(id) from public.device_groups), array [tests.id('a.group.g1')], 'player reads its device''s group');
select is((select count(*)::int from public.schedules), 2, 'player reads the device and group schedules targeting it');
select set_eq('select id from public.playlists', array [tests.id('a.playlist.main'), tests.id('a.playlist.groupy')],
              'player reads scheduled playlists only (not "spare")');
select is((select count(*)::int from public.playlist_items), 3, 'player reads items of scheduled playlists only');
select set_eq('select id from public.media_assets',
              array [tests.id('a.asset.one'), tests.id('a.asset.two'), tests.id('a.asset.g-only')],
              'player reads scheduled assets only');

select tests.as_superuser();
update public.media_assets set emergency_eligible = true where id = tests.id('a.asset.other');
select tests.authenticate_as('a.player1');
select is((select count(*)::int from public.media_assets where id = tests.id('a.asset.other')), 1,
          'player reads its tenant''s emergency pool');

select tests.authenticate_as('a.player2');
select is((select count(*)::int from public.schedules), 0, 'a player with nothing scheduled reads no schedule');
select is((select count(*)::int from public.playlists), 0, '... no playlist');
select is((select array_agg(id) from public.media_assets), array [tests.id('a.asset.other')], '... only the emergency pool');

/** ---- Player: writes ---- **/
select tests.authenticate_as('a.player1');
select throws_ok(format('insert into public.media_assets (tenant_id, sha256, size_bytes, mime, title, valid_until)
                         values (%L, %L, 1, ''audio/mpeg'', ''x'', now() + interval ''1 day'')', tests.id('a'), tests.sha('p')),
                 '42501', null, 'player cannot add assets');
with u as (update public.media_assets set title = 'x' returning 1)
select is(count(*)::int, 0, 'player cannot edit assets, even scheduled ones') from u;
with d as (delete from public.media_assets returning 1)
select is(count(*)::int, 0, 'player cannot delete assets') from d;
select throws_ok(format('insert into public.playlists (tenant_id, name) values (%L, ''x'')', tests.id('a')),
                 '42501', null, 'player cannot create playlists');
select throws_ok(format('insert into public.playlist_items (tenant_id, playlist_id, asset_id, position) values (%L, %L, %L, 7)',
                        tests.id('a'), tests.id('a.playlist.main'), tests.id('a.asset.other')),
                 '42501', null, 'player cannot add playlist items');
select throws_ok(format('insert into public.schedules (tenant_id, playlist_id, device_id) values (%L, %L, %L)',
                        tests.id('a'), tests.id('a.playlist.main'), tests.id('a.device.d1')),
                 '42501', null, 'player cannot create schedules');
with u as (update public.schedules set start_time = '01:00' returning 1)
select is(count(*)::int, 0, 'player cannot change schedules') from u;
with d as (delete from public.schedules returning 1)
select is(count(*)::int, 0, 'player cannot delete schedules') from d;

with u as (update public.devices set app_version = '2.1.0', cached_assets_count = 3, public_key = 'pk'
           where id = tests.id('a.device.d1') returning 1)
select is(count(*)::int, 1, 'player updates its own device telemetry') from u;
select throws_ok(format('update public.devices set name = ''mine now'' where id = %L', tests.id('a.device.d1')),
                 '42501', null, 'player cannot rename its device');
select throws_ok(format('update public.devices set group_id = null where id = %L', tests.id('a.device.d1')),
                 '42501', null, 'player cannot move its device out of its group');
select throws_ok(format('update public.devices set tenant_id = tenant_id where id = %L', tests.id('a.device.d1')),
                 '42501', null, 'nobody can move a device to another tenant (no column grant)');
select tests.authenticate_as('a.player2');
with u as (update public.devices set app_version = 'x' where id = tests.id('a.device.d1') returning 1)
select is(count(*)::int, 0, 'player cannot touch another device') from u;
select throws_ok(format('insert into public.devices (tenant_id, name) values (%L, ''rogue'')', tests.id('a')),
                 '42501', null, 'player cannot register devices');

/** ---- DJ ---- **/
select tests.authenticate_as('a.dj');
select is((select count(*)::int from public.media_assets), 4, 'dj reads the whole library');
select is((select count(*)::int from public.devices), 2, 'dj reads all devices');
select throws_ok(format('insert into public.media_assets (tenant_id, sha256, size_bytes, mime, title, valid_until)
                         values (%L, %L, 1, ''audio/mpeg'', ''x'', now() + interval ''1 day'')', tests.id('a'), tests.sha('d')),
                 '42501', null, 'dj cannot add assets');
with u as (update public.media_assets set title = 'x' returning 1)
select is(count(*)::int, 0, 'dj cannot edit assets') from u;
select throws_ok(format('insert into public.schedules (tenant_id, playlist_id, device_id) values (%L, %L, %L)',
                        tests.id('a'), tests.id('a.playlist.main'), tests.id('a.device.d2')),
                 '42501', null, 'dj cannot create schedules');

/** ---- Manager ---- **/
select tests.authenticate_as('a.manager');
select lives_ok(format('insert into public.media_assets (tenant_id, sha256, size_bytes, mime, title, valid_until)
                        values (%L, %L, 10, ''audio/flac'', ''New'', now() + interval ''1 day'')', tests.id('a'), tests.sha('m')),
                'manager adds assets');
with u as (update public.media_assets set title = 'Renamed', valid_until = now() + interval '2 days'
           where id = tests.id('a.asset.one') returning 1)
select is(count(*)::int, 1, 'manager edits asset metadata and validity') from u;
select throws_ok(format('update public.media_assets set sha256 = %L where id = %L', tests.sha('zz'), tests.id('a.asset.one')),
                 '42501', null, 'an asset''s file hash cannot be changed');
select lives_ok(format('insert into public.schedules (tenant_id, playlist_id, device_id, days_of_week, start_time, end_time, time_zone)
                        values (%L, %L, %L, ''{1,2}'', ''08:00'', ''12:00'', ''Europe/Paris'')',
                       tests.id('a'), tests.id('a.playlist.spare'), tests.id('a.device.d2')),
                'manager schedules a playlist');
select throws_ok(format('insert into public.schedules (tenant_id, playlist_id, device_id, time_zone) values (%L, %L, %L, ''Europe/Pari'')',
                        tests.id('a'), tests.id('a.playlist.spare'), tests.id('a.device.d2')),
                 '22023', null, 'schedules reject unknown time zones');
select lives_ok(format('update public.devices set name = ''Bar (left)'', group_id = null where id = %L', tests.id('a.device.d1')),
                'manager renames and regroups devices');
select throws_ok(format('insert into public.memberships (tenant_id, user_id, role) values (%L, %L, ''dj'')',
                        tests.id('a'), tests.id('a.newbie')),
                 '42501', null, 'manager cannot add members');

/** ---- Owner ---- **/
select tests.authenticate_as('a.owner');
select lives_ok(format('insert into public.memberships (tenant_id, user_id, role) values (%L, %L, ''dj'')',
                       tests.id('a'), tests.id('a.newbie')),
                'owner adds members');
with u as (update public.tenants set name = 'Renamed' returning 1)
select is(count(*)::int, 1, 'owner renames the tenant') from u;
select tests.authenticate_as('a.manager');
with u as (update public.tenants set name = 'Nope' returning 1)
select is(count(*)::int, 0, 'manager cannot rename the tenant') from u;

/** ---- create_tenant ---- **/
select tests.as_superuser();
select tests.create_user('solo');
select tests.authenticate_as('solo');
select throws_ok('insert into public.tenants (name) values (''direct'')', '42501', null,
                 'tenants are not inserted directly');
select isnt(public.create_tenant('Solo crew'), null, 'create_tenant returns the new id');
select is((select role::text from public.memberships where user_id = tests.id('solo')), 'owner',
          'the creator becomes owner');
select is((select name from public.tenants), 'Solo crew', 'and sees the new tenant');

select * from finish();
ROLLBACK;
