/**
 * Reads the library for an import or export and writes an import plan — in the interop worker, with its own
 * Dexie connection. Analysis rows are read without their waveforms (megabytes per thousand tracks).
 */
import type { AnalysisRow, CratemeshDb, TrackRow } from '../../db/schema';
import { readAudio } from '../../storage/audio-store';
import { onDecoderTimeline } from '../analysis/version';
import { analysisLeadSec, id3Size, mp3Priming } from './offsets';
import { NO_OFFSET, type OffsetOf } from './plan';
import { cleanExtras, EXTRAS_KEY, type LibrarySnapshot } from './model';
import type { ImportOps } from './plan';

export { EXTRAS_KEY };
const BATCH = 2000;

const withoutWaveform = (row: AnalysisRow): AnalysisRow => ({ ...row, waveform: null });

/** Tracks, cues and playlists; analysis only for `analysisFor` (or all when omitted). */
export async function readSnapshot(db: CratemeshDb, analysisFor?: readonly string[]): Promise<LibrarySnapshot> {
	const [tracks, cues, playlists, items] = await Promise.all([
		db.tracks.toArray(),
		db.cues.toArray(),
		db.playlists.toArray(),
		db.playlistItems.toArray()
	]);
	const analysis: AnalysisRow[] = [];
	if (analysisFor) {
		for (let i = 0; i < analysisFor.length; i += BATCH)
			for (const row of await db.analysis.bulkGet(analysisFor.slice(i, i + BATCH)))
				if (row) analysis.push(withoutWaveform(row));
	} else {
		let after = '';
		for (;;) {
			const rows = await db.analysis.where('hash').above(after).limit(BATCH).toArray();
			analysis.push(...rows.map(withoutWaveform));
			if (rows.length < BATCH) break;
			after = rows[rows.length - 1]!.hash;
		}
	}
	return { tracks, analysis, cues, playlists, items };
}

export async function readExtras(db: CratemeshDb): Promise<Record<string, Record<string, string>>> {
	return cleanExtras((await db.settings.get(EXTRAS_KEY))?.value);
}

/** Writes a plan in one transaction: all of it lands, or (on any error) none of it. */
export async function applyOps(db: CratemeshDb, ops: ImportOps): Promise<string[]> {
	const changed = new Set<string>();
	await db.transaction(
		'rw',
		[db.tracks, db.analysis, db.cues, db.playlists, db.playlistItems, db.settings],
		async () => {
			for (const { hash, patch } of ops.trackPatches) if (await db.tracks.update(hash, patch)) changed.add(hash);
			for (const { hash, beatGrid } of ops.gridUpdates) {
				await db.analysis.update(hash, { beatGrid });
				changed.add(hash);
			}
			const present = new Set(
				(await db.tracks.bulkGet(ops.analysisPuts.map((a) => a.hash))).flatMap((t) => (t ? [t.hash] : []))
			);
			const puts = ops.analysisPuts.filter((a) => present.has(a.hash));
			// Never replace an analysis that appeared since the preview: only fill the gaps.
			const existing = new Set(
				(await db.analysis.bulkGet(puts.map((a) => a.hash))).flatMap((a) => (a ? [a.hash] : []))
			);
			await db.analysis.bulkPut(puts.filter((a) => !existing.has(a.hash)));
			for (const row of puts)
				if (existing.has(row.hash)) await db.analysis.update(row.hash, { beatGrid: row.beatGrid });
			await db.cues.bulkDelete(ops.cueDeletes);
			await db.cues.bulkAdd(ops.cueAdds);
			for (const cue of ops.cueAdds) changed.add(cue.hash);
			await db.playlists.bulkPut(ops.playlistPuts);
			await db.playlistItems.bulkAdd(ops.itemAdds);
			if (Object.keys(ops.extras).length) {
				const extras = { ...cleanExtras((await db.settings.get(EXTRAS_KEY))?.value), ...ops.extras };
				await db.settings.put({ key: EXTRAS_KEY, value: extras });
			}
		}
	);
	return [...changed];
}

const isMp3 = (track: TrackRow) => track.mime === 'audio/mpeg' || /\.mp3$/i.test(track.fileName);

/**
 * Per-track timeline offsets (offsets.ts) for the MP3s among `tracks` whose bytes are here and whose grid
 * is on the analyser's old timeline (a version 1 result, `onDecoderTimeline`; every other grid is on the
 * playback timeline, as exchange files are): two small reads each (the ID3v2 size, then 4 KiB at the first
 * frame), never the whole file.
 */
export async function timelineOffsets(
	tracks: readonly TrackRow[],
	analysis: readonly AnalysisRow[]
): Promise<OffsetOf> {
	const lead = new Map<string, number>();
	const old = new Set(analysis.filter(onDecoderTimeline).map((row) => row.hash));
	for (const track of tracks) {
		if (!old.has(track.hash) || !isMp3(track) || track.storage === 'none') continue;
		const blob = await readAudio(track.hash);
		if (!blob) continue;
		const head = new Uint8Array(await blob.slice(0, 10).arrayBuffer());
		const skip = id3Size(head);
		const frame = new Uint8Array(await blob.slice(skip, skip + 4096).arrayBuffer());
		const sec = analysisLeadSec(mp3Priming(frame));
		if (sec) lead.set(track.hash, sec);
	}
	return (hash) => (lead.has(hash) ? { cueSec: 0, gridSec: lead.get(hash)! } : NO_OFFSET);
}
