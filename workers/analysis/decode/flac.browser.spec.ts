import { describe, expect, it } from 'vitest';
import { flacFrameHeader } from './flac';
import { openAudio } from './index';
import { firstChannel } from './test-decode';

const fixture = async () =>
	new Uint8Array(await (await fetch(new URL('../testdata/techno-130-D.flac', import.meta.url))).arrayBuffer());

/** Every decoded sample of the first channel, and the declared duration. */
async function decode(bytes: Uint8Array<ArrayBuffer>) {
	const stream = await openAudio(new Blob([bytes]));
	return { samples: await firstChannel(stream), durationSec: stream.durationSec };
}

/** The byte offset of the first frame header at or after `from`. */
function frameAt(bytes: Uint8Array, from: number): number {
	let at = from;
	while (!flacFrameHeader(bytes, at)) at++;
	return at;
}

/** Where `damaged` differs from `intact`: the first and last differing sample (-1 when none). */
function differs(intact: Float32Array, damaged: Float32Array): [number, number] {
	let first = -1;
	let last = -1;
	for (let i = 0; i < intact.length; i++)
		if (intact[i] !== damaged[i]) {
			if (first < 0) first = i;
			last = i;
		}
	return [first, last];
}

describe('FLAC with damage mid-file', () => {
	it.each([
		['inside one frame’s audio', 200, 300],
		['across a frame header (that frame and the one before cannot be told apart)', -20, 20]
	] as const)('damage %s: silence in its place, everything after it intact and on time', async (_, from, to) => {
		const bytes = await fixture();
		const intact = await decode(bytes);
		const damaged = bytes.slice();
		const header = frameAt(bytes, Math.floor(bytes.length / 2));
		for (let i = header + from; i < header + to; i++) damaged[i]! ^= 0x5a;
		const result = await decode(damaged);
		expect(result.samples.length).toBe(intact.samples.length);
		expect(result.durationSec).toBe(intact.durationSec);
		const [first, last] = differs(intact.samples, result.samples);
		// Only a frame or two (this file's frames are 2,304 samples) around the middle, and silent there.
		expect(first).toBeGreaterThan(intact.samples.length * 0.4);
		expect(last - first).toBeLessThan(2 * 2304);
		expect(result.samples.subarray(first, last + 1).every((v) => v === 0)).toBe(true);
	});
});
