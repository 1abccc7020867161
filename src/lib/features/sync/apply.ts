/**
 * Applying a manifest answer to what the device knows, as pure functions (the engine does the I/O):
 * which rows change, which files to fetch, which to delete and when that is safe, and the `Schedule`
 * the store player runs (field mapping manifest → `scheduler/select.ts`).
 */
import type { Daypart, IsoDay, Schedule, ScheduleAsset } from '$lib/features/scheduler/select';
import type { Manifest, ManifestAsset, ManifestEntry, ManifestPlaylist } from './manifest';
import type { Priority } from './queue';

export type AssetState = 'pending' | 'ready' | 'retired';

export interface FailureInfo {
	/** 'not-found' | 'forbidden' | 'corrupt' | 'http' | 'network' | 'disk-full' | … */
	code: string;
	message: string;
	at: number;
}

/** One manifest asset on this device (Dexie `syncAssets`, v7). */
export interface SyncAssetRow {
	hash: string;
	id: string;
	title: string;
	artist: string;
	durationMs: number | null;
	bpm: number | null;
	key: string;
	mime: string;
	validFrom: number;
	validUntil: number;
	emergencyEligible: boolean;
	version: number;
	size: number;
	urlPath: string | null;
	priority: Priority;
	/** pending: to download; ready: bytes held and verified; retired: dropped by the server but still playing. */
	state: AssetState;
	attempts: number;
	/** Epoch ms before which a failed download is not tried again. */
	nextAttemptAt: number;
	failure: FailureInfo | null;
	updatedAt: number;
}

/** The device's copy of the manifest (settings row `sync.manifest`). */
export interface ManifestState {
	hash: string | null;
	nextChangeAt: number | null;
	assetCount: number;
	downloadsRemaining: number;
	entries: ManifestEntry[];
	/** Playlists by id; the server sends only changed ones. */
	playlists: Record<string, { name: string; items: string[] }>;
}

export const EMPTY_STATE: ManifestState = {
	hash: null,
	nextChangeAt: null,
	assetCount: 0,
	downloadsRemaining: 0,
	entries: [],
	playlists: {}
};

function metadata(asset: ManifestAsset) {
	return {
		id: asset.id,
		title: asset.title ?? '',
		artist: asset.artist ?? '',
		durationMs: asset.duration_ms ?? null,
		bpm: asset.bpm ?? null,
		key: asset.key ?? '',
		mime: asset.mime ?? '',
		validFrom: Date.parse(asset.valid_from),
		validUntil: Date.parse(asset.valid_until),
		emergencyEligible: asset.emergency_eligible,
		version: asset.version
	};
}

/**
 * A compact delta (`sync_poll`) refers to a playlist copy this device does not have (its local state was
 * lost or is out of step): the engine forgets its manifest hash and asks again from scratch.
 */
export class ManifestGapError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ManifestGapError';
	}
}

/** A changed playlist's items: the whole list, or the device's copy patched at the positions sent. */
export function playlistItems(playlist: ManifestPlaylist, known: readonly string[] | undefined): string[] {
	if ('items' in playlist) return playlist.items;
	if (!known) throw new ManifestGapError(`Playlist ${playlist.id} came as a patch of a copy this device lacks`);
	const items = known.slice(0, playlist.count);
	for (const [position, hash] of playlist.set) items[position] = hash;
	for (let i = 0; i < playlist.count; i++)
		if (items[i] === undefined) throw new ManifestGapError(`Playlist ${playlist.id} has a gap at ${i} after its patch`);
	return items;
}

export interface AppliedManifest {
	state: ManifestState;
	/** Rows to write (new, changed metadata or priority). */
	put: SyncAssetRow[];
	/** Rows to remove (pending files the manifest no longer lists). */
	drop: string[];
	/** Held files the server says to delete (subject to `planDeletes`). */
	deletes: string[];
}

