/**
 * Cratemesh: encrypted library backups in the `backups` storage bucket.
 *
 * A backup is encrypted in the browser (PBKDF2-SHA-256 + AES-GCM, the key never leaves the device), so
 * the server only keeps opaque bytes. Each user has a folder named by their user id and is the only one
 * who can list, read, add or delete objects in it: `<auth.uid()>/<yyyymmddThhmmssZ>-<8 hex>.cmbk`.
 * Objects are immutable (no update policy: a new backup is a new object). Tenancy plays no part: a
 * backup is personal, a colleague or an owner of the same tenant cannot see it.
 *
 * At most 20 backups per user (the app keeps the newest 10 and deletes older ones), 256 MiB each.
 */

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('backups', 'backups', false, 268435456, array ['application/octet-stream'])
on conflict (id) do update
    set public             = false,
        file_size_limit    = excluded.file_size_limit,
        allowed_mime_types = excluded.allowed_mime_types;

/**
 * How many backups the caller holds. A definer function because a policy on storage.objects cannot
 * query storage.objects itself (RLS would recurse).
 */
create or replace function cratemesh.own_backup_count()
    returns integer
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select count(*)::integer
from storage.objects o
where o.bucket_id = 'backups'
  and o.name like (select auth.uid())::text || '/%';
$$;

revoke all on function cratemesh.own_backup_count() from public, anon;
grant execute on function cratemesh.own_backup_count() to authenticated, service_role;

create policy "Users can read their own backups" on storage.objects
    for select
    to authenticated
    using (
    bucket_id = 'backups'
        and (storage.foldername(name))[1] = (select auth.uid())::text
    );

create policy "Users can add backups to their own folder, up to 20" on storage.objects
    for insert
    to authenticated
    with check (
    bucket_id = 'backups'
        and name ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}\.cmbk$'
        and (storage.foldername(name))[1] = (select auth.uid())::text
        and (select cratemesh.own_backup_count()) < 20
    );

create policy "Users can delete their own backups" on storage.objects
    for delete
    to authenticated
    using (
    bucket_id = 'backups'
        and (storage.foldername(name))[1] = (select auth.uid())::text
    );

-- No update policy on purpose: a backup is never rewritten in place.
