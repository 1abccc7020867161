import { describe, expect, it } from 'vitest';
import { encodeMessage, parseMessage, RateLimit, trackRowFromMeta, type TrackMeta } from './protocol';

const meta: TrackMeta = {
	fileName: '../../etc/Song\u202e.mp3',
	mime: 'text/html',
	title: 'Song\u0000 <b>x</b>',
	artist: 'A',
	album: '',
	albumArtist: '',
	genre: 'House',
	year: 2020,
	trackNo: 1,
	discNo: null,
	comment: '',
	label: '',
	isrc: '',
	tagBpm: 124,
	tagKey: 'Am',
	bpm: 124,
	key: 'Am',
	duration: 3,
	container: 'MPEG',
	codec: 'MP3',
	bitrate: 128000,
	sampleRate: 44100,
	channels: 2,
	rating: 3,
	freeTags: ['warm\u200b-up']
};

describe('mesh protocol', () => {
	it('round-trips valid messages', () => {
		const frame = encodeMessage({ type: 'offer', hash: 'a'.repeat(64), size: 10, offset: 0, track: meta });
		expect(parseMessage(frame)).toMatchObject({ ok: true, message: { type: 'offer', size: 10 } });
		expect(parseMessage(encodeMessage({ type: 'ping', t: 5 }))).toEqual({
			ok: true,
			message: { v: 1, type: 'ping', t: 5 }
		});
	});

	it('carries byte ranges (parts of a file from several devices) and refuses bad ones', () => {
		const hash = 'b'.repeat(64);
		expect(parseMessage(encodeMessage({ type: 'want', hash, offset: 8, end: 16 }))).toMatchObject({
			ok: true,
			message: { type: 'want', offset: 8, end: 16 }
		});
		expect(
			parseMessage(encodeMessage({ type: 'offer', hash, size: 20, offset: 8, end: 16, track: meta }))
		).toMatchObject({ ok: true, message: { type: 'offer', end: 16 } });
		for (const end of [-1, 1.5, '16', 2 ** 41])
			expect(parseMessage(JSON.stringify({ v: 1, type: 'want', hash, offset: 0, end }))).toEqual({
				ok: false,
				reason: 'malformed'
			});
	});

	it('classifies bad frames', () => {
		expect(parseMessage('nope')).toEqual({ ok: false, reason: 'malformed' });
		expect(parseMessage('null')).toEqual({ ok: false, reason: 'malformed' });
		expect(parseMessage('{"v":1,"type":"evil"}')).toEqual({ ok: false, reason: 'unknown' });
		expect(parseMessage('{"v":9,"type":"ping","t":1}')).toEqual({ ok: false, reason: 'version' });
		expect(parseMessage('{"v":1,"type":"want","hash":"XYZ","offset":0}')).toEqual({ ok: false, reason: 'malformed' });
		expect(parseMessage('{"v":1,"type":"want","hash":"' + 'a'.repeat(64) + '","offset":-1}')).toEqual({
			ok: false,
			reason: 'malformed'
		});
		expect(parseMessage(' '.repeat(300_000))).toEqual({ ok: false, reason: 'oversized' });
		const huge = {
			v: 1,
			type: 'catalog',
			offset: 0,
			total: 1,
			tracks: Array(501).fill({ hash: 'a'.repeat(64), title: '', artist: '', size: 1 })
		};
		expect(parseMessage(JSON.stringify(huge))).toEqual({ ok: false, reason: 'malformed' });
	});

	it('sanitises peer metadata into a local track row', () => {
		const row = trackRowFromMeta('b'.repeat(64), 10, meta, 7);
		expect(row.fileName).toBe('Song.mp3');
		expect(row.title).toBe('Song <b>x</b>');
		expect(row.mime).toBe('application/octet-stream');
		expect(row.freeTags).toEqual(['warm-up']);
		expect(row).toMatchObject({
			hash: 'b'.repeat(64),
			size: 10,
			playCount: 0,
			pinned: false,
			artwork: null,
			dateAdded: 7
		});
	});

	it('rate-limits with a token bucket', () => {
		let now = 0;
		const limit = new RateLimit(10, 5, () => now);
		expect(Array.from({ length: 8 }, () => limit.take()).filter(Boolean)).toHaveLength(5);
		now = 500;
		expect(Array.from({ length: 8 }, () => limit.take()).filter(Boolean)).toHaveLength(5);
	});
});
