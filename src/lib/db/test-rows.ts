/** Rows for specs (imported by specs only, never by the app). */
import type { TrackRow } from './schema';

/**
 * A complete track row: every required field at its empty value (bytes in OPFS, nothing else known), then
 * `fields`. One place for specs to build rows, so a new TrackRow field is added here once.
 */
export function trackRow(fields: Pick<TrackRow, 'hash'> & Partial<TrackRow>): TrackRow {
	return {
		fileName: '',
		size: 0,
		mime: '',
		title: '',
		dateAdded: 0,
		artist: '',
		album: '',
		albumArtist: '',
		genre: '',
		year: null,
		trackNo: null,
		discNo: null,
		comment: '',
		label: '',
		isrc: '',
		tagBpm: null,
		tagKey: '',
		bpm: null,
		key: '',
		duration: 0,
		container: '',
		codec: '',
		bitrate: 0,
		sampleRate: 0,
		channels: 0,
		artwork: null,
		rating: 0,
		color: null,
		freeTags: [],
		playCount: 0,
		lastPlayed: null,
		storage: 'opfs',
		pinned: false,
		paths: [],
		...fields
	};
}
