/**
 * Cratemesh: a light manifest poll.
 *
 * sync_manifest() needs the device's full list of held hashes (67 bytes
 * each on the wire) on every poll: 1,000 files cost ~67 kB per poll to learn
 * that nothing changed. sync_poll() takes only the count and a digest of
 * that list, plus the last manifest hash:
 *
 *   - held set = the current manifest's set and same hash  -> "unchanged";
 *   - held set = the set of the manifest named by last_manifest_hash (the
 *     server kept it)                                       -> a compact
 *     delta computed against that set: only the new downloads, the deletes,
 *     the metadata updates, the schedule entries only if they changed, and
 *     changed playlists as position patches when that is smaller;
 *   - anything else (a file evicted, a failed download, a tampered digest,
 *     an unknown hash)                                       -> "need_have":
 *     the device sends its full list through sync_manifest(), which this
 *     answer allows once within a minute despite the 1 s rate limit.
 *
 * have_digest = lowercase hex SHA-256 of the held hashes sorted ascending
 * (byte order) and concatenated without separator; the empty set's digest
 * is SHA-256 of the empty string.
 *
 * One implementation: both RPCs call cratemesh.manifest_answer(); the
 * manifest computation, its cache and the delta are unchanged from
 * 20261123120400_cratemesh_sync.sql, which this migration supersedes for
 * sync_manifest_at().
 *
 * Limits (keep supabase/README.md in sync):
 *   sync_poll: have_count 0..20,000; have_digest 64 lowercase hex; shares
 *              sync_manifest's clock (one call per device per second).
 */

/**
  * -------------------------------------------------------
  * Section - State kept for the light poll
  * -------------------------------------------------------
  */

alter table cratemesh.device_sync_state
    -- Digest of the cached manifest's asset set (see above).
    add column if not exists set_digest              text,
    -- Set by a "need_have" answer: the full sync_manifest call that follows may come within the second.
    add column if not exists full_call_allowed_until timestamptz;

alter table cratemesh.device_manifests
    -- The issued manifest's asset set and playlists, so that the next poll can compute the delta from
    -- them instead of the device's list. Kept on the 2 newest snapshots of a device only (size).
    add column if not exists asset_shas     text[],
    add column if not exists asset_count    integer,
    add column if not exists set_digest     text,
    add column if not exists entries_digest text,
    -- {playlist_id: [sha256, ...]} in order, valid items only.
    add column if not exists playlist_items jsonb;

alter table cratemesh.device_manifests
    alter column asset_shas set storage external;

-- Rows computed before this migration lack the new fields: recompute on the next poll.
update cratemesh.device_sync_state set cache_epoch = null, set_digest = null;
delete from cratemesh.device_manifest_cache;

/**
  * -------------------------------------------------------
  * Section - The one implementation
  * -------------------------------------------------------
  */

/**
 * The manifest answer for a device at p_now, with the held set given
 * either as the list (p_have_hashes, sync_manifest) or as count + digest
 * (p_have_hashes null, sync_poll). See the header and
 * 20261123120400_cratemesh_sync.sql for the manifest and its hash.
 */
create or replace function cratemesh.manifest_answer(p_device_id uuid, p_last_manifest_hash text,
                                                     p_have_hashes text[], p_have_count integer,
                                                     p_have_digest text, p_now timestamptz)
    returns jsonb
    language plpgsql
    security definer
    set search_path = ''
    -- JSON timestamps in UTC whatever the session says.
    set timezone = 'UTC'
    -- unnest() of a 10,000-element variable must be planned with its real size.
    set plan_cache_mode = 'force_custom_plan'
    -- Joins of two unnested arrays have no statistics; the planner then prefers a
    -- merge join with two 10,000-row sorts over a hash join at half the cost.
    set enable_mergejoin = 'off'
