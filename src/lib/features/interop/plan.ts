/**
 * An import planned against the library without touching it: what each matched track would gain (BPM, key,
 * grid, cues, rating…), which playlists would be created or filled, what is unmatched or skipped. The plan
 * holds the exact rows to write, so applying it is one transaction and the preview shows exactly that.
 */
import type { AnalysisRow, CueRow, EditedField, PlaylistItemRow, PlaylistRow, TrackRow } from '../../db/schema';
import { parseKey, toShort } from '../analysis/keys';
import { defaultCueColor, isColor } from '../library/colors';
import { Matcher, type MatchHow } from './match';
import type { ExchangeFormat, LibrarySnapshot, XDoc, XIssue, XPlaylist, XTrack } from './model';
import { round } from './numbers';

const SAME_TIME_SEC = 0.001;

export type ChangedField = 'bpm' | 'key' | 'grid' | 'rating' | 'color' | 'comment' | 'playCount' | 'dateAdded' | 'tags';

export interface TrackChange {
	hash: string;
	title: string;
	how: MatchHow;
	fields: ChangedField[];
	cuesAdded: number;
	cuesReplaced: number;
}

export interface PlaylistChange {
	name: string;
	kind: 'crate' | 'playlist';
	created: boolean;
	added: number;
}

export interface Unmatched {
	title: string;
	artist: string;
	location: string;
}

export interface ImportOps {
	trackPatches: { hash: string; patch: Partial<TrackRow> }[];
	/** Whole analysis rows to put (a grid for a track never analysed: analyserVersion 0, so analysis still runs). */
	analysisPuts: AnalysisRow[];
	gridUpdates: { hash: string; beatGrid: AnalysisRow['beatGrid'] }[];
	cueDeletes: number[];
	cueAdds: CueRow[];
	playlistPuts: PlaylistRow[];
	itemAdds: PlaylistItemRow[];
	/** Attributes of the other tool's tracks this app does not use, kept per hash for the next export. */
	extras: Record<string, Record<string, string>>;
}

export interface ImportPlan {
	format: ExchangeFormat;
	totalTracks: number;
	changes: TrackChange[];
	unchanged: number;
	unmatched: Unmatched[];
	playlists: PlaylistChange[];
	issues: XIssue[];
	ops: ImportOps;
}

/**
 * Seconds to add to a time on the exchanged file's timeline to land on ours, per track: cues are on the
 * player's timeline, and so are grids, except those of version 1 MP3 results (`onDecoderTimeline`; offsets.ts).
 */
export type OffsetOf = (hash: string) => { cueSec: number; gridSec: number };

export const NO_OFFSET = { cueSec: 0, gridSec: 0 };

/** A plan's operations before anything is planned. */
export const emptyOps = (): ImportOps => ({
	trackPatches: [],
	analysisPuts: [],
	gridUpdates: [],
	cueDeletes: [],
	cueAdds: [],
	playlistPuts: [],
	itemAdds: [],
	extras: {}
});

