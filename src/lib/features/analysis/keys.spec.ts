import { describe, expect, it } from 'vitest';
import {
	camelotNeighbours,
	formatKey,
	mirexKeyScore,
	parseKey,
	relativeKey,
	toCamelot,
	toOpenKey,
	toShort,
	toStandard,
	type MusicalKey
} from './keys';

const key = (text: string) => parseKey(text)!;

describe('key notation', () => {
	it('converts standard ↔ Camelot ↔ Open Key around the whole wheel', () => {
		const majors = ['C', 'G', 'D', 'A', 'E', 'B', 'F#', 'Db', 'Ab', 'Eb', 'Bb', 'F'];
		const minors = ['A', 'E', 'B', 'F#', 'C#', 'G#', 'Eb', 'Bb', 'F', 'C', 'G', 'D'];
		majors.forEach((name, i) => {
			const camelot = `${((i + 7) % 12) + 1}B`;
			expect(toCamelot(key(`${name} major`))).toBe(camelot);
			expect(toOpenKey(key(`${name} major`))).toBe(`${i + 1}d`);
			expect(toStandard(key(camelot))).toBe(`${name} major`);
			expect(toStandard(key(`${i + 1}d`))).toBe(`${name} major`);
		});
		minors.forEach((name, i) => {
			expect(toCamelot(key(`${name}m`))).toBe(`${((i + 7) % 12) + 1}A`);
			expect(toOpenKey(key(`${name} minor`))).toBe(`${i + 1}m`);
			expect(toStandard(key(`${((i + 7) % 12) + 1}A`))).toBe(`${name} minor`);
		});
	});

	it('parses the spellings people type', () => {
		expect(parseKey('Gb')).toEqual({ tonic: 6, scale: 'major' });
		expect(parseKey('a min')).toEqual({ tonic: 9, scale: 'minor' });
		expect(parseKey('D♭ major')).toEqual({ tonic: 1, scale: 'major' });
		expect(parseKey('12a')).toEqual({ tonic: 1, scale: 'minor' });
		expect(parseKey('H major')).toBeNull();
		expect(parseKey('13A')).toBeNull();
		expect(toShort({ tonic: 1, scale: 'minor' })).toBe('C#m');
		expect(formatKey({ tonic: 9, scale: 'minor' }, 'camelot')).toBe('8A');
		expect(formatKey({ tonic: 9, scale: 'minor' }, 'openkey')).toBe('1m');
		expect(formatKey({ tonic: 9, scale: 'minor' }, 'standard')).toBe('A minor');
	});

	it('lists Camelot neighbours: same, relative, +1, −1', () => {
		expect(camelotNeighbours(key('8A')).map(toCamelot)).toEqual(['8A', '8B', '9A', '7A']);
		expect(camelotNeighbours(key('12B')).map(toCamelot)).toEqual(['12B', '12A', '1B', '11B']);
		expect(camelotNeighbours(key('1A')).map(toCamelot)).toEqual(['1A', '1B', '2A', '12A']);
		expect(relativeKey(relativeKey(key('F#m')))).toEqual(key('F#m'));
	});

	it('scores keys the MIREX way', () => {
		const am: MusicalKey = key('A minor');
		expect(mirexKeyScore(am, am)).toBe(1);
		expect(mirexKeyScore(key('E minor'), am)).toBe(0.5);
		expect(mirexKeyScore(key('D minor'), am)).toBe(0);
		expect(mirexKeyScore(key('D minor'), am, true)).toBe(0.5);
		expect(mirexKeyScore(key('C major'), am)).toBe(0.3);
		expect(mirexKeyScore(am, key('C major'))).toBe(0.3);
		expect(mirexKeyScore(key('A major'), am)).toBe(0.2);
		expect(mirexKeyScore(key('Bb major'), am)).toBe(0);
	});
});