as
$$
declare
    c_max_have       constant integer  := 20000;
    c_min_interval   constant interval := '1 second';
    c_full_window    constant interval := '1 minute';
    c_prefetch       constant interval := '24 hours';
    c_max_downloads  constant integer  := 2000;
    c_keep_snapshots constant integer  := 4;
    c_keep_sets      constant integer  := 2;
    c_url_prefix     constant text     := '/storage/v1/object/authenticated/media/';
    c_empty_digest   constant text     := 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    v_light          boolean           := p_have_hashes is null;
    v_have           text[]            := p_have_hashes;
    v_have_count     integer           := coalesce(cardinality(p_have_hashes), p_have_count);
    v_device         public.devices;
    v_state          cratemesh.device_sync_state;
    v_epoch          bigint;
    v_cached         boolean;
    v_hash           text;
    v_count          integer;
    v_set_digest     text;
    v_next           timestamptz;
    v_next_assets    timestamptz;
    v_entries        jsonb;
    v_sched_text     text;
    v_current_pl     uuid[];
    v_all_pl         uuid[];
    v_set_line       text;
    v_pl_digests     text[];
    v_pl_items       jsonb;
    v_ids            uuid[];
    v_shas           text[];
    v_versions       bigint[];
    v_prios          smallint[];
    v_positions      integer[];
    -- What the device was last told (cratemesh.device_manifests); the big columns are read only when needed.
    v_prev_versions  bigint[];
    v_prev_digests   text[];
    v_prev_entries   text;
    v_prev_set       text;
    v_prev_count     integer;
    v_prev_items     jsonb;
    v_download_ids   uuid[];
    v_download_prios smallint[];
    v_download_total integer;
    v_delete_shas    text[];
    v_update_ids     uuid[];
    v_kept           bigint[];
    v_downloads      jsonb;
    v_updates        jsonb;
    v_playlists      jsonb;
    v_entries_digest text;
