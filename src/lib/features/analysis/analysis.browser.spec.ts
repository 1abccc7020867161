import { afterAll, describe, expect, it } from 'vitest';
import { isWorkerError } from '$workers/shared/errors';
import { flacFrameHeader } from '$workers/analysis/decode/flac';
import { encodeWav } from '$lib/features/player/wav';
import { analyseOn, createAnalysisWorker, type AnalysisResult } from './analysis-client';
import { AnalysisPool } from './pool';
import { tempoAccuracy1 } from './tempo';

// Small committed clips rendered by tests/tools/analysis/make-fixtures.js (truth in clips.json).
const truth: { file: string; bpm: number; tonic: number; scale: string; leadInSec: number }[] = await (
	await fetch(new URL('../../../../workers/analysis/testdata/clips.json', import.meta.url))
).json();

async function clip(name: string): Promise<Blob> {
	const response = await fetch(new URL(`../../../../workers/analysis/testdata/${name}`, import.meta.url));
	if (!response.ok) throw new Error(`${name}: ${response.status}`);
	return response.blob();
}

/** A 16-bit PCM WAV of a stereo sine at `dbfs` peak, with an optional click track at `bpm`. */
function wav(seconds: number, { dbfs = -23, bpm = 0, rate = 48000 } = {}): Blob {
	const amplitude = 10 ** (dbfs / 20);
	const beat = bpm ? (60 / bpm) * rate : Infinity;
	const samples = Array.from({ length: Math.round(seconds * rate) }, (_, i) => {
		let v = amplitude * Math.sin((2 * Math.PI * 1000 * i) / rate);
		const sinceBeat = i % beat;
		if (bpm && sinceBeat < rate * 0.05)
			v += 0.6 * Math.sin((2 * Math.PI * 60 * sinceBeat) / rate) * (1 - sinceBeat / (rate * 0.05));
		return v;
	});
	return new Blob([encodeWav([samples, samples], rate)]);
}

const { worker, remote } = createAnalysisWorker();
afterAll(() => worker.terminate());

