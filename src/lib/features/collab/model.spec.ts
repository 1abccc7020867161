import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	addEntries,
	annotate,
	moveEntry as moveAfter,
	neighbourFor,
	readEntries,
	readHistory,
	removeEntry,
	type Author,
	type TrackData
} from './model';

/** Moves to a position of the visible list, as the UI does. */
const moveEntry = (doc: Y.Doc, id: string, to: number, author: Author) =>
	moveAfter(
		doc,
		id,
		neighbourFor(
			readEntries(doc).entries.map((e) => e.id),
			id,
			to
		),
		author
	);

const A = { peerId: `cm-${'a'.repeat(32)}`, name: 'Ana' };
const B = { peerId: `cm-${'b'.repeat(32)}`, name: 'Bia' };
const C = { peerId: `cm-${'c'.repeat(32)}`, name: 'Caio' };

function track(n: number): Omit<TrackData, 'addedBy' | 'addedByName' | 'addedAt'> {
	return {
		hash: n.toString(16).padStart(64, '0'),
		title: `Track ${n}`,
		artist: 'Artist',
		duration: 200 + n,
		bpm: 120 + (n % 10),
		key: '8A',
		grid: { bpm: 124, firstDownbeatSec: 0.12, beatsPerBar: 4 },
		cues: [{ kind: 'hot', slot: 0, startSec: 32, endSec: null, name: 'Drop', color: '#ff0000' }]
	};
}

const titles = (doc: Y.Doc) => readEntries(doc).entries.map((e) => e.title);

/** Full exchange between docs in both directions, as the mesh does with state vectors. */
function exchange(...docs: Y.Doc[]) {
	for (const from of docs)
		for (const to of docs)
			if (from !== to) Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)), 'peer');
}

describe('shared entry model', () => {
	it('adds, moves, annotates and removes, with a history of who did what', () => {
		const doc = new Y.Doc();
		addEntries(doc, [track(1), track(2), track(3)], A);
		expect(titles(doc)).toEqual(['Track 1', 'Track 2', 'Track 3']);
		const [first, , third] = readEntries(doc).entries.map((e) => e.id);
		moveEntry(doc, third!, 0, B);
		expect(titles(doc)).toEqual(['Track 3', 'Track 1', 'Track 2']);
		moveEntry(doc, third!, 2, B);
		expect(titles(doc)).toEqual(['Track 1', 'Track 2', 'Track 3']);
		annotate(doc, first!, 'mix out at the second drop', C);
		removeEntry(doc, third!, A);
		const entries = readEntries(doc).entries;
		expect(entries.map((e) => e.title)).toEqual(['Track 1', 'Track 2']);
		expect(entries[0]).toMatchObject({
			note: 'mix out at the second drop',
			noteBy: 'Caio',
			addedBy: A.peerId,
			bpm: 121
		});
		expect(entries[0]!.cues[0]).toMatchObject({ name: 'Drop', startSec: 32 });
		expect(readHistory(doc).map((h) => [h.op, h.name, h.title])).toEqual([
			['remove', 'Ana', 'Track 3'],
			['note', 'Caio', 'Track 1'],
			['move', 'Bia', 'Track 3'],
			['move', 'Bia', 'Track 3'],
			['add', 'Ana', 'Track 1']
		]);
	});

	it('three peers editing concurrently converge to one order and lose nobody’s additions', () => {
		const [a, b, c] = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
		addEntries(a, [1, 2, 3, 4, 5].map(track), A);
		exchange(a, b, c);
		const ids = readEntries(a).entries.map((e) => e.id);
		// Offline, at the same time:
		addEntries(a, [track(10)], A, 0);
		moveEntry(a, ids[4]!, 1, A);
		addEntries(b, [track(20), track(21)], B, 2);
		removeEntry(b, ids[2]!, B);
		moveEntry(b, ids[4]!, 0, B); // the same entry A moved
		annotate(c, ids[0]!, 'opener', C);
		addEntries(c, [track(30)], C);
		moveEntry(c, ids[1]!, 4, C);
		exchange(a, b, c);
		exchange(a, b, c);
		const order = titles(a);
		expect(titles(b)).toEqual(order);
		expect(titles(c)).toEqual(order);
		// Every addition is there once; the removed entry is gone; the twice-moved entry is shown once.
		for (const title of ['Track 10', 'Track 20', 'Track 21', 'Track 30', 'Track 5'])
			expect(order.filter((t) => t === title)).toHaveLength(1);
		expect(order).not.toContain('Track 3');
		expect(order).toHaveLength(8);
		expect(readEntries(b).entries.find((e) => e.title === 'Track 1')?.note).toBe('opener');
	});

	it('skips and counts entries that fail validation (a peer can write anything into the doc)', () => {
		const doc = new Y.Doc();
		addEntries(doc, [track(1)], A);
		doc.transact(() => {
			const bad = new Y.Map<unknown>();
			bad.set('data', { ...track(2), hash: 'not-a-hash', addedBy: A.peerId, addedByName: 'x', addedAt: 1 });
			doc.getMap('entries').set('00000000-0000-0000-0000-000000000000', bad);
			doc.getArray('order').push(['00000000-0000-0000-0000-000000000000', 'missing-id']);
			const huge = new Y.Map<unknown>();
			huge.set('data', { ...track(3), title: 'x'.repeat(10_000), addedBy: A.peerId, addedByName: 'x', addedAt: 1 });
			doc.getMap('entries').set('11111111-1111-1111-1111-111111111111', huge);
			doc.getArray('log').push([{ at: 'yesterday' }]);
		});
		const { entries, invalid } = readEntries(doc);
		expect(entries.map((e) => e.title)).toEqual(['Track 1']);
		expect(invalid).toBe(2);
		expect(readHistory(doc)).toHaveLength(1);
	});

	it('takes cue colours only from the palette or as #rrggbb (`constructor` is no colour)', () => {
		const doc = new Y.Doc();
		const withColor = (n: number, color: string) => ({ ...track(n), cues: [{ ...track(n).cues[0]!, color }] });
		addEntries(
			doc,
			[
				withColor(1, 'red'),
				withColor(2, '#00ff00'),
				withColor(3, ''),
				withColor(4, 'constructor'),
				withColor(5, 'toString'),
				withColor(6, '__proto__'),
				withColor(7, 'aqua')
			],
			A
		);
		const { entries, invalid } = readEntries(doc);
		expect(entries.map((e) => e.cues[0]!.color)).toEqual(['red', '#00ff00', '']);
		expect(invalid).toBe(4);
	});

	it('notes are capped and an unchanged note records nothing', () => {
		const doc = new Y.Doc();
		const [id] = addEntries(doc, [track(1)], A);
		annotate(doc, id!, 'y'.repeat(2000), A);
		annotate(doc, id!, 'y'.repeat(2000), A);
		expect(readEntries(doc).entries[0]!.note).toHaveLength(500);
		expect(readHistory(doc).filter((h) => h.op === 'note')).toHaveLength(1);
	});
});
