/**
 * Cratemesh: playlists, playlist items and schedules.
 *
 * A schedule row is one daypart: "play playlist P on device D (or every
 * device of group G) on these days of the week, from start to end, local
 * time in this IANA zone". Several dayparts are several rows. Local times
 * are stored, not instants, so a daypart follows daylight-saving changes.
 *
 * Composite foreign keys (tenant_id, x_id) make cross-tenant references
 * impossible: a manager of tenant A cannot put tenant B's asset in a
 * playlist and so leak it to A's devices.
 */

/**
  * -------------------------------------------------------
  * Section - Playlists
  * -------------------------------------------------------
  */

create table if not exists public.playlists
(
    id          uuid primary key     default gen_random_uuid(),
    tenant_id   uuid        not null references public.tenants on delete cascade,
    name        text        not null check (char_length(name) between 1 and 200),
    description text check (char_length(description) <= 2000),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    unique (tenant_id, id)
);

create trigger cratemesh_playlists_set_updated_at
    before update
    on public.playlists
    for each row
execute function cratemesh.trigger_set_updated_at();

alter table public.playlists
    enable row level security;

revoke all on table public.playlists from anon, authenticated;
grant select, insert, delete on table public.playlists to authenticated;
grant update (name, description) on table public.playlists to authenticated;
grant all on table public.playlists to service_role;

/**
  * -------------------------------------------------------
  * Section - Playlist items
  * -------------------------------------------------------
  */

create table if not exists public.playlist_items
(
    id          uuid primary key     default gen_random_uuid(),
    tenant_id   uuid        not null references public.tenants on delete cascade,
    playlist_id uuid        not null,
    asset_id    uuid        not null,
    position    integer     not null check (position >= 0),
    created_at  timestamptz not null default now(),
    foreign key (tenant_id, playlist_id) references public.playlists (tenant_id, id) on delete cascade,
    foreign key (tenant_id, asset_id) references public.media_assets (tenant_id, id) on delete cascade,
    -- Deferred so a reorder can swap positions inside one transaction.
    constraint playlist_items_position_key unique (playlist_id, position) deferrable initially deferred
);

-- Player visibility and the manifest go from playlists to assets; deleting an asset goes the other way.
create index if not exists playlist_items_asset_id_idx on public.playlist_items (asset_id);
create index if not exists playlist_items_tenant_id_idx on public.playlist_items (tenant_id);

alter table public.playlist_items
    enable row level security;

revoke all on table public.playlist_items from anon, authenticated;
grant select, insert, delete on table public.playlist_items to authenticated;
grant update (position) on table public.playlist_items to authenticated;
grant all on table public.playlist_items to service_role;

/**
  * -------------------------------------------------------
  * Section - Schedules
  * -------------------------------------------------------
  */

create table if not exists public.schedules
(
    id           uuid primary key     default gen_random_uuid(),
    tenant_id    uuid        not null references public.tenants on delete cascade,
    playlist_id  uuid        not null,
    device_id    uuid,
    group_id     uuid,
    name         text check (char_length(name) <= 200),
    -- ISO days: 1 = Monday ... 7 = Sunday.
    days_of_week smallint[]  not null default '{1,2,3,4,5,6,7}'
        check (cardinality(days_of_week) between 1 and 7
            and days_of_week <@ '{1,2,3,4,5,6,7}'
            and array_position(days_of_week, null) is null),
    -- end < start crosses midnight and belongs to the day it starts; 24:00 is the end of the day.
    start_time   time        not null default '00:00' check (start_time < '24:00'),
    end_time     time        not null default '24:00',
    time_zone    text        not null default 'UTC',
    -- Higher wins when dayparts overlap; the player decides playback, this only orders them.
    priority     smallint    not null default 0 check (priority between -100 and 100),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    check (num_nonnulls(device_id, group_id) = 1),
    check (start_time <> end_time),
    foreign key (tenant_id, playlist_id) references public.playlists (tenant_id, id) on delete cascade,
    foreign key (tenant_id, device_id) references public.devices (tenant_id, id) on delete cascade,
    foreign key (tenant_id, group_id) references public.device_groups (tenant_id, id) on delete cascade
);

create index if not exists schedules_tenant_id_idx on public.schedules (tenant_id);
create index if not exists schedules_device_id_idx on public.schedules (device_id) where device_id is not null;
create index if not exists schedules_group_id_idx on public.schedules (group_id) where group_id is not null;
create index if not exists schedules_playlist_id_idx on public.schedules (playlist_id);

/**
 * A check constraint cannot consult the time zone database, and a typo
 * ("Europe/Pari") would otherwise surface only when a device syncs.
 * pg_timezone_names also rejects POSIX strings like 'UTC+3' whose sign
 * is the opposite of what people expect.
 */
create or replace function cratemesh.trigger_validate_schedule()
    returns trigger
    language plpgsql
    set search_path = ''
