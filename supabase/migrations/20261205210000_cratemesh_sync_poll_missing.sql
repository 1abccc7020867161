/**
 * Cratemesh: the light poll names what it lacks.
 *
 * A device whose held set is not a set the server issued (a download that
 * keeps failing, a 404, a file still playing after a delete) got "need_have"
 * from sync_poll and sent its full list (67 bytes a file) on every poll. Now
 * the poll may describe its set as the last manifest's set minus the hashes
 * it lacks (missing_hashes) plus the ones it still holds beyond it
 * (extra_hashes). The server rebuilds the set from the snapshot it kept of
 * that manifest and checks it against have_count and have_digest; only a set
 * that matches exactly is used, anything else still answers "need_have".
 *
 * The rebuilt set goes through the same cratemesh.manifest_answer() as a full
 * sync_manifest call, so the answer lists the missing files again (a client
 * keeps their retry schedule) and never guesses.
 *
 * Limits (keep supabase/README.md in sync):
 *   missing_hashes + extra_hashes: at most 2,000 entries, lowercase hex.
 */

/**
  * -------------------------------------------------------
  * Section - The light poll with a difference
  * -------------------------------------------------------
  */

create or replace function cratemesh.sync_poll_at(p_device_id uuid, p_last_manifest_hash text, p_have_count integer,
                                                   p_have_digest text, p_now timestamptz, p_missing text[],
                                                   p_extra text[])
    returns jsonb
    language plpgsql
    security definer
    set search_path = ''
as
$$
declare
    c_max_difference constant integer := 2000;
    v_missing        text[]           := coalesce(p_missing, '{}');
    v_extra          text[]           := coalesce(p_extra, '{}');
    v_issued         text[];
    v_have           text[];
begin
    if cardinality(v_missing) = 0 and cardinality(v_extra) = 0 then
        return cratemesh.sync_poll_at(p_device_id, p_last_manifest_hash, p_have_count, p_have_digest, p_now);
    end if;
    if cardinality(v_missing) + cardinality(v_extra) > c_max_difference then
        raise exception 'missing_hashes and extra_hashes have % entries; the limit is %',
            cardinality(v_missing) + cardinality(v_extra), c_max_difference
            using errcode = 'PT413', hint = 'Send the full list through sync_manifest instead.';
    end if;
    if exists(select 1 from unnest(v_missing || v_extra) x(sha) where x.sha is null or x.sha !~ '^[0-9a-f]{64}$') then
        raise exception 'missing_hashes and extra_hashes must contain lowercase hex sha256 digests only'
            using errcode = '22023';
    end if;
    if p_have_digest is null or p_have_digest !~ '^[0-9a-f]{64}$' then
        raise exception 'have_digest must be a lowercase hex sha256 digest' using errcode = '22023';
    end if;

    -- Before reading any snapshot: the same error for unknown and foreign devices.
    perform cratemesh.authorize_device(p_device_id);

    select dm.asset_shas
    into v_issued
    from cratemesh.device_manifests dm
    where dm.device_id = p_device_id
      and dm.manifest_hash = p_last_manifest_hash;

    if v_issued is not null then
        select array_agg(s.sha order by s.sha collate "C")
        into v_have
        from (select i.sha from unnest(v_issued) i(sha)
              except
              select m.sha from unnest(v_missing) m(sha)
              union
              select e.sha from unnest(v_extra) e(sha)) s;
        v_have := coalesce(v_have, '{}');
        if cardinality(v_have) = p_have_count
            and encode(sha256(convert_to(array_to_string(v_have, ''), 'UTF8')), 'hex') = p_have_digest then
            return cratemesh.manifest_answer(p_device_id, p_last_manifest_hash, v_have, null, null, p_now);
        end if;
    end if;

    -- No snapshot, or the difference does not describe the digest: the plain light poll says need_have.
    return cratemesh.sync_poll_at(p_device_id, p_last_manifest_hash, p_have_count, p_have_digest, p_now);
end;
$$;

revoke all on function cratemesh.sync_poll_at(uuid, text, integer, text, timestamptz, text[], text[])
    from public, anon, authenticated;
grant execute on function cratemesh.sync_poll_at(uuid, text, integer, text, timestamptz, text[], text[])
    to service_role;

/**
 * POST /rest/v1/rpc/sync_poll
 * {"device_id": ..., "last_manifest_hash": ..., "have_count": 999, "have_digest": "<sha256 hex>",
 *  "missing_hashes": ["<sha256 hex>"], "extra_hashes": []}. The two lists are optional.
 * Replaces the four-argument version: two overloads would make PostgREST's choice ambiguous.
 */
drop function if exists public.sync_poll(uuid, integer, text, text);

create function public.sync_poll(device_id uuid, have_count integer, have_digest text,
                                 last_manifest_hash text default null, missing_hashes text[] default null,
                                 extra_hashes text[] default null)
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.sync_poll_at(device_id, last_manifest_hash, have_count, have_digest, now(), missing_hashes,
                              extra_hashes);
$$;

revoke all on function public.sync_poll(uuid, integer, text, text, text[], text[]) from public, anon;
grant execute on function public.sync_poll(uuid, integer, text, text, text[], text[]) to authenticated, service_role;
