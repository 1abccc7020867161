import { db, type AnalysisErrorCode, type AnalysisRow, type EditedField, type TrackRow } from '$lib/db';
import {
	formatKey,
	parseKey,
	toCamelot,
	toOpenKey,
	toShort,
	tonicName,
	type KeyNotation,
	type MusicalKey
} from './keys';
import type { AnalysisResult } from './analysis-client';
import { onDecoderTimeline } from './version';

/** The track fields analysis may write. */
export type TrackAnalysisFields = Pick<TrackRow, 'bpm' | 'key' | 'duration' | 'loudness'>;

const ERROR_CODES: readonly AnalysisErrorCode[] = [
	'empty',
	'not-audio',
	'corrupt',
	'truncated',
	'internal',
	'out-of-memory',
	'missing'
];

export function errorCode(code: string): AnalysisErrorCode {
	return (ERROR_CODES as readonly string[]).includes(code) ? (code as AnalysisErrorCode) : 'other';
}

/** BPM as stored and shown: two decimals at most. */
export const roundBpm = (bpm: number) => Math.round(bpm * 100) / 100;

/** A worker result as stored (bytes stay bytes). */
export function toAnalysisRow(hash: string, result: AnalysisResult, now = Date.now()): AnalysisRow {
	return {
		hash,
		analyserVersion: result.analyserVersion,
		analysedAt: now,
		error: null,
		format: result.format,
		durationSec: result.durationSec,
		bpm: roundBpm(result.bpm),
		beatGrid: {
			bpm: result.beatGrid.bpm,
			firstDownbeatSec: result.beatGrid.firstDownbeatSec,
			beatsPerBar: result.beatGrid.beatsPerBar
		},
		tempoConfidence: result.tempoConfidence,
		variableTempo: result.variableTempo,
		key: result.key ? { tonic: result.key.tonic, scale: result.key.scale, strength: result.key.strength } : null,
		loudness: { ...result.loudness },
		waveform: {
			overview: result.waveform.overview,
			detail: result.waveform.detail,
			pointsPerSecond: result.waveform.pointsPerSecond,
			overviewPointsPerSecond: result.waveform.overviewPointsPerSecond
		},
		autoCueSec: result.autoCueSec,
		ms: result.timings.totalMs,
		damage: result.damage ? { ...result.damage, places: [...result.damage.places] } : null
	};
}

export function failedRow(hash: string, version: number, code: string, message: string, now = Date.now()): AnalysisRow {
	return {
		hash,
		analyserVersion: version,
		analysedAt: now,
		error: { code: errorCode(code), message: message.slice(0, 500) },
		format: '',
		durationSec: 0,
		bpm: 0,
		beatGrid: { bpm: 0, firstDownbeatSec: 0, beatsPerBar: 4 },
		tempoConfidence: 0,
		variableTempo: false,
		key: null,
		loudness: null,
		waveform: null,
		autoCueSec: 0,
		ms: 0
	};
}

/** 'Am', 'F#', 'Bbm': the short standard spelling the library stores and its Camelot filter reads. */
export const keyText = (key: MusicalKey | null) => (key ? toShort(key) : '');

/**
 * What the library shows for a track after analysis. Precedence: the user's edit, then (unless the user
 * prefers analysis) a BPM/key from the file's tags, then the analysis; a track without any keeps nothing.
 * Duration and loudness always come from the analysis (decoding measures them exactly).
 */
export function trackPatch(
	track: Pick<TrackRow, 'bpm' | 'key' | 'tagBpm' | 'tagKey' | 'edited' | 'duration'>,
	row: AnalysisRow,
	{ replaceTags }: { replaceTags: boolean }
): Partial<TrackAnalysisFields> {
	const edited = new Set<EditedField>(track.edited ?? []);
	const patch: Partial<TrackAnalysisFields> = {};
	if (row.error) return patch;
	if (row.durationSec > 0) patch.duration = Math.round(row.durationSec * 1000) / 1000;
	if (row.loudness) patch.loudness = Math.round(row.loudness.integratedLufs * 10) / 10;
	if (!edited.has('bpm')) {
		const analysed = row.beatGrid.bpm > 0 ? roundBpm(row.beatGrid.bpm) : null;
		const tagged = track.tagBpm ?? null;
		patch.bpm = tagged !== null && (!replaceTags || analysed === null) ? tagged : analysed;
	}
	if (!edited.has('key')) {
		const analysed = keyText(row.key);
		const tagged = track.tagKey ?? '';
		patch.key = tagged && (!replaceTags || !analysed) ? tagged : analysed;
	}
	for (const field of Object.keys(patch) as (keyof TrackAnalysisFields)[])
		if (patch[field] === track[field as keyof typeof track]) delete patch[field];
	return patch;
}

/** The key column in the user's notation; text that is no key is shown as it is. */
export function displayKey(text: string, notation: KeyNotation): string {
	if (!text) return '';
	const key = parseKey(text);
	if (!key) return text;
	if (notation === 'camelot') return toCamelot(key);
	if (notation === 'openkey') return toOpenKey(key);
	return toShort(key);
}

