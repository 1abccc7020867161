/**
 * Cratemesh: players report where their downloaded bytes came from.
 *
 * A store player fetches a scheduled file from another player of its tenant
 * (the mesh) before it asks the server. The director needs to see how much
 * of the traffic the mesh took off the server, per sync and per device, so
 * report_sync() takes two byte counts, the log keeps them per report and the
 * device row keeps running totals.
 *
 * The counts are what the device says; they are telemetry, not accounting.
 *
 * Limits (keep supabase/README.md in sync):
 *   report_sync: peer_bytes and server_bytes 0..1e13 each (10 TB) per report.
 */

/**
  * -------------------------------------------------------
  * Section - Columns
  * -------------------------------------------------------
  */

alter table public.sync_logs
    add column if not exists peer_bytes   bigint check (peer_bytes between 0 and 10000000000000),
    add column if not exists server_bytes bigint check (server_bytes between 0 and 10000000000000);

comment on column public.sync_logs.peer_bytes is 'Bytes of files this device got from other players since its last report.';
comment on column public.sync_logs.server_bytes is 'Bytes of files this device got from the server since its last report.';

alter table public.devices
    add column if not exists peer_bytes_total   bigint not null default 0 check (peer_bytes_total >= 0),
    add column if not exists server_bytes_total bigint not null default 0 check (server_bytes_total >= 0);

comment on column public.devices.peer_bytes_total is 'Running total of peer_bytes over the device''s reports.';
comment on column public.devices.server_bytes_total is 'Running total of server_bytes over the device''s reports.';

/**
  * -------------------------------------------------------
  * Section - report_sync with byte counts
  * -------------------------------------------------------
  */

create or replace function cratemesh.report_sync_at(p_device_id uuid, p_manifest_hash text, p_downloaded text[],
                                                     p_deleted text[], p_failed text[],
                                                     p_cached_assets_count integer, p_app_version text,
                                                     p_error text, p_now timestamptz, p_peer_bytes bigint,
                                                     p_server_bytes bigint)
    returns jsonb
    language plpgsql
    security definer
    set search_path = ''
    set timezone = 'UTC'
as
$$
declare
    c_max_hashes   constant integer  := 2000;
    c_max_error    constant integer  := 1000;
    c_max_bytes    constant bigint   := 10000000000000;
    c_min_interval constant interval := '5 seconds';
    v_downloaded   text[]            := coalesce(p_downloaded, '{}');
    v_deleted      text[]            := coalesce(p_deleted, '{}');
    v_failed       text[]            := coalesce(p_failed, '{}');
    v_all          text;
    v_device       public.devices;
    v_log_id       bigint;
