-- sync_poll never guesses: a digest or count that matches no set the server
-- issued (a tampered digest, an evicted file, an unknown manifest) answers
-- need_have, and the full sync_manifest call that follows is allowed once
-- inside the rate limit's second.
BEGIN;
select plan(11);

select tests.create_world('a');
select tests.authenticate_as('a.player1');
select tests.as_superuser();

create function tests.digest(have text[]) returns text
    language sql immutable
as
$$
select encode(sha256(convert_to(coalesce((select string_agg(h, '' order by h collate "C") from unnest(have) h), ''),
                                'UTF8')), 'hex');
$$;

select tests.sync('a.device.d1', null, '{}', '2030-01-07 12:00:00Z') ->> 'hash' as h \gset

select cratemesh.sync_poll_at(tests.id('a.device.d1'), :'h', 2, tests.sha('tampered'), '2030-01-07 12:00:01Z') as r \gset
select is(:'r'::jsonb ->> 'need_have', 'true', 'a tampered digest: need_have');
select is(:'r'::jsonb ->> 'unchanged', 'false', '... not unchanged');
select ok(not (:'r'::jsonb ? 'downloads') and not (:'r'::jsonb ? 'deletes'), '... and no delta is guessed');

select is(tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:01.2Z') ->> 'unchanged', 'true',
          'the full call right after need_have is allowed within the second');
select throws_ok('select tests.sync(''a.device.d1'', null, ''{}'', ''2030-01-07 12:00:01.4Z'')', 'PT429', null,
                 '... once: another is refused');

select is(cratemesh.sync_poll_at(tests.id('a.device.d1'), :'h', 1, tests.digest(tests.shas('a.one')),
                                 '2030-01-07 12:00:03Z') ->> 'need_have', 'true',
          'a file missing (count and digest of what is held): need_have');
select is(cratemesh.sync_poll_at(tests.id('a.device.d1'), :'h', 3, tests.digest(tests.shas('a.one', 'a.two')),
                                 '2030-01-07 12:00:04Z') ->> 'need_have', 'true',
          'a count that does not match the digest: need_have');
select is(cratemesh.sync_poll_at(tests.id('a.device.d1'), tests.sha('never issued'), 2,
                                 tests.digest(tests.shas('a.one', 'a.two')), '2030-01-07 12:00:05Z') ->> 'need_have', 'true',
          'an unknown last manifest with a non-empty set: need_have');
select is(cratemesh.sync_poll_at(tests.id('a.device.d1'), :'h', 2, tests.digest(tests.shas('a.one', 'a.two')),
                                 '2030-01-07 12:00:06Z') ->> 'unchanged', 'true',
          'the honest count and digest: unchanged');
select throws_ok(format('select cratemesh.sync_poll_at(%L, %L, 2, %L, ''2030-01-07 12:00:06.5Z'')', tests.id('a.device.d1'),
                        :'h', tests.digest(tests.shas('a.one', 'a.two'))),
                 'PT429', null, 'an unchanged answer gives no extra call: the second is refused');

-- An "unchanged" poll is not a permit either.
select throws_ok('select tests.sync(''a.device.d1'', null, ''{}'', ''2030-01-07 12:00:06.7Z'')', 'PT429', null,
                 'nor may the full call skip the limit after an unchanged poll');

select * from finish();
ROLLBACK;
