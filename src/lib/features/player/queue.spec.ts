import { describe, expect, it } from 'vitest';
import {
	addToQueue,
	advance,
	clear,
	emptyQueue,
	move,
	playNext,
	playNow,
	previous,
	remove,
	setRepeat,
	setShuffle,
	type QueueState
} from './queue';

const hashes = (state: QueueState) => state.upcoming.map((e) => e.hash);
let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;

describe('queue', () => {
	it('play now, play next, add to queue, advance and previous', () => {
		let q = playNow(emptyQueue(), ['a', 'b', 'c'], 1, 'library', random);
		expect(q.current?.hash).toBe('b');
		expect(hashes(q)).toEqual(['c', 'a']);
		q = playNext(q, ['x', 'y'], 'library');
		q = addToQueue(q, ['z'], 'library');
		expect(hashes(q)).toEqual(['x', 'y', 'c', 'a', 'z']);
		q = advance(q, 'ended');
		expect(q.current?.hash).toBe('x');
		expect(q.history.map((e) => e.hash)).toEqual(['b']);
		q = previous(q);
		expect(q.current?.hash).toBe('b');
		expect(hashes(q)).toEqual(['x', 'y', 'c', 'a', 'z']);
	});

	it('adding to an idle queue starts it', () => {
		const q = addToQueue(emptyQueue(), ['a', 'b'], 'library');
		expect(q.current?.hash).toBe('a');
		expect(hashes(q)).toEqual(['b']);
	});

	it('reorders, removes and clears', () => {
		let q = playNow(emptyQueue(), ['a', 'b', 'c', 'd'], 0, 'library', random);
		q = move(q, 2, 0);
		expect(hashes(q)).toEqual(['d', 'b', 'c']);
		q = remove(q, q.upcoming[1]!.uid);
		expect(hashes(q)).toEqual(['d', 'c']);
		q = clear(q);
		expect(hashes(q)).toEqual([]);
		expect(advance(q, 'ended').current).toBeNull();
	});

	it('shuffle keeps every entry and turning it off restores the order', () => {
		const list = Array.from({ length: 20 }, (_, i) => `t${i}`);
		let q = playNow(emptyQueue(), list, 0, 'library', random);
		q = setShuffle(q, true, random);
		expect([...hashes(q)].sort()).toEqual(list.slice(1).sort());
		expect(hashes(q)).not.toEqual(list.slice(1));
		q = advance(q, 'skip');
		q = setShuffle(q, false, random);
		expect(hashes(q)).toEqual(list.slice(1).filter((h) => h !== q.current!.hash));
	});

	it('repeat one replays on end but not on skip; repeat all refills from the context', () => {
		let q = setRepeat(playNow(emptyQueue(), ['a', 'b'], 0, 'library', random), 'one');
		q = advance(q, 'ended');
		expect(q.current?.hash).toBe('a');
		q = advance(q, 'skip');
		expect(q.current?.hash).toBe('b');
		q = setRepeat(q, 'all');
		q = advance(q, 'ended');
		expect(q.current?.hash).toBe('a');
		expect(hashes(q)).toEqual(['b']);
	});
});
