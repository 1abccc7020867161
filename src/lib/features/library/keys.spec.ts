import { describe, expect, it } from 'vitest';
import { camelotNeighbours, toCamelot } from './keys';

describe('key spellings to Camelot', () => {
	it('reads standard notation, sharps and flats', () => {
		expect(toCamelot('Am')).toBe('8A');
		expect(toCamelot('A minor')).toBe('8A');
		expect(toCamelot('C')).toBe('8B');
		expect(toCamelot('C major')).toBe('8B');
		expect(toCamelot('F#m')).toBe('11A');
		expect(toCamelot('Gbm')).toBe('11A');
		expect(toCamelot('Bb')).toBe('6B');
		expect(toCamelot('A#')).toBe('6B');
		expect(toCamelot('Ebm')).toBe('2A');
	});

	it('reads Camelot and Open Key codes', () => {
		expect(toCamelot('8a')).toBe('8A');
		expect(toCamelot('12B')).toBe('12B');
		expect(toCamelot('1m')).toBe('8A');
		expect(toCamelot('1d')).toBe('8B');
		expect(toCamelot('6m')).toBe('1A');
	});

	it('rejects what is not a key', () => {
		for (const bad of ['', 'H', '13A', 'minor', 'Am7', '0B']) expect(toCamelot(bad), bad).toBeNull();
	});

	it('lists harmonic neighbours, wrapping around the wheel', () => {
		expect(camelotNeighbours('8A')).toEqual(['8A', '7A', '9A', '8B']);
		expect(camelotNeighbours('1B')).toEqual(['1B', '12B', '2B', '1A']);
		expect(camelotNeighbours('12A')).toEqual(['12A', '11A', '1A', '12B']);
		expect(camelotNeighbours('nope')).toEqual([]);
	});
});
