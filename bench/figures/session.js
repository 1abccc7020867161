// Live session figures: mouth-to-ear latency host → listener over the app's real listening mode (the
// player's Web Audio output tapped into a WebRTC call, played by the listener's own AudioContext), and the
// skew between two listeners. Three browser contexts on loopback share the machine clock
// (performance.timeOrigin + now). The host schedules a 30 ms 1 kHz burst into the player's output at a
// known audio-clock time; each side maps audio-clock times to the shared clock with getOutputTimestamp(),
// so both "mouth" (the host's speakers) and "ear" (each listener's speakers) include their output latency.
// Listeners find the burst's onset in an AnalyserNode on the received stream.
// Baselines, same run, same detection: the host's tapped stream played by a second AudioContext on the
// host page (a local loop: no codec, no network); for the skew, two such local loops.

import { encodeWav } from '../../src/lib/features/player/wav.js';

const CLICKS = Number(process.env.BENCH_SESSION_CLICKS ?? 12);
// After the main bursts the host pauses its (silent) track for PAUSE_MS and resumes; PAUSE_CLICKS more
// bursts, further apart (a listener whose delay jumped by a second must not match the previous burst).
// BENCH_SESSION_PAUSE=suspend pauses the old way (the AudioContext suspended) for comparison.
const PAUSE_MS = 3000;
const PAUSE_CLICKS = 6;
const PAUSE_GAP_MS = 2500;
const round = (/** @type {number} */ n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
/** @param {number[]} values */
const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
/** @param {number[]} values @param {number} q */
const quantile = (values, q) =>
	[...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

/** @param {import('@playwright/test').Page} page */
const waitForApp = (page) => page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });

async function person(/** @type {import('@playwright/test').Browser} */ browser, /** @type {string} */ baseURL, name) {
	const context = await browser.newContext({ baseURL });
	await context.addInitScript((n) => localStorage.setItem('cratemesh.session.name', n), name);
	const page = await context.newPage();
	await page.goto('/session');
	await waitForApp(page);
	return { context, page };
}

/**
 * Installed in a page: polls an AnalyserNode fed by `source` every 10 ms and records each burst's onset on
 * the shared clock (ms since the epoch, sub-millisecond).
 */
function installDetector(/** @type {string} */ which) {
	const w = /** @type {any} */ (window);
	const s = w.__cratemeshSession;
	/** @returns {{ context: AudioContext, source: AudioNode }} */
	const local = () => {
		// A local loop: the host's tapped stream, played by a second AudioContext on the same page.
		const context = new AudioContext({ latencyHint: 'interactive' });
		const source = context.createMediaStreamSource(s.hostTap.stream);
		const mute = context.createGain();
		mute.gain.value = 0;
		source.connect(mute).connect(context.destination);
		return { context, source };
	};
	const fixed = which === 'local' ? local() : null;
	/** @type {any} */
	let attached = null;
	/** @type {AnalyserNode | null} */
	let analyser = null;
	// The longest window (≈ 0.7 s): a poll delayed by a busy machine still finds the burst.
	const buffer = new Float32Array(32768);
	const onsets = [];
	let last = -Infinity;
	const id = setInterval(() => {
		// A listener's output is replaced when its call restarts: follow it.
		const graph = fixed ?? s.listenerOutput;
		if (!graph) return;
		if (graph !== attached) {
			attached = graph;
			void graph.context.resume();
			analyser = /** @type {AnalyserNode} */ (graph.context.createAnalyser());
			analyser.fftSize = buffer.length;
			graph.source.connect(analyser);
		}
		if (!analyser) throw new Error('no analyser attached to the output graph');
		const context = graph.context;
		analyser.getFloatTimeDomainData(buffer);
		const now = context.currentTime;
		const stamp = context.getOutputTimestamp();
		const index = buffer.findIndex((sample) => Math.abs(sample) > 0.1);
		if (index === -1) return;
		const onset = now - (buffer.length - index) / context.sampleRate;
		// The same burst stays in the window for several polls: one onset per burst.
		if (onset < last + 0.3) return;
		last = onset;
		onsets.push(performance.timeOrigin + stamp.performanceTime + (onset - stamp.contextTime) * 1000);
	}, 10);
	w.__benchDetector = { onsets, stop: () => clearInterval(id) };
	return (fixed ?? s.listenerOutput)?.context.state ?? 'none';
}

