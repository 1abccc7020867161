/**
 * Cratemesh: devices and device groups.
 *
 * A device is a player (a venue's PWA install) or a DJ's machine. A player
 * device signs in as its own auth user, which is a member of the tenant
 * with the `player` role; devices.user_id links the two. Groups let one
 * schedule target many devices ("all bars", "terrace speakers").
 */

/**
  * -------------------------------------------------------
  * Section - Device groups
  * -------------------------------------------------------
  */

create table if not exists public.device_groups
(
    id         uuid primary key     default gen_random_uuid(),
    tenant_id  uuid        not null references public.tenants on delete cascade,
    name       text        not null check (char_length(name) between 1 and 200),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (tenant_id, name),
    -- Target of composite foreign keys: a device can only join a group of its own tenant.
    unique (tenant_id, id)
);

create trigger cratemesh_device_groups_set_updated_at
    before update
    on public.device_groups
    for each row
execute function cratemesh.trigger_set_updated_at();

alter table public.device_groups
    enable row level security;

revoke all on table public.device_groups from anon, authenticated;
grant select, insert, delete on table public.device_groups to authenticated;
grant update (name) on table public.device_groups to authenticated;
grant all on table public.device_groups to service_role;

/**
  * -------------------------------------------------------
  * Section - Devices
  * -------------------------------------------------------
  */

create table if not exists public.devices
(
    id                  uuid primary key     default gen_random_uuid(),
    tenant_id           uuid        not null references public.tenants on delete cascade,
    name                text        not null check (char_length(name) between 1 and 200),
    kind                text        not null default 'player'
        check (kind in ('player', 'dj', 'kiosk', 'other')),
    -- The auth user a player device signs in as; must be a member of the same tenant.
    user_id             uuid,
    group_id            uuid,
    app_version         text check (char_length(app_version) <= 64),
    public_key          text check (char_length(public_key) <= 2048),
    -- Telemetry, written by report_sync() (or by the device itself).
    last_sync_at        timestamptz,
    cached_assets_count integer check (cached_assets_count between 0 and 1000000),
    last_manifest_hash  text check (last_manifest_hash ~ '^[0-9a-f]{64}$'),
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    unique (tenant_id, id),
    -- Removing the membership (or the user) detaches the device instead of deleting it.
    foreign key (tenant_id, user_id) references public.memberships (tenant_id, user_id)
        on delete set null (user_id),
    foreign key (tenant_id, group_id) references public.device_groups (tenant_id, id)
        on delete set null (group_id)
);

comment on column public.devices.user_id is 'Auth user the player device signs in as (role player in the same tenant).';

-- Player policies and the RPCs look devices up by their signed-in user.
create index if not exists devices_user_id_idx on public.devices (user_id) where user_id is not null;
-- Group schedules resolve group -> devices.
create index if not exists devices_group_id_idx on public.devices (group_id) where group_id is not null;

create trigger cratemesh_devices_set_updated_at
    before update
    on public.devices
    for each row
execute function cratemesh.trigger_set_updated_at();

/**
 * Column grants decide which columns anybody may change; this decides who.
 * A player device may refresh its own telemetry and key, but must not
 * rename itself, move itself to another group (and so to another
 * schedule) or hand itself to another user.
 */
create or replace function cratemesh.trigger_protect_device_fields()
    returns trigger
    language plpgsql
    set search_path = ''
as
$$
begin
    if current_user in ('authenticated', 'anon')
        and not cratemesh.has_role_on_tenant(old.tenant_id, '{owner,manager}')
        and (new.name, new.kind, new.user_id, new.group_id)
           is distinct from (old.name, old.kind, old.user_id, old.group_id) then
        raise exception 'Only owners and managers can change a device''s name, kind, user or group'
            using errcode = '42501';
    end if;
    return new;
end;
$$;

revoke all on function cratemesh.trigger_protect_device_fields() from public;

create trigger cratemesh_devices_protect_fields
    before update
    on public.devices
    for each row
execute function cratemesh.trigger_protect_device_fields();

alter table public.devices
    enable row level security;

revoke all on table public.devices from anon, authenticated;
grant select, insert, delete on table public.devices to authenticated;
-- tenant_id is deliberately absent: a device never changes tenant.
grant update (name, kind, user_id, group_id, app_version, public_key,
              last_sync_at, cached_assets_count, last_manifest_hash)
    on table public.devices to authenticated;
grant all on table public.devices to service_role;

/**
  * -------------------------------------------------------
  * Section - Device helpers
  * -------------------------------------------------------
  */

create or replace function cratemesh.own_device_ids()
    returns setof uuid
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select d.id
from public.devices d
where d.user_id = auth.uid();
$$;

revoke all on function cratemesh.own_device_ids() from public, anon;
grant execute on function cratemesh.own_device_ids() to authenticated, service_role;

create or replace function cratemesh.own_device_group_ids()
    returns setof uuid
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select d.group_id
from public.devices d
where d.user_id = auth.uid()
  and d.group_id is not null;
$$;

revoke all on function cratemesh.own_device_group_ids() from public, anon;
grant execute on function cratemesh.own_device_group_ids() to authenticated, service_role;

/**
  * -------------------------------------------------------
  * Section - RLS policies
  * -------------------------------------------------------
  */

create policy "Staff can read their tenant's device groups" on public.device_groups
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Players can read their own device's group" on public.device_groups
    for select
    to authenticated
    using (id in (select cratemesh.own_device_group_ids()));

create policy "Managers can create device groups" on public.device_groups
    for insert
    to authenticated
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can rename device groups" on public.device_groups
    for update
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')))
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can delete device groups" on public.device_groups
    for delete
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Staff can read their tenant's devices" on public.devices
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Players can read their own devices" on public.devices
    for select
    to authenticated
    using (user_id = (select auth.uid()));

create policy "Managers can register devices" on public.devices
    for insert
    to authenticated
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Managers can update their tenant's devices" on public.devices
    for update
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')))
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));

create policy "Players can update their own devices" on public.devices
    for update
    to authenticated
    using (user_id = (select auth.uid()))
    with check (user_id = (select auth.uid()));

create policy "Managers can delete their tenant's devices" on public.devices
    for delete
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager}')));
