/**
 * The fields each synced table sends to the user's other devices (everything else in a row is local: where
 * the bytes are, pinning, paths, plays, artwork, waveforms). The one list: the app (`stamps.ts`), the e2e
 * tests and the Node bench (`bench/figures/mesh.js`) all import it, so it is plain JavaScript without imports
 * (the JSDoc `const` keeps the literal types for TypeScript).
 */
export const SYNC_FIELDS = /** @type {const} */ ({
	tracks: [
		'fileName',
		'size',
		'mime',
		'dateAdded',
		'title',
		'artist',
		'album',
		'albumArtist',
		'genre',
		'year',
		'trackNo',
		'discNo',
		'comment',
		'label',
		'isrc',
		'tagBpm',
		'tagKey',
		'bpm',
		'key',
		'duration',
		'container',
		'codec',
		'bitrate',
		'sampleRate',
		'channels',
		'rating',
		'color',
		'freeTags',
		'edited',
		'loudness'
	],
	analysis: [
		'analyserVersion',
		'analysedAt',
		'format',
		'durationSec',
		'bpm',
		'beatGrid',
		'tempoConfidence',
		'variableTempo',
		'key',
		'loudness',
		'autoCueSec',
		'ms'
	],
	cues: ['hash', 'kind', 'slot', 'startSec', 'endSec', 'name', 'color', 'createdAt'],
	playlists: ['name', 'kind', 'parentId', 'position', 'rules', 'createdAt', 'updatedAt'],
	playlistItems: ['playlistId', 'hash', 'position', 'addedAt']
});
