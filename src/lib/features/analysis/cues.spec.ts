import { describe, expect, it } from 'vitest';
import type { CueRow } from '$lib/db';
import { cueColorHex, cueLabel, loopEnd, placeCue, slotLetter, sortCues } from './cues';

const grid = { bpm: 120, firstDownbeatSec: 0.25, beatsPerBar: 4 };
const cue = (over: Partial<CueRow>): CueRow => ({
	hash: 'h',
	kind: 'memory',
	slot: -1,
	startSec: 0,
	endSec: null,
	name: '',
	color: 'blue',
	createdAt: 0,
	...over
});

describe('cue points', () => {
	it('snaps to the beat grid when asked, and stays inside the track', () => {
		expect(placeCue(1.1, grid, true, 60)).toBe(1.25);
		expect(placeCue(1.1, grid, false, 60)).toBe(1.1);
		expect(placeCue(1.1, null, true, 60)).toBe(1.1);
		expect(placeCue(-3, grid, false, 60)).toBe(0);
		expect(placeCue(99, grid, true, 60)).toBe(60);
	});

	it('makes loops of whole beats', () => {
		expect(loopEnd(1.25, grid, 16, 60)).toBe(9.25);
		expect(loopEnd(58, grid, 16, 60)).toBe(60);
	});

	it('labels and sorts hot cues A–H before memory cues and loops', () => {
		expect(slotLetter(0)).toBe('A');
		expect(slotLetter(7)).toBe('H');
		expect(cueLabel(cue({ kind: 'hot', slot: 2, name: ' Drop ' }))).toBe('C Drop');
		expect(cueLabel(cue({ kind: 'loop' }))).toBe('⟲');
		const sorted = sortCues([
			cue({ kind: 'memory', startSec: 5 }),
			cue({ kind: 'hot', slot: 3, startSec: 1 }),
			cue({ kind: 'loop', startSec: 2, endSec: 4 }),
			cue({ kind: 'hot', slot: 0, startSec: 9 })
		]);
		expect(sorted.map((c) => `${c.kind}${c.slot}@${c.startSec}`)).toEqual([
			'hot0@9',
			'hot3@1',
			'loop-1@2',
			'memory-1@5'
		]);
	});

	it('draws only palette colours, never a name Object.prototype has', () => {
		expect(cueColorHex('red')).toBe('#ef4444');
		for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', '', 'aqua'])
			expect(cueColorHex(name), name).toBeUndefined();
	});
});
