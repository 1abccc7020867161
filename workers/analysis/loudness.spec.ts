import { describe, expect, it } from 'vitest';
import { Resampler } from './dsp';
import { LoudnessMeter } from './loudness';

const sine = (freq: number, amplitude: number, rate: number, seconds: number) =>
	Float32Array.from({ length: rate * seconds }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));

describe('EBU R128 integrated loudness', () => {
	it('reads a stereo 1 kHz sine at -23 dBFS as -23 LUFS (EBU Tech 3341 case 1) at 48 and 44.1 kHz', () => {
		for (const rate of [48000, 44100]) {
			const meter = new LoudnessMeter(rate, 2);
			const tone = sine(1000, 10 ** (-23 / 20), rate, 20);
			for (let i = 0; i < tone.length; i += 4096) meter.push([tone.subarray(i, i + 4096), tone.subarray(i, i + 4096)]);
			expect(meter.integrated()).toBeCloseTo(-23, 1);
		}
	});

	it('gates silence out and reports -Infinity for silence only', () => {
		const rate = 48000;
		const meter = new LoudnessMeter(rate, 1);
		meter.push([new Float32Array(rate * 5)]);
		expect(meter.integrated()).toBe(-Infinity);
		meter.push([sine(1000, 10 ** (-20 / 20), rate, 10)]);
		// Mono: one channel of a -20 dBFS sine is -23 LUFS; the silence before it is gated away (the blocks
		// straddling the step cost < 0.1 dB).
		expect(Math.abs(meter.integrated() + 23)).toBeLessThan(0.1);
	});
});

describe('Resampler', () => {
	it('keeps a 1 kHz tone at 1 kHz and the length ratio, across block boundaries', () => {
		const resampler = new Resampler(44100, 11025);
		const input = sine(1000, 0.5, 44100, 2);
		const parts: Float32Array[] = [];
		for (let i = 0; i < input.length; i += 1000) parts.push(resampler.process(input.subarray(i, i + 1000)));
		const out = Float32Array.from(parts.flatMap((p) => [...p]));
		expect(Math.abs(out.length - input.length / 4)).toBeLessThanOrEqual(1);
		let crossings = 0;
		for (let i = 1000; i < out.length; i++) if (out[i - 1]! < 0 && out[i]! >= 0) crossings++;
		expect(crossings).toBeGreaterThanOrEqual(Math.floor(((out.length - 1000) / 11025) * 1000) - 1);
		expect(crossings).toBeLessThanOrEqual(Math.ceil(((out.length - 1000) / 11025) * 1000) + 1);
	});

	it('suppresses content above the new Nyquist', () => {
		const resampler = new Resampler(44100, 11025);
		const out = resampler.process(sine(9000, 0.5, 44100, 1)).subarray(2000);
		const rms = Math.sqrt(out.reduce((s, v) => s + v * v, 0) / out.length);
		expect(rms).toBeLessThan(0.01);
	});
});
