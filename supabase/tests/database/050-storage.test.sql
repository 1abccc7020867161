-- The `media` bucket follows the tenant rule on storage.objects: objects
-- are `<tenant_id>/<sha256>`, staff read their tenant's folder, managers
-- upload and delete there, players read only scheduled files, and nobody
-- overwrites an object (content-addressed, cached as immutable).
BEGIN;
select plan(14);

select tests.create_world('a');
select tests.create_world('b');

select results_eq('select public, file_size_limit from storage.buckets where id = ''media''',
                  $$values (false, 1073741824::bigint)$$, 'media bucket: private, 1 GiB per file');

select tests.authenticate_as('a.dj');
select is((select count(*)::int from storage.objects), 3, 'staff read their tenant''s files');
select is((select count(*)::int from storage.objects where name like tests.id('b')::text || '/%'), 0,
          'staff cannot read another tenant''s files');

select tests.authenticate_as('a.player1');
select set_eq('select name from storage.objects',
              array [tests.id('a')::text || '/' || tests.asset_sha('a', 'one'),
                  tests.id('a')::text || '/' || tests.asset_sha('a', 'two')],
              'a player reads only the files scheduled for its device');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''media'', %L)',
                        tests.id('a')::text || '/' || tests.sha('p')),
                 '42501', null, 'a player cannot upload');

select tests.authenticate_as('a.dj');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''media'', %L)',
                        tests.id('a')::text || '/' || tests.sha('d')),
                 '42501', null, 'a dj cannot upload');

select tests.authenticate_as('a.manager');
select lives_ok(format('insert into storage.objects (bucket_id, name) values (''media'', %L)',
                       tests.id('a')::text || '/' || tests.sha('new')),
                'a manager uploads into the tenant folder');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''media'', %L)',
                        tests.id('b')::text || '/' || tests.sha('new')),
                 '42501', null, 'a manager cannot upload into another tenant''s folder');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''media'', %L)',
                        tests.id('a')::text || '/song.mp3'),
                 '42501', null, 'object names must be <tenant_id>/<sha256>');
select throws_ok(format('insert into storage.objects (bucket_id, name) values (''media'', %L)',
                        tests.id('a')::text || '/x/' || tests.sha('deep')),
                 '42501', null, 'no nested folders');
with u as (update storage.objects set metadata = '{"x":1}' returning 1)
select is(count(*)::int, 0, 'objects are immutable: no update, even by a manager') from u;
with d as (delete from storage.objects where name like tests.id('b')::text || '/%' returning 1)
select is(count(*)::int, 0, 'a manager cannot delete another tenant''s files') from d;
with d as (delete from storage.objects where name = tests.id('a')::text || '/' || tests.sha('new') returning 1)
select is(count(*)::int, 1, 'a manager deletes the tenant''s files') from d;

select tests.authenticate_as_anon();
select is((select count(*)::int from storage.objects), 0, 'anon reads no media file');

select * from finish();
ROLLBACK;
