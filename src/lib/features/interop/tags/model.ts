/**
 * What "export with tags" writes into a copy of an audio file, and the shape every format writer returns: the
 * new head of the file plus the untouched rest of the original (a Blob slice, read from disk while it is
 * written out — never the whole file in memory), with an optional transform for formats whose page headers
 * carry a sequence number (Ogg).
 */
import type { TrackRow } from '../../../db/schema';
import { parseKey, toShort } from '../../analysis/keys';

export interface ExportTags {
	title: string;
	artist: string;
	album: string;
	albumArtist: string;
	genre: string;
	comment: string;
	year: number | null;
	trackNo: number | null;
	discNo: number | null;
	label: string;
	isrc: string;
	/** Beats per minute with up to two decimals (formats with an integer field get it rounded). */
	bpm: number | null;
	/** Short standard notation ('Am', 'F#', 'Bbm'): what ID3 TKEY specifies and DJ software reads. */
	key: string;
	/** 0–5 stars. */
	rating: number;
}

export interface TaggedCopy {
	/** Bytes that replace the original's tag region. */
	head: Uint8Array;
	/** Where the original's audio (everything kept as is) starts and ends. */
	audioStart: number;
	audioEnd: number;
	/** Ogg: page headers after the tags are renumbered (payload bytes unchanged). */
	transform?: () => TransformStream<Uint8Array, Uint8Array>;
	/** Bytes that follow the audio (MP4 when the rewritten `moov` sits after `mdat`). */
	tail?: Uint8Array;
}

export class TagWriteError extends Error {
	constructor(
		readonly code: 'untagged' | 'bad-file',
		message: string
	) {
		super(message);
	}
}

const text = (value: unknown, max = 2000) => (typeof value === 'string' ? value.slice(0, max) : '');
const int = (value: unknown) =>
	typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : null;

export function exportTagsOf(track: TrackRow): ExportTags {
	const bpm = track.bpm ?? track.tagBpm;
	const key = parseKey(track.key || track.tagKey || '');
	return {
		title: text(track.title),
		artist: text(track.artist),
		album: text(track.album),
		albumArtist: text(track.albumArtist),
		genre: text(track.genre),
		comment: text(track.comment),
		year: int(track.year),
		trackNo: int(track.trackNo),
		discNo: int(track.discNo),
		label: text(track.label),
		isrc: text(track.isrc, 64),
		bpm: typeof bpm === 'number' && Number.isFinite(bpm) && bpm > 0 && bpm < 1000 ? Math.round(bpm * 100) / 100 : null,
		key: key ? toShort(key) : '',
		rating: Math.max(0, Math.min(5, Math.round(track.rating ?? 0)))
	};
}

/** `BPM` text: integers stay integers, otherwise up to two decimals. */
export const bpmText = (bpm: number) => (Number.isInteger(bpm) ? String(bpm) : bpm.toFixed(2).replace(/0$/, ''));

/** Vorbis-comment style fields (FLAC, Ogg Vorbis, Opus): the names ffmpeg, music-metadata and DJ software read. */
export function vorbisFields(tags: ExportTags): [string, string][] {
	const out: [string, string][] = [];
	const add = (name: string, value: string | number | null) => {
		if (value !== null && value !== '') out.push([name, String(value)]);
	};
	add('TITLE', tags.title);
	add('ARTIST', tags.artist);
	add('ALBUM', tags.album);
	add('ALBUMARTIST', tags.albumArtist);
	add('GENRE', tags.genre);
	add('COMMENT', tags.comment);
	add('DATE', tags.year);
	add('TRACKNUMBER', tags.trackNo);
	add('DISCNUMBER', tags.discNo);
	add('LABEL', tags.label);
	add('ISRC', tags.isrc);
	add('BPM', tags.bpm === null ? null : bpmText(tags.bpm));
	// INITIALKEY is what Traktor, Mixxx and ffmpeg use; KEY is read by others (and a stale one would win).
	add('INITIALKEY', tags.key);
	add('KEY', tags.key);
	// No standard rating field: 0–100 in RATING is what music-metadata, foobar2000 and Mixxx read.
	add('RATING', tags.rating ? tags.rating * 20 : null);
	return out;
}
