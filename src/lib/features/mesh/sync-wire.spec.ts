import { describe, expect, it } from 'vitest';
import { encodeHlc } from '$lib/db/hlc';
import { encodeMessage, MAX_CONTROL_BYTES, parseMessage, type OutgoingMessage } from './protocol';
import { decodeChange, encodeChange, type WireChange } from './sync-wire';

const H = 'a'.repeat(64);
const s1 = encodeHlc({ ms: 1_700_000_000_000, counter: 0, node: '0123456789ab' });
const s2 = encodeHlc({ ms: 1_700_000_000_500, counter: 2, node: 'ba9876543210' });

const trackChange = (f: Record<string, unknown>, extra: Partial<WireChange> = {}): WireChange => ({
	t: 'tracks',
	k: H,
	c: s1,
	d: '',
	s: s1,
	f,
	...extra
});

describe('sync changes on the wire', () => {
	it('round-trips a row state, sending the common stamp once', () => {
		const state = {
			c: s1,
			d: '',
			s: { title: s1, artist: s1, rating: s2, freeTags: s1 },
			f: { title: 'Song', artist: 'A', rating: 4, freeTags: ['warm-up'] }
		};
		const wire = encodeChange('tracks', H, state);
		expect(wire.s).toBe(s1);
		expect(wire.o).toEqual({ rating: s2 });
		const decoded = decodeChange(wire);
		expect(decoded).toEqual({ ok: true, table: 'tracks', key: H, state, unknown: [] });
	});

	it('cleans text like local input and refuses what does not fit, one change at a time', () => {
		const ok = decodeChange(
			trackChange({ title: 'Song\u0000 \u202eevil', mime: 'text/html', freeTags: ['a', 'a', '\u0007'] })
		);
		expect(ok.ok && ok.state.f).toEqual({ title: 'Song evil', mime: 'application/octet-stream', freeTags: ['a'] });
		const bad: [Record<string, unknown>, Partial<WireChange>?][] = [
			[{ rating: 9 }],
			[{ rating: '5' }],
			[{ __proto__x: 1 }],
			[{ color: 'javascript:' }],
			[{ year: 1.5 }],
			[{ freeTags: new Array(65).fill('x') }],
			[{ title: 'x' }, { k: '../etc' }],
			[{ title: 'x' }, { s: '' }],
			[{ title: 'x' }, { o: { artist: s2 } }]
		];
		for (const [f, extra] of bad) expect(decodeChange(trackChange(f, extra)).ok, JSON.stringify(f)).toBe(false);
	});

	it('checks identities against the values they are made of', () => {
		const item = (k: string, f: Record<string, unknown>): WireChange => ({
			t: 'playlistItems',
			k,
			c: s1,
			d: '',
			s: s1,
			f
		});
		expect(decodeChange(item(`p1|${H}`, { playlistId: 'p1', hash: H, position: 1, addedAt: 1 })).ok).toBe(true);
		expect(decodeChange(item(`p2|${H}`, { playlistId: 'p1', hash: H, position: 1, addedAt: 1 })).ok).toBe(false);
		const cue = (k: string): WireChange => ({
			t: 'cues',
			k,
			c: s1,
			d: '',
			s: s1,
			f: { hash: H, kind: 'hot', slot: 0 }
		});
		expect(decodeChange(cue(`${H}:hot:0`)).ok).toBe(true);
		expect(decodeChange(cue(`${'b'.repeat(64)}:hot:0`)).ok).toBe(false);
		// a tombstone with no values is fine
		expect(decodeChange({ t: 'playlists', k: 'abc-1', c: s1, d: s2, s: '', f: {} }).ok).toBe(true);
	});

	it('parses the sync messages and rejects malformed, unknown-version and oversized ones', () => {
		const batch: Extract<OutgoingMessage, { type: 'sync-batch' }> = {
			type: 'sync-batch',
			n: 1,
			changes: [trackChange({ title: 'x' })],
			upTo: s1,
			total: 1,
			done: true
		};
		expect(parseMessage(encodeMessage(batch))).toMatchObject({ ok: true, message: { type: 'sync-batch' } });
		expect(parseMessage(encodeMessage({ type: 'sync-hello', sv: 1, since: '' })).ok).toBe(true);
		expect(parseMessage(encodeMessage({ type: 'sync-ack', n: 3 })).ok).toBe(true);
		expect(parseMessage(encodeMessage({ type: 'sync-poke' })).ok).toBe(true);
		const reject = (message: unknown) => parseMessage(JSON.stringify({ v: 1, ...(message as object) }));
		// A later change format is answered (in ours), not refused: its reader sets aside what it lacks.
		expect(parseMessage(encodeMessage({ type: 'sync-hello', sv: 2, since: '' })).ok).toBe(true);
		expect(reject({ type: 'sync-hello', sv: 0, since: '' })).toEqual({ ok: false, reason: 'malformed' });
		expect(reject({ type: 'sync-hello', sv: 1.5, since: '' })).toEqual({ ok: false, reason: 'malformed' });
		expect(reject({ type: 'sync-hello', sv: 1, since: 'yesterday' })).toEqual({ ok: false, reason: 'malformed' });
		// A table of a later build passes the frame (decodeChange sets it aside); a name that is no name does not.
		expect(parseMessage(encodeMessage({ ...batch, changes: [{ ...batch.changes[0]!, t: 'setlists' }] })).ok).toBe(true);
		expect(reject({ ...batch, changes: [{ ...batch.changes[0], t: '../settings' }] })).toEqual({
			ok: false,
			reason: 'malformed'
		});
		expect(reject({ ...batch, upTo: 1 })).toEqual({ ok: false, reason: 'malformed' });
		expect(reject({ ...batch, changes: new Array(2001).fill(batch.changes[0]) })).toMatchObject({ ok: false });
		const huge = { ...batch, changes: [trackChange({ comment: 'x'.repeat(MAX_CONTROL_BYTES) })] };
		expect(reject(huge)).toEqual({ ok: false, reason: 'oversized' });
	});

	it('sets aside the fields and tables of a later build and keeps the rest of the change', () => {
		const later = decodeChange(
			trackChange({ title: 'Song', timelineMs: 51, damage: { count: 1 } }, { o: { timelineMs: s2 } })
		);
		expect(later).toEqual({
			ok: true,
			table: 'tracks',
			key: H,
			state: { c: s1, d: '', s: { title: s1 }, f: { title: 'Song' } },
			unknown: ['tracks.timelineMs', 'tracks.damage']
		});
		// Only unknown fields: the row's own stamps (created, deleted) still apply.
		const bare = decodeChange(trackChange({ storage: 'opfs' }));
		expect(bare).toMatchObject({ ok: true, state: { s: {}, f: {} }, unknown: ['tracks.storage'] });
		expect(decodeChange({ ...trackChange({ name: 'x' }), t: 'setlists' })).toEqual({
			ok: false,
			reason: 'setlists: unknown table',
			unknown: ['setlists']
		});
		// Known values are still checked, and a stamp must belong to a field that was sent.
		expect(decodeChange(trackChange({ rating: 9, timelineMs: 51 })).ok).toBe(false);
		expect(decodeChange(trackChange({ title: 'x' }, { o: { timelineMs: s2 } })).ok).toBe(false);
	});

	it('reads names that are also Object.prototype members as plain names, without throwing', () => {
		for (const field of ['constructor', 'toString', 'hasOwnProperty', 'valueOf'])
			expect(decodeChange(trackChange({ [field]: 1, title: 'x' })), field).toMatchObject({
				ok: true,
				state: { f: { title: 'x' } },
				unknown: [`tracks.${field}`]
			});
		expect(decodeChange({ ...trackChange({}), t: 'constructor' })).toMatchObject({ ok: false });
		// Through the wire: valibot's record drops `constructor`, `prototype` and `__proto__` keys itself, but
		// `toString` and the like reach decodeChange (which threw on them before).
		const frame = `{"v":1,"type":"sync-batch","n":1,"upTo":"","total":1,"done":true,"changes":[{"t":"tracks","k":"${H}","c":"${s1}","d":"","s":"${s1}","f":{"title":"x","toString":1,"constructor":2}}]}`;
		const parsed = parseMessage(frame);
		if (!parsed.ok || parsed.message.type !== 'sync-batch') throw new Error('the frame should parse');
		expect(decodeChange(parsed.message.changes[0]!)).toMatchObject({
			ok: true,
			state: { f: { title: 'x' } },
			unknown: ['tracks.toString']
		});
		const proto = JSON.parse(`{"t":"tracks","k":"${H}","c":"${s1}","d":"","s":"${s1}","f":{"__proto__":{"x":1}}}`);
		expect(decodeChange(proto).ok).toBe(false);
	});
});
