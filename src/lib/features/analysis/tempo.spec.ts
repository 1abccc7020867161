import { describe, expect, it } from 'vitest';
import {
	beatInBar,
	beatsBetween,
	foldTempo,
	normaliseGrid,
	retempoGrid,
	shiftGrid,
	snapToBeat,
	tapTempo,
	tempoAccuracy1,
	tempoAccuracy2
} from './tempo';

describe('tempo maths', () => {
	it('folds into the preferred range by octaves and keeps in-range tempos', () => {
		expect(foldTempo(60, [70, 180])).toBe(120);
		expect(foldTempo(348, [70, 180])).toBe(174);
		expect(foldTempo(87, [70, 180])).toBe(87);
		expect(foldTempo(87, [88, 175])).toBe(174);
		expect(foldTempo(30, [70, 180])).toBe(120);
		// A range narrower than an octave keeps the nearest octave.
		expect(foldTempo(100, [120, 130])).toBe(100);
		expect(foldTempo(0, [70, 180])).toBe(0);
	});

	it('measures Accuracy1 and Accuracy2', () => {
		expect(tempoAccuracy1(124.9, 120)).toBe(false);
		expect(tempoAccuracy1(124.7, 120)).toBe(true);
		expect(tempoAccuracy2(87, 174)).toBe(true);
		expect(tempoAccuracy2(58, 174)).toBe(true);
		expect(tempoAccuracy2(116, 174)).toBe(false);
	});

	it('does beat-grid arithmetic', () => {
		const grid = { bpm: 120, firstDownbeatSec: 0.25 };
		expect(beatsBetween(grid, 0, 1.3)).toEqual([0.25, 0.75, 1.25]);
		expect(snapToBeat(grid, 0.6)).toBeCloseTo(0.75);
		expect(snapToBeat(grid, 0.6, 4)).toBeCloseTo(0.625);
		expect(beatInBar(grid, 1.76)).toBe(3);
		expect(beatInBar(grid, -0.25)).toBe(3);
		expect(shiftGrid(grid, { beats: 1 }).firstDownbeatSec).toBeCloseTo(0.75);
		expect(shiftGrid(grid, { seconds: -0.01 }).firstDownbeatSec).toBeCloseTo(0.24);
		expect(normaliseGrid({ bpm: 120, firstDownbeatSec: 4.25 }).firstDownbeatSec).toBeCloseTo(0.25);
		expect(normaliseGrid({ bpm: 120, firstDownbeatSec: -1.75 }).firstDownbeatSec).toBeCloseTo(0.25);
		expect(retempoGrid(grid, 240, 1.3)).toEqual({ bpm: 240, firstDownbeatSec: 1.25 });
	});

	it('derives tap tempo by least squares', () => {
		expect(tapTempo([0, 0.5, 1, 1.5])).toBeCloseTo(120);
		expect(tapTempo([0.01, 0.49, 1.02, 1.49, 2.0])).toBeCloseTo(120, 0);
		expect(tapTempo([1])).toBeNull();
	});
});
