/**
 * Rows for tests (specs, e2e tests and the bench import it; the app never does). Plain, self-contained
 * JavaScript like `sync-fields.js`: the Node bench imports it, and e2e tests and the bench run its source in
 * the page (`page.evaluate(\`… = ${trackRow}\`)`) to seed IndexedDB as an import would.
 */

/**
 * A complete track row: every required field at its empty value (bytes in OPFS, nothing else known), then
 * `fields`. One place to build rows, so a new TrackRow field is added here once.
 * @param {Pick<import('./schema').TrackRow, 'hash'> & Partial<import('./schema').TrackRow>} fields
 * @returns {import('./schema').TrackRow}
 */
export function trackRow(fields) {
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
