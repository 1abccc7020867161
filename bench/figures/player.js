// Player figures, measured from the audio the player outputs: a ScriptProcessor taps the engine's master
// output (everything the listener hears) and records every sample with its audio-clock time.
//  - player.gapless_silence_ms: the longest run of silence between consecutive tracks (WAV sines, gapless).
//  - player.fail_recover_ms: from asking to play a track whose bytes are corrupt to the next track audible;
//    baseline: from asking to play a good track to it being audible.

import { trackRow } from '../../src/lib/db/test-rows.js';
import { encodeWav } from '../../src/lib/features/player/wav.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

/** @param {number[]} values */
const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Installs helpers in the page: WAV synthesis and seeding OPFS + IndexedDB (with `encodeWav` and `trackRow`,
 * put in the page by `openApp`), and an output recorder.
 */
function installHelpers() {
	/** @type {any} */
	const w = window;
	w.__bench = {
		wav(/** @type {number} */ seconds, /** @type {number} */ freq, sampleRate = 44100) {
			const tone = Float32Array.from(
				{ length: Math.round(seconds * sampleRate) },
				(_, i) => 0.5 * Math.sin((2 * Math.PI * freq * i) / sampleRate)
			);
			return w.__encodeWav([tone], sampleRate);
		},
		async store(/** @type {Uint8Array<ArrayBuffer>} */ bytes, /** @type {string} */ title) {
			const digest = await crypto.subtle.digest('SHA-256', bytes);
			const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
			const audio = await (await navigator.storage.getDirectory()).getDirectoryHandle('audio', { create: true });
			const writable = await (await audio.getFileHandle(hash, { create: true })).createWritable();
			await writable.write(bytes);
			await writable.close();
			/** @type {IDBDatabase} */
			const db = await new Promise((resolve) => {
				const open = indexedDB.open('cratemesh');
				open.onsuccess = () => resolve(open.result);
			});
			const tx = db.transaction('tracks', 'readwrite');
			tx.objectStore('tracks').put(
				w.__trackRow({
					hash,
					fileName: `${title}.wav`,
					size: bytes.length,
					mime: 'audio/wav',
					title,
					dateAdded: Date.now(),
					artist: 'Bench',
					container: 'wav',
					codec: 'pcm',
					sampleRate: 44100,
					channels: 1
				})
			);
			await new Promise((resolve) => (tx.oncomplete = resolve));
			db.close();
			return hash;
		},
		/** Records the engine output; returns stop() → { samples, sampleRate, firstTime }. */
		record() {
			const playback = w.__cratemeshPlayback;
			const ctx = playback.engine.context;
			const tap = ctx.createScriptProcessor(1024, 1, 1);
			/** @type {Float32Array[]} */
			const chunks = [];
			let firstTime = -1;
			/** @type {number | null} */
			let audibleAt = null;
			tap.onaudioprocess = (/** @type {AudioProcessingEvent} */ event) => {
				const data = event.inputBuffer.getChannelData(0);
				if (firstTime < 0) firstTime = event.playbackTime;
				chunks.push(new Float32Array(data));
				if (audibleAt === null) {
					for (let i = 0; i < data.length; i++) {
						if (Math.abs(data[i]) > 0.01) {
							audibleAt = event.playbackTime + i / ctx.sampleRate;
							break;
						}
					}
				}
			};
			playback.engine.output.connect(tap);
			const sink = ctx.createGain();
			sink.gain.value = 0;
			tap.connect(sink).connect(ctx.destination);
			return {
				/** Audio-clock time of the first audible sample, mapped to performance.now() time. */
				audiblePerf() {
					if (audibleAt === null) return null;
					const stamp = ctx.getOutputTimestamp();
					return stamp.performanceTime + (audibleAt - stamp.contextTime) * 1000;
				},
				stop() {
					playback.engine.output.disconnect(tap);
					tap.disconnect();
					const total = chunks.reduce((n, c) => n + c.length, 0);
					const samples = new Float32Array(total);
					let at = 0;
					for (const c of chunks) {
						samples.set(c, at);
						at += c.length;
					}
					return { samples, sampleRate: ctx.sampleRate };
				}
			};
		}
	};
}

/** @param {import('@playwright/test').Browser} browser @param {string} baseURL */
async function openApp(browser, baseURL) {
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.goto(baseURL);
	await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
	// The WAV writer and the row builder are self-contained: their source runs in the page as it is.
	await page.evaluate(`window.__encodeWav = ${encodeWav}; window.__trackRow = ${trackRow}`);
	await page.evaluate(installHelpers);
	return { context, page };
}

