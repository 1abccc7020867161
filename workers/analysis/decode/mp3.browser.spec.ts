import { describe, expect, it } from 'vitest';
import { openAudio } from './index';
import { firstChannel } from './test-decode';

// Rendered by tests/tools/analysis/make-mp3-delay-fixtures.js: a click at `clickSec` in silence.
const fixtures: { file: string; rate: number; channels: number; seconds: number; clickSec: number; header: boolean }[] =
	await (await fetch(new URL('../testdata/mp3-delay.json', import.meta.url))).json();

const fixture = async (name: string) => (await fetch(new URL(`../testdata/${name}`, import.meta.url))).blob();

/** The first sample of the first channel louder than the click's threshold, and the length. */
function onsetOf(planes: Float32Array[]): { onset: number; length: number } {
	return { onset: planes[0]!.findIndex((v) => Math.abs(v) > 0.1), length: planes[0]!.length };
}

async function analysed(blob: Blob) {
	const stream = await openAudio(blob);
	return { ...onsetOf([await firstChannel(stream)]), durationSec: stream.durationSec };
}

/** What the browser plays: Chromium's own MP3 path (FFmpeg's demuxer), at the file's rate. */
async function played(blob: Blob, rate: number) {
	const buffer = await new OfflineAudioContext(1, 1, rate).decodeAudioData(await blob.arrayBuffer());
	return onsetOf([buffer.getChannelData(0)]);
}

describe('MP3 encoder delay', () => {
	it.each(fixtures.map((f) => [f.file, f] as const))(
		'%s: analysis sees the samples the browser plays, at the same times',
		async (file, f) => {
			const blob = await fixture(file);
			const ours = await analysed(blob);
			const theirs = await played(blob, f.rate);
			expect(Math.abs(ours.onset - theirs.onset)).toBeLessThanOrEqual(2);
			expect(ours.length).toBe(theirs.length);
			if (f.header) {
				// The Info frame is skipped and the LAME tag's delays trimmed: the click is where it was encoded,
				// and the track is exactly as long as the source.
				expect(Math.abs(ours.onset - f.clickSec * f.rate)).toBeLessThanOrEqual(3);
				expect(ours.length).toBe(Math.round(f.seconds * f.rate));
				expect(ours.durationSec).toBeCloseTo(f.seconds, 6);
			} else {
				// No header to say the delays: nothing trimmed, as when the browser plays it (the decoder's 529).
				expect(ours.onset - f.clickSec * f.rate).toBeGreaterThan(500);
			}
		}
	);
});
