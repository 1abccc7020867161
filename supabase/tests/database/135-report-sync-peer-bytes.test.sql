-- report_sync takes the bytes a player got from other players and from the
-- server: each report keeps its counts, the device row keeps running totals,
-- bad counts are refused, and only report_sync writes the totals.
BEGIN;
select plan(10);

select tests.create_world('a');
select tests.authenticate_as('a.player1');

select lives_ok(format('select public.report_sync(device_id => %L, peer_bytes => 52428800, server_bytes => 1048576)',
                       tests.id('a.device.d1')),
                'the device reports its byte counts through the public RPC');
select results_eq('select peer_bytes, server_bytes from public.sync_logs',
                  'values (52428800::bigint, 1048576::bigint)', 'the log row keeps them');

select tests.as_superuser();
select lives_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, null, ''2030-01-07 13:00:00Z'', 1000, 0)',
                       tests.id('a.device.d1')),
                'a later report');
select lives_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, null, ''2030-01-07 13:00:10Z'')',
                       tests.id('a.device.d1')),
                'a report without counts (an older client)');
select results_eq(format('select peer_bytes_total, server_bytes_total from public.devices where id = %L', tests.id('a.device.d1')),
                  'values (52429800::bigint, 1048576::bigint)', 'the device row sums every report; no counts add nothing');
select is((select count(*)::int from public.sync_logs where peer_bytes is null and server_bytes is null), 1,
          'the report without counts has none in its log row');

select throws_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, null, ''2030-01-07 13:01:00Z'', -1, 0)',
                        tests.id('a.device.d1')),
                 '22023', null, 'a negative count is refused');
select throws_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, null, ''2030-01-07 13:02:00Z'', 0, 10000000000001)',
                        tests.id('a.device.d1')),
                 '22023', null, 'a count over 10 TB is refused');

select tests.authenticate_as('a.player1');
select throws_ok(format('update public.devices set peer_bytes_total = 0 where id = %L', tests.id('a.device.d1')),
                 '42501', null, 'the device cannot write its totals directly');
select tests.authenticate_as('a.manager');
select throws_ok(format('update public.devices set server_bytes_total = 0 where id = %L', tests.id('a.device.d1')),
                 '42501', null, 'nor can a manager');

select * from finish();
ROLLBACK;