/** @type {import('../run.js').FigureSpec[]} */
export const playerFigures = [
	{
		name: 'player.gapless_silence_ms',
		async run({ browser, baseURL }) {
			const { context, page } = await openApp(browser, baseURL);
			const runs = [];
			for (let run = 0; run < RUNS; run++) {
				const result = await page.evaluate(async (run) => {
					/** @type {any} */
					const w = window;
					const b = w.__bench;
					const playback = w.__cratemeshPlayback;
					playback.setCrossfade(0);
					const hashes = [];
					for (let i = 0; i < 3; i++) hashes.push(await b.store(b.wav(1.2, 300 + 110 * i + run), `gap-${run}-${i}`));
					const recorder = b.record();
					await playback.playNow(hashes);
					await new Promise((resolve) => setTimeout(resolve, 4300));
					const { samples, sampleRate } = recorder.stop();
					playback.pause();
					// Between the first and last audible sample, the longest run of |x| < 0.001 is silence.
					let first = -1;
					let last = -1;
					for (let i = 0; i < samples.length; i++)
						if (Math.abs(samples[i]) > 0.01) {
							if (first < 0) first = i;
							last = i;
						}
					let longest = 0;
					let current = 0;
					for (let i = first; i <= last; i++) {
						if (Math.abs(samples[i]) < 0.001) longest = Math.max(longest, ++current);
						else current = 0;
					}
					const audibleSeconds = (last - first) / sampleRate;
					return { silenceMs: (longest / sampleRate) * 1000, audibleSeconds };
				}, run);
				if (result.audibleSeconds < 3.3) throw new Error(`only ${result.audibleSeconds.toFixed(2)} s audible of 3.6 s`);
				runs.push(result.silenceMs);
			}
			await context.close();
			return {
				value: round(median(runs), 3),
				unit: 'ms',
				baseline: null,
				ratio: null,
				worst_ms: round(Math.max(...runs), 3),
				runs: RUNS,
				method: 'ScriptProcessor tap on the master output; 3 × 1.2 s WAV sines; longest run |x| < 0.001'
			};
		}
	},
	{
		name: 'player.fail_recover_ms',
		async run({ browser, baseURL }) {
			const { context, page } = await openApp(browser, baseURL);
			const fail = [];
			const fromFailure = [];
			const good = [];
			for (let run = 0; run < RUNS; run++) {
				const result = await page.evaluate(async (run) => {
					/** @type {any} */
					const w = window;
					const b = w.__bench;
					const playback = w.__cratemeshPlayback;
					const measure = async (/** @type {string[]} */ hashes) => {
						const recorder = b.record();
						const asked = performance.now();
						const playing = playback.playNow(hashes);
						let audible = null;
						const deadline = asked + 5000;
						while (audible === null && performance.now() < deadline) {
							await new Promise((resolve) => setTimeout(resolve, 5));
							audible = recorder.audiblePerf();
						}
						await playing;
						recorder.stop();
						playback.pause();
						return { asked, audible };
					};
					// A corrupt file (random bytes under a real hash) then a good 3 s track.
					const junk = crypto.getRandomValues(new Uint8Array(64 * 1024));
					const bad = await b.store(junk, `junk-${run}`);
					const next = await b.store(b.wav(3, 500 + run), `next-${run}`);
					const failed = await measure([bad, next]);
					const failureAt = playback.lastFailureAt;
					await new Promise((resolve) => setTimeout(resolve, 200));
					const other = await b.store(b.wav(3, 700 + run), `good-${run}`);
					const baseline = await measure([other]);
					return {
						failMs: failed.audible - failed.asked,
						fromFailureMs: failed.audible - failureAt,
						goodMs: baseline.audible - baseline.asked
					};
				}, run);
				if (!Number.isFinite(result.failMs)) throw new Error('the next track never became audible');
				fail.push(result.failMs);
				fromFailure.push(result.fromFailureMs);
				good.push(result.goodMs);
			}
			await context.close();
			const value = median(fail);
			const baseline = median(good);
			return {
				value: round(value, 1),
				unit: 'ms',
				baseline: round(baseline, 1),
				ratio: round(value / baseline),
				from_failure_detected_ms: round(median(fromFailure), 1),
				runs: RUNS,
				method:
					'play(corrupt, good): request → first output sample > 0.01 (audio clock mapped by getOutputTimestamp); baseline play(good)'
			};
		}
	}
];
