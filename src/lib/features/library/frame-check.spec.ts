import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { damageMiddle, longMix, tone } from '../../../../tests/fixtures/audio.js';
import { createFrameChecker, type FrameCheck } from './frame-check';
import { sniffAudio } from './sniff';

let dir: string;
const files: Record<string, string> = {};

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'cratemesh-frames-'));
	for (const ext of ['mp3', 'flac', 'ogg', 'opus'] as const) {
		files[ext] = tone(dir, {
			name: `t.${ext}`,
			ext,
			title: 'T',
			artist: 'A',
			album: 'B',
			genre: 'G',
			seconds: 30,
			freq: 440
		});
		files[`bad-${ext}`] = damageMiddle(files[ext]!, join(dir, `bad.${ext}`), ext === 'flac' ? 64 * 1024 : 16 * 1024);
	}
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the checker over a file, whole or in slices of `slice` bytes. */
function check(path: string, slice = 0): FrameCheck {
	const bytes = new Uint8Array(readFileSync(path));
	const sniffed = sniffAudio(bytes.subarray(0, 65536), bytes.length)!;
	const checker = createFrameChecker(sniffed.format, sniffed.audioStart)!;
	if (!slice) checker.push(bytes, true);
	else
		for (let at = 0; at < bytes.length; at += slice)
			checker.push(bytes.subarray(at, at + slice), at + slice >= bytes.length);
	return checker.result();
}

describe('frame check', () => {
	for (const ext of ['mp3', 'flac', 'ogg', 'opus']) {
		it(`${ext}: an intact file passes and its frames give the duration, whole or in slices`, () => {
			for (const slice of [0, 4096, 1000]) {
				const result = check(files[ext]!, slice);
				expect(result.damaged).toEqual([]);
				expect(result.truncated).toBeNull();
				expect(result.endsAbruptly).toBeNull();
				expect(result.duration).toBeGreaterThan(29.9);
				expect(result.duration).toBeLessThan(30.1);
			}
		});

		it(`${ext}: damage in the middle is found there, the same whole or in slices`, () => {
			const whole = check(files[`bad-${ext}`]!);
			expect(whole.damaged.length).toBeGreaterThanOrEqual(1);
			const [span] = whole.damaged;
			// The noise starts at the middle of the file, ~15 s in.
			expect(span!.at).toBeGreaterThan(12);
			expect(span!.at).toBeLessThan(17);
			expect(span!.seconds).toBeGreaterThan(0);
			expect(whole.truncated).toBeNull();
			expect(check(files[`bad-${ext}`]!, 4096).damaged).toEqual(whole.damaged);
			expect(check(files[`bad-${ext}`]!, 777).damaged).toEqual(whole.damaged);
		});
	}

	it('a file cut in half is truncated (FLAC: total samples) or ends abruptly (Ogg)', () => {
		const flac = readFileSync(files.flac!);
		writeFileSync(join(dir, 'half.flac'), flac.subarray(0, flac.length / 2));
		const cut = check(join(dir, 'half.flac'));
		expect(cut.truncated?.declared).toBeCloseTo(30, 0);
		expect(cut.truncated?.found).toBeLessThan(20);
		const ogg = readFileSync(files.ogg!);
		writeFileSync(join(dir, 'half.ogg'), ogg.subarray(0, Math.floor(ogg.length / 2) + 7));
		expect(check(join(dir, 'half.ogg')).endsAbruptly).toBeGreaterThan(5);
	});

	it('noise after a valid start is mostly damage', () => {
		const mp3 = readFileSync(files.mp3!);
		writeFileSync(join(dir, 'noisy.mp3'), mp3);
		damageMiddle(join(dir, 'noisy.mp3'), join(dir, 'noisy.mp3'), mp3.length, 0.1);
		const result = check(join(dir, 'noisy.mp3'));
		expect(result.damaged.reduce((s, d) => s + d.seconds, 0)).toBeGreaterThan(result.duration!);
	});

	it('a VBR mix without a Xing header gets its exact length from its frames, in 4 MiB slices', () => {
		const mix = longMix(dir, 'mix.mp3', 600, 'Mix');
		const result = check(mix.path, 4 * 1024 * 1024);
		expect(result.damaged).toEqual([]);
		expect(result.duration).toBeCloseTo(mix.seconds, 3);
	}, 60_000);
});
