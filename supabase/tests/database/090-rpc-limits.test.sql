-- Who may call the sync RPCs for a device, and the limits that keep one
-- device from flooding the database.
BEGIN;
select plan(25);

select tests.create_world('a');
select tests.create_world('b');

/** ---- Authorisation (through the public RPCs, as PostgREST would) ---- **/
select tests.authenticate_as('a.player1');
select is(public.sync_manifest(tests.id('a.device.d1'), null, '{}') ->> 'asset_count', '2',
          'the device''s own user calls sync_manifest');
select throws_ok(format('select public.sync_manifest(%L, null, ''{}'')', tests.id('a.device.d2')),
                 '42501', 'Device not found or not yours', 'a player cannot sync another device');
select throws_ok(format('select public.report_sync(%L)', tests.id('a.device.d2')),
                 '42501', 'Device not found or not yours', 'a player cannot report for another device');
select lives_ok(format('select public.report_sync(%L, null, ''{}'', ''{}'', ''{}'', 2, ''1.0.0'')', tests.id('a.device.d1')),
                'the device''s own user reports');
select tests.authenticate_as('a.dj');
select throws_ok(format('select public.sync_manifest(%L, null, ''{}'')', tests.id('a.device.d2')),
                 '42501', null, 'a dj cannot sync devices');
select tests.authenticate_as('b.owner');
select throws_ok(format('select public.sync_manifest(%L, null, ''{}'')', tests.id('a.device.d2')),
                 '42501', 'Device not found or not yours', 'another tenant''s owner cannot');
select throws_ok(format('select public.sync_manifest(%L, null, ''{}'')', tests.id('nope')),
                 '42501', 'Device not found or not yours', 'an unknown device gets the same error');
select tests.authenticate_as('a.manager');
select lives_ok(format('select public.sync_manifest(%L, null, ''{}'')', tests.id('a.device.d2')),
                'a manager may sync any device of the tenant');
select lives_ok(format('select public.report_sync(%L)', tests.id('a.device.d2')),
                'a manager may report for it');

/** ---- sync_manifest limits ---- **/
select tests.authenticate_as('a.player1');
select tests.as_superuser();
select throws_ok(format('select tests.sync(''a.device.d1'', null, array(select %L from generate_series(1, 20001)), ''2030-01-07 12:00:00Z'')',
                        tests.sha('x')),
                 'PT413', null, 'have_hashes is capped at 20,000 entries (HTTP 413)');
select lives_ok(format('select tests.sync(''a.device.d1'', null, array(select %L from generate_series(1, 20000)), ''2030-01-07 12:00:00Z'')',
                       tests.sha('x')),
                '20,000 entries are accepted');
select throws_ok(format('select tests.sync(''a.device.d1'', null, array[%L], ''2030-01-07 12:01:00Z'')', upper(tests.sha('x'))),
                 '22023', null, 'have_hashes must be lowercase hex');
select throws_ok('select tests.sync(''a.device.d1'', null, array[''abc''], ''2030-01-07 12:01:00Z'')',
                 '22023', null, 'have_hashes entries must be 64 characters');
select throws_ok('select tests.sync(''a.device.d1'', ''not-a-hash'', ''{}'', ''2030-01-07 12:01:00Z'')',
                 '22023', null, 'last_manifest_hash must be a sha256');
select lives_ok('select tests.sync(''a.device.d1'', null, ''{}'', ''2030-01-07 12:01:00Z'')', 'a call...');
select throws_ok('select tests.sync(''a.device.d1'', null, ''{}'', ''2030-01-07 12:01:00.5Z'')',
                 'PT429', null, '... and another within a second is refused (HTTP 429)');
select lives_ok('select tests.sync(''a.device.d1'', null, ''{}'', ''2030-01-07 12:01:01Z'')', 'one second later it is fine');

/** ---- Downloads are paged ---- **/
insert into public.media_assets (tenant_id, sha256, size_bytes, mime, title, valid_from, valid_until)
select tests.id('a'), tests.sha('bulk' || n), 1, 'audio/mpeg', 'Bulk ' || n, '2000-01-01Z', '2100-01-01Z'
from generate_series(1, 2001) n;
insert into public.playlist_items (tenant_id, playlist_id, asset_id, position)
select tests.id('a'), tests.id('a.playlist.main'), a.id, 10 + row_number() over (order by a.sha256)
from public.media_assets a where a.title like 'Bulk %';
select tests.sync('a.device.d1', null, '{}', '2030-01-07 12:02:00Z') as r \gset
select is(jsonb_array_length(:'r'::jsonb -> 'downloads'), 2000, 'at most 2,000 downloads per response');
select is((:'r'::jsonb ->> 'downloads_remaining')::int, 3, '... the rest are counted');

/** ---- report_sync limits ---- **/
select throws_ok(format('select cratemesh.report_sync_at(%L, null, array(select %L from generate_series(1, 2001)), null, null, null, null, null, ''2030-01-07 12:00:00Z'')',
                        tests.id('a.device.d1'), tests.sha('x')),
                 'PT413', null, 'a report lists at most 2,000 hashes per kind');
select throws_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, repeat(''x'', 1001), ''2030-01-07 12:00:00Z'')',
                        tests.id('a.device.d1')),
                 'PT413', null, 'error text is capped at 1,000 characters');
select throws_ok(format('select cratemesh.report_sync_at(%L, null, array[''zz''], null, null, null, null, null, ''2030-01-07 12:00:00Z'')',
                        tests.id('a.device.d1')),
                 '22023', null, 'reported hashes must be sha256 hex');
select lives_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, null, ''2030-01-07 12:00:00Z'')',
                       tests.id('a.device.d1')), 'a report...');
select throws_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, null, ''2030-01-07 12:00:04Z'')',
                        tests.id('a.device.d1')),
                 'PT429', null, '... and another within 5 seconds is refused (HTTP 429)');
select lives_ok(format('select cratemesh.report_sync_at(%L, null, null, null, null, null, null, null, ''2030-01-07 12:00:05Z'')',
                       tests.id('a.device.d1')), 'five seconds later it is fine');

select * from finish();
ROLLBACK;