begin
    /** ---- Input limits, before touching any table ---- **/
    if v_light then
        if p_have_count is null or p_have_count < 0 then
            raise exception 'have_count must be a count of held files' using errcode = '22023';
        end if;
        if p_have_count > c_max_have then
            raise exception 'have_count is %; the limit is %', p_have_count, c_max_have
                using errcode = 'PT413', hint = 'A device holds at most 20000 files.';
        end if;
        if p_have_digest is null or p_have_digest !~ '^[0-9a-f]{64}$' then
            raise exception 'have_digest must be a lowercase hex sha256 digest' using errcode = '22023';
        end if;
    elsif cardinality(v_have) > c_max_have then
        -- Entry format is checked later, on the few hashes that do not match the
        -- manifest: everything that matches is valid by construction.
        raise exception 'have_hashes has % entries; the limit is %', cardinality(v_have), c_max_have
            using errcode = 'PT413', hint = 'Send at most 20000 hashes.';
    end if;
    if p_last_manifest_hash is not null and p_last_manifest_hash !~ '^[0-9a-f]{64}$' then
        raise exception 'last_manifest_hash must be a lowercase hex sha256 digest' using errcode = '22023';
    end if;

    v_device := cratemesh.authorize_device(p_device_id);

    /** ---- Rate limit (and read the cached manifest identity in the same statement) ---- **/
    -- A full call right after a "need_have" answer is the second half of one sync: allowed once.
    insert into cratemesh.device_sync_state as s (device_id, last_manifest_call_at)
    values (p_device_id, p_now)
    on conflict (device_id) do update
        set last_manifest_call_at   = excluded.last_manifest_call_at,
            full_call_allowed_until = null
    where s.last_manifest_call_at is null
       or s.last_manifest_call_at <= excluded.last_manifest_call_at - c_min_interval
       or (not v_light and s.full_call_allowed_until >= excluded.last_manifest_call_at)
    returning s.* into v_state;
    if not found then
        raise exception 'sync_manifest called again within % for this device', c_min_interval
            using errcode = 'PT429', hint = 'Poll at most once per second per device.';
    end if;

    -- Read before the data: a concurrent change then at worst forces one extra recomputation.
    select coalesce((select e.epoch from cratemesh.tenant_epochs e where e.tenant_id = v_device.tenant_id), 0)
    into v_epoch;

    v_cached := coalesce(v_state.cache_epoch = v_epoch
                             and v_state.set_digest is not null
                             and p_now >= v_state.computed_at
                             and p_now < coalesce(v_state.next_change_at, 'infinity'), false);

    /** ---- Fast path: nothing changed since the cached computation ---- **/
    -- The full list is only counted (a cheap guard); the light poll's digest is exact.
    if v_cached
        and p_last_manifest_hash = v_state.manifest_hash
        and v_have_count = v_state.asset_count
        and (not v_light or p_have_digest = v_state.set_digest) then
        return jsonb_strip_nulls(jsonb_build_object('hash', v_state.manifest_hash, 'unchanged', true,
                                                    'next_change_at', v_state.next_change_at));
    end if;

    if v_cached then
        select c.manifest_hash, c.asset_ids, c.asset_shas, c.asset_versions, c.asset_priorities,
               c.asset_positions, c.playlist_digests, c.entries
        into v_hash, v_ids, v_shas, v_versions, v_prios, v_positions, v_pl_digests, v_entries
        from cratemesh.device_manifest_cache c
        where c.device_id = p_device_id;
        v_cached := found and v_hash = v_state.manifest_hash;
        v_count := v_state.asset_count;
        v_next := v_state.next_change_at;
        v_set_digest := v_state.set_digest;
    end if;

    if not v_cached then
        /** ---- Schedules targeting the device ---- **/
        select coalesce(jsonb_agg(jsonb_build_object(
                                          'id', s.id,
                                          'playlist_id', s.playlist_id,
                                          'target', case when s.device_id is null then 'group' else 'device' end,
                                          'name', s.name,
                                          'days', s.days_of_week,
                                          'start', to_char(s.start_time, 'HH24:MI'),
                                          'end', to_char(s.end_time, 'HH24:MI'),
                                          'time_zone', s.time_zone,
                                          'priority', s.priority,
                                          'current', s.cur) order by s.id), '[]'::jsonb),
               string_agg(concat_ws('|', s.id, s.playlist_id, s.device_id, s.group_id, s.name, s.days_of_week,
                                    s.start_time, s.end_time, s.time_zone, s.priority, s.cur),
                          E'\n' order by s.id),
               coalesce(array_agg(distinct s.playlist_id) filter (where s.cur), '{}'),
               coalesce(array_agg(distinct s.playlist_id), '{}'),
               min(s.next_boundary)
        into v_entries, v_sched_text, v_current_pl, v_all_pl, v_next
        from (select sc.*,
                     cratemesh.daypart_is_current(sc.days_of_week, sc.start_time, sc.end_time, sc.time_zone,
                                                  p_now) as cur,
                     cratemesh.daypart_next_boundary(sc.start_time, sc.end_time, sc.time_zone, p_now) as next_boundary
              from public.schedules sc
              where sc.tenant_id = v_device.tenant_id
                and (sc.device_id = v_device.id or sc.group_id = v_device.group_id)) s;

        /** ---- Assets: scheduled playlists plus the emergency pool ---- **/
        -- Narrow ids are grouped first and joined once; every output comes from one
        -- aggregate node (no CTE materialization, no per-aggregate sort but the digest's).
        select format('assets|%s|%s', count(*) filter (where x.in_window),
                      coalesce(bit_xor(hashtextextended(x.sha256 || ':' || x.version, 0))
                               filter (where x.in_window), 0)),
               coalesce(array_agg(x.id) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.sha256) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.version) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.prio) filter (where x.in_window), '{}'),
               coalesce(array_agg(x.position) filter (where x.in_window), '{}'),
               count(*) filter (where x.in_window),
               encode(sha256(convert_to(coalesce(string_agg(x.sha256, '' order by x.sha256 collate "C")
                                                 filter (where x.in_window), ''), 'UTF8')), 'hex'),
               least(min(x.valid_until) filter (where x.in_window),
                     min(x.valid_from - c_prefetch) filter (where not x.in_window and x.valid_until > p_now
                         and x.valid_from - c_prefetch > p_now))
        into v_set_line, v_ids, v_shas, v_versions, v_prios, v_positions, v_count, v_set_digest, v_next_assets
        from (select a.id, a.sha256, a.version, a.valid_from, a.valid_until, g.prio, g.position,
                     a.valid_until > p_now and a.valid_from <= p_now + c_prefetch as in_window
              from (select c.asset_id, min(c.prio)::smallint as prio, min(c.position) as position
                    from (select pi.asset_id,
                                 case when pi.playlist_id = any (v_current_pl) then 0 else 2 end as prio,
                                 pi.position
                          from public.playlist_items pi
                          where pi.playlist_id = any (v_all_pl)
                          union all
                          select e.id, 1, null
                          from public.media_assets e
                          where e.tenant_id = v_device.tenant_id
                            and e.emergency_eligible) c
                    group by c.asset_id) g
                       join public.media_assets a on a.id = g.asset_id
              where a.tenant_id = v_device.tenant_id) x;

        /** ---- Playlists: name and an order-sensitive digest of their valid items ---- **/
        select coalesce(array_agg(format('%s:%s:%s:%s', p.id, md5(p.name), coalesce(d.n, 0), coalesce(d.x, 0))
                                  order by p.id), '{}')
        into v_pl_digests
        from public.playlists p
                 left join (select pi.playlist_id,
                                   count(*) as n,
                                   bit_xor(hashtextextended(a.sha256 || ':' || pi.position, 0)) as x
                            from public.playlist_items pi
                                     join public.media_assets a on a.id = pi.asset_id
                            where pi.playlist_id = any (v_all_pl)
                              and a.valid_until > p_now
                              and a.valid_from <= p_now + c_prefetch
                            group by pi.playlist_id) d on d.playlist_id = p.id
        where p.id = any (v_all_pl);

        v_next := least(v_next, v_next_assets);
        v_hash := encode(sha256(convert_to(concat_ws(E'\n', 'cratemesh-manifest-v1', coalesce(v_sched_text, ''),
                                                     array_to_string(v_pl_digests, E'\n'), v_set_line),
                                           'UTF8')), 'hex');

        update cratemesh.device_sync_state s
        set cache_epoch    = v_epoch,
            manifest_hash  = v_hash,
            asset_count    = v_count,
            set_digest     = v_set_digest,
            computed_at    = p_now,
            next_change_at = v_next
        where s.device_id = p_device_id;

        insert into cratemesh.device_manifest_cache as c (device_id, manifest_hash, asset_ids, asset_shas,
                                                          asset_versions, asset_priorities, asset_positions,
                                                          playlist_digests, entries)
        values (p_device_id, v_hash, v_ids, v_shas, v_versions, v_prios, v_positions, v_pl_digests, v_entries)
        on conflict (device_id) do update
            set manifest_hash    = excluded.manifest_hash,
                asset_ids        = excluded.asset_ids,
                asset_shas       = excluded.asset_shas,
                asset_versions   = excluded.asset_versions,
                asset_priorities = excluded.asset_priorities,
                asset_positions  = excluded.asset_positions,
                playlist_digests = excluded.playlist_digests,
                entries          = excluded.entries;

        if p_last_manifest_hash = v_hash and v_have_count = v_count
            and (not v_light or p_have_digest = v_set_digest) then
            return jsonb_strip_nulls(jsonb_build_object('hash', v_hash, 'unchanged', true,
                                                        'next_change_at', v_next));
        end if;
    end if;

    /** ---- What the device was last told (narrow columns: a 10,000-asset set is ~650 kB) ---- **/
    select dm.asset_versions, dm.playlist_digests, dm.entries_digest, dm.set_digest, dm.asset_count
    into v_prev_versions, v_prev_digests, v_prev_entries, v_prev_set, v_prev_count
    from cratemesh.device_manifests dm
    where dm.device_id = p_device_id
      and dm.manifest_hash = p_last_manifest_hash;

    /** ---- Light poll: the held set must be one the server knows ---- **/
    if v_light then
        if p_have_count = 0 and p_have_digest = c_empty_digest then
            v_have := '{}';
        elsif v_prev_count = p_have_count and v_prev_set = p_have_digest then
            select dm.asset_shas, dm.playlist_items
            into v_have, v_prev_items
            from cratemesh.device_manifests dm
            where dm.device_id = p_device_id
              and dm.manifest_hash = p_last_manifest_hash;
        end if;
        if v_have is null then
            update cratemesh.device_sync_state s
            set full_call_allowed_until = p_now + c_full_window
            where s.device_id = p_device_id;
            return jsonb_strip_nulls(jsonb_build_object('hash', v_hash, 'unchanged', false, 'need_have', true,
                                                        'next_change_at', v_next));
        end if;
    end if;

    /** ---- Delta against what the device holds and was last told ---- **/
    -- One full join classifies every hash: listed only = download, held only =
    -- delete, both = kept. Only the sha array is unnested (with its index);
    -- the other arrays are read by subscript for the few rows that need them.
    with m as (select u.sha, u.i from unnest(v_shas) with ordinality as u(sha, i)),
         h as (select x.sha from unnest(v_have) as x(sha)),
         j as (select m.i, coalesce(m.sha, h.sha) as sha, m.i is not null as listed, h.sha is not null as held
               from m
                        full join h on h.sha = m.sha)
    select count(*) filter (where j.listed and not j.held),
           (array_agg(v_ids[j.i] order by v_prios[j.i], v_positions[j.i] nulls last, j.sha collate "C")
                      filter (where j.listed and not j.held))[1:c_max_downloads],
           (array_agg(v_prios[j.i] order by v_prios[j.i], v_positions[j.i] nulls last, j.sha collate "C")
                      filter (where j.listed and not j.held))[1:c_max_downloads],
           -- distinct: have_hashes may repeat a hash.
           coalesce(array_agg(distinct j.sha) filter (where j.held and not j.listed), '{}'),
           coalesce(array_agg(j.i) filter (where j.listed and j.held), '{}')
    into v_download_total, v_download_ids, v_download_prios, v_delete_shas, v_kept
    from j;

    -- Kept assets whose metadata the device has not been sent: all of them
    -- when the previous manifest is unknown, else those with a new version.
    select coalesce(array_agg(distinct v_ids[k.i]), '{}')
    into v_update_ids
    from unnest(v_kept) as k(i)
             left join unnest(coalesce(v_prev_versions, '{}')) as p(version) on p.version = v_versions[k.i]
    where p.version is null;

    if exists(select 1 from unnest(v_delete_shas) d(sha) where d.sha is null or d.sha !~ '^[0-9a-f]{64}$') then
        raise exception 'have_hashes must contain lowercase hex sha256 digests only' using errcode = '22023';
    end if;

    select coalesce(jsonb_agg(jsonb_build_object(
                                      'asset', jsonb_build_object(
                                    'id', a.id, 'title', a.title, 'artist', a.artist,
                                    'duration_ms', a.duration_ms, 'bpm', a.bpm, 'key', a.musical_key,
                                    'mime', a.mime, 'valid_from', a.valid_from, 'valid_until', a.valid_until,
                                    'emergency_eligible', a.emergency_eligible, 'version', a.version),
                                      'hash', a.sha256,
                                      'size', a.size_bytes,
                                      'url_path', c_url_prefix || a.storage_path,
                                      'priority', d.prio)
                              order by d.ord), '[]'::jsonb)
    into v_downloads
    from unnest(coalesce(v_download_ids, '{}'), coalesce(v_download_prios, '{}')) with ordinality as d(id, prio, ord)
             join public.media_assets a on a.id = d.id;

    select coalesce(jsonb_agg(jsonb_build_object(
                                      'hash', a.sha256,
                                      'asset', jsonb_build_object(
                                    'id', a.id, 'title', a.title, 'artist', a.artist,
                                    'duration_ms', a.duration_ms, 'bpm', a.bpm, 'key', a.musical_key,
                                    'mime', a.mime, 'valid_from', a.valid_from, 'valid_until', a.valid_until,
                                    'emergency_eligible', a.emergency_eligible, 'version', a.version))
                              order by a.sha256 collate "C"), '[]'::jsonb)
    into v_updates
    from unnest(v_update_ids) as u(id)
             join public.media_assets a on a.id = u.id;

    -- Only playlists whose name or items changed since the previous manifest. The light poll sends a
    -- playlist the device had as a patch (new length + the positions whose hash differs) when that is
    -- under half the items; sync_manifest keeps sending whole playlists.
    with changed as (select split_part(d, ':', 1)::uuid as playlist_id
                     from unnest(v_pl_digests) as d
                     where not (d = any (coalesce(v_prev_digests, '{}')))),
         p as (select pl.id,
                      pl.name,
                      coalesce((select jsonb_agg(a.sha256 order by pi.position)
                                from public.playlist_items pi
                                         join public.media_assets a on a.id = pi.asset_id
                                where pi.playlist_id = pl.id
                                  and a.valid_until > p_now
                                  and a.valid_from <= p_now + c_prefetch), '[]'::jsonb) as items,
                      v_prev_items -> pl.id::text                                   as old_items
               from public.playlists pl
                        join changed c on c.playlist_id = pl.id),
         patched as (select p.*,
                            (select coalesce(jsonb_agg(jsonb_build_array(n.i - 1, n.sha) order by n.i), '[]'::jsonb)
                             from jsonb_array_elements_text(p.items) with ordinality as n(sha, i)
                                      left join jsonb_array_elements_text(p.old_items) with ordinality as o(sha, i)
                                                on o.i = n.i
                             where o.sha is distinct from n.sha) as patch
                     from p)
    select coalesce(jsonb_agg(case
                                  when x.old_items is not null
                                      and jsonb_array_length(x.patch) * 2 < jsonb_array_length(x.items)
                                      then jsonb_build_object('id', x.id, 'name', x.name,
                                                              'count', jsonb_array_length(x.items), 'set', x.patch)
                                  else jsonb_build_object('id', x.id, 'name', x.name, 'items', x.items) end
                              order by x.id), '[]'::jsonb)
    into v_playlists
    from patched x;

    v_entries_digest := md5(v_entries::text);

    -- Checked first: re-sending the same manifest (a retry) should not build an 80 kB row to discard.
    if not exists(select 1 from cratemesh.device_manifests dm
                  where dm.device_id = p_device_id and dm.manifest_hash = v_hash and dm.asset_shas is not null) then
        -- The playlists' items, for the patches of the next light poll (once per issued manifest).
        select coalesce(jsonb_object_agg(d.playlist_id, d.items), '{}'::jsonb)
        into v_pl_items
        from (select pi.playlist_id, jsonb_agg(a.sha256 order by pi.position) as items
              from public.playlist_items pi
                       join public.media_assets a on a.id = pi.asset_id
              where pi.playlist_id in (select split_part(g, ':', 1)::uuid from unnest(v_pl_digests) as g)
                and a.valid_until > p_now
                and a.valid_from <= p_now + c_prefetch
              group by pi.playlist_id) d;
        insert into cratemesh.device_manifests as dm (device_id, manifest_hash, issued_at, asset_versions,
                                                      playlist_digests, asset_shas, asset_count, set_digest,
                                                      entries_digest, playlist_items)
        values (p_device_id, v_hash, p_now, v_versions, v_pl_digests, v_shas, v_count, v_set_digest,
                v_entries_digest, v_pl_items)
        on conflict (device_id, manifest_hash) do update
            set issued_at      = excluded.issued_at,
                asset_shas     = excluded.asset_shas,
                asset_count    = excluded.asset_count,
                set_digest     = excluded.set_digest,
                entries_digest = excluded.entries_digest,
                playlist_items = excluded.playlist_items;
        delete
        from cratemesh.device_manifests dm
        where dm.device_id = p_device_id
          and dm.manifest_hash not in (select k.manifest_hash
                                       from cratemesh.device_manifests k
                                       where k.device_id = p_device_id
                                       order by k.issued_at desc
                                       limit c_keep_snapshots);
        -- The sets are what a light poll needs; only the newest ones are worth their size.
        update cratemesh.device_manifests dm
        set asset_shas = null, playlist_items = null
        where dm.device_id = p_device_id
          and dm.asset_shas is not null
          and dm.manifest_hash not in (select k.manifest_hash
                                       from cratemesh.device_manifests k
                                       where k.device_id = p_device_id
                                       order by k.issued_at desc
                                       limit c_keep_sets);
    end if;

    return jsonb_strip_nulls(jsonb_build_object(
            'hash', v_hash,
            'unchanged', false,
            'asset_count', v_count,
            'next_change_at', v_next,
            'downloads', v_downloads,
            'downloads_remaining', greatest(v_download_total - c_max_downloads, 0),
            'deletes', to_jsonb(v_delete_shas),
            'updates', v_updates,
            'schedule', jsonb_build_object(
                    -- The light poll leaves out entries the device already has.
                    'entries', case
                                   when not v_light or v_prev_entries is distinct from v_entries_digest
                                       then v_entries end,
                    'playlists', v_playlists)));
