import { db } from '$lib/db';
import { isValidTimeZone, type Daypart, type Schedule, type ScheduleAsset } from './select';

/**
 * Where Player mode's schedule comes from until issue 7 syncs one from the server.
 *
 * - `scheduler.schedule` (settings row, a full `Schedule`): written by sync (issue 7) or by tests; when
 *   present it wins, as-is.
 * - `scheduler.config` (settings row, `LocalScheduleConfig`): the schedule edited on this device, built
 *   from local playlists each time it is loaded. Local tracks have no licence window, so they are valid
 *   forever unless `validity` says otherwise; tracks of the emergency playlist are emergency-eligible.
 */
export const SCHEDULE_KEY = 'scheduler.schedule';
export const CONFIG_KEY = 'scheduler.config';

export interface LocalScheduleConfig {
	timeZone: string;
	dayparts: Daypart[];
	emergencyPlaylistId: string | null;
	/** Per-track overrides (epoch ms). */
	validity?: Record<string, { validFrom?: number; validUntil?: number; emergencyEligible?: boolean }>;
}

export const FOREVER = 8.64e15; // the largest Date

export function defaultTimeZone(): string {
	try {
		return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
	} catch {
		return 'UTC';
	}
}

export function emptyConfig(): LocalScheduleConfig {
	return { timeZone: defaultTimeZone(), dayparts: [], emergencyPlaylistId: null };
}

export async function loadConfig(): Promise<LocalScheduleConfig> {
	const row = await db().settings.get(CONFIG_KEY);
	const value = row?.value as Partial<LocalScheduleConfig> | undefined;
	return { ...emptyConfig(), ...value };
}

export async function saveConfig(config: LocalScheduleConfig): Promise<void> {
	await db().settings.put({ key: CONFIG_KEY, value: JSON.parse(JSON.stringify(config)) as LocalScheduleConfig });
}

/** Playlists (not crates or smart playlists) the editor offers. */
export async function localPlaylists(): Promise<{ id: string; name: string }[]> {
	const rows = await db().playlists.toArray();
	return rows
		.filter((p) => p.kind === 'playlist')
		.sort((a, b) => a.name.localeCompare(b.name))
		.map((p) => ({ id: p.id, name: p.name }));
}

async function playlistHashes(id: string): Promise<string[]> {
	const items = await db()
		.playlistItems.where('[playlistId+position]')
		.between([id, -Infinity], [id, Infinity])
		.toArray();
	return items.map((item) => item.hash);
}

/** The schedule Player mode runs: a synced one if present, else one built from the local config. */
export async function loadSchedule(): Promise<Schedule> {
	const synced = await db().settings.get(SCHEDULE_KEY);
	if (synced?.value) return synced.value as Schedule;
	const config = await loadConfig();
	const ids = new Set(config.dayparts.map((d) => d.playlistId));
	if (config.emergencyPlaylistId) ids.add(config.emergencyPlaylistId);
	const rows = await db().playlists.bulkGet([...ids]);
	const playlists = await Promise.all(
		[...ids].map(async (id, i) => ({ id, name: rows[i]?.name ?? id, hashes: await playlistHashes(id) }))
	);
	const emergency = new Set(playlists.find((p) => p.id === config.emergencyPlaylistId)?.hashes ?? []);
	const hashes = [...new Set(playlists.flatMap((p) => p.hashes))];
	const tracks = await db().tracks.bulkGet(hashes);
	const assets: ScheduleAsset[] = hashes.map((hash, i) => {
		const over = config.validity?.[hash] ?? {};
		return {
			hash,
			title: tracks[i]?.title,
			artist: tracks[i]?.artist,
			validFrom: over.validFrom ?? 0,
			validUntil: over.validUntil ?? FOREVER,
			emergencyEligible: over.emergencyEligible ?? emergency.has(hash)
		};
	});
	const timeZone = isValidTimeZone(config.timeZone) ? config.timeZone : 'UTC';
	return {
		timeZone,
		dayparts: config.dayparts.map((d) => ({ ...d, timeZone: d.timeZone || timeZone })),
		playlists,
		assets,
		syncedAt: null,
		newestServerTime: null
	};
}
