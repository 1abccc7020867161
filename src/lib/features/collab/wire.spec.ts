import { describe, expect, it } from 'vitest';
import { encodeMessage, parseMessage } from '../mesh/protocol';
import { fromBase64, PART_BYTES, PartJoiner, splitUpdate, toBase64 } from './wire';
import { tagMatches } from './store';

const share = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f';
const owner = `cm-${'a'.repeat(32)}`;

describe('collab messages', () => {
	it('accepts well-formed collab messages', () => {
		const info = {
			id: share,
			name: 'Friday',
			kind: 'playlist',
			owner,
			members: [{ peerId: `cm-${'b'.repeat(32)}`, name: 'B' }],
			allowFiles: true,
			ended: false
		};
		for (const message of [
			{ type: 'collab-share', cv: 1, share: info },
			{ type: 'collab-sync', cv: 1, share, state: 'AAE=', answer: false },
			{ type: 'collab-update', cv: 1, share, id: 'u1', part: 0, parts: 1, data: 'AAAA' },
			{ type: 'collab-leave', cv: 1, share }
		] as const)
			expect(parseMessage(encodeMessage(message as never))).toMatchObject({
				ok: true,
				message: { type: message.type }
			});
	});

	it('rejects malformed, wrong-version and oversized ones', () => {
		const frame = (body: object) => JSON.stringify({ v: 1, ...body });
		const bad = [
			{ type: 'collab-sync', cv: 2, share, state: 'AAE=', answer: false },
			{ type: 'collab-sync', cv: 1, share: 'not-a-share', state: 'AAE=', answer: false },
			{ type: 'collab-update', cv: 1, share, id: 'u', part: 0, parts: 1, data: '<script>' },
			{ type: 'collab-update', cv: 1, share, id: 'u', part: 70, parts: 80, data: 'AAAA' },
			{
				type: 'collab-share',
				cv: 1,
				share: { id: share, name: 'x', kind: 'playlist', owner: 'eve', members: [], allowFiles: true, ended: false }
			},
			{
				type: 'collab-share',
				cv: 1,
				share: {
					id: share,
					name: 'x',
					kind: 'playlist',
					owner,
					members: Array(33).fill({ peerId: owner, name: 'n' }),
					allowFiles: true,
					ended: false
				}
			}
		];
		for (const body of bad) expect(parseMessage(frame(body))).toEqual({ ok: false, reason: 'malformed' });
		const data = 'A'.repeat(PART_BYTES * 2);
		expect(parseMessage(frame({ type: 'collab-update', cv: 1, share, id: 'u', part: 0, parts: 1, data }))).toEqual({
			ok: false,
			reason: 'oversized'
		});
		// A part just over the per-frame data cap but under the frame limit is malformed, not accepted.
		const over = 'A'.repeat(Math.ceil(PART_BYTES / 3) * 4 + 4);
		expect(
			parseMessage(frame({ type: 'collab-update', cv: 1, share, id: 'u', part: 0, parts: 1, data: over }))
		).toEqual({ ok: false, reason: 'malformed' });
	});

	it('splits big updates into parts that join back; refuses parts out of order', () => {
		const update = new Uint8Array(PART_BYTES * 2 + 17).map((_, i) => i * 7);
		const parts = splitUpdate(update);
		expect(parts).toHaveLength(3);
		const joiner = new PartJoiner();
		const base = { share, id: 'x', parts: parts.length };
		expect(joiner.add('p', { ...base, part: 0, data: parts[0]! })).toBeNull();
		expect(joiner.add('p', { ...base, part: 1, data: parts[1]! })).toBeNull();
		const joined = joiner.add('p', { ...base, part: 2, data: parts[2]! });
		// Compared as bytes in one call (an element-wise toEqual of 256 KiB is slow).
		expect(joined instanceof Uint8Array && Buffer.compare(joined, update)).toBe(0);
		expect(joiner.add('p', { ...base, id: 'y', part: 1, data: parts[1]! })).toBe('bad-part');
		expect(fromBase64(toBase64(new Uint8Array([0, 255, 1])))).toEqual(new Uint8Array([0, 255, 1]));
		expect(splitUpdate(new Uint8Array())).toEqual(['']);
	});
});

describe('matching a shared track to a local copy by tags', () => {
	const mine = [
		{
			hash: 'h1',
			title: 'Strings of Life (Original Mix)',
			artist: 'Rhythim Is Rhythim',
			duration: 401,
			storage: 'opfs' as const
		},
		{
			hash: 'h2',
			title: 'Strings of Life (Dub Mix)',
			artist: 'Rhythim Is Rhythim',
			duration: 402,
			storage: 'opfs' as const
		},
		{ hash: 'h3', title: 'Strings Of Life', artist: 'rhythim is rhythim', duration: 300, storage: 'opfs' as const },
		{ hash: 'h4', title: 'Ñandú (feat. Zé)', artist: 'Bloco', duration: 200, storage: 'opfs' as const },
		{ hash: 'h5', title: 'Nandu', artist: 'Bloco', duration: 200.5, storage: 'none' as const }
	];
	it('needs the same artist, title (mix names count) and a duration within 2 s', () => {
		expect(
			tagMatches({ title: 'strings of life (original mix)', artist: 'Rhythim is Rhythim', duration: 400 }, mine)
		).toEqual(['h1']);
		expect(tagMatches({ title: 'Nandu', artist: 'BLOCO', duration: 201 }, mine)).toEqual(['h4']);
		expect(tagMatches({ title: 'Strings of Life', artist: 'Rhythim Is Rhythim', duration: 0 }, mine)).toEqual([]);
		expect(tagMatches({ title: '', artist: '', duration: 200 }, mine)).toEqual([]);
	});
});
