-- The anon key is public (it ships in the PWA). It must see and do nothing.
BEGIN;
select plan(14);

select tests.create_world('a');
select tests.authenticate_as_anon();

select throws_ok('select * from public.tenants', '42501', null, 'anon cannot read tenants');
select throws_ok('select * from public.memberships', '42501', null, 'anon cannot read memberships');
select throws_ok('select * from public.device_groups', '42501', null, 'anon cannot read device groups');
select throws_ok('select * from public.devices', '42501', null, 'anon cannot read devices');
select throws_ok('select * from public.media_assets', '42501', null, 'anon cannot read assets');
select throws_ok('select * from public.playlists', '42501', null, 'anon cannot read playlists');
select throws_ok('select * from public.playlist_items', '42501', null, 'anon cannot read playlist items');
select throws_ok('select * from public.schedules', '42501', null, 'anon cannot read schedules');
select throws_ok('select * from public.sync_logs', '42501', null, 'anon cannot read sync logs');
select is((select count(*)::int from storage.objects), 0, 'anon sees no media file');
select throws_ok(format('select public.sync_manifest(%L, null, ''{}'')', tests.id('a.device.d1')),
                 '42501', null, 'anon cannot call sync_manifest');
select throws_ok(format('select public.report_sync(%L)', tests.id('a.device.d1')),
                 '42501', null, 'anon cannot call report_sync');
select throws_ok('select public.create_tenant(''x'')', '42501', null, 'anon cannot create tenants');
select throws_ok('select * from cratemesh.device_sync_state', '42501', null, 'anon cannot reach private sync state');

select * from finish();
ROLLBACK;