/** Long form for the detail view: 'A minor · 8A · 1m'. */
export function describeKey(
	key: MusicalKey,
	notation: KeyNotation,
	scaleWord: (scale: MusicalKey['scale']) => string = (scale) => scale
): string {
	const order: KeyNotation[] = [
		notation,
		...(['standard', 'camelot', 'openkey'] as const).filter((n) => n !== notation)
	];
	// The standard name in the reader's language ('A minor', 'A menor'); Camelot and Open Key are codes.
	const name = (n: KeyNotation) => (n === 'standard' ? `${tonicName(key)} ${scaleWord(key.scale)}` : formatKey(key, n));
	return order.map(name).join(' · ');
}

/**
 * Stores a result and updates the track (respecting edits); returns true when the track row changed.
 * `leadSec`: how much later the file's version 1 results were (an MP3's priming, `AnalysisResult.leadSec`).
 */
export async function saveResult(hash: string, row: AnalysisRow, replaceTags: boolean, leadSec = 0): Promise<boolean> {
	const database = db();
	return database.transaction('rw', database.tracks, database.analysis, async () => {
		const track = await database.tracks.get(hash);
		if (!track) return false;
		const old = await database.analysis.get(hash);
		// A grid the user corrected survives re-analysis, moved onto the new timeline when the old result was
		// on the old MP3 one (a grid is kept where it sat against its own result's waveform).
		const kept =
			track.edited?.includes('grid') && old && !old.error
				? onDecoderTimeline(old) && !onDecoderTimeline(row)
					? { ...old.beatGrid, firstDownbeatSec: Math.round((old.beatGrid.firstDownbeatSec - leadSec) * 1e6) / 1e6 }
					: old.beatGrid
				: null;
		const stored = kept ? { ...row, beatGrid: kept } : row;
		await database.analysis.put(stored);
		const patch = trackPatch(track, stored, { replaceTags });
		if (Object.keys(patch).length === 0) return false;
		await database.tracks.update(hash, patch);
		return true;
	});
}

/** Marks fields as set by the user, so analysis never overwrites them. Call before writing the value. */
export async function markEdited(hashes: readonly string[], fields: readonly EditedField[]): Promise<void> {
	if (!hashes.length || !fields.length) return;
	const database = db();
	await database.transaction('rw', database.tracks, async () => {
		for (const track of await database.tracks.bulkGet([...hashes])) {
			if (!track) continue;
			const edited = [...new Set([...(track.edited ?? []), ...fields])];
			await database.tracks.update(track.hash, { edited });
		}
	});
}

/** Forgets the user's edits of these fields and shows the analysis (or tag) values again. */
export async function revertEdits(hash: string, fields: readonly EditedField[], replaceTags: boolean): Promise<void> {
	const database = db();
	await database.transaction('rw', database.tracks, database.analysis, async () => {
		const track = await database.tracks.get(hash);
		if (!track) return;
		const edited = (track.edited ?? []).filter((field) => !fields.includes(field));
		await database.tracks.update(hash, { edited });
		const row = await database.analysis.get(hash);
		if (row) await database.tracks.update(hash, trackPatch({ ...track, edited }, row, { replaceTags }));
	});
}

/**
 * Re-applies stored analyses to every track (after the tags-vs-analysis preference changes), in slices so
 * the UI thread never blocks long. Returns the hashes whose rows changed.
 */
export async function reapplyAll(replaceTags: boolean): Promise<string[]> {
	const database = db();
	const hashes = await database.analysis.toCollection().primaryKeys();
	const changed: string[] = [];
	for (let i = 0; i < hashes.length; i += 200) {
		const slice = hashes.slice(i, i + 200);
		await database.transaction('rw', database.tracks, database.analysis, async () => {
			const [tracks, rows] = await Promise.all([database.tracks.bulkGet(slice), database.analysis.bulkGet(slice)]);
			for (let j = 0; j < slice.length; j++) {
				const track = tracks[j];
				const row = rows[j];
				if (!track || !row) continue;
				const patch = trackPatch(track, row, { replaceTags });
				if (Object.keys(patch).length === 0) continue;
				await database.tracks.update(track.hash, patch);
				changed.push(track.hash);
			}
		});
		await new Promise((resolve) => setTimeout(resolve, 0));
	}
	return changed;
}

/** Stores the user's beat grid (halve/double, tap tempo, nudge, downbeat): it and its BPM now win. */
export async function saveGrid(hash: string, grid: AnalysisRow['beatGrid']): Promise<void> {
	const database = db();
	await database.transaction('rw', database.tracks, database.analysis, async () => {
		const track = await database.tracks.get(hash);
		if (!track) return;
		const edited = [...new Set<EditedField>([...(track.edited ?? []), 'grid', 'bpm'])];
		await database.analysis.update(hash, { beatGrid: grid });
		await database.tracks.update(hash, { edited, bpm: roundBpm(grid.bpm) });
	});
}
