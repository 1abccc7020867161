import { describe, expect, it } from 'vitest';
import { decodeHlc, encodeHlc, HlcClock, isHlc } from './hlc';

describe('HLC', () => {
	it('encodes so that string order is (ms, counter, node) order', () => {
		const stamps = [
			{ ms: 5, counter: 0, node: 'ffffffffffff' },
			{ ms: 5, counter: 1, node: '000000000000' },
			{ ms: 36 ** 3, counter: 0, node: '000000000000' },
			{ ms: 1_732_000_000_000, counter: 35, node: '0123456789ab' },
			{ ms: 1_732_000_000_000, counter: 36, node: '0123456789ab' }
		].map(encodeHlc);
		expect([...stamps].sort()).toEqual(stamps);
		for (const stamp of stamps) expect(isHlc(stamp)).toBe(true);
		expect(decodeHlc(stamps[3]!)).toEqual({ ms: 1_732_000_000_000, counter: 35, node: '0123456789ab' });
	});

	it('never goes backwards when the wall clock steps back, and stays unique', () => {
		let wall = 1_000_000;
		const clock = new HlcClock('aaaaaaaaaaaa', () => wall);
		const seen: string[] = [];
		for (let i = 0; i < 2000; i++) {
			wall += Math.round((Math.random() - 0.6) * 50);
			seen.push(clock.now());
		}
		for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
	});

	it('moves past a stamp from a device whose clock runs ahead (an edit after seeing a change wins)', () => {
		const ahead = new HlcClock('bbbbbbbbbbbb', () => 2_000_000_000_000);
		const behind = new HlcClock('aaaaaaaaaaaa', () => 1_000_000_000_000);
		const theirs = ahead.now();
		behind.observe(theirs);
		const mine = behind.now();
		expect(mine > theirs).toBe(true);
		expect(decodeHlc(mine).node).toBe('aaaaaaaaaaaa');
		// Garbage is ignored, not adopted.
		behind.observe('zzzzzzzzzzzzzzzzzzzzzzzzzz');
		expect(behind.now() > mine).toBe(true);
	});

	it('borrows the next millisecond when the counter is exhausted', () => {
		const clock = new HlcClock('cccccccccccc', () => 10);
		let last = clock.now();
		for (let i = 0; i < 36 ** 4 + 5; i++) {
			const next = clock.now();
			if (!(next > last)) throw new Error(`not increasing at ${i}`);
			last = next;
		}
		expect(decodeHlc(last).ms).toBe(11);
	});

	it('rejects malformed nodes', () => {
		expect(() => new HlcClock('xyz')).toThrow();
	});
});