describe('analysis worker (real Chromium, WebCodecs, essentia WASM)', () => {
	it.each(truth.map((t) => [t.file, t] as const))('analyses %s: tempo, key, loudness, waveforms', async (file, t) => {
		const result: AnalysisResult = await analyseOn(remote, await clip(file), { tempoRange: [70, 180] });
		expect(tempoAccuracy1(result.bpm, t.bpm)).toBe(true);
		expect(Math.abs(result.bpm - t.bpm)).toBeLessThan(0.1);
		expect(result.variableTempo).toBe(false);
		expect(result.key).not.toBeNull();
		// Tonic right, or the relative key (the synthetic minor progressions lean on their relative major).
		const relative = t.scale === 'minor' ? (t.tonic + 3) % 12 : (t.tonic + 9) % 12;
		expect([t.tonic, relative]).toContain(result.key!.tonic);
		expect(result.loudness.integratedLufs).toBeGreaterThan(-20);
		expect(result.loudness.integratedLufs).toBeLessThan(-8);
		expect(result.durationSec).toBeGreaterThan(11);
		expect(result.waveform.overview.length).toBe(3 * Math.min(1000, result.waveform.detail.length / 3));
		expect(result.waveform.detail.length).toBeGreaterThanOrEqual(Math.floor(result.durationSec * 50) * 3);
		expect(Math.max(...result.waveform.detail)).toBe(255);
		if (t.leadInSec) expect(Math.abs(result.autoCueSec - t.leadInSec)).toBeLessThan(0.06);
		expect(result.analyserVersion).toBeGreaterThan(0);
		expect(result.damage).toBeNull();
	});

	it('reports audio lost to damage inside a FLAC frame (where, how much) and analyses the rest on time', async () => {
		const bytes = new Uint8Array(await (await clip('techno-130-D.flac')).arrayBuffer());
		const intact = await analyseOn(remote, new Blob([bytes]), { tempoRange: [70, 180] });
		// Damage inside the audio of the first frame past 60 % of the file: only its CRC-16 can tell.
		let header = Math.floor(bytes.length * 0.6);
		while (!flacFrameHeader(bytes, header)) header++;
		const damaged = bytes.slice();
		for (let i = header + 200; i < header + 300; i++) damaged[i]! ^= 0x5a;
		const result = await analyseOn(remote, new Blob([damaged]), { tempoRange: [70, 180] });
		expect(result.damage).not.toBeNull();
		expect(result.damage!.count).toBe(1);
		expect(result.damage!.places).toHaveLength(1);
		expect(result.damage!.places[0]!).toBeGreaterThan(intact.durationSec * 0.5);
		expect(result.damage!.places[0]!).toBeLessThan(intact.durationSec * 0.7);
		// One frame of this file: 2,304 samples.
		expect(result.damage!.seconds).toBeCloseTo(2304 / intact.sampleRate, 3);
		expect(result.durationSec).toBe(intact.durationSec);
		expect(result.bpm).toBe(intact.bpm);
		expect(result.beatGrid.firstDownbeatSec).toBeCloseTo(intact.beatGrid.firstDownbeatSec, 3);
	});

	it('measures a -23 dBFS stereo 1 kHz sine as -23 LUFS and gives the gain to -14', async () => {
		const result = await analyseOn(remote, wav(6, { dbfs: -23 }), { targetLufs: -14 });
		expect(result.format).toBe('wav');
		expect(result.loudness.integratedLufs).toBeCloseTo(-23, 1);
		expect(result.loudness.gainDbToTarget).toBeCloseTo(9, 1);
	});

	it('finds the tempo of a plain click track in WAV at 48 kHz', async () => {
		const result = await analyseOn(remote, wav(20, { dbfs: -40, bpm: 128 }), { tempoRange: [70, 180] });
		expect(result.bpm).toBeCloseTo(128, 0);
	});

	it('cancels through an AbortSignal', async () => {
		const controller = new AbortController();
		const pending = analyseOn(remote, await clip(truth[0]!.file), { signal: controller.signal });
		setTimeout(() => controller.abort(), 10);
		const error = await pending.catch((e: unknown) => e);
		expect(isWorkerError(error) && error.code).toBe('aborted');
	});

	it('fails cleanly on empty, non-audio, corrupt and truncated files, and keeps working', async () => {
		const mp3 = new Uint8Array(await (await clip(truth[0]!.file)).arrayBuffer());
		const noise = Uint8Array.from({ length: 50000 }, (_, i) => (i * 7919) % 251);
		const cases: [Blob, string[]][] = [
			[new Blob([]), ['empty']],
			[new Blob(['hello, not audio at all, just some text that goes on']), ['not-audio']],
			[new Blob([mp3.slice(0, 10), noise]), ['corrupt', 'truncated']],
			[new Blob([mp3.slice(0, 3000)]), ['corrupt', 'truncated']],
			[new Blob([new Uint8Array((await wav(1).arrayBuffer()).slice(0, 44))]), ['truncated']]
		];
		for (const [blob, codes] of cases) {
			const error = await analyseOn(remote, blob).catch((e: unknown) => e);
			expect(isWorkerError(error), JSON.stringify(error).slice(0, 200)).toBe(true);
			expect(codes).toContain((error as { code: string }).code);
		}
		expect((await analyseOn(remote, await clip(truth[1]!.file))).bpm).toBeGreaterThan(0);
	});

	it('pool: a worker that dies fails only its job and is replaced', async () => {
		const handles: ReturnType<typeof createAnalysisWorker>[] = [];
		const pool = new AnalysisPool({
			size: 1,
			heartbeatMs: 100,
			heartbeatTimeoutMs: 1000,
			createWorker: () => {
				const handle = createAnalysisWorker();
				handles.push(handle);
				return handle;
			}
		});
		const file = await clip(truth[0]!.file);
		const doomed = pool.analyse(file);
		const next = pool.analyse(await clip(truth[2]!.file));
		await new Promise((resolve) => setTimeout(resolve, 30));
		// The worker closes itself mid-job, as a WASM abort would take it down.
		void handles[0]!.remote.crashForTest('close');
		const error = await doomed.catch((e: unknown) => e);
		expect(isWorkerError(error) && error.code).toBe('internal');
		expect((await next).bpm).toBeGreaterThan(0);
		expect(pool.started).toBe(2);
		pool.close();
	});
});
