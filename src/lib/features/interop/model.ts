/**
 * The neutral exchange model every format (rekordbox XML, Traktor NML, M3U8/PLS) is read into and written
 * from, so matching, the preview and the library writes exist once.
 */
import type { MusicalKey } from '../analysis/keys';
import type { AnalysisRow, CueKind, CueRow, PlaylistItemRow, PlaylistRow, TrackRow } from '../../db/schema';

export type ExchangeFormat = 'rekordbox' | 'traktor' | 'm3u' | 'pls';

export interface XCue {
	kind: CueKind;
	/** 0–7 for hot cues, -1 otherwise. */
	slot: number;
	/** On the exchanged file's timeline (see offsets.ts). */
	startSec: number;
	endSec: number | null;
	name: string;
	/** A `CUE_COLORS` name, or null when the file gave none. */
	color: string | null;
}

export interface XGrid {
	bpm: number;
	firstDownbeatSec: number;
	beatsPerBar: number;
	/** The file had several tempo sections; only the first is kept. */
	variable: boolean;
}

export interface XTrack {
	/** The format's id for the track (rekordbox TrackID, NML/M3U location). */
	ref: string;
	/** The file location as the file wrote it. */
	location: string;
	/** The decoded file-system path ('' when there is none), '/'-separated. */
	path: string;
	/** SHA-256 of the audio when the file carries it (our own exports). */
	hash: string;
	title: string;
	artist: string;
	album: string;
	genre: string;
	comment: string;
	label: string;
	year: number | null;
	trackNo: number | null;
	durationSec: number | null;
	bpm: number | null;
	key: MusicalKey | null;
	rating: number | null;
	color: string | null;
	playCount: number | null;
	dateAdded: number | null;
	grid: XGrid | null;
	cues: XCue[];
	/** Attributes this app does not understand, written back unchanged on export. */
	extra: Record<string, string>;
}

export interface XPlaylist {
	name: string;
	kind: 'folder' | 'playlist';
	children: XPlaylist[];
	/** `XTrack.ref`s in order. */
	refs: string[];
	/** The library playlist it was exported from. */
	id?: string;
}

/** Why something in a file was skipped or changed on the way in; `detail` is untrusted text. */
export type IssueCode =
	| 'too-large'
	| 'encoding'
	| 'bad-chars'
	| 'entities'
	| 'external-dtd'
	| 'malformed'
	| 'truncated'
	| 'not-this-format'
	| 'too-deep'
	| 'too-many'
	| 'bad-number'
	| 'bad-bpm'
	| 'bad-location'
	| 'cue-outside'
	| 'bad-cue'
	| 'variable-grid'
	| 'unknown-ref'
	| 'no-location'
	| 'duplicate'
	| 'smart-skipped';

export interface XIssue {
	code: IssueCode;
	/** Which item: a track title/location, a playlist name, or 'line 12'. */
	where: string;
	detail: string;
}

export interface XDoc {
	format: ExchangeFormat;
	tracks: XTrack[];
	playlists: XPlaylist[];
	issues: XIssue[];
	/** Set when the whole file was refused (hostile, not this format, unreadable). */
	fatal: XIssue | null;
}

export function emptyTrack(ref: string): XTrack {
	return {
		ref,
		location: '',
		path: '',
		hash: '',
		title: '',
		artist: '',
		album: '',
		genre: '',
		comment: '',
		label: '',
		year: null,
		trackNo: null,
		durationSec: null,
		bpm: null,
		key: null,
		rating: null,
		color: null,
		playCount: null,
		dateAdded: null,
		grid: null,
		cues: [],
		extra: {}
	};
}

/** What the library holds, as plain rows: what export reads and what import is planned against. */
export interface LibrarySnapshot {
	tracks: TrackRow[];
	analysis: AnalysisRow[];
	cues: CueRow[];
	playlists: PlaylistRow[];
	items: PlaylistItemRow[];
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Text from a file: control and bidi-override characters removed, length capped. */
export function cleanText(value: string | undefined, max = 1000): string {
	if (!value) return '';
	return value.replace(UNSAFE, '').trim().slice(0, max);
}

/** The setting keeping the attributes of other tools' tracks this app does not use, for the next export. */
export const EXTRAS_KEY = 'interop.extras';

const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `interop.extras` as export expects it — track hash → attribute name → text — from whatever the setting
 * holds (it may come from a backup file): entries of any other shape are dropped, the rest kept.
 */
export function cleanExtras(value: unknown): Record<string, Record<string, string>> {
	const out: Record<string, Record<string, string>> = {};
	if (!isRecord(value)) return out;
	for (const [hash, attributes] of Object.entries(value)) {
		if (!/^[0-9a-f]{64}$/.test(hash) || !isRecord(attributes)) continue;
		const kept = Object.entries(attributes).filter((pair): pair is [string, string] => typeof pair[1] === 'string');
		// fromEntries defines each name as an own property: `__proto__` stays an attribute.
		if (kept.length) out[hash] = Object.fromEntries(kept);
	}
	return out;
}

/** The track colours the library knows, with the RGB rekordbox (and most tools) use for them. */
export const TRACK_COLOR_RGB: Record<string, number> = {
	pink: 0xff007f,
	red: 0xff0000,
	orange: 0xffa500,
	yellow: 0xffff00,
	green: 0x00ff00,
	blue: 0x0000ff,
	purple: 0x660099
};

/** Nearest named colour to an RGB value (rekordbox's aqua 0x25FDE9 becomes blue). */
export function nearestColor(rgb: number, palette: Record<string, number>): string {
	let best = '';
	let bestDistance = Infinity;
	const r = (rgb >> 16) & 255;
	const g = (rgb >> 8) & 255;
	const b = rgb & 255;
	for (const [name, value] of Object.entries(palette)) {
		const d = (r - ((value >> 16) & 255)) ** 2 + (g - ((value >> 8) & 255)) ** 2 + (b - (value & 255)) ** 2;
		if (d < bestDistance) {
			bestDistance = d;
			best = name;
		}
	}
	return best;
}

/**
 * The cue editor's colours (`CUE_COLORS` in analysis/cues.ts, which imports the database and so cannot be in
 * the worker's graph); model.spec.ts keeps the two equal.
 */
export const CUE_COLOR_HEX: Record<string, string> = {
	red: '#ef4444',
	orange: '#f97316',
	yellow: '#eab308',
	green: '#22c55e',
	blue: '#3b82f6',
	purple: '#a855f7',
	pink: '#ec4899'
};

export const hexToRgb = (hex: string) => parseInt(hex.replace('#', ''), 16);
