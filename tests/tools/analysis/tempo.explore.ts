import { createRequire } from 'node:module';
import { it } from 'vitest';
import { Resampler } from '../../../workers/analysis/dsp';
import type { EssentiaApi } from '../../../workers/analysis/essentia';
import { OnsetAnalyser } from '../../../workers/analysis/onset';
import { estimateTempo } from '../../../workers/analysis/tempo';
import { tempoAccuracy1, tempoAccuracy2 } from '../../../src/lib/features/analysis/tempo';
import { groundTruth, parseKey } from './fixtures.js';
import { renderTrack } from './synth.js';

const require = createRequire(import.meta.url);
const { EssentiaWASM, Essentia } = require('essentia.js');
const api = new Essentia(EssentiaWASM) as EssentiaApi;

it('tempo on the ground truth', () => {
	const truth = groundTruth();
	let a1 = 0;
	let a2 = 0;
	let p1 = 0;
	let p2 = 0;
	for (const track of truth.tracks) {
		const audio = renderTrack({ ...track, ...parseKey(track.key), seconds: 30, leadInSec: track.leadInSec });
		const mono = audio.left.map((v, i) => (v + audio.right[i]!) / 2);
		const low = new Resampler(44100, 11025).process(mono);
		const onset = new OnsetAnalyser(11025);
		onset.push(low);
		const t0 = performance.now();
		const est = estimateTempo(api, {
			odf: onset.flux.view(),
			low: onset.low.view(),
			latencySec: onset.latencySec,
			frameRate: onset.frameRate,
			range: [70, 180]
		});
		const ms = performance.now() - t0;
		const v = api.arrayToVector(low);
		const t1 = performance.now();
		const percival = api.PercivalBpmEstimator(v, 1024, 2048, 128, 128, 210, 50, 11025).bpm;
		const pms = performance.now() - t1;
		v.delete();
		a1 += +tempoAccuracy1(est.bpm, track.bpm);
		a2 += +tempoAccuracy2(est.bpm, track.bpm);
		p1 += +tempoAccuracy1(percival, track.bpm);
		p2 += +tempoAccuracy2(percival, track.bpm);
		const beat = 60 / est.bpm;
		let phase = ((est.firstDownbeatSec - (track.leadInSec ?? 0)) / beat) % 1;
		if (phase > 0.5) phase -= 1;
		if (phase < -0.5) phase += 1;
		console.log(
			track.name,
			'phase',
			phase.toFixed(3),
			'est',
			est.bpm.toFixed(2),
			'tracker',
			est.trackerBpm.toFixed(1),
			'conf',
			est.confidence.toFixed(2),
			'var',
			est.variable,
			'percival',
			percival.toFixed(1),
			`${ms.toFixed(0)}ms/${pms.toFixed(0)}ms`,
			'db',
			est.firstDownbeatSec.toFixed(3)
		);
	}
	const n = truth.tracks.length;
	console.log('ours acc1', a1 / n, 'acc2', a2 / n, 'percival acc1', p1 / n, 'acc2', p2 / n);
});
