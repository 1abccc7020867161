/**
 * The library as an exchange document: every track with its tags, BPM, key, grid and cues, and the crates
 * and playlists as folders and playlists. Smart playlists have no equivalent in the formats and are listed
 * as skipped. Times are moved onto the exchanged file's timeline (offsets.ts).
 */
import { parseKey } from '../analysis/keys';
import { emptyTrack, type LibrarySnapshot, type XDoc, type XIssue, type XPlaylist, type XTrack } from './model';
import { joinBase } from './paths';
import { NO_OFFSET, type OffsetOf } from './plan';

export interface ExportOptions {
	/** The music folder on the target computer ('C:\\Music', '/Users/me/Music'); '' keeps library-relative paths. */
	base?: string;
	offsetOf?: OffsetOf;
	extras?: Record<string, Record<string, string>>;
}

export function exportDoc(
	library: LibrarySnapshot,
	{ base = '', offsetOf = () => NO_OFFSET, extras = {} }: ExportOptions = {}
): XDoc {
	const issues: XIssue[] = [];
	const analysis = new Map(library.analysis.map((a) => [a.hash, a]));
	const cues = new Map<string, LibrarySnapshot['cues']>();
	for (const cue of library.cues) {
		const list = cues.get(cue.hash) ?? [];
		list.push(cue);
		cues.set(cue.hash, list);
	}
	const refOf = new Map<string, string>();
	const tracks: XTrack[] = library.tracks.map((track, i) => {
		const ref = String(i + 1);
		refOf.set(track.hash, ref);
		const x = emptyTrack(ref);
		const offset = offsetOf(track.hash);
		const relative = track.paths?.[0] ?? track.fileName;
		x.path = joinBase(base, relative);
		x.hash = track.hash;
		x.title = track.title;
		x.artist = track.artist;
		x.album = track.album;
		x.genre = track.genre;
		x.comment = track.comment;
		x.label = track.label;
		x.year = track.year;
		x.trackNo = track.trackNo;
		x.durationSec = track.duration || null;
		x.bpm = track.bpm;
		x.key = parseKey(track.key);
		x.rating = track.rating;
		x.color = track.color;
		x.playCount = track.playCount;
		x.dateAdded = track.dateAdded;
		const row = analysis.get(track.hash);
		if (row && !row.error && row.beatGrid.bpm > 0)
			x.grid = {
				bpm: row.beatGrid.bpm,
				firstDownbeatSec: row.beatGrid.firstDownbeatSec - offset.gridSec,
				beatsPerBar: row.beatGrid.beatsPerBar,
				variable: row.variableTempo
			};
		x.cues = (cues.get(track.hash) ?? [])
			.filter((c) => c.startSec - offset.cueSec >= 0)
			.sort((a, b) => a.startSec - b.startSec)
			.map((c) => ({
				kind: c.kind,
				slot: c.kind === 'hot' ? c.slot : -1,
				startSec: c.startSec - offset.cueSec,
				endSec: c.endSec === null ? null : c.endSec - offset.cueSec,
				name: c.name,
				color: c.color
			}));
		x.extra = { ...(extras[track.hash] ?? {}) };
		return x;
	});

	const children = (parentId: string | null): XPlaylist[] =>
		library.playlists
			.filter((p) => p.parentId === parentId)
			.sort((a, b) => (a.kind === 'crate' ? 0 : 1) - (b.kind === 'crate' ? 0 : 1) || a.position - b.position)
			.flatMap((p): XPlaylist[] => {
				if (p.kind === 'smart') {
					issues.push({ code: 'smart-skipped', where: p.name, detail: '' });
					return [];
				}
				if (p.kind === 'crate') return [{ name: p.name, kind: 'folder', children: children(p.id), refs: [], id: p.id }];
				const refs = library.items
					.filter((item) => item.playlistId === p.id)
					.sort((a, b) => a.position - b.position)
					.flatMap((item) => (refOf.has(item.hash) ? [refOf.get(item.hash)!] : []));
				return [{ name: p.name, kind: 'playlist', children: [], refs, id: p.id }];
			});
	return { format: 'rekordbox', tracks, playlists: children(null), issues, fatal: null };
}