end;
$$;

revoke all on function cratemesh.manifest_answer(uuid, text, text[], integer, text, timestamptz)
    from public, anon, authenticated;
grant execute on function cratemesh.manifest_answer(uuid, text, text[], integer, text, timestamptz) to service_role;

/**
 * Same signature and answers as before (20261123120400): the full list.
 */
create or replace function cratemesh.sync_manifest_at(p_device_id uuid, p_last_manifest_hash text,
                                                       p_have_hashes text[], p_now timestamptz)
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.manifest_answer(p_device_id, p_last_manifest_hash, coalesce(p_have_hashes, '{}'), null, null,
                                 p_now);
$$;

revoke all on function cratemesh.sync_manifest_at(uuid, text, text[], timestamptz) from public, anon, authenticated;
grant execute on function cratemesh.sync_manifest_at(uuid, text, text[], timestamptz) to service_role;

/**
 * The light poll at an explicit instant (tests, service jobs).
 */
create or replace function cratemesh.sync_poll_at(p_device_id uuid, p_last_manifest_hash text, p_have_count integer,
                                                   p_have_digest text, p_now timestamptz)
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.manifest_answer(p_device_id, p_last_manifest_hash, null, coalesce(p_have_count, -1), p_have_digest,
                                 p_now);
$$;

revoke all on function cratemesh.sync_poll_at(uuid, text, integer, text, timestamptz) from public, anon, authenticated;
grant execute on function cratemesh.sync_poll_at(uuid, text, integer, text, timestamptz) to service_role;

/**
 * POST /rest/v1/rpc/sync_poll
 * {"device_id": ..., "last_manifest_hash": ..., "have_count": 1000, "have_digest": "<sha256 hex>"}.
 * Always evaluated at now().
 */
create or replace function public.sync_poll(device_id uuid, have_count integer, have_digest text,
                                            last_manifest_hash text default null)
    returns jsonb
    language sql
    security definer
    set search_path = ''
as
$$
select cratemesh.sync_poll_at(device_id, last_manifest_hash, have_count, have_digest, now());
$$;

revoke all on function public.sync_poll(uuid, integer, text, text) from public, anon;
grant execute on function public.sync_poll(uuid, integer, text, text) to authenticated, service_role;
