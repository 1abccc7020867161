/**
 * Cratemesh: invitations.
 *
 * An owner invites someone by email with a role. When that address already
 * belongs to an account the membership is created at once; otherwise the
 * invitation waits until someone signs in with that (confirmed) address and
 * calls accept_invitations(). Emails are compared case-insensitively.
 */

/**
  * -------------------------------------------------------
  * Section - Tables
  * -------------------------------------------------------
  */

create table if not exists public.invitations
(
    id          uuid primary key     default gen_random_uuid(),
    tenant_id   uuid        not null references public.tenants (id) on delete cascade,
    email       text        not null check (length(email) <= 320 and email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    role        public.tenant_role not null,
    invited_by  uuid        references auth.users (id) on delete set null,
    created_at  timestamptz not null default now(),
    accepted_at timestamptz,
    accepted_by uuid        references auth.users (id) on delete set null
);

-- One open invitation per address and tenant; inviting again updates its role.
create unique index if not exists invitations_open_per_email
    on public.invitations (tenant_id, lower(email))
    where accepted_at is null;
create index if not exists invitations_tenant_id on public.invitations (tenant_id);
create index if not exists invitations_email on public.invitations (lower(email)) where accepted_at is null;

alter table public.invitations enable row level security;

-- Only the functions below write invitations; the API roles may only read.
revoke all on public.invitations from anon, authenticated;
grant select on public.invitations to authenticated;
grant all on public.invitations to service_role;

/**
  * -------------------------------------------------------
  * Section - RLS policies
  * -------------------------------------------------------
  */

create policy "Owners can read their tenant's invitations" on public.invitations
    for select
    to authenticated
    using (tenant_id in (select cratemesh.tenant_ids_for_roles('{owner}')));

create policy "Users can read invitations sent to their address" on public.invitations
    for select
    to authenticated
    using (lower(email) = lower((select auth.jwt() ->> 'email')));

/**
  * -------------------------------------------------------
  * Section - Public functions
  * -------------------------------------------------------
  */

/**
 * Invites `p_email` to `p_tenant_id` as `p_role`. Owners only. Returns
 * 'added' when the address had an account (membership created or its role
 * changed) and 'invited' when the invitation waits for a sign-up.
 */
create or replace function public.invite_member(p_tenant_id uuid, p_email text, p_role public.tenant_role)
    returns text
    language plpgsql
    security definer
    set search_path = ''
as
$$
declare
    v_uid     uuid := auth.uid();
    v_email   text := lower(trim(p_email));
    v_user_id uuid;
begin
    if v_uid is null or not cratemesh.has_role_on_tenant(p_tenant_id, '{owner}') then
        raise exception 'only owners of the tenant can invite members' using errcode = '42501';
    end if;
    if v_email !~ '^[^@[:space:]]+@[^@[:space:]]+$' or length(v_email) > 320 then
        raise exception 'invalid email address' using errcode = '22023';
    end if;

    select u.id into v_user_id from auth.users u where lower(u.email) = v_email limit 1;

    if v_user_id is not null then
        if v_user_id = v_uid then
            raise exception 'owners cannot change their own role by invitation' using errcode = '22023';
        end if;
        insert into public.memberships (tenant_id, user_id, role)
        values (p_tenant_id, v_user_id, p_role)
        on conflict (tenant_id, user_id) do update set role = excluded.role;
        return 'added';
    end if;

    insert into public.invitations (tenant_id, email, role, invited_by)
    values (p_tenant_id, v_email, p_role, v_uid)
    on conflict (tenant_id, lower(email)) where accepted_at is null
        do update set role = excluded.role, invited_by = excluded.invited_by, created_at = now();
    return 'invited';
end;
$$;

revoke all on function public.invite_member(uuid, text, public.tenant_role) from public, anon;
grant execute on function public.invite_member(uuid, text, public.tenant_role) to authenticated, service_role;

/**
 * Turns the caller's open invitations into memberships. Only confirmed
 * addresses count, so nobody can claim an invitation by signing up with an
 * address they do not control. Returns how many were accepted.
 */
create or replace function public.accept_invitations()
    returns integer
    language plpgsql
    security definer
    set search_path = ''
as
$$
declare
    v_uid   uuid := auth.uid();
    v_email text;
    v_count integer := 0;
    v_inv   record;
begin
    if v_uid is null then
        raise exception 'accept_invitations requires a signed-in user' using errcode = '42501';
    end if;
    select lower(u.email) into v_email
    from auth.users u
    where u.id = v_uid
      and u.email_confirmed_at is not null;
    if v_email is null then
        return 0;
    end if;

    for v_inv in
        select i.id, i.tenant_id, i.role
        from public.invitations i
        where lower(i.email) = v_email
          and i.accepted_at is null
        for update
        loop
            insert into public.memberships (tenant_id, user_id, role)
            values (v_inv.tenant_id, v_uid, v_inv.role)
            on conflict (tenant_id, user_id) do nothing;
            update public.invitations
            set accepted_at = now(),
                accepted_by = v_uid
            where id = v_inv.id;
            v_count := v_count + 1;
        end loop;
    return v_count;
end;
$$;

revoke all on function public.accept_invitations() from public, anon;
grant execute on function public.accept_invitations() to authenticated, service_role;
