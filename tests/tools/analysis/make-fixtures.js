#!/usr/bin/env node
// Writes the small committed compressed fixtures the real-Chromium worker tests decode
// (workers/analysis/testdata/*, inside Vite's fs.allow so browser tests can read them). Re-run only when synth.js changes: `node tests/tools/analysis/make-fixtures.js`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from './fixtures.js';
import { encodeWav, renderTrack } from './synth.js';

const dir = fileURLToPath(new URL('../../../workers/analysis/testdata', import.meta.url));
mkdirSync(dir, { recursive: true });

/** @type {{ file: string, spec: import('./synth.js').TrackSpec, extra: string[] }[]} */
const clips = [
	{
		file: 'house-124-Am.mp3',
		spec: { name: 'clip-mp3', style: 'house', bpm: 124, tonic: 9, scale: 'minor', seconds: 20, leadInSec: 1 },
		extra: ['-b:a', '128k']
	},
	{
		file: 'dnb-174-Fm.ogg',
		spec: { name: 'clip-ogg', style: 'dnb', bpm: 174, tonic: 5, scale: 'minor', seconds: 20 },
		extra: ['-q:a', '2']
	},
	{
		file: 'hiphop-92-Eb.opus',
		spec: { name: 'clip-opus', style: 'hiphop', bpm: 92, tonic: 3, scale: 'major', seconds: 20 },
		extra: ['-b:a', '64k']
	},
	{
		file: 'techno-130-D.flac',
		spec: { name: 'clip-flac', style: 'techno', bpm: 130, tonic: 2, scale: 'major', seconds: 12 },
		extra: ['-ac', '1', '-ar', '22050']
	},
	{
		file: 'breakbeat-110-Em.m4a',
		spec: { name: 'clip-m4a', style: 'breakbeat', bpm: 110, tonic: 4, scale: 'minor', seconds: 20 },
		extra: ['-b:a', '96k']
	}
];
const truth = [];
for (const clip of clips) {
	const wav = encodeWav(renderTrack(clip.spec));
	encode(wav, join(dir, clip.file), clip.file.split('.').pop() ?? 'wav', clip.extra);
	truth.push({
		file: clip.file,
		bpm: clip.spec.bpm,
		tonic: clip.spec.tonic,
		scale: clip.spec.scale,
		leadInSec: clip.spec.leadInSec ?? 0
	});
}
writeFileSync(join(dir, 'clips.json'), `${JSON.stringify(truth, null, '\t')}\n`);
console.log(`wrote ${clips.length} clips to ${dir}`);
