import { db, type TrackRow } from '$lib/db';
import { deleteAudio } from '$lib/storage/audio-store';
import { COLORS, isColor } from './colors';
import { cleanNumber, cleanText } from './tags';
import { library } from './library.svelte';

/** Fields a user may edit, singly or on many tracks at once. */
export interface TagPatch {
	title?: string;
	artist?: string;
	album?: string;
	albumArtist?: string;
	genre?: string;
	year?: number | null;
	comment?: string;
	label?: string;
	bpm?: number | null;
	key?: string;
	rating?: number;
	color?: string | null;
	freeTags?: string[];
}

export { COLORS };

/** User input is as untrusted as file tags: the same cleaning applies. */
export function cleanPatch(patch: TagPatch): Partial<TrackRow> {
	const out: Partial<TrackRow> = {};
	for (const field of ['title', 'artist', 'album', 'albumArtist', 'genre', 'comment', 'label'] as const) {
		if (patch[field] !== undefined) out[field] = cleanText(patch[field]);
	}
	if (patch.key !== undefined) out.key = cleanText(patch.key, 16);
	if (patch.year !== undefined) out.year = patch.year === null ? null : cleanNumber(patch.year, 1000, 3000);
	if (patch.bpm !== undefined) out.bpm = patch.bpm === null ? null : cleanNumber(patch.bpm, 20, 400);
	if (patch.rating !== undefined) out.rating = Math.round(cleanNumber(patch.rating, 0, 5) ?? 0);
	if (patch.color !== undefined) out.color = isColor(patch.color) ? patch.color : null;
	if (patch.freeTags !== undefined) {
		out.freeTags = [...new Set(patch.freeTags.map((tag) => cleanText(tag, 64)).filter(Boolean))].slice(0, 50);
	}
	return out;
}

export async function editTracks(hashes: readonly string[], patch: TagPatch): Promise<void> {
	const changes = cleanPatch(patch);
	if (Object.keys(changes).length === 0 || hashes.length === 0) return;
	// An empty title would make a row unfindable; keep the old one instead.
	if (changes.title === '') delete changes.title;
	await db().transaction('rw', db().tracks, async () => {
		for (const hash of hashes) await db().tracks.update(hash, changes);
	});
	await library.changed(hashes);
}

const UNDO_MS = 10_000;

interface PendingDelete {
	rows: TrackRow[];
	timer: ReturnType<typeof setTimeout>;
}

/**
 * Deleting removes tracks from the library at once but keeps their bytes for a while so Undo can put
 * them back exactly; then the bytes go. Bytes orphaned by a closed tab are collected at the next start.
 */
class Deletions {
	#pending = $state.raw<PendingDelete | null>(null);

	get pendingCount(): number {
		return this.#pending?.rows.length ?? 0;
	}

	async delete(hashes: readonly string[]): Promise<void> {
		await this.#flush();
		const rows = (await db().tracks.bulkGet([...hashes])).filter((row): row is TrackRow => Boolean(row));
		if (rows.length === 0) return;
		await db().tracks.bulkDelete(rows.map((row) => row.hash));
		this.#pending = { rows, timer: setTimeout(() => void this.#flush(), UNDO_MS) };
		await library.changed(rows.map((row) => row.hash));
	}

	async undo(): Promise<void> {
		const pending = this.#pending;
		if (!pending) return;
		clearTimeout(pending.timer);
		this.#pending = null;
		await db().tracks.bulkPut(pending.rows);
		await library.changed(pending.rows.map((row) => row.hash));
	}

	async #flush(): Promise<void> {
		const pending = this.#pending;
		if (!pending) return;
		clearTimeout(pending.timer);
		this.#pending = null;
		for (const row of pending.rows) {
			// Re-imported meanwhile? Then the bytes are in use again.
			if (await db().tracks.get(row.hash)) continue;
			await deleteAudio(row.hash);
		}
		await collectArtwork();
	}
}

export const deletions = new Deletions();

/** Drops thumbnails no track points at. */
export async function collectArtwork(): Promise<number> {
	const used = new Set<string>();
	await db().tracks.each((track) => track.artwork && used.add(track.artwork));
	const unused = (await db().artwork.toCollection().primaryKeys()).filter((hash) => !used.has(hash));
	await db().artwork.bulkDelete(unused);
	return unused.length;
}