/** Applies a manifest answer to the local state and rows (keyed by hash). */
export function applyManifest(
	state: ManifestState,
	rows: ReadonlyMap<string, SyncAssetRow>,
	manifest: Manifest,
	now: number
): AppliedManifest {
	const nextChangeAt = manifest.next_change_at ? Date.parse(manifest.next_change_at) : null;
	if (manifest.unchanged)
		return { state: { ...state, hash: manifest.hash, nextChangeAt }, put: [], drop: [], deletes: [] };

	const put = new Map<string, SyncAssetRow>();
	const listed = new Set<string>();
	for (const download of manifest.downloads) {
		listed.add(download.hash);
		const known = rows.get(download.hash);
		put.set(download.hash, {
			attempts: 0,
			nextAttemptAt: 0,
			failure: null,
			...known,
			...metadata(download.asset),
			hash: download.hash,
			size: download.size,
			urlPath: download.url_path ?? null,
			priority: download.priority as Priority,
			// Listed as a download: the server does not know we hold it, so it is fetched (or found in the store).
			state: known?.state === 'ready' ? 'ready' : 'pending',
			updatedAt: now
		});
	}
	for (const update of manifest.updates) {
		const known = put.get(update.hash) ?? rows.get(update.hash);
		if (!known) continue;
		put.set(update.hash, {
			...known,
			...metadata(update.asset),
			state: known.state === 'retired' ? 'ready' : known.state,
			updatedAt: now
		});
	}
	// A retired file (deleted by the server while it played) that is not deleted again is back in the manifest.
	const deleted = new Set(manifest.deletes);
	for (const row of rows.values())
		if (row.state === 'retired' && !deleted.has(row.hash) && !put.has(row.hash))
			put.set(row.hash, { ...row, state: 'ready', updatedAt: now });
	const drop: string[] = [];
	if (manifest.downloads_remaining === 0) {
		for (const row of rows.values()) if (row.state === 'pending' && !listed.has(row.hash)) drop.push(row.hash);
	}

	// Ids come from the server: no prototype, so `__proto__` or `constructor` is a playlist like any other.
	const playlists: ManifestState['playlists'] = Object.assign(Object.create(null), state.playlists);
	for (const playlist of manifest.schedule.playlists)
		playlists[playlist.id] = {
			name: playlist.name,
			items: playlistItems(
				playlist,
				Object.hasOwn(state.playlists, playlist.id) ? state.playlists[playlist.id]!.items : undefined
			)
		};
	// Entries left out (sync_poll) are the ones the device already has.
	const entries = manifest.schedule.entries ?? state.entries;
	const used = new Set(entries.map((e) => e.playlist_id));
	for (const id of Object.keys(playlists)) if (!used.has(id)) delete playlists[id];

	return {
		state: {
			hash: manifest.hash,
			nextChangeAt,
			assetCount: manifest.asset_count,
			downloadsRemaining: manifest.downloads_remaining,
			entries,
			playlists
		},
		put: [...put.values()],
		drop,
		deletes: manifest.deletes
	};
}

export interface DeleteContext {
	/** Hashes the manifest still wants (a delete never removes these). */
	wanted: ReadonlySet<string>;
	/** The playing track and the queued ones. */
	playing: ReadonlySet<string>;
	/** Tracks of the user's own library: the row goes, the bytes stay. */
	library: ReadonlySet<string>;
}

export interface DeletePlan {
	/** Delete the bytes and the row. */
	remove: string[];
	/** Drop the row, keep the bytes (they belong to the library). */
	release: string[];
	/** Still playing or queued: keep as `retired`; the server lists it again at the next sync. */
	defer: string[];
}

/** Deletes are applied only when the file is no longer scheduled, not playing, and not the user's own. */
export function planDeletes(hashes: Iterable<string>, context: DeleteContext): DeletePlan {
	const plan: DeletePlan = { remove: [], release: [], defer: [] };
	for (const hash of new Set(hashes)) {
		if (context.wanted.has(hash)) continue;
		if (context.playing.has(hash)) plan.defer.push(hash);
		else if (context.library.has(hash)) plan.release.push(hash);
		else plan.remove.push(hash);
	}
	return plan;
}

/** What the device tells the server it holds: verified files, plus retired ones not yet deleted. */
export function heldHashes(rows: Iterable<SyncAssetRow>, present: (hash: string) => boolean): string[] {
	const held = new Set<string>();
	for (const row of rows) if (row.state !== 'pending' && present(row.hash)) held.add(row.hash);
	return [...held].sort();
}

function toDaypart(entry: ManifestEntry): Daypart {
	return {
		id: entry.id,
		name: entry.name,
		playlistId: entry.playlist_id,
		days: entry.days.filter((d): d is IsoDay => d >= 1 && d <= 7),
		start: entry.start,
		end: entry.end,
		timeZone: entry.time_zone,
		priority: entry.priority
	};
}

/** The schedule the store player runs, from the device's manifest copy and asset rows. */
export function toSchedule(
	state: ManifestState,
	rows: Iterable<SyncAssetRow>,
	syncedAt: number,
	newestServerTime: number | null,
	fallbackZone = 'UTC'
): Schedule {
	const assets: ScheduleAsset[] = [];
	for (const row of rows) {
		if (row.state === 'retired') continue;
		assets.push({
			hash: row.hash,
			title: row.title || undefined,
			artist: row.artist || undefined,
			validFrom: row.validFrom,
			validUntil: row.validUntil,
			emergencyEligible: row.emergencyEligible
		});
	}
	const dayparts = state.entries.map(toDaypart);
	const playlists = Object.entries(state.playlists).map(([id, p]) => ({ id, name: p.name, hashes: p.items }));
	return {
		timeZone: dayparts[0]?.timeZone ?? fallbackZone,
		dayparts,
		playlists,
		assets,
		syncedAt,
		newestServerTime
	};
}

/** A failure code from an HTTP status: 404/403 are reported and retried at a later sync. */
export function failureCode(status: number): string {
	if (status === 404 || status === 410) return 'not-found';
	if (status === 401 || status === 403) return 'forbidden';
	return 'http';
}
