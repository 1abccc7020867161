import { createRequire } from 'node:module';
import { it } from 'vitest';
import { ChromaAnalyser, type ChromaOptions } from '../../../workers/analysis/chroma';
import { Resampler } from '../../../workers/analysis/dsp';
import type { EssentiaApi } from '../../../workers/analysis/essentia';
import { mirexKeyScore, parseKey as parseAny } from '../../../src/lib/features/analysis/keys';
import { groundTruth, parseKey } from './fixtures.js';
import { renderTrack } from './synth.js';

const require = createRequire(import.meta.url);
const { EssentiaWASM, Essentia } = require('essentia.js');
const api = new Essentia(EssentiaWASM) as EssentiaApi;

it('Key options', () => {
	const truth = groundTruth();
	const renders = truth.tracks.map((track) => {
		const key = parseKey(track.key);
		const audio = renderTrack({ ...track, ...key, seconds: 30, leadInSec: track.leadInSec });
		const mono = audio.left.map((v, i) => (v + audio.right[i]!) / 2);
		return { key, low: new Resampler(44100, 11025).process(mono) };
	});
	const chromaVariants: [number, ChromaOptions, number, number][] = [
		[1, { power: 1, whiten: true }, 4096, 2048],
		[1, { power: 1, whiten: true, minFreq: 80 }, 4096, 2048],
		[1, { power: 1, whiten: true }, 2048, 2048],
		[1, { power: 1, whiten: true }, 4096, 4096]
	];
	for (const [harmonics, options, frame, hop] of chromaVariants) {
		const pcps = renders.map(({ low }) => {
			const chroma = new ChromaAnalyser(11025, frame, hop, harmonics, options);
			chroma.push(low);
			return chroma.profile();
		});
		for (const [poly, three, nh] of [
			[true, true, 4],
			[false, false, 4],
			[true, false, 4],
			[false, true, 4],
			[true, true, 1]
		] as const) {
			const scores: Record<string, number> = {};
			for (const profile of ['edma', 'edmm', 'bgate', 'temperley', 'krumhansl', 'shaath']) {
				let total = 0;
				renders.forEach(({ key }, i) => {
					const v = api.arrayToVector(pcps[i]!);
					const r = api.Key(v, nh, 36, profile, 0.6, false, poly, three);
					v.delete();
					const est = parseAny(`${r.key} ${r.scale}`);
					total += est ? mirexKeyScore(est, key) : 0;
				});
				scores[profile] = Math.round((total / renders.length) * 1000) / 1000;
			}
			console.log('variant', frame, hop, JSON.stringify(options), poly, three, nh, JSON.stringify(scores));
		}
	}
});
