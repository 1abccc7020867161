/**
 * Cratemesh: tenancy.
 *
 * A tenant is a business or a DJ crew. Everything else in the schema hangs
 * off a tenant, and every RLS policy reduces to "is the caller a member of
 * this row's tenant, with one of these roles".
 *
 * The same file is applied to a real Supabase project and, after
 * supabase/compat/supabase-shim.sql, to plain PostgreSQL 15 in the
 * tests. It must only rely on what Supabase provides.
 */

/**
  * -------------------------------------------------------
  * Section - Private schema
  * -------------------------------------------------------
  * Helpers live in `cratemesh`, which PostgREST does not expose, so they
  * can be called from policies without becoming public RPC endpoints.
  */
create schema if not exists cratemesh;

-- Policies run as the caller, so the caller needs to reach the helpers.
grant usage on schema cratemesh to authenticated, service_role;

/**
 * owner:   everything, including membership and the tenant itself.
 * manager: library, playlists, schedules, devices; not membership.
 * dj:      reads the whole tenant library; writes nothing shared.
 * player:  the auth user a player device signs in as; reads only what is
 *          scheduled for its own device.
 */
do
$$
    begin
        if not exists(select 1
                      from pg_type t
                               join pg_namespace n on n.oid = t.typnamespace
                      where t.typname = 'tenant_role'
                        and n.nspname = 'public') then
            create type public.tenant_role as enum ('owner', 'manager', 'dj', 'player');
        end if;
    end;
$$;

/**
  * -------------------------------------------------------
  * Section - Utility triggers
  * -------------------------------------------------------
  */

create or replace function cratemesh.trigger_set_updated_at()
    returns trigger
    language plpgsql
    set search_path = ''
as
$$
begin
    new.updated_at = now();
    return new;
end;
$$;

revoke all on function cratemesh.trigger_set_updated_at() from public;

/**
  * -------------------------------------------------------
  * Section - Tenants
  * -------------------------------------------------------
  */

create table if not exists public.tenants
(
    id         uuid primary key     default gen_random_uuid(),
    name       text        not null check (char_length(name) between 1 and 200),
    created_by uuid        references auth.users on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

comment on table public.tenants is 'A business or DJ crew; the unit of isolation for every other table.';

create trigger cratemesh_tenants_set_updated_at
    before update
    on public.tenants
    for each row
execute function cratemesh.trigger_set_updated_at();

alter table public.tenants
    enable row level security;

-- Supabase's default privileges grant everything to anon; nothing here is public.
revoke all on table public.tenants from anon, authenticated;
-- Tenants are created through create_tenant() so the creator always becomes owner.
grant select, delete on table public.tenants to authenticated;
grant update (name) on table public.tenants to authenticated;
grant all on table public.tenants to service_role;

/**
  * -------------------------------------------------------
  * Section - Memberships
  * -------------------------------------------------------
  */

create table if not exists public.memberships
(
    tenant_id  uuid               not null references public.tenants on delete cascade,
    user_id    uuid               not null references auth.users on delete cascade,
    role       public.tenant_role not null,
    created_at timestamptz        not null default now(),
    primary key (tenant_id, user_id)
);

comment on table public.memberships is 'Who may act on a tenant, and as what. Players are device accounts.';

-- Every policy starts from "tenants of auth.uid()": that lookup must be an index scan.
create index if not exists memberships_user_id_idx on public.memberships (user_id, tenant_id, role);

alter table public.memberships
    enable row level security;

revoke all on table public.memberships from anon, authenticated;
grant select, insert, delete on table public.memberships to authenticated;
grant update (role) on table public.memberships to authenticated;
grant all on table public.memberships to service_role;

/**
  * -------------------------------------------------------
  * Section - Permission helpers
  * -------------------------------------------------------
  * security definer so that policies on memberships can use them without
  * recursing into memberships' own policies. They only ever answer about
  * the current caller (auth.uid()), so exposing them leaks nothing.
  */

/**
 * Tenants where the caller has one of `roles` (any role when null).
 * Policies call it as `tenant_id in (select ...)`, which Postgres evaluates
 * once per statement rather than once per row.
 */
create or replace function cratemesh.tenant_ids_for_roles(roles public.tenant_role[] default null)
    returns setof uuid
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select m.tenant_id
from public.memberships m
where m.user_id = auth.uid()
  and (roles is null or m.role = any (roles));
$$;

revoke all on function cratemesh.tenant_ids_for_roles(public.tenant_role[]) from public, anon;
grant execute on function cratemesh.tenant_ids_for_roles(public.tenant_role[]) to authenticated, service_role;

create or replace function cratemesh.has_role_on_tenant(p_tenant_id uuid, roles public.tenant_role[] default null)
    returns boolean
    language sql
    stable
    security definer
    set search_path = ''
as
$$
select exists(select 1
              from public.memberships m
              where m.user_id = auth.uid()
                and m.tenant_id = p_tenant_id
                and (roles is null or m.role = any (roles)));
$$;

revoke all on function cratemesh.has_role_on_tenant(uuid, public.tenant_role[]) from public, anon;
grant execute on function cratemesh.has_role_on_tenant(uuid, public.tenant_role[]) to authenticated, service_role;

/**
  * -------------------------------------------------------
  * Section - RLS policies
  * -------------------------------------------------------
  */

create policy "Members can read their tenants" on public.tenants
    for select
    to authenticated
    using (id in (select cratemesh.tenant_ids_for_roles()));

create policy "Owners can rename their tenants" on public.tenants
    for update
    to authenticated
    using (id in (select cratemesh.tenant_ids_for_roles('{owner}')))
    with check (id in (select cratemesh.tenant_ids_for_roles('{owner}')));

create policy "Owners can delete their tenants" on public.tenants
    for delete
    to authenticated
    using (id in (select cratemesh.tenant_ids_for_roles('{owner}')));

-- Players are device accounts: they need their own row, not the staff list.
create policy "Users can read their own memberships" on public.memberships
    for select
    to authenticated
    using (user_id = (select auth.uid()));

create policy "Staff can read their tenant's memberships" on public.memberships
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner,manager,dj}')));

create policy "Owners can add members to their tenants" on public.memberships
    for insert
    to authenticated
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner}')));

create policy "Owners can change roles in their tenants" on public.memberships
    for update
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner}')))
    with check (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner}')));

create policy "Owners can remove members from their tenants" on public.memberships
    for delete
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner}')));

/**
  * -------------------------------------------------------
  * Section - Public functions
  * -------------------------------------------------------
  */

/**
 * The only way to create a tenant: doing it in one call guarantees the
 * creator becomes its owner, which an insert policy alone cannot (the
 * row would be invisible to the creator until the membership exists).
 */
create or replace function public.create_tenant(name text)
    returns uuid
    language plpgsql
    security definer
    set search_path = ''
as
$$
declare
    v_uid       uuid := auth.uid();
    v_tenant_id uuid;
begin
    if v_uid is null then
        raise exception 'create_tenant requires a signed-in user' using errcode = '42501';
    end if;

    insert into public.tenants (name, created_by)
    values (create_tenant.name, v_uid)
    returning id into v_tenant_id;

    insert into public.memberships (tenant_id, user_id, role)
    values (v_tenant_id, v_uid, 'owner');

    return v_tenant_id;
end;
$$;

revoke all on function public.create_tenant(text) from public, anon;
grant execute on function public.create_tenant(text) to authenticated, service_role;
