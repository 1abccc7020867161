-- sync_poll: a device that holds exactly the current manifest learns it in
-- a tiny answer, from the count and digest of its files (no list sent);
-- a device holding nothing gets its first delta in the same call.
BEGIN;
select plan(9);

select tests.create_world('a');
select tests.authenticate_as('a.player1');
select tests.as_superuser();

-- have_digest as a device computes it: SHA-256 of the sorted hashes, concatenated.
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

/** ---- Nothing held: the first poll is the whole delta at once ---- **/
select tests.poll('a.device.d1', null, '{}', '2030-01-07 12:00:00Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.one', 'a.two'),
          'an empty device''s poll answers with the downloads directly');
select ok(:'r'::jsonb -> 'schedule' ? 'entries', '... with the schedule entries');
select :'r'::jsonb ->> 'hash' as h \gset

/** ---- Holding everything: unchanged, in under 200 bytes ---- **/
select tests.poll('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:01Z') as u \gset
select is(:'u'::jsonb ->> 'unchanged', 'true', 'holding the manifest''s files with its hash: unchanged');
select cmp_ok(octet_length(:'u'), '<', 200, format('the answer is under 200 bytes (%s)', octet_length(:'u')));
select is(array(select jsonb_object_keys(:'u'::jsonb) order by 1), '{hash,next_change_at,unchanged}',
          'it carries only hash, unchanged and next_change_at');
select is(:'u'::jsonb, tests.sync('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:02Z'),
          'the same answer as sync_manifest with the full list');

update cratemesh.device_sync_state set cache_epoch = null where device_id = tests.id('a.device.d1');
select is(tests.poll('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:03Z'), :'u'::jsonb,
          'recomputed without the cache: the same answer');

update public.media_assets set title = 'Elsewhere' where id = tests.id('a.asset.other');
select is(tests.poll('a.device.d1', :'h', tests.shas('a.one', 'a.two'), '2030-01-07 12:00:04Z') ->> 'unchanged', 'true',
          'an edit that does not touch this manifest keeps it unchanged');

/** ---- The digest decides, not only the count ---- **/
select is(tests.poll('a.device.d1', :'h', tests.shas('a.one', 'a.other'), '2030-01-07 12:00:05Z') ->> 'unchanged', 'false',
          'as many files but not the same ones: not unchanged');

select * from finish();
ROLLBACK;
