-- sync_logs is an audit trail: nobody updates or deletes rows, not through
-- grants (API roles) and not through the table owner either (trigger).
BEGIN;
select plan(15);

select tests.create_world('a');
insert into public.sync_logs (tenant_id, device_id, manifest_hash, downloaded)
values (tests.id('a'), tests.id('a.device.d1'), tests.sha('m1'), array [tests.asset_sha('a', 'one')]);

select tests.authenticate_as('a.owner');
select is((select count(*)::int from public.sync_logs), 1, 'the owner reads the log');
select throws_ok('update public.sync_logs set error = ''edited''', '42501', null, 'owner cannot update a log row');
select throws_ok('delete from public.sync_logs', '42501', null, 'owner cannot delete a log row');
select throws_ok(format('insert into public.sync_logs (tenant_id, device_id) values (%L, %L)', tests.id('a'), tests.id('a.device.d1')),
                 '42501', null, 'even the owner writes logs only through report_sync');

select tests.authenticate_as('a.player1');
select throws_ok('update public.sync_logs set error = ''edited''', '42501', null, 'the device cannot rewrite its own log');
select throws_ok('delete from public.sync_logs', '42501', null, 'the device cannot delete its own log');

select tests.authenticate_as_service_role();
select throws_ok('update public.sync_logs set error = ''edited''', '42501', null, 'service_role cannot update logs');
select throws_ok('delete from public.sync_logs', '42501', null, 'service_role cannot delete logs');
select throws_ok('truncate public.sync_logs', '42501', null, 'service_role cannot truncate logs');
select lives_ok(format('insert into public.sync_logs (tenant_id, device_id) values (%L, %L)', tests.id('a'), tests.id('a.device.d2')),
                'service_role may append (server-side jobs)');

select tests.clear_authentication();
select throws_ok('update public.sync_logs set error = ''edited''', '42501', 'sync_logs is append-only',
                 'the table owner cannot update logs either');
select throws_ok('delete from public.sync_logs', '42501', 'sync_logs is append-only',
                 'the table owner cannot delete logs either');
select throws_ok('truncate public.sync_logs', '42501', 'sync_logs is append-only',
                 'the table owner cannot truncate logs either');

delete from public.devices where id = tests.id('a.device.d1');
select is((select count(*)::int from public.sync_logs where device_id = tests.id('a.device.d1')), 1,
          'deleting a device keeps its audit trail');
delete from public.tenants where id = tests.id('a');
select is((select count(*)::int from public.sync_logs where tenant_id = tests.id('a')), 0,
          'deleting the whole tenant removes its logs (the one permitted delete)');

select * from finish();
ROLLBACK;
