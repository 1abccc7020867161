// Library figures: import throughput (vs a plain read of the same files in the same page), the
// longest main-thread task while importing, search latency and time to first rows at 50k/100k tracks.
import { execFileSync } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	statSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../../tests/chromium.js';

const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
/** @param {number[]} values @param {number} q */
const quantile = (values, q) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
};

const FORMATS = /** @type {const} */ ([
	['mp3', ['-c:a', 'libmp3lame', '-b:a', '192k']],
	['flac', ['-c:a', 'flac']],
	['ogg', ['-c:a', 'libvorbis', '-q:a', '4']],
	['m4a', ['-c:a', 'aac', '-b:a', '192k']],
	['wav', ['-c:a', 'pcm_s16le']]
]);

/** @param {string[]} args */
const ffmpeg = (args) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
const folderBytes = (/** @type {string} */ dir) =>
	readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

/**
 * 200 files, 40 per format, of real track size: two minutes of stereo pink noise (so FLAC compresses like
 * music, not like a sine), ≈ 1.6 GB in all. One encode per format; the 200 files are stream copies with
 * their own tags, so every file has its own bytes and hash. Kept in bench/.tmp between runs.
 */
function trackSizedFolder(/** @type {string} */ root) {
	const dir = join(root, 'bench', '.tmp', 'import-tracks-v1');
	const done = join(dir, '.complete');
	if (!existsSync(done)) {
		rmSync(dir, { recursive: true, force: true });
		mkdirSync(dir, { recursive: true });
		const bases = FORMATS.map(([ext, codec]) => {
			const base = join(dir, `.base.${ext}`);
			ffmpeg(['-f', 'lavfi', '-i', 'anoisesrc=c=pink:r=44100:a=0.25:d=120', '-ac', '2', ...codec, base]);
			return /** @type {const} */ ([ext, base]);
		});
		for (let i = 0; i < 200; i++) {
			const [ext, base] = /** @type {readonly [string, string]} */ (bases[i % bases.length]);
			ffmpeg([
				'-i',
				base,
				'-map',
				'0:a',
				'-c',
				'copy',
				'-metadata',
				`title=Bench ${i}`,
				'-metadata',
				`artist=Artist ${i % 17}`,
				join(dir, `bench-${String(i).padStart(3, '0')}.${ext}`)
			]);
		}
		for (const [, base] of bases) rmSync(base);
		writeFileSync(done, '');
	}
	return { dir, bytes: folderBytes(dir), files: 200 };
}

/** 200 short tones (8–12 s, ≈ 0.5 MB each) in five formats: what the per-file overhead costs. */
function smallFilesFolder() {
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-bench-import-'));
	for (let i = 0; i < 200; i++) {
		const [ext, codec] = /** @type {readonly [string, readonly string[]]} */ (FORMATS[i % FORMATS.length]);
		ffmpeg([
			'-f',
			'lavfi',
			'-i',
			`sine=frequency=${200 + i * 3}:sample_rate=44100:duration=${8 + (i % 5)}`,
			'-ac',
			'2',
			...codec,
			'-metadata',
			`title=Bench ${i}`,
			'-metadata',
			`artist=Artist ${i % 17}`,
			join(dir, `bench-${String(i).padStart(3, '0')}.${ext}`)
		]);
	}
	return { dir, bytes: folderBytes(dir), files: 200, temporary: true };
}

/**
 * CPU seconds used so far by the processes of one Chromium profile (Linux /proc; utime + stime, dead
 * threads included), by process type. On a machine shared with other work, wall time swings with the load;
 * CPU time per byte says what the work itself costs.
 * @param {string} marker a string in the processes' command lines (the profile folder)
 */
function cpuSeconds(marker) {
	/** @type {Record<string, number>} */
	const out = {};
	if (!existsSync('/proc/self/stat')) return out;
	for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) continue;
			const type = /--type=([a-z-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser';
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			out[type] = (out[type] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
		} catch {
			// the process ended meanwhile
		}
	}
	return out;
}

/**
 * CPU seconds so far per thread kind of one profile's processes ("renderer/DedicatedWorker",
 * "browser/ThreadPoolForeg"…; a process's main thread is "<type>/main"). Live threads only: a thread that
 * ended (a terminated worker) drops out, so this attributes, and cpuSeconds totals.
 * @param {string} marker
 */
