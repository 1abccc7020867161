#!/usr/bin/env node
// Writes the MP3 fixtures for encoder-delay trimming (workers/analysis/decode/mp3.browser.spec.ts): a 5 ms
// click at exactly CLICK_SEC in silence, encoded by FFmpeg's LAME with its Xing/Info frame and LAME tag
// (stereo MPEG-1 and mono MPEG-2, whose headers sit at different offsets) and without any (`-write_xing
// 0`). Re-run only to change them: `node tests/tools/analysis/make-mp3-delay-fixtures.js`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav } from '../../../src/lib/features/player/wav.js';
import { encode } from './fixtures.js';

const dir = fileURLToPath(new URL('../../../workers/analysis/testdata', import.meta.url));
const SECONDS = 1.5;
const CLICK_SEC = 0.5;

/** @param {number} rate @param {number} channels */
function click(rate, channels) {
	const samples = new Float32Array(Math.round(SECONDS * rate));
	const at = Math.round(CLICK_SEC * rate);
	for (let i = 0; i < rate * 0.005; i++) samples[at + i] = 0.6 * Math.sin((2 * Math.PI * 1000 * i) / rate);
	return encodeWav(
		Array.from({ length: channels }, () => Array.from(samples)),
		rate
	);
}

const fixtures = [
	{ file: 'click-lame-stereo.mp3', rate: 44100, channels: 2, extra: ['-b:a', '128k'] },
	{ file: 'click-lame-mono-22k.mp3', rate: 22050, channels: 1, extra: ['-b:a', '32k'] },
	{ file: 'click-no-header.mp3', rate: 44100, channels: 1, extra: ['-b:a', '64k', '-write_xing', '0'] }
];
const truth = fixtures.map(({ file, rate, channels, extra }) => {
	encode(click(rate, channels), join(dir, file), 'mp3', extra);
	return { file, rate, channels, seconds: SECONDS, clickSec: CLICK_SEC, header: !extra.includes('-write_xing') };
});
writeFileSync(join(dir, 'mp3-delay.json'), `${JSON.stringify(truth, null, '\t')}\n`);
console.log(`wrote ${fixtures.length} MP3 fixtures to ${dir}`);
