// Analysis engine figures: accuracy on the generated ground-truth set (tests/fixtures/analysis), speed per
// worker against decoding alone in the same run, and peak renderer memory for 10-minute and 2-hour files.
// Runs the app's own client + worker, built alone by tests/tools/analysis (the worker is not in a route yet).
// Needs ffmpeg (Debian package, already required by the import tests) to encode the fixtures.
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../../tests/chromium.js';
import { materializeGroundTruth, materializeLong, parseKey } from '../../tests/tools/analysis/fixtures.js';
import {
	analyseInPage,
	buildHarness,
	decodeInPage,
	openHarness,
	rendererPeakMiB,
	serveHarness
} from '../../tests/tools/analysis/harness.js';
import { mirexKeyScore, tempoAccuracy1, tempoAccuracy2 } from '../../tests/tools/analysis/scoring.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RANGE = [70, 180];
const round = (/** @type {number} */ n, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (/** @type {number[]} */ v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN;

/** @type {Promise<any> | undefined} */
let accuracyRun;
/** @type {Promise<any> | undefined} */
let speedRun;

/** @param {string} root */
const workDir = (root) => join(root, 'bench', '.tmp', 'analysis');

/**
 * One pass over the ground truth, shared by the three accuracy figures. Also runs the measured
 * alternatives (essentia PercivalBpmEstimator, RhythmExtractor2013 'degara', other key profiles).
 * @param {import('../run.js').BenchContext} ctx
 */
function accuracy(ctx) {
	accuracyRun ??= (async () => {
		const dir = workDir(ctx.root);
		const tracks = materializeGroundTruth(join(dir, 'ground-truth'));
		buildHarness();
		const server = await serveHarness(join(dir, 'ground-truth'));
		const { page, context } = await openHarness(ctx.browser, server.url);
		const rows = [];
		try {
			for (const track of tracks) {
				const name = track.path.split('/').pop() ?? '';
				const outcome = await analyseInPage(page, name, {
					tempoRange: RANGE,
					experiments: ['percival', 'rhythm-degara', 'key-profiles']
				});
				if (!outcome.ok) throw new Error(`${name}: ${outcome.code} ${outcome.message}`);
				rows.push({ track, result: outcome.result });
			}
		} finally {
			await context.close();
			await server.close();
		}
		const n = rows.length;
		const truthKey = (/** @type {any} */ row) => parseKey(row.track.key);
		const share = (/** @type {(row: any) => number} */ fn) => round(rows.reduce((s, row) => s + fn(row), 0) / n);
		const keyOf = (/** @type {string} */ s) => {
			const [tonic, scale] = s.split(':');
			return { tonic: Number(tonic), scale: /** @type {'major' | 'minor'} */ (scale) };
		};
		/** @type {Record<string, number>} */
		const profiles = {};
		for (const profile of ['edma', 'edmm', 'bgate', 'temperley', 'krumhansl', 'shaath', 'noland', 'braw']) {
			profiles[profile] = share((row) => {
				const est = row.result.experiments?.[`key_${profile}`];
				return est ? mirexKeyScore(keyOf(est), truthKey(row)) : 0;
			});
		}
		const fold = (/** @type {number} */ bpm) => {
			let v = bpm;
			while (v > 0 && v < RANGE[0]) v *= 2;
			while (v > RANGE[1]) v /= 2;
			return v;
		};
		return {
			tracks: n,
			acc1: share((row) => +tempoAccuracy1(row.result.bpm, row.track.bpm)),
			acc2: share((row) => +tempoAccuracy2(row.result.bpm, row.track.bpm)),
			key: share((row) => (row.result.key ? mirexKeyScore(row.result.key, truthKey(row)) : 0)),
			alternatives: {
				percival_acc1: share((row) => +tempoAccuracy1(fold(row.result.experiments.percivalBpm), row.track.bpm)),
				percival_acc2: share((row) => +tempoAccuracy2(row.result.experiments.percivalBpm, row.track.bpm)),
				percival_ms_per_min: round(
					median(rows.map((r) => r.result.experiments.percivalMs / (r.result.durationSec / 60))),
					1
				),
				rhythm2013_degara_acc1: share(
					(row) => +tempoAccuracy1(fold(row.result.experiments.rhythm_degaraBpm), row.track.bpm)
				),
				rhythm2013_degara_acc2: share((row) => +tempoAccuracy2(row.result.experiments.rhythm_degaraBpm, row.track.bpm)),
				rhythm2013_degara_ms_per_min: round(
					median(rows.map((r) => r.result.experiments.rhythm_degaraMs / (r.result.durationSec / 60))),
					1
				),
				degara_tracker_only_acc1: share(
					(row) => +tempoAccuracy1(fold(row.result.experiments.trackerBpm), row.track.bpm)
				),
				degara_tracker_only_acc2: share((row) => +tempoAccuracy2(row.result.experiments.trackerBpm, row.track.bpm)),
				key_profiles: profiles
			},
			misses: rows
				.filter((row) => !tempoAccuracy1(row.result.bpm, row.track.bpm) || row.result.key?.notation !== row.track.key)
				.map((row) => `${row.track.name}: ${row.result.bpm} BPM, ${row.result.key?.notation ?? '—'}`)
		};
	})();
	return accuracyRun;
}

/**
 * Whole pipeline vs decoding alone on a 5-minute MP3, interleaved, on one worker.
 * @param {import('../run.js').BenchContext} ctx
 */
function speed(ctx) {
	speedRun ??= (async () => {
		const dir = join(workDir(ctx.root), 'long');
		const file = materializeLong(dir, 5);
		const name = file.split('/').pop() ?? '';
		buildHarness();
		const server = await serveHarness(dir);
		const { page, context } = await openHarness(ctx.browser, server.url);
		const analyse = [];
		const decode = [];
		let duration = 0;
		try {
			for (let i = 0; i < RUNS; i++) {
				const started = Date.now();
				const outcome = await analyseInPage(page, name, { tempoRange: RANGE });
				if (!outcome.ok) throw new Error(outcome.message);
				analyse.push(outcome.result.timings.totalMs);
				duration = outcome.result.durationSec;
				void started;
				const decoded = await decodeInPage(page, name);
				decode.push(decoded.ms);
			}
		} finally {
			await context.close();
			await server.close();
		}
		return { duration, analyseMs: median(analyse), decodeMs: median(decode) };
	})();
	return speedRun;
}

/**
 * Peak resident memory of a fresh renderer analysing a file of `minutes`, minus the same renderer's peak
 * once the harness and WASM are loaded. (performance.measureUserAgentSpecificMemory needs cross-origin
 * isolation and samples one moment; the kernel's VmHWM is the true peak of the process the worker runs in.)
 * @param {import('../run.js').BenchContext} ctx @param {number} minutes
 */
async function peakMemory(ctx, minutes) {
	const dir = join(workDir(ctx.root), 'long');
	const file = materializeLong(dir, minutes);
	const name = file.split('/').pop() ?? '';
	buildHarness();
	const server = await serveHarness(dir);
	const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
	try {
		const { page } = await openHarness(browser, server.url);
		const before = rendererPeakMiB(process.pid);
		const outcome = await analyseInPage(page, name, { tempoRange: RANGE });
		if (!outcome.ok) throw new Error(outcome.message);
		const after = rendererPeakMiB(process.pid);
		return { before, after, seconds: outcome.result.durationSec, ms: outcome.result.timings.totalMs };
	} finally {
		await browser.close();
		await server.close();
	}
}

/** @type {import('../run.js').FigureSpec[]} */
export const analysisFigures = [
	{
		name: 'analysis.tempo_accuracy1',
		async run(ctx) {
			const a = await accuracy(ctx);
			return {
				value: a.acc1,
				unit: 'share',
				baseline: null,
				ratio: null,
				tracks: a.tracks,
				range: RANGE,
				misses: a.misses
			};
		}
	},
	{
		name: 'analysis.tempo_accuracy2',
		async run(ctx) {
			const a = await accuracy(ctx);
			return {
				value: a.acc2,
				unit: 'share',
				baseline: null,
				ratio: null,
				tracks: a.tracks,
				alternatives: a.alternatives
			};
		}
	},
	{
		name: 'analysis.key_mirex',
		async run(ctx) {
			const a = await accuracy(ctx);
			return {
				value: a.key,
				unit: 'score',
				baseline: null,
				ratio: null,
				tracks: a.tracks,
				profiles: a.alternatives.key_profiles
			};
		}
	},
	{
		name: 'analysis.x_realtime_per_worker',
		async run(ctx) {
			const s = await speed(ctx);
			const value = s.duration / (s.analyseMs / 1000);
			const baseline = s.duration / (s.decodeMs / 1000);
			return {
				value: round(value, 1),
				unit: '× real time',
				baseline: round(baseline, 1),
				ratio: round(value / baseline),
				seconds: s.duration,
				runs: RUNS
			};
		}
	},
	{
		name: 'analysis.ratio_to_decode',
		async run(ctx) {
			const s = await speed(ctx);
			return {
				value: round(s.analyseMs / s.decodeMs, 2),
				unit: 'ratio',
				baseline: round(s.decodeMs, 1),
				ratio: round(s.analyseMs / s.decodeMs, 2),
				analyse_ms: round(s.analyseMs, 1),
				runs: RUNS
			};
		}
	},
	{
		name: 'analysis.peak_mem_mb_10min',
		async run(ctx) {
			const m = await peakMemory(ctx, 10);
			return {
				value: round(m.after - m.before, 1),
				unit: 'MiB',
				baseline: round(m.before, 1),
				ratio: round(m.after / m.before, 2),
				renderer_peak_mib: round(m.after, 1),
				analyse_ms: round(m.ms)
			};
		}
	},
	{
		name: 'analysis.peak_mem_mb_2h',
		async run(ctx) {
			const m = await peakMemory(ctx, 120);
			return {
				value: round(m.after - m.before, 1),
				unit: 'MiB',
				baseline: round(m.before, 1),
				ratio: round(m.after / m.before, 2),
				renderer_peak_mib: round(m.after, 1),
				analyse_ms: round(m.ms)
			};
		}
	}
];
