import { it } from 'vitest';
import { ChromaAnalyser } from '../../../workers/analysis/chroma';
import { Resampler } from '../../../workers/analysis/dsp';
import { renderTrack } from './synth.js';

it('debug', () => {
	const sr = 44100;
	const sine = new Float32Array(sr * 3).map((_, i) => Math.sin((2 * Math.PI * 440 * i) / sr));
	const low = new Resampler(sr, 11025).process(sine);
	const c = new ChromaAnalyser(11025);
	c.push(low);
	const p = c.profile();
	console.log('sine440 via resampler max bin', p.indexOf(Math.max(...p)), low.length);
	const audio = renderTrack({ name: 'x', style: 'ambient', bpm: 75, tonic: 2, scale: 'minor', seconds: 20 });
	const c2 = new ChromaAnalyser(44100, 16384, 8192);
	c2.push(audio.left);
	const p2 = c2.profile();
	console.log(
		'direct 44k',
		[...p2]
			.filter((_, i) => i % 3 === 0)
			.map((v) => v.toFixed(2))
			.join(' ')
	);
});
