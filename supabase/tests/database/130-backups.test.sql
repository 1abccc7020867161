-- The `backups` bucket: every user reads, adds and deletes only their own encrypted backups
-- (`<user id>/<timestamp>-<8 hex>.cmbk`), whatever tenant they share; nobody rewrites one; at most 20.
BEGIN;
select plan(15);

select tests.create_world('a');
select tests.create_world('b');

create function pg_temp.backup_name(label text, n integer) returns text
    language sql as
$$
select tests.id(label)::text || '/' || to_char(timestamp '2026-12-05 10:00:00' + n * interval '1 minute',
                                               'YYYYMMDD"T"HH24MISS"Z"') || '-' || left(md5(label || n), 8) || '.cmbk';
$$;

select results_eq('select public, file_size_limit, allowed_mime_types from storage.buckets where id = ''backups''',
                  $$values (false, 268435456::bigint, array ['application/octet-stream'])$$,
                  'backups bucket: private, 256 MiB, opaque bytes only');

select tests.authenticate_as('a.dj');
select lives_ok(format('insert into storage.objects (bucket_id, name) values (''backups'', %L)',
                       pg_temp.backup_name('a.dj', 1)), 'a user adds a backup to their own folder');
select is((select count(*)::int from storage.objects where bucket_id = 'backups'), 1, 'and reads it back');

select tests.authenticate_as('a.owner');
select is((select count(*)::int from storage.objects where bucket_id = 'backups'), 0,
          'the owner of the same tenant cannot see a member''s backups');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''backups'', %L)',
                        pg_temp.backup_name('a.dj', 2)),
                 '42501', null, 'nobody writes into another user''s folder');
with d as (delete from storage.objects where bucket_id = 'backups' returning 1)
select is(count(*)::int, 0, 'nobody deletes another user''s backups') from d;

select tests.authenticate_as('b.dj');
select is((select count(*)::int from storage.objects where bucket_id = 'backups'), 0,
          'a user of another tenant cannot see them either');

select tests.authenticate_as('a.dj');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''backups'', %L)',
                        tests.id('a.dj')::text || '/library.zip'),
                 '42501', null, 'names must be <timestamp>-<8 hex>.cmbk');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''backups'', %L)',
                        tests.id('a.dj')::text || '/x/' || split_part(pg_temp.backup_name('a.dj', 3), '/', 2)),
                 '42501', null, 'no nested folders');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''media'', %L)',
                        tests.id('a')::text || '/' || tests.sha('backup-as-media')),
                 '42501', null, 'a dj still cannot upload media (the backup policies do not widen media)');
with u as (update storage.objects set metadata = '{"x":1}' where bucket_id = 'backups' returning 1)
select is(count(*)::int, 0, 'backups are immutable: no update, even by their owner') from u;

-- Fill the folder to 20 as the user, then the 21st is refused.
select tests.authenticate_as('a.dj');
select lives_ok($$insert into storage.objects (bucket_id, name)
                  select 'backups', pg_temp.backup_name('a.dj', n) from generate_series(2, 20) n$$,
                'up to 20 backups per user');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''backups'', %L)',
                        pg_temp.backup_name('a.dj', 21)),
                 '42501', null, 'the 21st is refused until older ones are deleted');
with d as (delete from storage.objects where name = pg_temp.backup_name('a.dj', 1) returning 1)
select is(count(*)::int, 1, 'a user deletes their own backup') from d;

select tests.authenticate_as_anon();
select is((select count(*)::int from storage.objects where bucket_id = 'backups'), 0, 'anon reads no backup');

select * from finish();
ROLLBACK;
