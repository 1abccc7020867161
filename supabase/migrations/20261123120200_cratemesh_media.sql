/**
 * Cratemesh: media assets and the `media` storage bucket.
 *
 * Files are content-addressed: the object for an asset is
 * `media/<tenant_id>/<sha256>`, and the sha256 never changes for an asset
 * row. Two consequences the rest of the design leans on:
 *   - a device that already holds a hash never downloads it again, whatever
 *     playlist the asset moves to;
 *   - an object never changes once written, so clients upload it with
 *     `cacheControl: '31536000'` (one year, immutable) and the service
 *     worker may cache it forever. That header is set by the uploading
 *     client (supabase-js `upload(path, file, { cacheControl, upsert: false })`);
 *     the database cannot set it. Updates are refused by policy for the
 *     same reason: changing bytes under an existing hash would poison
 *     every cache.
 */

/**
  * -------------------------------------------------------
  * Section - Media assets
  * -------------------------------------------------------
  */

-- Every state of every asset row gets a fresh number. The manifest hash and the
-- per-device snapshots compare these instead of re-reading all metadata.
create sequence if not exists cratemesh.media_asset_version_seq;

create table if not exists public.media_assets
(
    id                 uuid primary key     default gen_random_uuid(),
    tenant_id          uuid        not null references public.tenants on delete cascade,
    sha256             text        not null check (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes         bigint      not null check (size_bytes between 1 and 1073741824),
    mime               text        not null check (mime ~ '^(audio|video|image)/[a-z0-9][a-z0-9.+-]{0,100}$'),
    -- Derived, so it can never disagree with the storage policies.
    storage_path       text generated always as (tenant_id::text || '/' || sha256) stored,
    title              text        not null check (char_length(title) between 1 and 500),
    artist             text check (char_length(artist) <= 500),
    duration_ms        integer check (duration_ms between 1 and 86400000),
    bpm                numeric(5, 2) check (bpm between 20 and 400),
    -- Camelot (8A, 12B) or standard notation (F#m, Bb).
    musical_key        text check (musical_key ~ '^(([1-9]|1[0-2])[AB]|[A-G](#|b)?m?)$'),
    valid_from         timestamptz not null default now(),
    -- Required: licences expire, and an asset nobody expires lives on devices forever.
    valid_until        timestamptz not null,
    emergency_eligible boolean     not null default false,
    version            bigint      not null default 0,
    created_by         uuid        references auth.users on delete set null,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    check (valid_until > valid_from),
    unique (tenant_id, sha256),
    unique (tenant_id, id)
);

comment on column public.media_assets.version is 'Changes on every insert/update; compared by sync_manifest to find metadata changes.';

-- sync_manifest pulls the tenant's emergency pool on every full computation.
create index if not exists media_assets_emergency_idx on public.media_assets (tenant_id) where emergency_eligible;

create or replace function cratemesh.trigger_media_assets_version()
    returns trigger
    language plpgsql
    security definer
    set search_path = ''
as
$$
begin
    if tg_op = 'UPDATE' then
        if new.sha256 is distinct from old.sha256 or new.tenant_id is distinct from old.tenant_id then
            raise exception 'An asset''s file and tenant never change; create a new asset instead'
                using errcode = '42501';
        end if;
        -- Not row(new.*) = row(old.*): generated columns are still null in NEW here.
        if (new.size_bytes, new.mime, new.title, new.artist, new.duration_ms, new.bpm, new.musical_key,
            new.valid_from, new.valid_until, new.emergency_eligible)
            is not distinct from
           (old.size_bytes, old.mime, old.title, old.artist, old.duration_ms, old.bpm, old.musical_key,
            old.valid_from, old.valid_until, old.emergency_eligible) then
            return new;
        end if;
        new.updated_at = now();
    end if;
    new.version = nextval('cratemesh.media_asset_version_seq');
    return new;
end;
$$;

revoke all on function cratemesh.trigger_media_assets_version() from public;

create trigger cratemesh_media_assets_version
    before insert or update
    on public.media_assets
    for each row
execute function cratemesh.trigger_media_assets_version();

alter table public.media_assets
    enable row level security;

revoke all on table public.media_assets from anon, authenticated;
grant select, delete on table public.media_assets to authenticated;
grant insert (id, tenant_id, sha256, size_bytes, mime, title, artist, duration_ms, bpm, musical_key,
              valid_from, valid_until, emergency_eligible, created_by)
    on table public.media_assets to authenticated;
-- sha256, size and mime describe the file and stay fixed; metadata and validity may change.
grant update (title, artist, duration_ms, bpm, musical_key, valid_from, valid_until, emergency_eligible)
    on table public.media_assets to authenticated;
grant all on table public.media_assets to service_role;

create policy "Staff can read their tenant's assets" on public.media_assets
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Managers can add assets" on public.media_assets
    for insert
    to authenticated
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can update their tenant's assets" on public.media_assets
    for update
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')))
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can delete their tenant's assets" on public.media_assets
    for delete
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

/**
  * -------------------------------------------------------
  * Section - Storage bucket
  * -------------------------------------------------------
  * Private bucket: every read goes through the policies below (signed or
  * authenticated URLs), never a public URL. The size limit matches the
  * size_bytes check on media_assets.
  */

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('media', 'media', false, 1073741824, array ['audio/*', 'video/*', 'image/*'])
on conflict (id) do update
    set public             = false,
        file_size_limit    = excluded.file_size_limit,
        allowed_mime_types = excluded.allowed_mime_types;

/**
 * Storage RLS is keyed on the first path segment (the tenant id) so that a
 * file can be uploaded before its media_assets row exists. Comparing text
 * avoids a uuid cast that would throw on a malformed path.
 */
create policy "Staff can read their tenant's media files" on storage.objects
    for select
    to authenticated
    using (
    bucket_id = 'media'
        and (storage.foldername(name))[1] in
            (select t.id::text from cratemesh.tenant_ids_for_roles('{owner,manager,dj}') as t(id))
    );

create policy "Managers can upload media files to their tenant's folder" on storage.objects
    for insert
    to authenticated
    with check (
    bucket_id = 'media'
        and name ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9a-f]{64}$'
        and (storage.foldername(name))[1] in
            (select t.id::text from cratemesh.tenant_ids_for_roles('{owner,manager}') as t(id))
    );

create policy "Managers can delete their tenant's media files" on storage.objects
    for delete
    to authenticated
    using (
    bucket_id = 'media'
        and (storage.foldername(name))[1] in
            (select t.id::text from cratemesh.tenant_ids_for_roles('{owner,manager}') as t(id))
    );

-- No update policy on purpose: objects are immutable (see the header).