export function planImport(
	doc: XDoc,
	library: LibrarySnapshot,
	{
		offsetOf = () => NO_OFFSET,
		now = Date.now(),
		newId = () => crypto.randomUUID()
	}: {
		offsetOf?: OffsetOf;
		now?: number;
		newId?: () => string;
	} = {}
): ImportPlan {
	const ops = emptyOps();
	const plan: ImportPlan = {
		format: doc.format,
		totalTracks: doc.tracks.length,
		changes: [],
		unchanged: 0,
		unmatched: [],
		playlists: [],
		issues: [...doc.issues],
		ops
	};
	const matcher = new Matcher(library.tracks);
	const tracks = new Map(library.tracks.map((t) => [t.hash, t]));
	const analysis = new Map(library.analysis.map((a) => [a.hash, a]));
	const cuesByHash = new Map<string, CueRow[]>();
	for (const cue of library.cues) {
		const list = cuesByHash.get(cue.hash) ?? [];
		list.push(cue);
		cuesByHash.set(cue.hash, list);
	}
	const hashOfRef = new Map<string, string>();
	const seen = new Set<string>();

	for (const x of doc.tracks) {
		const found = matcher.match(x);
		if (!found) {
			plan.unmatched.push({ title: x.title, artist: x.artist, location: x.path || x.location });
			continue;
		}
		hashOfRef.set(x.ref, found.hash);
		if (seen.has(found.hash)) {
			plan.issues.push({ code: 'duplicate', where: x.title || x.location, detail: found.hash.slice(0, 12) });
			continue;
		}
		seen.add(found.hash);
		const track = tracks.get(found.hash)!;
		const change = planTrack(
			x,
			track,
			analysis.get(found.hash),
			cuesByHash.get(found.hash) ?? [],
			offsetOf(found.hash),
			ops,
			now
		);
		if (Object.keys(x.extra).length) ops.extras[found.hash] = x.extra;
		if (change.fields.length || change.cuesAdded || change.cuesReplaced)
			plan.changes.push({ ...change, hash: found.hash, title: track.title, how: found.how });
		else plan.unchanged++;
	}

	planPlaylists(doc.playlists, null, library, hashOfRef, plan, now, newId);
	return plan;
}

function planTrack(
	x: XTrack,
	track: TrackRow,
	row: AnalysisRow | undefined,
	cues: CueRow[],
	offset: { cueSec: number; gridSec: number },
	ops: ImportOps,
	now: number
): Pick<TrackChange, 'fields' | 'cuesAdded' | 'cuesReplaced'> {
	const fields: ChangedField[] = [];
	const patch: Partial<TrackRow> = {};
	const edited = new Set<EditedField>(track.edited ?? []);

	if (x.bpm !== null && (track.bpm === null || Math.abs(track.bpm - x.bpm) >= 0.005)) {
		patch.bpm = round(x.bpm, 2);
		edited.add('bpm');
		fields.push('bpm');
	}
	if (x.key) {
		const text = toShort(x.key);
		const current = parseKey(track.key);
		if (!current || toShort(current) !== text) {
			patch.key = text;
			edited.add('key');
			fields.push('key');
		}
	}
	if (x.grid && x.grid.bpm > 0) {
		const grid = {
			bpm: x.grid.bpm,
			firstDownbeatSec: round(x.grid.firstDownbeatSec + offset.gridSec, 6),
			beatsPerBar: x.grid.beatsPerBar
		};
		const old = row && !row.error ? row.beatGrid : null;
		const same =
			old &&
			Math.abs(old.bpm - grid.bpm) < 0.005 &&
			Math.abs(old.firstDownbeatSec - grid.firstDownbeatSec) < SAME_TIME_SEC &&
			old.beatsPerBar === grid.beatsPerBar;
		if (!same) {
			if (old) ops.gridUpdates.push({ hash: track.hash, beatGrid: grid });
			else ops.analysisPuts.push(stubAnalysis(track, grid, x, now));
			edited.add('grid');
			fields.push('grid');
		}
	}
	if (x.rating && x.rating !== track.rating) {
		patch.rating = Math.max(0, Math.min(5, x.rating));
		fields.push('rating');
	}
	if (isColor(x.color) && x.color !== track.color) {
		patch.color = x.color;
		fields.push('color');
	}
	if (x.comment && !track.comment) {
		patch.comment = x.comment;
		fields.push('comment');
	}
	if (x.playCount !== null && x.playCount > (track.playCount ?? 0)) {
		patch.playCount = Math.floor(x.playCount);
		fields.push('playCount');
	}
	// Formats keep the day only: an earlier day, not an earlier time of the same day, is a change.
	const DAY = 86_400_000;
	if (x.dateAdded !== null && Math.floor(x.dateAdded / DAY) < Math.floor(track.dateAdded / DAY)) {
		patch.dateAdded = x.dateAdded;
		fields.push('dateAdded');
	}
	let tags = false;
	for (const field of ['title', 'artist', 'album', 'genre', 'label'] as const) {
		if (x[field] && !track[field]) {
			patch[field] = x[field];
			tags = true;
		}
	}
	if (x.year && !track.year) {
		patch.year = x.year;
		tags = true;
	}
	if (tags) fields.push('tags');
	if (edited.size !== (track.edited ?? []).length) patch.edited = [...edited];
	if (Object.keys(patch).length) ops.trackPatches.push({ hash: track.hash, patch });

	let cuesAdded = 0;
	let cuesReplaced = 0;
	const close = (a: number, b: number) => Math.abs(a - b) < SAME_TIME_SEC;
	for (const cue of x.cues) {
		const startSec = round(cue.startSec + offset.cueSec, 6);
		const endSec = cue.endSec === null ? null : round(cue.endSec + offset.cueSec, 6);
		if (startSec < 0) continue;
		if (cue.kind === 'hot') {
			const old = cues.find((c) => c.kind === 'hot' && c.slot === cue.slot);
			if (old && close(old.startSec, startSec) && old.name === cue.name) continue;
			if (old?.id !== undefined) {
				ops.cueDeletes.push(old.id);
				cuesReplaced++;
			} else cuesAdded++;
		} else {
			const dup = cues.some(
				(c) =>
					c.kind === cue.kind &&
					close(c.startSec, startSec) &&
					(endSec === null || (c.endSec !== null && close(c.endSec, endSec)))
			);
			if (dup) continue;
			cuesAdded++;
		}
		ops.cueAdds.push({
			hash: track.hash,
			kind: cue.kind,
			slot: cue.kind === 'hot' ? cue.slot : -1,
			startSec,
			endSec,
			name: cue.name.slice(0, 64),
			color: isColor(cue.color) ? cue.color : defaultCueColor(cue.kind, cue.slot),
			createdAt: now
		});
	}
	return { fields, cuesAdded, cuesReplaced };
}

