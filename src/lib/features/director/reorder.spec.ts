import { describe, expect, it } from 'vitest';
import { move } from './reorder';

describe('move', () => {
	it('moves down, up, and clamps the target', () => {
		expect(move(['a', 'b', 'c', 'd'], 0, 2)).toEqual(['b', 'c', 'a', 'd']);
		expect(move(['a', 'b', 'c', 'd'], 3, 1)).toEqual(['a', 'd', 'b', 'c']);
		expect(move(['a', 'b', 'c'], 0, 99)).toEqual(['b', 'c', 'a']);
		expect(move(['a', 'b', 'c'], 2, -5)).toEqual(['c', 'a', 'b']);
	});
	it('leaves the list alone for a bad source and never mutates it', () => {
		const list = ['a', 'b'];
		expect(move(list, 5, 0)).toEqual(['a', 'b']);
		move(list, 0, 1);
		expect(list).toEqual(['a', 'b']);
	});
});
