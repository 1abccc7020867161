// Library figures: import throughput (vs a plain read of the same files in the same page), the
// longest main-thread task while importing, search latency and time to first rows at 50k/100k tracks.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
 * Imports a folder through the folder input and reads the same bytes plainly in the same page. Long
 * tasks are split at the selection: Chromium builds the FileList (a stat per file) in the task that
 * delivers the change event, before any of our code runs; what the import itself does comes after.
 * @param {import('../run.js').BenchContext} ctx
 * @param {{ dir: string, bytes: number, files: number }} folder
 */
async function importAndRead({ browser, baseURL }, folder) {
	const context = await browser.newContext();
	try {
		const page = await context.newPage();
		await page.goto(baseURL);
		await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
		// A test profile is incognito-like, with a quota of a fraction of RAM; a real profile on this disk
		// may use 60 % of it. Give the origin room for the 1.6 GB folder.
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
					w.__frames.push([entry.startTime, entry.duration, entry.scripts.reduce((t, s) => t + s.duration, 0)]);
			}).observe({ type: 'long-animation-frame', buffered: false });
			document.addEventListener('change', () => (w.__changeAt ??= performance.now()), true);
		});
		const started = Date.now();
		await page.getByTestId('folder-input').setInputFiles(folder.dir);
		await page.getByTestId('import-summary').waitFor({ timeout: 900_000 });
		const importMs = Date.now() - started;
		const summary = await page.getByTestId('import-summary').textContent();
		if (!summary?.includes(`Added ${folder.files} files`)) throw new Error(`import incomplete: ${summary}`);
		const tasks = await page.evaluate(() => {
			const w = /** @type {any} */ (window);
			/** @type {(span: number[]) => boolean} */
			const holdsChange = ([start, duration]) => start <= w.__changeAt && w.__changeAt <= start + duration;
			const pick = w.__tasks.filter(holdsChange);
			const pickFrame = w.__frames.find(holdsChange);
			return {
				longest: Math.max(
					0,
					...w.__tasks.filter((/** @type {number[]} */ t) => !holdsChange(t)).map((/** @type {number[]} */ t) => t[1])
				),
				pick: Math.max(0, ...pick.map((/** @type {number[]} */ t) => t[1])),
				pickScript: pickFrame ? pickFrame[2] : 0
			};
		});

		// Baseline: read the same files' bytes in the same page, on the UI thread, nothing else.
		await page.evaluate(() => {
			const input = document.createElement('input');
			input.type = 'file';
			input.webkitdirectory = true;
			input.id = 'bench-read';
			document.body.append(input);
		});
		await page.locator('#bench-read').setInputFiles(folder.dir);
		const plainReadMs = await page.evaluate(async () => {
			const files = /** @type {HTMLInputElement} */ (document.getElementById('bench-read')).files ?? [];
			const t0 = performance.now();
			let total = 0;
			for (const file of files) total += (await file.arrayBuffer()).byteLength;
			if (!total) throw new Error('nothing read');
			return performance.now() - t0;
		});
		const mb = folder.bytes / 1e6;
		return { importMs, mb, importMbPerS: mb / (importMs / 1000), readMbPerS: mb / (plainReadMs / 1000), tasks };
	} finally {
		await context.close();
	}
}

/** @type {Promise<Record<string, import('../run.js').Figure>> | undefined} */
let importRun;

/** @param {import('../run.js').BenchContext} ctx */
function measureImport(ctx) {
	importRun ??= (async () => {
		const tracks = trackSizedFolder(ctx.root);
		const big = await importAndRead(ctx, tracks);
		const small = smallFilesFolder();
		let few;
		try {
			few = await importAndRead(ctx, small);
		} finally {
			rmSync(small.dir, { recursive: true, force: true });
		}
		const ratio = (/** @type {{ importMbPerS: number, readMbPerS: number }} */ r) =>
			round(r.importMbPerS / r.readMbPerS, 3);
		const taskNote = `tasks after the selection; the task that delivered the 200-file selection took ${round(big.tasks.pick, 1)} ms, ${round(big.tasks.pickScript, 1)} ms of it our script (the rest is Chromium building the FileList)`;
		return {
			'library.import_files_per_s': {
				value: round(tracks.files / (big.importMs / 1000), 1),
				unit: 'files/s',
				baseline: null,
				ratio: null,
				files: tracks.files,
				mb: round(big.mb, 1),
				note: '200 track-sized files (2 min, 5 formats, ≈ 8 MB average)'
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
				note: 'import MB/s over a plain read of the same files in the same page'
			},
			'library.import_longest_task_ms': {
				value: round(big.tasks.longest, 1),
				unit: 'ms',
				baseline: null,
				ratio: null,
				note: `longest main-thread task (longtask API, ≥ 50 ms reported; 0 = none), ${taskNote}`
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
 * Types queries the way a user does (an input event per query) and times until the new result is in the
 * DOM: a MutationObserver on the result counter fires right after the table's update is committed.
 */
async function searchLatencies(/** @type {import('@playwright/test').Page} */ page, queries) {
	return page.evaluate(async (queries) => {
		const input = /** @type {HTMLInputElement} */ (document.querySelector('[data-testid="search"]'));
		const count = /** @type {HTMLElement} */ (document.querySelector('[data-testid="track-count"]'));
		const times = [];
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
			// Let the frame settle before the next keystroke, like a typist.
			await new Promise((resolve) => setTimeout(resolve, 30));
		}
		return times;
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
				const search = await searchLatencies(page, QUERIES);
				const baseline = await searchLatencies(page, NO_MATCH);
				const p95 = quantile(search, 0.95);
				const base = quantile(baseline, 0.95);
				figures[`library.search_p95_ms_${size}`] = {
					value: round(p95, 1),
					unit: 'ms',
					baseline: round(base, 1),
					ratio: round(p95 / base),
					queries: QUERIES.length,
					tracks: total?.trim() ?? ''
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
