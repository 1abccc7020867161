import { describe, expect, it } from 'vitest';
import { ChromaAnalyser } from './chroma';

function sines(freqs: number[], rate: number, seconds: number): Float32Array {
	const out = new Float32Array(rate * seconds);
	for (const f of freqs)
		for (let i = 0; i < out.length; i++) out[i] = out[i]! + Math.sin((2 * Math.PI * f * i) / rate) / freqs.length;
	return out;
}

describe('ChromaAnalyser', () => {
	it('puts A440 in bin 0 and C in bin 9', () => {
		for (const [freq, bin] of [
			[440, 0],
			[261.63, 9],
			[329.63, 21]
		] as const) {
			const chroma = new ChromaAnalyser(11025);
			chroma.push(sines([freq], 11025, 3));
			const profile = chroma.profile();
			expect(profile.indexOf(Math.max(...profile))).toBe(bin);
		}
	});
});
