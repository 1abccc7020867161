/**
 * Cratemesh: what the director panel needs beyond the base schema.
 *
 *   - "Now playing" telemetry on devices: the player writes what it is
 *     playing, the director shows it. It is telemetry like last_sync_at:
 *     a player may write it on its own device row (the column grants and
 *     trigger_protect_device_fields already allow that), and it never
 *     touches the manifest cache.
 *   - reorder_playlist_items(): a playlist's new order in one statement.
 *     positions are unique per playlist (deferred), so a reorder through
 *     single-row updates would need a temporary position per row and could
 *     stop half-way; one call is atomic and one round trip.
 */

/**
  * -------------------------------------------------------
  * Section - Now playing
  * -------------------------------------------------------
  */

alter table public.devices
    add column if not exists now_playing_sha256 text check (now_playing_sha256 ~ '^[0-9a-f]{64}$'),
    -- What the device shows, for things that are no asset (the bundled jingle) or an asset it no longer lists.
    add column if not exists now_playing_title  text check (char_length(now_playing_title) <= 500),
    add column if not exists now_playing_at     timestamptz;

comment on column public.devices.now_playing_at is
    'When the device last reported what it plays (null: never). Written by the device; telemetry only.';

grant update (now_playing_sha256, now_playing_title, now_playing_at) on table public.devices to authenticated;

/**
  * -------------------------------------------------------
  * Section - Playlist order
  * -------------------------------------------------------
  */

/**
 * POST /rest/v1/rpc/reorder_playlist_items
 * {"p_playlist_id": ..., "p_item_ids": [every item id of the playlist, in the new order]}
 *
 * Security invoker: the caller's own RLS decides. Someone who cannot see the
 * playlist's items gets 22023 (the list does not match), someone who can see
 * but not update them (dj, player) gets 42501. Returns the number of items.
 */
create or replace function public.reorder_playlist_items(p_playlist_id uuid, p_item_ids uuid[])
    returns integer
    language plpgsql
    security invoker
    set search_path = ''
as
$$
declare
    v_ids     uuid[] := coalesce(p_item_ids, '{}');
begin
    if cardinality(v_ids) > 10000 then
        raise exception 'A playlist reorder lists at most 10000 items' using errcode = 'PT413';
    end if;
    if (select count(distinct i) from unnest(v_ids) as u(i)) <> cardinality(v_ids)
        or array_position(v_ids, null) is not null
        or exists(select 1
                  from public.playlist_items pi
                  where pi.playlist_id = p_playlist_id
                    and not (pi.id = any (v_ids)))
        or (select count(*) from public.playlist_items pi where pi.playlist_id = p_playlist_id and pi.id = any (v_ids))
           <> cardinality(v_ids) then
        raise exception 'p_item_ids must list every item of the playlist exactly once'
            using errcode = '22023';
    end if;

    -- playlist_items_position_key is deferred, so swapped positions are checked at commit, not per row.
    update public.playlist_items pi
    set position = o.ord - 1
    from unnest(v_ids) with ordinality as o(id, ord)
    where pi.id = o.id
      and pi.playlist_id = p_playlist_id
      and pi.position <> o.ord - 1;

    -- RLS lets staff read items but only managers update them: for anyone else the update above
    -- silently skipped the rows, which are still out of order.
    if exists(select 1
              from unnest(v_ids) with ordinality as o(id, ord)
                       join public.playlist_items pi on pi.id = o.id
              where pi.position <> o.ord - 1) then
        raise exception 'Only owners and managers can reorder a playlist' using errcode = '42501';
    end if;
    return cardinality(v_ids);
end;
$$;

revoke all on function public.reorder_playlist_items(uuid, uuid[]) from public, anon;
grant execute on function public.reorder_playlist_items(uuid, uuid[]) to authenticated, service_role;
