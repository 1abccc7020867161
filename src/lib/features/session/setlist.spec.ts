import { describe, expect, it } from 'vitest';
import type { SetlistEntry } from './room-protocol';
import { setlistCsv, setlistHashes, setlistText } from './setlist';

const entry = (n: number, at: number, extra: Partial<SetlistEntry['track']> = {}): SetlistEntry => ({
	track: {
		hash: String(n).padStart(64, 'b'),
		title: `T${n}`,
		artist: 'A',
		duration: 245,
		bpm: 123.456,
		key: '8A',
		...extra
	},
	by: 'cms-000000000000000000000001',
	name: 'Host',
	at
});

describe('setlist export', () => {
	const start = Date.UTC(2026, 11, 5, 22, 0);
	const state = {
		code: 'abc234',
		createdAt: start - 60_000,
		setlist: [entry(1, start), entry(2, start + 4 * 60_000), entry(3, start + 75 * 60_000)]
	};

	it('writes one line per play with the time into the set', () => {
		expect(setlistText(state, 'Friday')).toBe(
			'Friday\n\n0:00  A — T1  (Host)\n0:04  A — T2  (Host)\n1:15  A — T3  (Host)\n'
		);
	});

	it('writes CSV with quoting, and never a cell a spreadsheet would evaluate', () => {
		const hostile = {
			...state,
			setlist: [entry(1, start, { title: '=HYPERLINK("http://x","y")', artist: 'Me, "Myself"' })]
		};
		const lines = setlistCsv(hostile).split('\r\n');
		expect(lines[0]).toBe('position,started,offset,artist,title,duration,bpm,key,dj,hash');
		expect(lines[1]).toBe(
			`1,2026-12-05T22:00:00.000Z,0:00,"Me, ""Myself""","'=HYPERLINK(""http://x"",""y"")",4:05,123.5,8A,Host,${'1'.padStart(64, 'b')}`
		);
	});

	it('keeps the tracks this library has, in play order, once each', () => {
		const have = new Set([entry(2, 0).track.hash, entry(1, 0).track.hash]);
		const list = [entry(2, 1), entry(1, 2), entry(2, 3), entry(9, 4), entry(0, 5, { hash: '' })];
		expect(setlistHashes(list, have)).toEqual({ hashes: [entry(2, 0).track.hash, entry(1, 0).track.hash], missing: 2 });
	});
});
