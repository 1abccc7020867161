/** A small library as plain rows, for the Node tests of export, planning and round trips. */
import type { AnalysisRow, CueRow, PlaylistItemRow, PlaylistRow, TrackRow } from '../../db/schema';
import { trackRow } from '../../db/test-rows';
import type { LibrarySnapshot } from './model';

export const hashOf = (n: number) => n.toString(16).padStart(64, '0');

export function track(n: number, patch: Partial<TrackRow> = {}): TrackRow {
	return trackRow({
		hash: hashOf(n),
		fileName: `track ${n}.mp3`,
		size: 1000 + n,
		mime: 'audio/mpeg',
		title: `Title ${n}`,
		artist: `Artist ${n}`,
		duration: 180 + n,
		container: 'MPEG',
		codec: 'MP3',
		bitrate: 320000,
		sampleRate: 44100,
		channels: 2,
		paths: [`Music/Sub ${n}/track ${n}.mp3`],
		dateAdded: Date.UTC(2025, 0, 1, 15, 30),
		...patch
	});
}

export function analysisRow(hash: string, grid: AnalysisRow['beatGrid']): AnalysisRow {
	return {
		hash,
		analyserVersion: 3,
		analysedAt: 0,
		error: null,
		format: 'mp3',
		durationSec: 180,
		bpm: grid.bpm,
		beatGrid: grid,
		tempoConfidence: 0.9,
		variableTempo: false,
		key: null,
		loudness: null,
		waveform: null,
		autoCueSec: 0,
		ms: 1
	};
}

/** Three tracks with BPM, key, grids, hot/memory cues and loops, one Unicode path; a crate with two playlists. */
export function richLibrary(): LibrarySnapshot {
	const tracks = [
		track(1, {
			bpm: 124.37,
			key: 'Am',
			edited: ['bpm', 'key', 'grid'],
			rating: 4,
			color: 'pink',
			comment: 'opener',
			playCount: 3
		}),
		track(2, {
			bpm: 128,
			key: 'F#',
			edited: ['bpm', 'key', 'grid'],
			paths: ['Música/Ação — Ünïcode/ß 2.mp3'],
			title: 'Ação'
		}),
		track(3, { bpm: 90.5, key: 'Bbm', edited: ['bpm', 'key', 'grid'] })
	];
	const analysis = [
		analysisRow(tracks[0]!.hash, { bpm: 124.37, firstDownbeatSec: 0.123456, beatsPerBar: 4 }),
		analysisRow(tracks[1]!.hash, { bpm: 128, firstDownbeatSec: 1.5, beatsPerBar: 4 }),
		analysisRow(tracks[2]!.hash, { bpm: 90.5, firstDownbeatSec: 0.0004, beatsPerBar: 3 })
	];
	const cue = (
		id: number,
		hash: string,
		kind: CueRow['kind'],
		slot: number,
		start: number,
		end: number | null,
		name: string,
		color: string
	): CueRow => ({
		id,
		hash,
		kind,
		slot,
		startSec: start,
		endSec: end,
		name,
		color,
		createdAt: 0
	});
	const cues = [
		cue(1, tracks[0]!.hash, 'hot', 0, 0.123, null, 'Intro', 'red'),
		cue(2, tracks[0]!.hash, 'hot', 3, 61.987, null, 'Drop <b>&"', 'purple'),
		cue(3, tracks[0]!.hash, 'memory', -1, 30.5, null, '', 'blue'),
		cue(4, tracks[0]!.hash, 'loop', -1, 45.25, 49.125, 'Loop 4', 'green'),
		cue(5, tracks[1]!.hash, 'hot', 7, 100.001, null, 'H', 'yellow')
	];
	const playlist = (
		id: string,
		name: string,
		kind: PlaylistRow['kind'],
		parentId: string | null,
		position: number
	): PlaylistRow => ({
		id,
		name,
		kind,
		parentId,
		position,
		rules: kind === 'smart' ? 'bpm=120-130' : null,
		createdAt: 0,
		updatedAt: 0
	});
	const playlists = [
		playlist('c1', 'Gigs', 'crate', null, 1),
		playlist('p1', 'Friday', 'playlist', 'c1', 1),
		playlist('p2', 'Saturday ☀', 'playlist', 'c1', 2),
		playlist('p3', 'Loose', 'playlist', null, 2),
		playlist('s1', 'Fast', 'smart', null, 3)
	];
	const item = (id: number, playlistId: string, hash: string, position: number): PlaylistItemRow => ({
		id,
		playlistId,
		hash,
		position,
		addedAt: 0
	});
	const items = [
		item(1, 'p1', tracks[2]!.hash, 1),
		item(2, 'p1', tracks[0]!.hash, 1.5),
		item(3, 'p2', tracks[1]!.hash, 1),
		item(4, 'p3', tracks[0]!.hash, 1)
	];
	return { tracks, analysis, cues, playlists, items };
}

/** The same audio files with none of the DJ data: what a fresh device imports the files into. */
export function bareLibrary(): LibrarySnapshot {
	return {
		tracks: richLibrary().tracks.map((t) => ({
			...t,
			bpm: null,
			key: '',
			edited: [],
			rating: 0,
			color: null,
			comment: '',
			playCount: 0
		})),
		analysis: [],
		cues: [],
		playlists: [],
		items: []
	};
}

/** What the round trip must preserve, with times in whole milliseconds and ids replaced by names. */
export function comparableLibrary(library: LibrarySnapshot) {
	const ms = (s: number | null) => (s === null ? null : Math.round(s * 1000));
	const playlistPath = (id: string): string => {
		const row = library.playlists.find((p) => p.id === id);
		return row ? `${row.parentId ? `${playlistPath(row.parentId)}/` : ''}${row.name}` : '?';
	};
	return {
		tracks: library.tracks
			.map((t) => ({
				hash: t.hash,
				bpm: t.bpm,
				key: t.key,
				rating: t.rating,
				color: t.color,
				comment: t.comment,
				playCount: t.playCount,
				edited: [...(t.edited ?? [])].sort()
			}))
			.sort((a, b) => a.hash.localeCompare(b.hash)),
		grids: library.analysis
			.map((a) => ({
				hash: a.hash,
				bpm: a.beatGrid.bpm,
				downbeat: ms(a.beatGrid.firstDownbeatSec),
				bar: a.beatGrid.beatsPerBar
			}))
			.sort((a, b) => a.hash.localeCompare(b.hash)),
		cues: library.cues
			.map((c) => ({
				hash: c.hash,
				kind: c.kind,
				slot: c.slot,
				start: ms(c.startSec),
				end: ms(c.endSec),
				name: c.name,
				color: c.color
			}))
			.sort((a, b) => a.hash.localeCompare(b.hash) || (a.start ?? 0) - (b.start ?? 0)),
		playlists: library.playlists
			.filter((p) => p.kind !== 'smart')
			.map((p) => ({
				path: playlistPath(p.id),
				kind: p.kind,
				hashes: library.items
					.filter((i) => i.playlistId === p.id)
					.sort((a, b) => a.position - b.position)
					.map((i) => i.hash)
			}))
			.sort((a, b) => a.path.localeCompare(b.path))
	};
}
