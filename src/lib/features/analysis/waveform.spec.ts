import { describe, expect, it } from 'vitest';
import { downsamplePeaks, packPeaks, unpackBand } from './waveform';

describe('waveform packing', () => {
	it('packs to one byte per value with a square-root curve and back', () => {
		const bytes = packPeaks([0, 0.25, 1, 0.5, 0.01, 0]);
		expect([...bytes]).toEqual([0, 128, 255, 180, 26, 0]);
		const low = unpackBand(bytes, 0, 3);
		expect(low[0]).toBe(0);
		expect(low[1]).toBeCloseTo(0.5, 1);
		expect(unpackBand(bytes, 2, 3)[0]).toBeCloseTo(1);
	});

	it('handles silence and an explicit scale', () => {
		expect([...packPeaks([0, 0, 0])]).toEqual([0, 0, 0]);
		expect([...packPeaks([2, 8], 8)]).toEqual([128, 255]);
	});

	it('downsamples per band with the maximum', () => {
		const peaks = new Float32Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 4, 0, 0]);
		expect([...downsamplePeaks(peaks, 3, 2)]).toEqual([1, 2, 0, 4, 0, 3]);
		expect(downsamplePeaks(peaks, 3, 10).length).toBe(12);
	});
});
