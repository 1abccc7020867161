/** Shares this device takes part in (Dexie `collabShares`, v10). The entries live in each share's Y.Doc,
 * persisted by y-indexeddb in its own database (`cratemesh-collab-<id>`). */
import { db, type TrackRow } from '$lib/db';
import { addCue } from '../analysis/cues';
import { saveGrid } from '../analysis/results';
import { isColor } from '../library/colors';
import type { Member, ShareInfo } from './wire';
import { HEX_COLOR, type TrackData } from './model';

export interface CollabShareRow extends ShareInfo {
	ownerName: string;
	joinedAt: number;
	/** This device's own copy for a shared track it lacks: shared hash → local hash (matched by tags). */
	matches: Record<string, string>;
	/** The owner took this device out of the share (kept read-only until it leaves). */
	removed: boolean;
}

const table = () => db().table<CollabShareRow, string>('collabShares');

export const listShares = (): Promise<CollabShareRow[]> => table().toArray();
export const putShare = (row: CollabShareRow): Promise<string> => table().put(row);
export const deleteShare = (id: string): Promise<void> => table().delete(id);

export const docName = (id: string) => `cratemesh-collab-${id}`;

export function isMember(share: Pick<ShareInfo, 'owner' | 'members'>, peerId: string): boolean {
	return share.owner === peerId || share.members.some((member) => member.peerId === peerId);
}

export function withoutMember(members: readonly Member[], peerId: string): Member[] {
	return members.filter((member) => member.peerId !== peerId);
}

/** What a share carries of a library track: tags, the analysis' grid and BPM/key, and the cues. */
export async function trackData(
	hashes: readonly string[]
): Promise<Omit<TrackData, 'addedBy' | 'addedByName' | 'addedAt'>[]> {
	const database = db();
	const [tracks, analyses, cues] = await Promise.all([
		database.tracks.bulkGet([...hashes]),
		database.analysis.bulkGet([...hashes]),
		database.cues
			.where('hash')
			.anyOf([...hashes])
			.toArray()
	]);
	const cuesBy = new Map<string, typeof cues>();
	for (const cue of cues) cuesBy.set(cue.hash, [...(cuesBy.get(cue.hash) ?? []), cue]);
	const out: Omit<TrackData, 'addedBy' | 'addedByName' | 'addedAt'>[] = [];
	for (const [i, track] of tracks.entries()) {
		if (!track) continue;
		const analysis = analyses[i];
		const grid = analysis && !analysis.error && analysis.beatGrid?.bpm > 0 ? analysis.beatGrid : null;
		out.push({
			hash: track.hash,
			title: str(track.title, 512),
			artist: str(track.artist, 512),
			duration: num(track.duration, 0, 1e6) ?? 0,
			bpm: num(track.bpm, 0, 1000),
			key: str(track.key, 16),
			grid: grid
				? {
						bpm: Math.min(1000, Math.max(1, grid.bpm)),
						firstDownbeatSec: Math.min(1e6, Math.max(-60, grid.firstDownbeatSec)),
						beatsPerBar: Math.min(16, Math.max(1, Math.round(grid.beatsPerBar)))
					}
				: null,
			cues: (cuesBy.get(track.hash) ?? [])
				.sort((a, b) => a.startSec - b.startSec)
				.slice(0, 64)
				.map((cue) => ({
					kind: cue.kind,
					slot: cue.kind === 'hot' ? Math.min(7, Math.max(0, cue.slot)) : -1,
					startSec: Math.min(1e6, Math.max(0, cue.startSec)),
					endSec: cue.endSec === null ? null : Math.min(1e6, Math.max(0, cue.endSec)),
					name: str(cue.name, 64),
					color: isColor(cue.color) || HEX_COLOR.test(cue.color) ? cue.color : ''
				}))
		});
	}
	return out;
}

const str = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');
const num = (value: unknown, min: number, max: number) =>
	typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : null;

const norm = (value: string) =>
	value
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.replace(/\([^)]*\)|\[[^\]]*\]/g, (part) => (/mix|edit|remix|version|dub/.test(part) ? part : ''))
		.replace(/[^\p{L}\p{N}]+/gu, ' ')
		.trim();

/** Library tracks that look like the same recording: same artist and title (ignoring case, accents,
 * punctuation and "(feat. …)"-style extras, but not mix names) and a duration within 2 s. */
export function tagMatches(
	entry: Pick<TrackData, 'title' | 'artist' | 'duration'>,
	tracks: Iterable<Pick<TrackRow, 'hash' | 'title' | 'artist' | 'duration' | 'storage'>>
): string[] {
	const title = norm(entry.title);
	const artist = norm(entry.artist);
	if (!title) return [];
	const out: string[] = [];
	for (const track of tracks) {
		if (track.storage === 'none') continue;
		if (norm(String(track.title ?? '')) !== title || norm(String(track.artist ?? '')) !== artist) continue;
		if (!(entry.duration > 0 && track.duration > 0 && Math.abs(entry.duration - track.duration) <= 2)) continue;
		out.push(track.hash);
	}
	return out;
}

/**
 * Takes a shared entry's cues and beat grid into this library, for the same file (same hash: positions
 * are exact). Hot cues replace the slot's cue; memory cues and loops are added unless one of the same
 * kind already starts within 10 ms. The grid becomes the user's grid (it then wins over re-analysis);
 * it needs the track's analysis row, so a track not analysed yet keeps only the cues.
 */
export async function adoptCues(
	entry: Pick<TrackData, 'hash' | 'cues' | 'grid'>
): Promise<{ cues: number; grid: boolean }> {
	const database = db();
	if (!(await database.tracks.get(entry.hash))) return { cues: 0, grid: false };
	const existing = await database.cues.where('hash').equals(entry.hash).toArray();
	let cues = 0;
	for (const cue of entry.cues) {
		if (cue.kind !== 'hot' && existing.some((c) => c.kind === cue.kind && Math.abs(c.startSec - cue.startSec) < 0.01))
			continue;
		await addCue(entry.hash, cue.kind, cue.startSec, {
			slot: cue.slot,
			endSec: cue.endSec,
			name: cue.name,
			color: cue.color.startsWith('#') ? undefined : cue.color
		});
		cues++;
	}
	const analysed = entry.grid ? await database.analysis.get(entry.hash) : undefined;
	if (entry.grid && analysed && !analysed.error) await saveGrid(entry.hash, entry.grid);
	return { cues, grid: !!(entry.grid && analysed && !analysed.error) };
}
