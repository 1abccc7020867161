-- Who may poll for a device, and the input limits of sync_poll (as for
-- sync_manifest: same errors, same clock).
BEGIN;
select plan(12);

select tests.create_world('a');
select tests.create_world('b');
select encode(sha256(''::bytea), 'hex') as empty \gset

select tests.authenticate_as('a.player1');
select is(public.sync_poll(tests.id('a.device.d1'), 0, :'empty') ->> 'asset_count', '2',
          'the device''s own user polls (public RPC, at now())');
select throws_ok(format('select public.sync_poll(%L, 0, %L)', tests.id('a.device.d2'), :'empty'),
                 '42501', 'Device not found or not yours', 'a player cannot poll another device');
select tests.authenticate_as('b.owner');
select throws_ok(format('select public.sync_poll(%L, 0, %L)', tests.id('a.device.d1'), :'empty'),
                 '42501', 'Device not found or not yours', 'another tenant''s owner is refused');
select throws_ok(format('select public.sync_poll(%L, 0, %L)', tests.id('nope'), :'empty'),
                 '42501', 'Device not found or not yours', 'an unknown device gets the same error');
select tests.authenticate_as('a.dj');
select throws_ok(format('select public.sync_poll(%L, 0, %L)', tests.id('a.device.d1'), :'empty'),
                 '42501', null, 'a dj cannot poll devices');
select tests.authenticate_as_anon();
select throws_ok(format('select public.sync_poll(%L, 0, %L)', tests.id('a.device.d1'), :'empty'),
                 '42501', null, 'anon cannot execute it');

select tests.authenticate_as('a.player1');
select tests.as_superuser();
select throws_ok(format('select cratemesh.sync_poll_at(%L, null, 20001, %L, ''2030-01-07 12:00:00Z'')',
                        tests.id('a.device.d1'), :'empty'),
                 'PT413', null, 'have_count is capped at 20,000 (HTTP 413)');
select throws_ok(format('select cratemesh.sync_poll_at(%L, null, -1, %L, ''2030-01-07 12:00:00Z'')',
                        tests.id('a.device.d1'), :'empty'),
                 '22023', null, 'have_count cannot be negative');
select throws_ok(format('select cratemesh.sync_poll_at(%L, null, 0, %L, ''2030-01-07 12:00:00Z'')',
                        tests.id('a.device.d1'), upper(:'empty')),
                 '22023', null, 'have_digest must be lowercase hex');
select throws_ok(format('select cratemesh.sync_poll_at(%L, ''not-a-hash'', 0, %L, ''2030-01-07 12:00:00Z'')',
                        tests.id('a.device.d1'), :'empty'),
                 '22023', null, 'last_manifest_hash must be a sha256');
select lives_ok(format('select cratemesh.sync_poll_at(%L, null, 0, %L, ''2030-01-07 12:01:00Z'')',
                       tests.id('a.device.d1'), :'empty'), 'a poll...');
select throws_ok(format('select cratemesh.sync_poll_at(%L, null, 0, %L, ''2030-01-07 12:01:00.5Z'')',
                        tests.id('a.device.d1'), :'empty'),
                 'PT429', null, '... and another within a second is refused (HTTP 429)');

select * from finish();
ROLLBACK;