function threadCpuSeconds(marker) {
	/** @type {Record<string, number>} */
	const out = {};
	if (!existsSync('/proc/self/stat')) return out;
	for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
			if (!cmdline.includes(marker)) continue;
			const type = /--type=([a-z-]+)/.exec(cmdline)?.[1] ?? 'browser';
			for (const tid of readdirSync(`/proc/${pid}/task`)) {
				const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
				const name =
					tid === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
				const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
				const key = `${type}/${name}`;
				out[key] = (out[key] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
			}
		} catch {
			// the process or thread ended meanwhile
		}
	}
	return out;
}

/** @param {Record<string, number>} before @param {Record<string, number>} after */
const cpuSpent = (before, after) =>
	Object.entries(after).reduce((total, [type, seconds]) => total + seconds - (before[type] ?? 0), 0);

/**
 * The floor under any import: the same bytes read in workers (as many as the importer uses), hashed with
 * the SHA-256 engine the importer chose in this browser (native, or hash-wasm where the browser's own is
 * slower), written through a sync access handle and moved to their content address, with nothing else
 * (no tags, no rows, no UI). Runs on a blank page of the app's origin (the app's CSP allows no blob:
 * workers).
 */
const FLOOR_WORKER = `${readFileSync(join(import.meta.dirname, '../../node_modules/hash-wasm/dist/sha256.umd.min.js'), 'utf8')}
let wasm;
onmessage = async ({ data: { file, engine } }) => {
	const root = await navigator.storage.getDirectory();
	const incoming = await root.getDirectoryHandle('bench-incoming', { create: true });
	const audio = await root.getDirectoryHandle('bench-audio', { create: true });
	const bytes = new Uint8Array(await file.arrayBuffer());
	let name;
	if (engine === 'wasm') {
		wasm ??= await hashwasm.createSHA256();
		wasm.init();
		wasm.update(bytes);
		name = wasm.digest('hex');
	} else {
		const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
		name = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
	}
	const handle = await incoming.getFileHandle(crypto.randomUUID(), { create: true });
	const sync = await handle.createSyncAccessHandle();
	sync.write(bytes, { at: 0 });
	sync.close();
	await handle.move(audio, name);
	postMessage(bytes.length);
};`;

/**
 * Imports a folder through the folder input and reads the same bytes plainly in the same page (before and
 * after the import; the mean is the baseline). Long tasks are split at the selection: Chromium builds the
 * FileList (a stat per file) in the task that delivers the change event, before any of our code runs;
 * what the import itself does comes after.
 *
 * `persistent`: a real on-disk profile, like every user's. Playwright's `browser.newContext()` is an
 * incognito-like profile whose OPFS lives in the browser process's memory, reached over IPC for every
 * write (5× the CPU per byte written here): not where anyone imports a music library.
 * @param {import('../run.js').BenchContext} ctx
 * @param {{ dir: string, bytes: number, files: number }} folder
 * @param {{ persistent: boolean, floor?: boolean, concurrency?: number }} options
 */