as
$$
begin
    if tg_op = 'INSERT' or new.time_zone is distinct from old.time_zone then
        if not exists(select 1 from pg_catalog.pg_timezone_names z where z.name = new.time_zone) then
            raise exception 'Unknown time zone: %', new.time_zone
                using errcode = '22023', hint = 'Use an IANA name such as Europe/Paris.';
        end if;
    end if;
    if tg_op = 'UPDATE' then
        new.updated_at = now();
    end if;
    return new;
end;
$$;

revoke all on function cratemesh.trigger_validate_schedule() from public;

create trigger cratemesh_schedules_validate
    before insert or update
    on public.schedules
    for each row
execute function cratemesh.trigger_validate_schedule();

alter table public.schedules
    enable row level security;

revoke all on table public.schedules from anon, authenticated;
grant select, insert, delete on table public.schedules to authenticated;
grant update (playlist_id, device_id, group_id, name, days_of_week, start_time, end_time, time_zone, priority)
    on table public.schedules to authenticated;
grant all on table public.schedules to service_role;

/**
  * -------------------------------------------------------
  * Section - What a player may see
  * -------------------------------------------------------
  * A player sees the schedules that target its device (directly or via
  * its group), the playlists and items of those schedules, the assets in
  * them, and its tenant's emergency pool. These helpers compute that once
  * per statement; security definer so the joins do not re-enter RLS.
  */

create or replace function cratemesh.own_schedule_ids()
    returns setof uuid
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select s.id
from public.devices d
         join public.schedules s
              on s.tenant_id = d.tenant_id
                  and (s.device_id = d.id or s.group_id = d.group_id)
where d.user_id = auth.uid();
$$;

create or replace function cratemesh.own_playlist_ids()
    returns setof uuid
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select distinct s.playlist_id
from public.devices d
         join public.schedules s
              on s.tenant_id = d.tenant_id
                  and (s.device_id = d.id or s.group_id = d.group_id)
where d.user_id = auth.uid();
$$;

create or replace function cratemesh.own_asset_ids()
    returns setof uuid
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select pi.asset_id
from public.playlist_items pi
where pi.playlist_id in (select cratemesh.own_playlist_ids())
union
select a.id
from public.media_assets a
where a.emergency_eligible
  and a.tenant_id in (select d.tenant_id from public.devices d where d.user_id = auth.uid());
$$;

create or replace function cratemesh.own_storage_paths()
    returns setof text
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select a.storage_path
from public.media_assets a
where a.id in (select cratemesh.own_asset_ids());
$$;

revoke all on function cratemesh.own_schedule_ids() from public, anon;
revoke all on function cratemesh.own_playlist_ids() from public, anon;
revoke all on function cratemesh.own_asset_ids() from public, anon;
revoke all on function cratemesh.own_storage_paths() from public, anon;
grant execute on function cratemesh.own_schedule_ids() to authenticated, service_role;
grant execute on function cratemesh.own_playlist_ids() to authenticated, service_role;
grant execute on function cratemesh.own_asset_ids() to authenticated, service_role;
grant execute on function cratemesh.own_storage_paths() to authenticated, service_role;

/**
  * -------------------------------------------------------
  * Section - RLS policies
  * -------------------------------------------------------
  */

create policy "Staff can read their tenant's playlists" on public.playlists
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Players can read playlists scheduled for their devices" on public.playlists
    for select
    to authenticated
    using (id in (select cratemesh.own_playlist_ids()));

create policy "Managers can create playlists" on public.playlists
    for insert
    to authenticated
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can update their tenant's playlists" on public.playlists
    for update
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')))
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can delete their tenant's playlists" on public.playlists
    for delete
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Staff can read their tenant's playlist items" on public.playlist_items
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Players can read items of playlists scheduled for their devices" on public.playlist_items
    for select
    to authenticated
    using (playlist_id in (select cratemesh.own_playlist_ids()));

create policy "Managers can add playlist items" on public.playlist_items
    for insert
    to authenticated
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can reorder playlist items" on public.playlist_items
    for update
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')))
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can remove playlist items" on public.playlist_items
    for delete
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Staff can read their tenant's schedules" on public.schedules
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Players can read schedules that target their devices" on public.schedules
    for select
    to authenticated
    using (id in (select cratemesh.own_schedule_ids()));

create policy "Managers can create schedules" on public.schedules
    for insert
    to authenticated
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can update their tenant's schedules" on public.schedules
    for update
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')))
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can delete their tenant's schedules" on public.schedules
    for delete
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Players can read assets scheduled for their devices" on public.media_assets
    for select
    to authenticated
    using (id in (select cratemesh.own_asset_ids()));

create policy "Players can read media files scheduled for their devices" on storage.objects
    for select
    to authenticated
    using (bucket_id = 'media' and name in (select cratemesh.own_storage_paths()));
