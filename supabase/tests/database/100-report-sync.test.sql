-- report_sync appends to sync_logs and refreshes the device's telemetry,
-- without invalidating anybody's cached manifest.
BEGIN;
select plan(13);

select tests.create_world('a');
select tests.authenticate_as('a.player1');
select tests.as_superuser();
select tests.sync('a.device.d1', null, '{}', '2030-01-07 12:00:00Z') ->> 'hash' as h \gset

select tests.authenticate_as('a.player1');
select lives_ok(format('select public.report_sync(%L, %L, %L, ''{}'', %L, 1, ''1.2.3'', ''one download failed'')',
                       tests.id('a.device.d1'), :'h', tests.shas('a.one'), tests.shas('a.two')),
                'the device reports through the public RPC');
select results_eq('select downloaded_count, deleted_count, failed_count, manifest_hash, app_version, reported_by from public.sync_logs',
                  format('values (1, 0, 1, %L::text, ''1.2.3''::text, %L::uuid)', :'h', tests.id('a.player1')),
                  'the log row records what happened and who reported it');
select is((select downloaded from public.sync_logs), tests.shas('a.one'), 'with the hashes');
select results_eq('select cached_assets_count, last_manifest_hash, app_version, last_sync_at is not null from public.devices',
                  format('values (1, %L::text, ''1.2.3''::text, true)', :'h'),
                  'the device row carries the new telemetry');

select tests.authenticate_as('a.player2');
select is((select count(*)::int from public.sync_logs), 0, 'another device does not see this log');
select tests.authenticate_as('a.manager');
select is((select count(*)::int from public.sync_logs), 1, 'staff see it');

select tests.authenticate_as('a.player1');
select tests.as_superuser();
select is((select cache_epoch is not null from cratemesh.device_sync_state where device_id = tests.id('a.device.d1')), true,
          'reporting does not invalidate the cached manifest');
select is(tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:10Z') ->> 'unchanged', 'true',
          '... so the next poll is still unchanged');

select lives_ok(format('select cratemesh.report_sync_at(%L, %L, null, %L, null, 0, null, null, ''2030-01-07 13:00:00Z'')',
                       tests.id('a.device.d1'), :'h', tests.shas('a.one')),
                'a second report later');
select is((select count(*)::int from public.sync_logs), 2, 'appends a second row');
select is((select app_version from public.devices where id = tests.id('a.device.d1')), '1.2.3',
          'omitted fields keep their previous telemetry');
select is((select cached_assets_count from public.devices where id = tests.id('a.device.d1')), 0,
          'given fields are updated');
select is((select last_sync_at from public.devices where id = tests.id('a.device.d1')), '2030-01-07 13:00:00Z'::timestamptz,
          'last_sync_at is the report time');

select * from finish();
ROLLBACK;