/** A grid for a track not analysed yet: version 0, so the analyser still runs (and keeps this edited grid). */
function stubAnalysis(track: TrackRow, beatGrid: AnalysisRow['beatGrid'], x: XTrack, now: number): AnalysisRow {
	return {
		hash: track.hash,
		analyserVersion: 0,
		analysedAt: now,
		error: null,
		format: '',
		durationSec: track.duration || x.durationSec || 0,
		bpm: beatGrid.bpm,
		beatGrid,
		tempoConfidence: 0,
		variableTempo: x.grid?.variable ?? false,
		key: x.key ? { ...x.key, strength: 0 } : null,
		loudness: null,
		waveform: null,
		autoCueSec: 0,
		ms: 0
	};
}

function planPlaylists(
	nodes: XPlaylist[],
	parentId: string | null,
	library: LibrarySnapshot,
	hashOfRef: Map<string, string>,
	plan: ImportPlan,
	now: number,
	newId: () => string
): void {
	const siblings = [...library.playlists, ...plan.ops.playlistPuts].filter((p) => p.parentId === parentId);
	let position = Math.max(0, ...siblings.map((s) => s.position));
	for (const node of nodes) {
		const kind = node.kind === 'folder' ? 'crate' : 'playlist';
		let row = siblings.find((p) => p.kind === kind && p.name === node.name);
		const created = !row;
		if (!row) {
			row = {
				id: newId(),
				name: node.name,
				kind,
				parentId,
				position: ++position,
				rules: null,
				createdAt: now,
				updatedAt: now
			};
			plan.ops.playlistPuts.push(row);
			siblings.push(row);
		}
		let added = 0;
		if (kind === 'playlist') {
			const items = library.items.filter((i) => i.playlistId === row.id);
			const present = new Set(items.map((i) => i.hash));
			let itemPosition = Math.max(0, ...items.map((i) => i.position));
			for (const ref of node.refs) {
				const hash = hashOfRef.get(ref);
				if (!hash || present.has(hash)) continue;
				present.add(hash);
				plan.ops.itemAdds.push({ playlistId: row.id, hash, position: ++itemPosition, addedAt: now });
				added++;
			}
		}
		if (created || added) plan.playlists.push({ name: node.name, kind, created, added });
		if (kind === 'crate') planPlaylists(node.children, row.id, library, hashOfRef, plan, now, newId);
	}
}
