-- sync_poll with missing_hashes/extra_hashes: a device that lacks a file (a
-- download that keeps failing) or still holds one it was told to delete
-- describes its set as a difference from the last manifest; the server
-- rebuilds it, checks count and digest, and answers without the full list.
-- A difference that does not match the digest still gets need_have.
BEGIN;
select plan(17);

select tests.create_world('a');
select tests.create_world('b');
select tests.authenticate_as('a.player1');
select tests.as_superuser();

create function tests.digest(have text[]) returns text
    language sql immutable
as
$$
select encode(sha256(convert_to(coalesce((select string_agg(h, '' order by h collate "C") from unnest(have) h), ''),
                                'UTF8')), 'hex');
$$;
create function tests.poll(device text, last_hash text, have text[], missing text[], extra text[], at timestamptz)
    returns jsonb
    language sql
as
$$
select cratemesh.sync_poll_at(tests.id(device), last_hash, cardinality(have), tests.digest(have), at, missing, extra);
$$;

-- The device starts empty: the first answer lists a.one and a.two.
select tests.poll('a.device.d1', null, '{}', null, null, '2030-01-07 12:00:00Z') ->> 'hash' as h \gset

/** ---- a.two keeps failing ---- **/
select tests.poll('a.device.d1', :'h', tests.shas('a.one'), tests.shas('a.two'), null, '2030-01-07 12:00:01Z') as r \gset
select ok(not (:'r'::jsonb ? 'need_have'), 'one file missing, named: no need_have');
select is(:'r'::jsonb ->> 'hash', :'h', '... the same manifest');
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.two'), '... the missing file is listed again');
select is(:'r'::jsonb -> 'deletes', '[]', '... nothing to delete');
select is(:'r'::jsonb -> 'updates', '[]', '... no metadata re-sent');
select cmp_ok(octet_length(:'r'), '<', 1500, format('... in %s bytes', octet_length(:'r')));

/** ---- A difference that does not describe the digest ---- **/
select is(tests.poll('a.device.d1', :'h', tests.shas('a.two'), tests.shas('a.two'), null,
                     '2030-01-07 12:00:02Z') ->> 'need_have', 'true',
          'naming the wrong file (the digest is of another set): need_have');
select is(cratemesh.sync_poll_at(tests.id('a.device.d1'), :'h', 2, tests.digest(tests.shas('a.one')),
                                 '2030-01-07 12:00:03Z', tests.shas('a.two'), null) ->> 'need_have', 'true',
          'a count that does not match the rebuilt set: need_have');
select is(tests.poll('a.device.d1', tests.sha('never issued'), tests.shas('a.one'), tests.shas('a.two'), null,
                     '2030-01-07 12:00:04Z') ->> 'need_have', 'true',
          'an unknown last manifest: need_have');

/** ---- A file held beyond the manifest (still playing after a delete) ---- **/
select tests.create_asset('a', 'old');
select tests.poll('a.device.d1', :'h', tests.shas('a.one', 'a.two', 'a.old'), null, tests.shas('a.old'),
                  '2030-01-07 12:00:05Z') as r \gset
select ok(not (:'r'::jsonb ? 'need_have'), 'one extra file, named: no need_have');
select is(tests.texts(:'r'::jsonb -> 'deletes'), tests.shas('a.old'), '... and it is to be deleted');
select is(:'r'::jsonb -> 'downloads', '[]', '... nothing to download');

/** ---- The manifest changes while a file is still missing: a delta, not the list ---- **/
select tests.create_asset('a', 'fresh');
select tests.add_item('a', 'main', 'fresh', 3);
select tests.poll('a.device.d1', :'h', tests.shas('a.one'), tests.shas('a.two'), null, '2030-01-07 12:00:06Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.two', 'a.fresh'),
          'a change with a file missing: the new file and the missing one');
select isnt(:'r'::jsonb ->> 'hash', :'h', '... under the new manifest');

/** ---- Limits and access ---- **/
select throws_ok(format('select cratemesh.sync_poll_at(%L, %L, 1, %L, ''2030-01-07 12:00:07Z'', array[''nothex''], null)',
                        tests.id('a.device.d1'), :'h', tests.digest(tests.shas('a.one'))),
                 '22023', null, 'a malformed hash is refused');
select throws_ok(format('select cratemesh.sync_poll_at(%L, %L, 2001, %L, ''2030-01-07 12:00:07Z'', %L, null)',
                        tests.id('a.device.d1'), :'h', tests.digest(tests.shas('a.one')),
                        array_fill(repeat('a', 64), array [2001])),
                 'PT413', null, 'more than 2,000 differences: send the full list instead');
select tests.authenticate_as('b.player1');
select tests.as_superuser();
select throws_ok(format('select cratemesh.sync_poll_at(%L, %L, 1, %L, ''2030-01-07 12:00:08Z'', %L, null)',
                        tests.id('a.device.d1'), :'h', tests.digest(tests.shas('a.one')), tests.shas('a.two')),
                 '42501', null, 'another tenant''s device: refused before any snapshot is read');

select * from finish();
ROLLBACK;