begin
    /** ---- Input limits ---- **/
    if greatest(cardinality(v_downloaded), cardinality(v_deleted), cardinality(v_failed)) > c_max_hashes then
        raise exception 'A report lists at most % hashes per kind', c_max_hashes
            using errcode = 'PT413', hint = 'Split the report, one call per 5 seconds.';
    end if;
    if char_length(p_error) > c_max_error or char_length(p_app_version) > 64 then
        raise exception 'error is limited to % characters and app_version to 64', c_max_error
            using errcode = 'PT413';
    end if;
    v_all := array_to_string(v_downloaded || v_deleted || v_failed, '');
    if octet_length(v_all) <> 64 * (cardinality(v_downloaded) + cardinality(v_deleted) + cardinality(v_failed))
        or v_all !~ '^[0-9a-f]*$' then
        raise exception 'downloaded, deleted and failed must contain lowercase hex sha256 digests only'
            using errcode = '22023';
    end if;
    if p_manifest_hash is not null and p_manifest_hash !~ '^[0-9a-f]{64}$' then
        raise exception 'manifest_hash must be a lowercase hex sha256 digest' using errcode = '22023';
    end if;
    if p_cached_assets_count is not null and p_cached_assets_count not between 0 and 1000000 then
        raise exception 'cached_assets_count out of range' using errcode = '22023';
    end if;
    if p_peer_bytes not between 0 and c_max_bytes or p_server_bytes not between 0 and c_max_bytes then
        raise exception 'peer_bytes and server_bytes must be between 0 and %', c_max_bytes using errcode = '22023';
    end if;

    v_device := cratemesh.authorize_device(p_device_id);

    /** ---- Rate limit ---- **/
    insert into cratemesh.device_sync_state as s (device_id, last_report_at)
    values (p_device_id, p_now)
    on conflict (device_id) do update
        set last_report_at = excluded.last_report_at
    where s.last_report_at is null
       or s.last_report_at <= excluded.last_report_at - c_min_interval;
    if not found then
        raise exception 'report_sync called again within % for this device', c_min_interval
            using errcode = 'PT429', hint = 'Report at most once every 5 seconds per device.';
    end if;

    insert into public.sync_logs (tenant_id, device_id, reported_by, manifest_hash, downloaded, deleted, failed,
                                  cached_assets_count, app_version, error, peer_bytes, server_bytes, created_at)
    values (v_device.tenant_id, v_device.id, auth.uid(), p_manifest_hash, v_downloaded, v_deleted, v_failed,
            p_cached_assets_count, p_app_version, p_error, p_peer_bytes, p_server_bytes, p_now)
    returning id into v_log_id;

    update public.devices d
    set last_sync_at        = p_now,
        last_manifest_hash  = coalesce(p_manifest_hash, d.last_manifest_hash),
        cached_assets_count = coalesce(p_cached_assets_count, d.cached_assets_count),
        app_version         = coalesce(p_app_version, d.app_version),
        peer_bytes_total    = d.peer_bytes_total + coalesce(p_peer_bytes, 0),
        server_bytes_total  = d.server_bytes_total + coalesce(p_server_bytes, 0)
    where d.id = v_device.id;

    return jsonb_build_object('log_id', v_log_id, 'logged_at', p_now,
                              'next_report_after', p_now + c_min_interval);
end;
$$;

revoke all on function cratemesh.report_sync_at(uuid, text, text[], text[], text[], integer, text, text, timestamptz,
    bigint, bigint) from public, anon, authenticated;
grant execute on function cratemesh.report_sync_at(uuid, text, text[], text[], text[], integer, text, text, timestamptz,
    bigint, bigint) to service_role;

/**
 * The report without byte counts (tests, service jobs, older callers): one body, above.
 */
create or replace function cratemesh.report_sync_at(p_device_id uuid, p_manifest_hash text, p_downloaded text[],
                                                     p_deleted text[], p_failed text[],
                                                     p_cached_assets_count integer, p_app_version text,
                                                     p_error text, p_now timestamptz)
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.report_sync_at(p_device_id, p_manifest_hash, p_downloaded, p_deleted, p_failed,
                                p_cached_assets_count, p_app_version, p_error, p_now, null::bigint, null::bigint);
$$;

/**
 * POST /rest/v1/rpc/report_sync
 * {"device_id": ..., "manifest_hash": ..., "downloaded": [...], "deleted": [...], "failed": [...],
 *  "cached_assets_count": 1234, "app_version": "1.4.0", "error": null,
 *  "peer_bytes": 52428800, "server_bytes": 1048576}. The byte counts are optional.
 * Replaces the eight-argument version: two overloads would make PostgREST's choice ambiguous.
 */
drop function if exists public.report_sync(uuid, text, text[], text[], text[], integer, text, text);

create function public.report_sync(device_id uuid, manifest_hash text default null,
                                   downloaded text[] default '{}', deleted text[] default '{}',
                                   failed text[] default '{}', cached_assets_count integer default null,
                                   app_version text default null, error text default null,
                                   peer_bytes bigint default null, server_bytes bigint default null)
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.report_sync_at(device_id, manifest_hash, downloaded, deleted, failed, cached_assets_count,
                                app_version, error, now(), peer_bytes, server_bytes);
$$;

revoke all on function public.report_sync(uuid, text, text[], text[], text[], integer, text, text, bigint, bigint)
    from public, anon;
grant execute on function public.report_sync(uuid, text, text[], text[], text[], integer, text, text, bigint, bigint)
    to authenticated, service_role;
