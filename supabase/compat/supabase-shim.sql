/**
 * Supabase shim for plain PostgreSQL 15 (pgTAP tests) and PGlite (the one-box server).
 *
 * Creates ONLY what a Supabase project already provides before any
 * migration of ours runs, so that every file in supabase/migrations can be applied
 * unchanged to both a throwaway PostgreSQL cluster and a real project.
 * Nothing here may be relied on that Supabase does not have; nothing here
 * is ever applied to a real project.
 *
 * Faithful on purpose where it matters for security tests:
 *   - default privileges in schema public grant ALL on new tables and
 *     functions to anon/authenticated/service_role, like Supabase does, so
 *     a migration that forgets to revoke is caught by the tests;
 *   - auth.uid()/auth.role()/auth.jwt() read request.jwt.claims the way
 *     PostgREST sets it;
 *   - storage.objects has RLS enabled and is granted to the API roles.
 */

/** ---- ROLES ---- **/
do
$$
    begin
        if not exists(select 1 from pg_roles where rolname = 'anon') then
            create role anon nologin noinherit;
        end if;
        if not exists(select 1 from pg_roles where rolname = 'authenticated') then
            create role authenticated nologin noinherit;
        end if;
        if not exists(select 1 from pg_roles where rolname = 'service_role') then
            create role service_role nologin noinherit bypassrls;
        end if;
        if not exists(select 1 from pg_roles where rolname = 'authenticator') then
            create role authenticator login noinherit;
        end if;
    end
$$;

-- PostgREST connects as authenticator and switches to the JWT's role.
grant anon, authenticated, service_role to authenticator;

/** ---- SCHEMAS AND DEFAULT PRIVILEGES ---- **/
create schema if not exists extensions;
create extension if not exists pgcrypto with schema extensions;
grant usage on schema extensions to anon, authenticated, service_role;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

/** ---- AUTH ---- **/
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users
(
    id                 uuid primary key,
    aud                varchar(255),
    role               varchar(255),
    email              varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    raw_app_meta_data  jsonb,
    raw_user_meta_data jsonb,
    is_anonymous       boolean     not null default false,
    created_at         timestamptz          default now(),
    updated_at         timestamptz          default now()
);

create or replace function auth.uid() returns uuid
    language sql
    stable
as
$$
select coalesce(
               nullif(current_setting('request.jwt.claim.sub', true), ''),
               (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
           )::uuid
$$;

create or replace function auth.role() returns text
    language sql
    stable
as
$$
select coalesce(
               nullif(current_setting('request.jwt.claim.role', true), ''),
               (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
           )::text
$$;

create or replace function auth.jwt() returns jsonb
    language sql
    stable
as
$$
select coalesce(
               nullif(current_setting('request.jwt.claim', true), ''),
               nullif(current_setting('request.jwt.claims', true), '')
           )::jsonb
$$;

grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role;

/** ---- STORAGE ---- **/
create schema if not exists storage;
grant usage on schema storage to anon, authenticated, service_role;

create table if not exists storage.buckets
(
    id                 text primary key,
    name               text        not null,
    owner              uuid,
    created_at         timestamptz          default now(),
    updated_at         timestamptz          default now(),
    public             boolean              default false,
    avif_autodetection boolean              default false,
    file_size_limit    bigint,
    allowed_mime_types text[],
    owner_id           text
);
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects
(
    id               uuid primary key     default gen_random_uuid(),
    bucket_id        text references storage.buckets (id),
    name             text,
    owner            uuid,
    created_at       timestamptz          default now(),
    updated_at       timestamptz          default now(),
    last_accessed_at timestamptz          default now(),
    metadata         jsonb,
    path_tokens      text[] generated always as (string_to_array(name, '/')) stored,
    version          text,
    owner_id         text,
    user_metadata    jsonb
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

grant all on storage.buckets, storage.objects to anon, authenticated, service_role;

create or replace function storage.foldername(name text) returns text[]
    language plpgsql
    immutable
as
$$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1:array_length(_parts, 1) - 1];
end
$$;

create or replace function storage.filename(name text) returns text
    language plpgsql
    immutable
as
$$
declare
    _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$$;

grant execute on function storage.foldername(text), storage.filename(text) to anon, authenticated, service_role;
