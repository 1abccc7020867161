import { describe, expect, it } from 'vitest';
import { openMp3 } from '$workers/analysis/decode/mp3';
import { firstChannel } from '$workers/analysis/decode/test-decode';
import { analysisLeadSec, DECODER_DELAY, mp3Priming } from './offsets';

const load = async (name: string) =>
	new Blob([await (await fetch(new URL(`../../../../tests/fixtures/interop/${name}`, import.meta.url))).arrayBuffer()]);
const peak = (a: Float32Array) => {
	let m = 0;
	for (let i = 1; i < a.length; i++) if (Math.abs(a[i]!) > Math.abs(a[m]!)) m = i;
	return m;
};

/** The click's sample index as the player decodes it and as the analysis worker's MP3 path does. */
async function clickPositions(blob: Blob) {
	const ctx = new OfflineAudioContext(1, 44100, 44100);
	const player = peak((await ctx.decodeAudioData(await blob.arrayBuffer())).getChannelData(0));
	const stream = await openMp3(blob, new Uint8Array(await blob.slice(0, 64).arrayBuffer()));
	return { player, analysis: peak(await firstChannel(stream)), leadSec: stream.leadSec ?? 0 };
}

// Both files: a single-sample click at sample 44,100 (1.000 s) of 44.1 kHz silence, LAME 3.100 128 kb/s via
// ffmpeg, one with its default Info/LAME frame, one with `-write_xing 0`.
describe('MP3 priming in this browser', () => {
	it('reads the LAME tag (delay 576) and its absence', async () => {
		const lame = mp3Priming(new Uint8Array(await (await load('click-lame.mp3')).slice(0, 65536).arrayBuffer()));
		expect(lame).toEqual({
			sampleRate: 44100,
			samplesPerFrame: 1152,
			infoFrame: true,
			encoderDelay: 576,
			padding: expect.any(Number)
		});
		const bare = mp3Priming(new Uint8Array(await (await load('click-noxing.mp3')).slice(0, 65536).arrayBuffer()));
		expect(bare).toMatchObject({ infoFrame: false, encoderDelay: null });
	});

	it('with a LAME tag: the player and (since analyser version 2) the analysis trim the priming; version 1 lagged by Info frame + delay + 529', async () => {
		const blob = await load('click-lame.mp3');
		const { player, analysis, leadSec } = await clickPositions(blob);
		expect(Math.abs(player - 44100)).toBeLessThanOrEqual(2);
		expect(Math.abs(analysis - player)).toBeLessThanOrEqual(2);
		// What exchange files still move version 1 grids by, and what re-analysis moves a kept grid by.
		const priming = mp3Priming(new Uint8Array(await blob.slice(0, 65536).arrayBuffer()));
		expect(analysisLeadSec(priming)).toBeCloseTo((1152 + 576 + DECODER_DELAY) / 44100, 6);
		expect(leadSec).toBeCloseTo(analysisLeadSec(priming), 6);
	});

	it('without one: nothing is trimmed anywhere, the timelines agree (576 + 529 samples of priming)', async () => {
		const blob = await load('click-noxing.mp3');
		const { player, analysis, leadSec } = await clickPositions(blob);
		expect(Math.abs(player - (44100 + 576 + DECODER_DELAY))).toBeLessThanOrEqual(2);
		expect(analysis).toBe(player);
		expect(leadSec).toBe(0);
		expect(analysisLeadSec(mp3Priming(new Uint8Array(await blob.slice(0, 65536).arrayBuffer())))).toBe(0);
	});
});
