import { db, type CueKind, type CueRow } from '$lib/db';
import { defaultCueColor, isColor } from '../library/colors';
import { snapToBeat, type BeatGrid } from './tempo';

/** Hot cue slots A–H. */
export const HOT_CUE_SLOTS = 8;
export const slotLetter = (slot: number) => 'ABCDEFGH'[slot] ?? '?';

export const CUE_COLORS: Record<string, string> = {
	red: '#ef4444',
	orange: '#f97316',
	yellow: '#eab308',
	green: '#22c55e',
	blue: '#3b82f6',
	purple: '#a855f7',
	pink: '#ec4899'
};
export const CUE_COLOR_NAMES = Object.keys(CUE_COLORS);

/** The hex of a palette colour; undefined for any other name (a stored or shared one may be anything). */
export const cueColorHex = (color: string): string | undefined =>
	Object.hasOwn(CUE_COLORS, color) ? CUE_COLORS[color] : undefined;

export function cueLabel(cue: Pick<CueRow, 'kind' | 'slot' | 'name'>): string {
	const name = cue.name.trim();
	if (cue.kind === 'hot') return name ? `${slotLetter(cue.slot)} ${name}` : slotLetter(cue.slot);
	return name || (cue.kind === 'loop' ? '⟲' : '◆');
}

/** Where a new cue lands: on the nearest beat when there is a grid (and snapping is on). */
export function placeCue(time: number, grid: BeatGrid | null, snap: boolean, duration: number): number {
	const t = snap && grid && grid.bpm > 0 ? snapToBeat(grid, time) : time;
	return Math.round(Math.max(0, Math.min(duration, t)) * 1000) / 1000;
}

/** A loop of `beats` beats from `start` (4 bars of 4/4 by default… kept inside the track). */
export function loopEnd(start: number, grid: BeatGrid | null, beats: number, duration: number): number {
	const period = grid && grid.bpm > 0 ? 60 / grid.bpm : 0.5;
	return Math.round(Math.min(duration, start + beats * period) * 1000) / 1000;
}

/** Sorted for display: hot cues by slot, then memory cues and loops by time. */
export function sortCues(cues: readonly CueRow[]): CueRow[] {
	const rank = (kind: CueKind) => (kind === 'hot' ? 0 : 1);
	return [...cues].sort(
		(a, b) => rank(a.kind) - rank(b.kind) || (a.kind === 'hot' ? a.slot - b.slot : a.startSec - b.startSec)
	);
}

export function cuesOf(hash: string): Promise<CueRow[]> {
	return db().cues.where('hash').equals(hash).toArray();
}

/** Sets a hot cue (replacing the slot's old one), or adds a memory cue or loop. */
export async function addCue(
	hash: string,
	kind: CueKind,
	startSec: number,
	{
		slot = -1,
		endSec = null,
		name = '',
		color
	}: { slot?: number; endSec?: number | null; name?: string; color?: string } = {}
): Promise<void> {
	const database = db();
	await database.transaction('rw', database.cues, async () => {
		if (kind === 'hot')
			await database.cues
				.where('hash')
				.equals(hash)
				.filter((cue) => cue.kind === 'hot' && cue.slot === slot)
				.delete();
		await database.cues.add({
			hash,
			kind,
			slot: kind === 'hot' ? slot : -1,
			startSec,
			endSec: kind === 'loop' ? endSec : null,
			name: name.slice(0, 64),
			color: isColor(color) ? color : defaultCueColor(kind, slot),
			createdAt: Date.now()
		});
	});
}

export async function updateCue(id: number, patch: Partial<Pick<CueRow, 'name' | 'color' | 'startSec' | 'endSec'>>) {
	const clean = { ...patch };
	if (clean.name !== undefined) clean.name = clean.name.slice(0, 64);
	if (clean.color !== undefined && !isColor(clean.color)) delete clean.color;
	await db().cues.update(id, clean);
}

export async function deleteCue(id: number): Promise<void> {
	await db().cues.delete(id);
}
