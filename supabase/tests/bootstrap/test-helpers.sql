/**
 * Test helpers, loaded by tests/sql/run-pgtap.sh after the migrations.
 * Never part of a migration: they create users and switch roles.
 *
 * Ids are derived from labels (tests.id('a.owner')) so test files can
 * name fixtures without passing variables around.
 */

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

/** ---- IDS AND HASHES ---- **/

create or replace function tests.id(label text) returns uuid
    language sql
    immutable
as
$$
select md5('cratemesh-test:' || label)::uuid;
$$;

-- A stable fake file hash for a label.
create or replace function tests.sha(label text) returns text
    language sql
    immutable
as
$$
select encode(sha256(convert_to('file:' || label, 'UTF8')), 'hex');
$$;

/** ---- IMPERSONATION ---- **/

-- What PostgREST does for a signed-in request.
create or replace function tests.authenticate_as(label text) returns void
    language plpgsql
as
$$
begin
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims',
                       json_build_object('sub', tests.id(label), 'role', 'authenticated')::text, true);
end;
$$;

create or replace function tests.authenticate_as_anon() returns void
    language plpgsql
as
$$
begin
    perform set_config('role', 'anon', true);
    perform set_config('request.jwt.claims', json_build_object('role', 'anon')::text, true);
end;
$$;

create or replace function tests.authenticate_as_service_role() returns void
    language plpgsql
as
$$
begin
    perform set_config('role', 'service_role', true);
    perform set_config('request.jwt.claims', json_build_object('role', 'service_role')::text, true);
end;
$$;

-- Back to the superuser that runs the tests, keeping claims (so auth.uid() still answers).
create or replace function tests.as_superuser() returns void
    language plpgsql
as
$$
begin
    perform set_config('role', 'none', true);
end;
$$;

create or replace function tests.clear_authentication() returns void
    language plpgsql
as
$$
begin
    perform set_config('role', 'none', true);
    perform set_config('request.jwt.claims', '', true);
end;
$$;

/** ---- FIXTURES ---- **/

create or replace function tests.create_user(label text) returns uuid
    language sql
as
$$
insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data)
values (tests.id(label), 'authenticated', 'authenticated', label || '@test.cratemesh.invalid', '{}', '{}')
on conflict (id) do nothing
returning id;
$$;

create or replace function tests.create_asset(tenant text, label text,
                                              valid_until timestamptz default '2100-01-01Z',
                                              emergency boolean default false,
                                              valid_from timestamptz default '2000-01-01Z')
    returns uuid
    language sql
as
$$
insert into public.media_assets (id, tenant_id, sha256, size_bytes, mime, title, artist, duration_ms, bpm,
                                 musical_key, valid_from, valid_until, emergency_eligible)
values (tests.id(tenant || '.asset.' || label), tests.id(tenant), tests.sha(tenant || '.' || label),
        1000 + length(label), 'audio/mpeg', 'Track ' || label, 'Artist ' || tenant, 180000, 124, '8A',
        valid_from, valid_until, emergency)
returning id;
$$;

create or replace function tests.asset_sha(tenant text, label text) returns text
    language sql
    immutable
as
$$
select tests.sha(tenant || '.' || label);
$$;

create or replace function tests.add_item(tenant text, playlist text, asset text, pos integer) returns uuid
    language sql
as
$$
insert into public.playlist_items (tenant_id, playlist_id, asset_id, position)
values (tests.id(tenant), tests.id(tenant || '.playlist.' || playlist), tests.id(tenant || '.asset.' || asset), pos)
returning id;
$$;

/**
 * A tenant with one user per role, two player devices (d1 in group g1,
 * d2 alone), two assets in playlist `main` scheduled all day on d1, and
 * one asset `other` in an unscheduled playlist `spare`.
 *   users:  <t>.owner <t>.manager <t>.dj <t>.player1 <t>.player2
 *   ids:    tests.id('<t>'), tests.id('<t>.device.d1'), tests.id('<t>.group.g1'),
 *           tests.id('<t>.playlist.main'), tests.id('<t>.asset.one'), ...
 */
create or replace function tests.create_world(t text) returns void
    language plpgsql
as
$$
declare
    v_role text;
begin
    insert into public.tenants (id, name) values (tests.id(t), 'Tenant ' || t);

    foreach v_role in array array ['owner', 'manager', 'dj', 'player1', 'player2']
        loop
            perform tests.create_user(t || '.' || v_role);
            insert into public.memberships (tenant_id, user_id, role)
            values (tests.id(t), tests.id(t || '.' || v_role),
                    (case when v_role like 'player%' then 'player' else v_role end)::public.tenant_role);
        end loop;

    insert into public.device_groups (id, tenant_id, name) values (tests.id(t || '.group.g1'), tests.id(t), 'g1');
    insert into public.devices (id, tenant_id, name, user_id, group_id)
    values (tests.id(t || '.device.d1'), tests.id(t), 'Bar', tests.id(t || '.player1'), tests.id(t || '.group.g1')),
           (tests.id(t || '.device.d2'), tests.id(t), 'Terrace', tests.id(t || '.player2'), null);

    perform tests.create_asset(t, 'one');
    perform tests.create_asset(t, 'two');
    perform tests.create_asset(t, 'other');

    insert into public.playlists (id, tenant_id, name)
    values (tests.id(t || '.playlist.main'), tests.id(t), 'Main'),
           (tests.id(t || '.playlist.spare'), tests.id(t), 'Spare');
    perform tests.add_item(t, 'main', 'one', 0);
    perform tests.add_item(t, 'main', 'two', 1);
    perform tests.add_item(t, 'spare', 'other', 0);

    insert into public.schedules (id, tenant_id, playlist_id, device_id, name)
    values (tests.id(t || '.schedule.allday'), tests.id(t), tests.id(t || '.playlist.main'),
            tests.id(t || '.device.d1'), 'All day');

    insert into storage.objects (bucket_id, name)
    select 'media', a.storage_path
    from public.media_assets a
    where a.tenant_id = tests.id(t);
end;
$$;

/** ---- SYNC ---- **/

/**
 * sync_manifest as the currently authenticated user (claims stay set when
 * running as superuser), at a chosen instant. Tests advance `at` by at least
 * a second between calls: the per-device rate limit applies here too.
 */
create or replace function tests.sync(device text, last_hash text, have text[], at timestamptz) returns jsonb
    language sql
as
$$
select cratemesh.sync_manifest_at(tests.id(device), last_hash, have, at);
$$;

-- Sorted text[] of a JSON array of strings, or of one field of a JSON array of objects.
create or replace function tests.texts(arr jsonb, field text default null) returns text[]
    language sql
    immutable
as
$$
select coalesce(array_agg(v order by v collate "C"), '{}')
from (select case when field is null then e #>> '{}' else e ->> field end as v
      from jsonb_array_elements(coalesce(arr, '[]')) e) x;
$$;

create or replace function tests.shas(variadic labels text[]) returns text[]
    language sql
    immutable
as
$$
select coalesce(array_agg(h order by h collate "C"), '{}') from (select tests.sha(l) as h from unnest(labels) l) x;
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;