export const sessionFigures = [
	{
		name: 'collab.listen_latency_ms',
		async run(/** @type {import('../run.js').BenchContext} */ ctx) {
			const m = await measure(ctx);
			return {
				value: round(m.latency),
				unit: 'ms',
				baseline: round(m.baselineLatency),
				ratio: round(m.latency / m.baselineLatency, 2),
				goal_ms: 250,
				clicks: m.clicks,
				p95_ms: round(m.latencyP95),
				per_click_ms: m.perClick,
				local_loop_per_click_ms: m.localPerClick,
				listener_delay_estimate_ms: m.listenerDelayEstimate,

				jitter_buffer_target_ms: m.targetMs,
				behind_host_speakers_ms: round(m.vsHostSpeakers),
				host_context_latency_ms: m.hostLatency,
				listener_context_latency_ms: m.listenerLatency,
				note: 'median over both listeners of (listener output time − time the host rendered the burst into its output/tap) per burst; behind_host_speakers_ms: the same against the host’s own output time (the host’s output latency is subtracted). Baseline: the host’s tapped stream through a second AudioContext on the host page (no codec, no network), same detection'
			};
		}
	},
	{
		name: 'collab.pause_latency_ms',
		async run(/** @type {import('../run.js').BenchContext} */ ctx) {
			const m = await measure(ctx);
			if (m.afterPause === null) throw new Error('no burst after the pause reached the listeners');
			return {
				value: round(m.afterPause),
				unit: 'ms',
				baseline: round(m.latency),
				ratio: round(m.afterPause / m.latency, 2),
				pause_mode: m.pauseMode,
				pause_ms: PAUSE_MS,
				max_ms: round(m.afterPauseMax),
				per_click_ms: m.afterPausePerClick,
				skew_after_pause_ms: m.afterPauseSkew === undefined ? null : round(m.afterPauseSkew),
				note: `mouth-to-ear latency (as collab.listen_latency_ms) over ${PAUSE_CLICKS} bursts ${PAUSE_GAP_MS / 1000} s apart after the host paused its playing track for ${PAUSE_MS / 1000} s and resumed; baseline: the latency before the pause, same run. pause_mode app = the player's pause in listening mode (clock kept running); suspend = the old pause (AudioContext suspended, BENCH_SESSION_PAUSE=suspend)`
			};
		}
	},
	{
		name: 'collab.sync_skew_ms',
		async run(/** @type {import('../run.js').BenchContext} */ ctx) {
			const m = await measure(ctx);
			return {
				value: round(m.skew),
				unit: 'ms',
				baseline: round(m.baselineSkew),
				ratio: m.baselineSkew > 0 ? round(m.skew / m.baselineSkew, 2) : null,
				goal_ms: 30,
				clicks: m.clicks,
				max_ms: round(m.skewMax),
				per_click_ms: m.skewPerClick,
				note: 'median |listener A − listener B| onset per burst; baseline: two local loops on the host page (the detection’s own spread)'
			};
		}
	}
];

/** @type {Promise<any> | null} */
let cached = null;
/** Both figures come from one session run. */
function measure(/** @type {import('../run.js').BenchContext} */ ctx) {
	cached ??= run(ctx);
	return cached;
}

