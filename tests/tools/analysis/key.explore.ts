import { createRequire } from 'node:module';
import { it } from 'vitest';
import { ChromaAnalyser, type ChromaOptions } from '../../../workers/analysis/chroma';
import { Resampler } from '../../../workers/analysis/dsp';
import { estimateKey } from '../../../workers/analysis/key';
import type { EssentiaApi } from '../../../workers/analysis/essentia';
import { mirexKeyScore } from '../../../src/lib/features/analysis/keys';
import { groundTruth, parseKey } from './fixtures.js';
import { renderTrack } from './synth.js';

const require = createRequire(import.meta.url);
const { EssentiaWASM, Essentia } = require('essentia.js');
const api = new Essentia(EssentiaWASM) as EssentiaApi;

it('key profiles and HPCP harmonics on the ground truth', () => {
	const truth = groundTruth();
	const profiles = ['edma', 'edmm', 'bgate', 'temperley', 'krumhansl', 'shaath', 'noland', 'braw'] as const;
	const renders = truth.tracks.map((track) => {
		const key = parseKey(track.key);
		const audio = renderTrack({ ...track, ...key, seconds: 30, leadInSec: track.leadInSec });
		const mono = audio.left.map((v, i) => (v + audio.right[i]!) / 2);
		return { key, low: new Resampler(44100, 11025).process(mono) };
	});
	const variants: [number, ChromaOptions][] = [
		[4, { power: 2, whiten: false }],
		[4, { power: 1, whiten: false }],
		[4, { power: 1, whiten: true }],
		[4, { power: 2, whiten: true }],
		[1, { power: 1, whiten: true }],
		[2, { power: 1, whiten: true }],
		[4, { power: 1, whiten: true, minFreq: 100 }],
		[4, { power: 0.5, whiten: true }],
		[4, { power: 1, whiten: true, harmonicDecay: 0.8 }]
	];
	for (const [harmonics, options] of variants) {
		const scores: Record<string, number> = {};
		for (const { key, low } of renders) {
			const chroma = new ChromaAnalyser(11025, 4096, 2048, harmonics, options);
			chroma.push(low);
			const pcp = chroma.profile();
			for (const profile of profiles) {
				const est = estimateKey(api, pcp, profile);
				scores[profile] = (scores[profile] ?? 0) + (est ? mirexKeyScore(est, key) : 0) / truth.tracks.length;
			}
		}
		console.log('variant', harmonics, JSON.stringify(options), JSON.stringify(scores));
	}
});