async function importAndRead({ browser, baseURL }, folder, { persistent, floor = false, concurrency = 3 }) {
	const profile = persistent ? mkdtempSync(join(tmpdir(), 'cratemesh-bench-profile-')) : '';
	// No service worker: it would answer the blank page's navigation (routes do not see what it serves);
	// importing does not involve it.
	const context = persistent
		? await chromium.launchPersistentContext(profile, {
				executablePath: chromiumPath(),
				args: chromiumArgs,
				serviceWorkers: 'block'
			})
		: await browser.newContext({ serviceWorkers: 'block' });
	const cpu = () => (persistent ? cpuSeconds(profile) : {});
	try {
		const page = await context.newPage();
		// Baseline: read the same files' bytes on a blank page of the same origin, on the UI thread, nothing else.
		await context.route(`${baseURL}/bench-blank`, (route) =>
			route.fulfill({
				contentType: 'text/html',
				body: '<!doctype html><title>bench</title><input type="file" webkitdirectory>'
			})
		);
		const openBlank = async () => {
			await page.goto(`${baseURL}/bench-blank`);
			await page.locator('input').setInputFiles(folder.dir, { timeout: 300_000 });
		};
		const plainRead = async () => {
			const before = cpu();
			const ms = await page.evaluate(async () => {
				const files = /** @type {HTMLInputElement} */ (document.querySelector('input')).files ?? [];
				const t0 = performance.now();
				let total = 0;
				for (const file of files) total += (await file.arrayBuffer()).byteLength;
				if (!total) throw new Error('nothing read');
				return performance.now() - t0;
			});
			return { ms, cpu: cpuSpent(before, cpu()) };
		};
		await openBlank();
		const readBefore = await plainRead();

		await page.goto(baseURL);
		await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
		// A test profile has a quota of a fraction of RAM or disk; give the origin room for the 1.6 GB folder.
		const cdp = await context.newCDPSession(page);
		await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(baseURL).origin, quotaSize: 16 * 2 ** 30 });

		await page.evaluate(() => {
			const w = /** @type {any} */ (window);
			w.__tasks = [];
			w.__frames = [];
			new PerformanceObserver((list) => {
				for (const entry of list.getEntries()) w.__tasks.push([entry.startTime, entry.duration]);
			}).observe({ type: 'longtask', buffered: false });
			new PerformanceObserver((list) => {
				for (const entry of /** @type {any[]} */ (list.getEntries()))
					w.__frames.push([
						entry.startTime,
						entry.duration,
						entry.scripts.reduce((t, s) => t + s.duration, 0),
						// Which of our code held the frame: the three longest scripts, to attribute a long task.
						[...entry.scripts]
							.sort((a, b) => b.duration - a.duration)
							.slice(0, 3)
							.map((s) => ({
								ms: Math.round(s.duration),
								invoker: s.invoker,
								source: `${(s.sourceURL || '').split('/').pop()}:${s.sourceFunctionName || '?'}@${s.sourceCharPosition}`,
								layout_ms: Math.round(s.forcedStyleAndLayoutDuration)
							})),
						Math.round(entry.renderStart ? entry.startTime + entry.duration - entry.renderStart : 0)
					]);
			}).observe({ type: 'long-animation-frame', buffered: false });
			document.addEventListener('change', () => (w.__changeAt ??= performance.now()), true);
		});
		// BENCH_TRACE_IMPORT=1: a devtools timeline trace of the import gives each main-thread task's thread
		// (CPU) time next to its wall time: on a loaded machine a short task is stretched by waiting for a core,
		// and only the thread time says whether our code made it long. =<dir> adds JS samples and keeps the
		// file. Off by default: it records every task of every thread and process during the measured import.
		const traceOption = process.env.BENCH_TRACE_IMPORT;
		const tracing = traceOption ? await startTrace(cdp, traceOption !== '1') : null;
		const importCpuBefore = cpu();
		const threadsBefore = persistent ? threadCpuSeconds(profile) : {};
		const started = Date.now();
		await page.getByTestId('folder-input').setInputFiles(folder.dir, { timeout: 300_000 });
		await page.getByTestId('import-summary').waitFor({ timeout: 900_000 });
		const importMs = Date.now() - started;
		const trace = tracing ? await tracing() : null;
		if (trace && traceOption && traceOption !== '1')
			writeFileSync(
				join(traceOption, `import-${persistent ? 'disk' : 'memory'}-${folder.dir.split('/').pop()}.trace.json`),
				trace
			);
		const threadTasks = trace ? longTasksByThreadTime(trace) : null;
		const importCpu = cpuSpent(importCpuBefore, cpu());
		const threadsAfter = persistent ? threadCpuSeconds(profile) : {};
		// Per GB, the threads that used at least 0.1 s/GB, busiest first.
		const importThreads = Object.fromEntries(
			Object.entries(threadsAfter)
				.map(
					([key, seconds]) =>
						/** @type {[string, number]} */ ([key, (seconds - (threadsBefore[key] ?? 0)) * (1e9 / folder.bytes)])
				)
				.filter(([, perGb]) => perGb >= 0.1)
				.sort((a, b) => b[1] - a[1])
				.map(([key, perGb]) => [key, round(perGb)])
		);
		const summary = await page.getByTestId('import-summary').textContent();
		if (!summary?.includes(`Added ${folder.files} files`)) throw new Error(`import incomplete: ${summary}`);
		const tasks = await page.evaluate(() => {
			const w = /** @type {any} */ (window);
			/** @type {(span: number[]) => boolean} */
			const holdsChange = ([start, duration]) => start <= w.__changeAt && w.__changeAt <= start + duration;
			const pick = w.__tasks.filter(holdsChange);
			const pickFrame = w.__frames.find(holdsChange);
			// The import's tasks: from the selection on. Tasks before it belong to the page starting up (the
			// bench selects the folder as soon as the page is ready) and are reported apart.
			const others = w.__tasks.filter((/** @type {number[]} */ t) => !holdsChange(t) && t[0] >= w.__changeAt);
			const before = w.__tasks.filter((/** @type {number[]} */ t) => !holdsChange(t) && t[0] < w.__changeAt);
			const worst = others.reduce((a, t) => (a && a[1] >= t[1] ? a : t), null);
			const worstFrame =
				worst && w.__frames.find((/** @type {any[]} */ f) => f[0] <= worst[0] + worst[1] && worst[0] <= f[0] + f[1]);
			return {
				longestAt: worst ? Math.round(worst[0] - (w.__changeAt ?? 0)) : null,
				longestFrame: worstFrame
					? {
							ms: Math.round(worstFrame[1]),
							script_ms: Math.round(worstFrame[2]),
							render_ms: worstFrame[4],
							scripts: worstFrame[3]
						}
					: null,
				longTasks: others.length,
				longest: Math.max(0, ...others.map((/** @type {number[]} */ t) => t[1])),
				beforeSelection: Math.max(0, ...before.map((/** @type {number[]} */ t) => t[1])),
				pick: Math.max(0, ...pick.map((/** @type {number[]} */ t) => t[1])),
				pickScript: pickFrame ? pickFrame[2] : 0
			};
		});
		/** @type {Record<string, any>} */
		const stages = await page.evaluate(
			() => /** @type {any} */ (performance.getEntriesByName('cratemesh:import-stages')[0])?.detail ?? {}
		);
		await openBlank();

		let floorRun = null;
		if (floor) {
			const before = cpu();
			const ms = await page.evaluate(
				async ({ source, pool, engine }) => {
					const input = /** @type {HTMLInputElement} */ (document.querySelector('input'));
					const files = [...(input.files ?? [])];
					const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
					const workers = Array.from({ length: pool }, () => new Worker(url));
					const t0 = performance.now();
					await Promise.all(
						workers.map(async (worker) => {
							for (let file = files.shift(); file; file = files.shift()) {
								await new Promise((resolve, reject) => {
									worker.onmessage = resolve;
									worker.onerror = reject;
									worker.postMessage({ file, engine });
								});
							}
						})
					);
					const ms = performance.now() - t0;
					workers.forEach((worker) => worker.terminate());
					const root = await navigator.storage.getDirectory();
					for (const name of ['bench-incoming', 'bench-audio']) await root.removeEntry(name, { recursive: true });
					return ms;
				},
				{ source: FLOOR_WORKER, pool: concurrency, engine: stages.hashEngine ?? 'native' }
			);
			floorRun = { ms, cpu: cpuSpent(before, cpu()) };
		}
		const readAfter = await plainRead();

		const mb = folder.bytes / 1e6;
		const plainReadMs = (readBefore.ms + readAfter.ms) / 2;
		return {
			importMs,
			mb,
			importMbPerS: mb / (importMs / 1000),
			readMbPerS: mb / (plainReadMs / 1000),
			readMbPerSRuns: [mb / (readBefore.ms / 1000), mb / (readAfter.ms / 1000)],
			floorMbPerS: floorRun ? mb / (floorRun.ms / 1000) : null,
			// CPU seconds per GB of the whole browser (every process of the profile).
			cpuPerGb: persistent
				? {
						read: ((readBefore.cpu + readAfter.cpu) / 2) * (1000 / mb),
						import: importCpu * (1000 / mb),
						floor: floorRun ? floorRun.cpu * (1000 / mb) : null
					}
				: null,
			stages,
			importThreads,
			tasks,
			threadTasks
		};
	} finally {
		await context.close();
		if (profile) rmSync(profile, { recursive: true, force: true });
	}
}

