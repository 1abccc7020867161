import { describe, expect, it } from 'vitest';
import * as js from '../../../../tests/tools/analysis/scoring.js';
import { mirexKeyScore, type MusicalKey } from './keys';
import { tempoAccuracy1, tempoAccuracy2 } from './tempo';

describe('bench scoring copies agree with the app helpers', () => {
	it('MIREX key score for every pair of keys', () => {
		const keys: MusicalKey[] = [];
		for (let tonic = 0; tonic < 12; tonic++)
			for (const scale of ['major', 'minor'] as const) keys.push({ tonic, scale });
		for (const a of keys) for (const b of keys) expect(js.mirexKeyScore(a, b)).toBe(mirexKeyScore(a, b));
	});
	it('tempo accuracies', () => {
		for (const est of [60, 84, 87, 120, 124.9, 168, 174, 250]) {
			for (const ref of [84, 87, 120, 125, 174]) {
				expect(js.tempoAccuracy1(est, ref)).toBe(tempoAccuracy1(est, ref));
				expect(js.tempoAccuracy2(est, ref)).toBe(tempoAccuracy2(est, ref));
			}
		}
	});
});