async function run(/** @type {import('../run.js').BenchContext} */ { browser, baseURL }) {
	const host = await person(browser, baseURL, 'Host');
	const a = await person(browser, baseURL, 'Listener A');
	const b = await person(browser, baseURL, 'Listener B');
	try {
		await host.page.getByTestId('session-create').click();
		const room = (/** @type {import('@playwright/test').Page} */ page) => page.getByTestId('session-room');
		await room(host.page).and(host.page.locator('[data-phase="in-room"]')).waitFor({ timeout: 20_000 });
		const code = await host.page.getByTestId('room-code').getAttribute('data-code');
		for (const p of [a, b]) {
			await p.page.getByTestId('session-code-input').fill(/** @type {string} */ (code));
			await p.page.getByTestId('session-join').click();
			await p.page.locator('[data-testid="session-room"][data-phase="in-room"]').waitFor({ timeout: 20_000 });
		}
		await host.page.getByTestId('listen-mode').check();
		for (const p of [a, b]) {
			await p.page.getByTestId('listen-toggle').check();
			await p.page.locator('[data-testid="listen-state"][data-receiving="true"]').waitFor({ timeout: 20_000 });
		}
		await host.page.evaluate(() => /** @type {any} */ (window).__cratemeshPlayback.engine.unlock());
		if (process.env.BENCH_SESSION_TARGET)
			await host.page.evaluate(
				(ms) => /** @type {any} */ (window).__cratemeshSession.setListenMode(true, ms),
				Number(process.env.BENCH_SESSION_TARGET)
			);
		const targetMs = await host.page.evaluate(
			() => /** @type {any} */ (window).__cratemeshSession.state.listen.targetMs
		);
		// The host plays a track (digital silence) so that a pause holds something, as a DJ's would.
		// The app's WAV writer is self-contained: its source runs in the page as it is.
		await host.page.evaluate(`window.__encodeWav = ${encodeWav}`);
		await host.page.evaluate(async () => {
			const w = /** @type {any} */ (window);
			const engine = w.__cratemeshPlayback.engine;
			// At the context's own rate (no resampling) and early: decoding must not disturb the measurement.
			const rate = engine.context.sampleRate;
			const buffer = w.__encodeWav([new Float32Array(rate * 60)], rate).buffer;
			await engine.play({ uid: 9e6, hash: 'bench-silence', gainDb: 0, load: async () => buffer });
		});
		// Let the jitter buffers settle on the room's target before measuring.
		await host.page.waitForTimeout(3000);
		const states = [
			await a.page.evaluate(installDetector, 'listener'),
			await b.page.evaluate(installDetector, 'listener'),
			await host.page.evaluate(installDetector, 'local')
		];
		// A second local loop for the skew baseline (the detector is per page: keep the first one's results).
		await host.page.evaluate(() => {
			const w = /** @type {any} */ (window);
			w.__benchLocalA = w.__benchDetector;
		});
		await host.page.evaluate(installDetector, 'local');
		if (states.some((state) => state !== 'running')) throw new Error(`audio contexts not running: ${states}`);

		const burst = () =>
			host.page.evaluate(async () => {
				const engine = /** @type {any} */ (window).__cratemeshPlayback.engine;
				/** @type {AudioContext} */
				const context = engine.context;
				const at = context.currentTime + 0.2;
				const osc = context.createOscillator();
				osc.frequency.value = 1000;
				const gain = context.createGain();
				gain.gain.value = 0.8;
				osc.connect(gain).connect(engine.output);
				osc.start(at);
				osc.stop(at + 0.03);
				while (context.currentTime < at + 0.05) await new Promise((r) => setTimeout(r, 10));
				const { performanceTime, contextTime } = context.getOutputTimestamp();
				if (performanceTime === undefined || contextTime === undefined)
					throw new Error('AudioContext.getOutputTimestamp() gave no timestamp');
				const out = performance.timeOrigin + performanceTime + (at - contextTime) * 1000;
				// The burst enters the tap when the graph renders it, the host's output latency before its speakers.
				return { rendered: out - (context.outputLatency || context.baseLatency) * 1000, out };
			});
		/** @type {{ rendered: number, out: number }[]} */
		const mouths = [];
		for (let i = 0; i < CLICKS + 1; i++) {
			mouths.push(await burst());
			await host.page.waitForTimeout(1200);
		}
		const pauseMode = process.env.BENCH_SESSION_PAUSE === 'suspend' ? 'suspend' : 'app';
		await host.page.evaluate(
			async ({ ms, mode }) => {
				const engine = /** @type {any} */ (window).__cratemeshPlayback.engine;
				if (mode === 'suspend') engine.keepRunning = false;
				await engine.pause();
				await new Promise((r) => setTimeout(r, ms));
				await engine.resume();
				if (mode === 'suspend') engine.keepRunning = true;
			},
			{ ms: PAUSE_MS, mode: pauseMode }
		);
		await host.page.waitForTimeout(500);
		/** @type {{ rendered: number, out: number }[]} */
		const afterPause = [];
		for (let i = 0; i < PAUSE_CLICKS; i++) {
			afterPause.push(await burst());
			await host.page.waitForTimeout(PAUSE_GAP_MS);
		}
		await host.page.waitForTimeout(1000);
		const collect = (/** @type {import('@playwright/test').Page} */ page, key = '__benchDetector') =>
			page.evaluate((k) => {
				const d = /** @type {any} */ (window)[k];
				d.stop();
				return d.onsets;
			}, key);
		const [onA, onB, local1, local2] = [
			await collect(a.page),
			await collect(b.page),
			await collect(host.page, '__benchLocalA'),
			await collect(host.page)
		];
		// Match each burst to the first onset after it (within 1 s); the first burst is a warm-up.
		const match = (/** @type {number[]} */ onsets, /** @type {number} */ mouth) =>
			onsets.find((t) => t > mouth - 20 && t < mouth + 1400) ?? null;
		const rows = mouths.slice(1).map(({ rendered: mouth, out }) => ({
			a: match(onA, mouth),
			b: match(onB, mouth),
			l1: match(local1, mouth),
			l2: match(local2, mouth),
			mouth,
			out
		}));
		const got = (/** @type {(number | null)[]} */ values) => /** @type {number[]} */ (values.filter((x) => x !== null));
		const listened = rows.filter((r) => r.a !== null || r.b !== null);
		const both = rows.filter((r) => r.a !== null && r.b !== null);
		const local = rows.filter((r) => r.l1 !== null && r.l2 !== null);
		if (both.length < CLICKS / 2 || local.length < CLICKS / 2)
			throw new Error(
				`bursts detected: both listeners ${both.length}, both local loops ${local.length} of ${CLICKS} (a ${onA.length}, b ${onB.length}, local ${local1.length}/${local2.length})`
			);
		const complete = both;
		const pausedRows = afterPause.map(({ rendered: mouth }) => ({
			a: onA.find((t) => t > mouth - 20 && t < mouth + PAUSE_GAP_MS) ?? null,
			b: onB.find((t) => t > mouth - 20 && t < mouth + PAUSE_GAP_MS) ?? null,
			mouth
		}));
		const pausedLatencies = pausedRows.flatMap((r) => got([r.a, r.b]).map((t) => t - r.mouth));
		const latencies = listened.flatMap((r) => got([r.a, r.b]).map((t) => t - r.mouth));
		const skews = both.map((r) => Math.abs(/** @type {number} */ (r.a) - /** @type {number} */ (r.b)));
		const hostLatency = await host.page.evaluate(() => {
			const c = /** @type {any} */ (window).__cratemeshPlayback.engine.context;
			return { output: c.outputLatency * 1000, base: c.baseLatency * 1000 };
		});
		const listenerLatency = await a.page.evaluate(() => {
			const c = /** @type {any} */ (window).__cratemeshSession.listenerOutput.context;
			return { output: c.outputLatency * 1000, base: c.baseLatency * 1000 };
		});
		return {
			clicks: complete.length,
			detected: { a: onA.length, b: onB.length, local: [local1.length, local2.length] },
			targetMs,
			latency: median(latencies),
			vsHostSpeakers: median(listened.flatMap((r) => got([r.a, r.b]).map((t) => t - r.out))),
			hostLatency,
			listenerLatency,
			latencyP95: quantile(latencies, 0.95),
			baselineLatency: median(
				local.flatMap((r) => [/** @type {number} */ (r.l1) - r.mouth, /** @type {number} */ (r.l2) - r.mouth])
			),
			perClick: rows.map((r) => [r.a, r.b].map((t) => (t === null ? null : round(t - r.mouth)))),
			localPerClick: rows.map((r) => [r.l1, r.l2].map((t) => (t === null ? null : round(t - r.mouth)))),
			listenerDelayEstimate: await a.page.evaluate(() => /** @type {any} */ (window).__cratemeshSession.delayMs),

			pauseMode,
			afterPause: pausedLatencies.length ? median(pausedLatencies) : null,
			afterPauseMax: pausedLatencies.length ? Math.max(...pausedLatencies) : null,
			afterPausePerClick: pausedRows.map((r) => [r.a, r.b].map((t) => (t === null ? null : round(t - r.mouth)))),
			afterPauseSkew: median(
				pausedRows.filter((r) => r.a !== null && r.b !== null).map((r) => Math.abs(Number(r.a) - Number(r.b)))
			),
			skew: median(skews),
			skewMax: Math.max(...skews),
			skewPerClick: skews.map((s) => round(s)),
			baselineSkew: median(local.map((r) => Math.abs(/** @type {number} */ (r.l1) - /** @type {number} */ (r.l2))))
		};
	} finally {
		await Promise.all([host.context.close(), a.context.close(), b.context.close()]);
	}
}