/**
 * Starts a devtools timeline trace over CDP (with V8 samples if asked); the returned function stops it and
 * returns its JSON text.
 * @param {import('@playwright/test').CDPSession} cdp
 */
async function startTrace(cdp, samples = false) {
	await cdp.send('Tracing.start', {
		transferMode: 'ReturnAsStream',
		traceConfig: {
			includedCategories: [
				'devtools.timeline',
				'toplevel',
				...(samples
					? ['disabled-by-default-devtools.timeline', 'disabled-by-default-v8.cpu_profiler', 'v8.execute']
					: [])
			]
		}
	});
	return async () => {
		const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
		await cdp.send('Tracing.end');
		const { stream } = /** @type {{ stream: string }} */ (await complete);
		const parts = [];
		for (;;) {
			const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 20 });
			parts.push(chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data);
			if (chunk.eof) break;
		}
		await cdp.send('IO.close', { handle: stream });
		return parts.join('');
	};
}

/**
 * The page's main-thread tasks after the one that delivered the selection (its `change` event): the
 * longest by thread time, and how many exceeded 50 ms of wall time and of thread time.
 * @param {string} text trace JSON
 */
function longTasksByThreadTime(text) {
	const parsed = JSON.parse(text);
	/** @type {any[]} */
	const events = parsed.traceEvents ?? parsed;
	const mains = new Set(
		events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`)
	);
	const onMain = events.filter((e) => e.ph === 'X' && mains.has(`${e.pid}:${e.tid}`));
	const change = onMain.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'change');
	const after = change ? change.ts + change.dur : 0;
	// 'RunTask' with the devtools categories, else 'ThreadControllerImpl::RunTask' ('toplevel' alone).
	const name = onMain.some((e) => e.name === 'RunTask') ? 'RunTask' : 'ThreadControllerImpl::RunTask';
	const tasks = onMain.filter((e) => e.name === name && e.ts > after);
	const longest = tasks.reduce((a, e) => ((e.tdur ?? 0) > (a?.tdur ?? -1) ? e : a), null);
	return {
		tasks: tasks.length,
		longestThreadMs: longest ? longest.tdur / 1000 : 0,
		longestThreadWallMs: longest ? longest.dur / 1000 : 0,
		overWall50: tasks.filter((e) => e.dur > 50_000).length,
		overThread50: tasks.filter((e) => (e.tdur ?? 0) > 50_000).length
	};
}

/** @type {Promise<Record<string, import('../run.js').Figure>> | undefined} */
let importRun;

/** @param {import('../run.js').BenchContext} ctx */
function measureImport(ctx) {
	importRun ??= (async () => {
		const tracks = trackSizedFolder(ctx.root);
		const big = await importAndRead(ctx, tracks, { persistent: true, floor: true });
		// The same import in an incognito-like profile (OPFS in memory, over IPC), for comparison with earlier runs.
		const incognito = await importAndRead(ctx, tracks, { persistent: false });
		const small = smallFilesFolder();
		let few;
		try {
			few = await importAndRead(ctx, small, { persistent: true });
		} finally {
			rmSync(small.dir, { recursive: true, force: true });
		}
		const ratio = (/** @type {{ importMbPerS: number, readMbPerS: number }} */ r) =>
			round(r.importMbPerS / r.readMbPerS, 3);
		const perFile = (/** @type {number | undefined} */ ms) => round((ms ?? 0) / (big.stages.files || 1), 1);
		const stageNames = ['read', 'parse', 'check', 'artwork', 'hash', 'lookup', 'open', 'write', 'commit', 'record'];
		const taskNote = `tasks after the selection; the task that delivered the 200-file selection took ${round(big.tasks.pick, 1)} ms, ${round(big.tasks.pickScript, 1)} ms of it our script (the rest is Chromium building the FileList)`;
		return {
			'library.import_files_per_s': {
				value: round(tracks.files / (big.importMs / 1000), 1),
				unit: 'files/s',
				baseline: null,
				ratio: null,
				files: tracks.files,
				mb: round(big.mb, 1),
				note: '200 track-sized files (2 min, 5 formats, ≈ 8 MB average), on-disk profile'
			},
			'library.import_mb_per_s': {
				value: round(big.importMbPerS, 1),
				unit: 'MB/s',
				baseline: round(big.readMbPerS, 1),
				ratio: ratio(big)
			},
			'library.import_ratio_to_read': {
				value: ratio(big),
				unit: 'ratio',
				baseline: round(big.readMbPerS, 1),
				ratio: ratio(big),
				note: 'import MB/s over a plain read of the same files in the same on-disk profile (mean of a read before and after the import)',
				read_mb_per_s_runs: big.readMbPerSRuns.map((v) => round(v, 1)),
				floor_mb_per_s: big.floorMbPerS === null ? null : round(big.floorMbPerS, 1),
				floor_ratio_to_read: big.floorMbPerS === null ? null : round(big.floorMbPerS / big.readMbPerS, 3),
				floor_note:
					'floor: the same bytes only read, hashed (with the engine the importer chose), written (sync access handle) and moved in as many workers as the importer, no tags/rows/UI',
				hash_engine: big.stages.hashEngine ?? null,
				cpu_s_per_gb: big.cpuPerGb && {
					read: round(big.cpuPerGb.read),
					floor: big.cpuPerGb.floor === null ? null : round(big.cpuPerGb.floor),
					import: round(big.cpuPerGb.import),
					import_by_thread: big.importThreads
				},
				worker_ms_per_file: Object.fromEntries(stageNames.map((name) => [name, perFile(big.stages[name])])),
				incognito: {
					import_mb_per_s: round(incognito.importMbPerS, 1),
					read_mb_per_s: round(incognito.readMbPerS, 1),
					ratio: ratio(incognito)
				}
			},
			'library.import_longest_task_ms': {
				value: round(big.tasks.longest, 1),
				unit: 'ms',
				baseline: null,
				ratio: null,
				note: `longest main-thread task of the import the other import figures measure (on-disk profile; longtask API, ≥ 50 ms reported; 0 = none), ${taskNote}; the incognito-like run is reported apart (incognito)`,
				thread_time: big.threadTasks && {
					note: 'from a devtools trace of the same imports: the longest task by thread (CPU) time of the UI thread, and how many tasks exceeded 50 ms of wall vs of thread time; wall time beyond thread time is waiting for a core or for the browser process',
					on_disk: big.threadTasks && {
						longest_thread_ms: round(big.threadTasks.longestThreadMs, 1),
						its_wall_ms: round(big.threadTasks.longestThreadWallMs, 1),
						over_50_wall: big.threadTasks.overWall50,
						over_50_thread: big.threadTasks.overThread50,
						tasks: big.threadTasks.tasks
					},
					incognito: incognito.threadTasks && {
						longest_thread_ms: round(incognito.threadTasks.longestThreadMs, 1),
						its_wall_ms: round(incognito.threadTasks.longestThreadWallMs, 1),
						over_50_wall: incognito.threadTasks.overWall50,
						over_50_thread: incognito.threadTasks.overThread50,
						tasks: incognito.threadTasks.tasks
					}
				},
				on_disk: {
					ms: round(big.tasks.longest, 1),
					before_selection_ms: round(big.tasks.beforeSelection, 1),
					long_tasks: big.tasks.longTasks,
					at_ms_after_selection: big.tasks.longestAt,
					frame: big.tasks.longestFrame
				},
				incognito: {
					ms: round(incognito.tasks.longest, 1),
					before_selection_ms: round(incognito.tasks.beforeSelection, 1),
					long_tasks: incognito.tasks.longTasks,
					at_ms_after_selection: incognito.tasks.longestAt,
					frame: incognito.tasks.longestFrame
				}
			},
			'library.import_small_files_per_s': {
				value: round(small.files / (few.importMs / 1000), 1),
				unit: 'files/s',
				baseline: round(few.readMbPerS, 1),
				ratio: ratio(few),
				mb: round(few.mb, 1),
				note: `200 files of 0.5 MB: per-file overhead; ratio is MB/s over a plain read (${round(few.importMbPerS, 1)} vs ${round(few.readMbPerS, 1)} MB/s); longest task after the selection ${round(few.tasks.longest, 1)} ms`
			}
		};
	})();
	return importRun;
}

export async function seedTracks(/** @type {import('@playwright/test').Page} */ page, from, count) {
	await page.evaluate(
		async ({ from, count }) => {
			let seed = 12345 + from;
			const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
			const syllables = [
				'ka',
				'lo',
				'mi',
				'ra',
				'so',
				'ne',
				'tu',
				'vi',
				'da',
				'fe',
				'go',
				'ha',
				'ju',
				'ki',
				'le',
				'mo',
				'ni',
				'pa',
				'qu',
				're',
				'sa',
				'ti',
				'ul',
				'ze',
				'bra',
				'cri',
				'dre',
				'flo',
				'gra',
				'pro'
			];
			const words = Array.from({ length: 3000 }, (_, i) => {
				let w = '';
				for (let s = 0; s < 2 + (i % 3); s++) w += syllables[Math.floor(rnd() * syllables.length)];
				return w;
			});
			words.push('beyoncé', 'são', 'paulo', 'love', 'night', 'deep', 'house', 'techno', 'disco');
			const pick = () => words[Math.floor(rnd() * words.length)];
			const phrase = (n) => Array.from({ length: 1 + Math.floor(rnd() * n) }, pick).join(' ');
			const genres = [
				'House',
				'Deep House',
				'Techno',
				'Disco',
				'Funk',
				'Hip-Hop',
				'Drum & Bass',
				'Pop',
				'Jazz',
				'Ambient',
				'Soul',
				'Reggae',
				'Samba',
				'Bossa Nova',
				'Afrobeat'
			];
			const keys = [
				'Am',
				'C',
				'Em',
				'G',
				'Bm',
				'D',
				'F#m',
				'A',
				'C#m',
				'E',
				'Fm',
				'Ab',
				'Cm',
				'Eb',
				'Gm',
				'Bb',
				'Dm',
				'F'
			];
			const db = await new Promise((resolve, reject) => {
				const open = indexedDB.open('cratemesh');
				open.onsuccess = () => resolve(open.result);
				open.onerror = () => reject(open.error);
			});
			const batch = 5000;
			for (let start = 0; start < count; start += batch) {
				await new Promise((resolve, reject) => {
					const tx = /** @type {IDBDatabase} */ (db).transaction('tracks', 'readwrite');
					const store = tx.objectStore('tracks');
					for (let i = start; i < Math.min(count, start + batch); i++) {
						const n = from + i;
						const title = phrase(4);
						store.put({
							hash: n.toString(16).padStart(64, '0'),
							fileName: `${title}.mp3`,
							size: 5_000_000,
							mime: 'audio/mpeg',
							title,
							artist: phrase(2),
							album: phrase(3),
							albumArtist: '',
							genre: genres[Math.floor(rnd() * genres.length)],
							year: 1970 + Math.floor(rnd() * 55),
							trackNo: null,
							discNo: null,
							comment: rnd() < 0.2 ? phrase(5) : '',
							label: rnd() < 0.5 ? phrase(1) : '',
							isrc: '',
							tagBpm: null,
							tagKey: '',
							bpm: 70 + Math.round(rnd() * 1100) / 10,
							key: keys[Math.floor(rnd() * keys.length)],
							duration: 120 + rnd() * 400,
							container: 'MPEG',
							codec: 'MPEG 1 Layer 3',
							bitrate: 320000,
							sampleRate: 44100,
							channels: 2,
							artwork: null,
							rating: Math.floor(rnd() * 6),
							color: null,
							freeTags: [],
							playCount: Math.floor(rnd() * 40),
							lastPlayed: null,
							storage: 'none',
							pinned: false,
							paths: [`${title}.mp3`],
							dateAdded: 1_700_000_000_000 + n
						});
					}
					tx.oncomplete = () => resolve(undefined);
					tx.onerror = () => reject(tx.error);
				});
			}
			/** @type {IDBDatabase} */ (db).close();
		},
		{ from, count }
	);
}

/** Loads the library page and waits until the catalog worker has answered its first query. */
async function openLibrary(/** @type {import('@playwright/test').Page} */ page, url) {
	await page.goto(url);
	await page.locator('[data-testid="track-count"]:not([data-seq="0"])').waitFor({ timeout: 120_000 });
}

/**
 * Waits for the app's start-up work to finish (service worker installed and its precache fetched, mesh,
 * collab and the analysis scan started) and for the main thread to be idle for a while: search is
 * measured as a user with a library meets it, not while a first visit is still setting itself up.
 * Returns how long that took.
 */
async function settle(/** @type {import('@playwright/test').Page} */ page) {
	return page.evaluate(async () => {
		const t0 = performance.now();
		const timeout = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
		await Promise.race([navigator.serviceWorker.ready, timeout(30_000)]);
		// Ten idle periods in a row with most of a frame free, or 15 s at most.
		let quiet = 0;
		while (quiet < 10 && performance.now() - t0 < 15_000) {
			const free = await new Promise((resolve) =>
				requestIdleCallback((deadline) => resolve(deadline.timeRemaining()), { timeout: 200 })
			);
			quiet = /** @type {number} */ (free) >= 40 ? quiet + 1 : 0;
			await timeout(20);
		}
		return performance.now() - t0;
	});
}

/**
 * Types queries the way a user does (an input event per query) and times until the new result is in the
 * DOM: a MutationObserver on the result counter fires right after the table's update is committed.
 */
async function searchLatencies(/** @type {import('@playwright/test').Page} */ page, queries) {
	return page.evaluate(async (queries) => {
		const input = /** @type {HTMLInputElement} */ (document.querySelector('[data-testid="search"]'));
		const count = /** @type {HTMLElement} */ (document.querySelector('[data-testid="track-count"]'));
		const times = [];
		// The catalog worker's own time per query (data-search-ms): the rest is messaging and rendering.
		const worker = [];
		for (const query of queries) {
			const seq = Number(count.dataset.seq);
			const done = new Promise((resolve) => {
				const observer = new MutationObserver(() => {
					if (Number(count.dataset.seq) > seq) {
						observer.disconnect();
						resolve(performance.now());
					}
				});
				observer.observe(count, { attributes: true, attributeFilter: ['data-seq'] });
			});
			const t0 = performance.now();
			input.value = query;
			input.dispatchEvent(new Event('input', { bubbles: true }));
			times.push(/** @type {number} */ (await done) - t0);
			worker.push(Number(count.dataset.searchMs));
			// Let the frame settle before the next keystroke, like a typist.
			await new Promise((resolve) => setTimeout(resolve, 30));
		}
		return { times, worker };
	}, queries);
}

const QUERIES = [
	'l',
	'lo',
	'lov',
	'love',
	'love n',
	'love ni',
	'beyonce',
	'sao paulo',
	'deep',
	'deep house',
	'k',
	'ka',
	'kal',
	'mi',
	'mira',
	'pro',
	'gra',
	'tech',
	'disco',
	'soul',
	'ra',
	'ne',
	'tu vi',
	'flo',
	'ze',
	'a',
	's',
	'da fe',
	'cri',
	'ju'
];
const NO_MATCH = Array.from({ length: 30 }, (_, i) => `zzq${i}xw`);

/** @type {Promise<Record<string, import('../run.js').Figure>> | undefined} */
let scaleRun;

/** @param {import('../run.js').BenchContext} ctx */
function measureScale({ browser, baseURL }) {
	scaleRun ??= (async () => {
		const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
		try {
			const page = await context.newPage();
			await page.goto(baseURL);
			await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
			/** @type {Record<string, import('../run.js').Figure>} */
			const figures = {};
			for (const [size, from, count] of [
				['50k', 0, 50_000],
				['100k', 50_000, 50_000]
			]) {
				await seedTracks(page, /** @type {number} */ (from), /** @type {number} */ (count));
				await openLibrary(page, baseURL);
				const firstRows = await page.evaluate(
					() => performance.getEntriesByName('cratemesh:first-rows')[0]?.startTime ?? NaN
				);
				const total = await page.getByTestId('track-count').textContent();
				const settleMs = await settle(page);
				// BENCH_PROFILE_SEARCH=<dir>: a devtools timeline trace of the typed queries, for finding what they cost.
				const profileDir = process.env.BENCH_PROFILE_SEARCH;
				const tracer = profileDir ? page.context().browser() : null;
				if (tracer)
					await tracer.startTracing(page, {
						path: join(/** @type {string} */ (profileDir), `search-${size}.trace.json`),
						categories: [
							'devtools.timeline',
							'disabled-by-default-devtools.timeline',
							'v8.execute',
							'blink.user_timing'
						]
					});
				// Three passes of the 30 queries, so p95 is a percentile of 90 samples rather than the second-slowest of 30.
				const search = await searchLatencies(page, [...QUERIES, ...QUERIES, ...QUERIES]);
				if (tracer) await tracer.stopTracing();
				const baseline = await searchLatencies(page, [...NO_MATCH, ...NO_MATCH, ...NO_MATCH]);
				const p95 = quantile(search.times, 0.95);
				const base = quantile(baseline.times, 0.95);
				figures[`library.search_p95_ms_${size}`] = {
					value: round(p95, 1),
					unit: 'ms',
					baseline: round(base, 1),
					ratio: round(p95 / base),
					queries: search.times.length,
					tracks: total?.trim() ?? '',
					median_ms: round(quantile(search.times, 0.5), 1),
					worker_p95_ms: round(quantile(search.worker, 0.95), 1),
					worker_median_ms: round(quantile(search.worker, 0.5), 1),
					settle_ms: round(settleMs),
					note: 'typed queries, from the input event to the result in the DOM, once start-up work has settled (settle_ms); baseline: queries that match nothing',
					slowest: [...QUERIES, ...QUERIES, ...QUERIES]
						.map((query, i) => /** @type {const} */ ([query, round(search.times[i], 1), search.worker[i]]))
						.sort((a, b) => b[1] - a[1])
						.slice(0, 4)
				};
				if (size === '100k')
					figures['library.first_rows_ms_100k'] = {
						value: round(firstRows, 1),
						unit: 'ms',
						baseline: null,
						ratio: null,
						note: 'navigation start to first rows painted'
					};
			}
			return figures;
		} finally {
			await context.close();
		}
	})();
	return scaleRun;
}

/** @param {string} name @param {(ctx: import('../run.js').BenchContext) => Promise<Record<string, import('../run.js').Figure>>} measure @returns {import('../run.js').FigureSpec} */
const figure = (name, measure) => ({
	name,
	async run(ctx) {
		const result = (await measure(ctx))[name];
		if (!result) throw new Error(`${name} was not measured`);
		return result;
	}
});

export const libraryFigures = [
	figure('library.import_files_per_s', measureImport),
	figure('library.import_mb_per_s', measureImport),
	figure('library.import_ratio_to_read', measureImport),
	figure('library.import_longest_task_ms', measureImport),
	figure('library.import_small_files_per_s', measureImport),
	figure('library.search_p95_ms_50k', measureScale),
	figure('library.search_p95_ms_100k', measureScale),
	figure('library.first_rows_ms_100k', measureScale)
];
