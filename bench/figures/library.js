// Library figures: import throughput (vs a plain read of the same files in the same page), the
// longest main-thread task while importing, search latency and time to first rows at 50k/100k tracks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
/** @param {number[]} values @param {number} q */
const quantile = (values, q) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
};

/** 200 short tones in five formats, each unique (different pitch and length). */
function makeImportFolder() {
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-bench-import-'));
	const formats = [
		['mp3', ['-c:a', 'libmp3lame', '-b:a', '192k']],
		['flac', ['-c:a', 'flac']],
		['ogg', ['-c:a', 'libvorbis', '-q:a', '4']],
		['m4a', ['-c:a', 'aac', '-b:a', '192k']],
		['wav', ['-c:a', 'pcm_s16le']]
	];
	for (let i = 0; i < 200; i++) {
		const [ext, codec] = /** @type {[string, string[]]} */ (formats[i % formats.length]);
		const seconds = 8 + (i % 5);
		execFileSync('ffmpeg', [
			'-hide_banner',
			'-loglevel',
			'error',
			'-y',
			'-f',
			'lavfi',
			'-i',
			`sine=frequency=${200 + i * 3}:sample_rate=44100:duration=${seconds}`,
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
	const bytes = readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
	return { dir, bytes, files: 200 };
}

/** @type {Promise<Record<string, import('../run.js').Figure>> | undefined} */
let importRun;

/** @param {import('../run.js').BenchContext} ctx */
function measureImport({ browser, baseURL }) {
	importRun ??= (async () => {
		const folder = makeImportFolder();
		const context = await browser.newContext();
		try {
			const page = await context.newPage();
			await page.goto(baseURL);
			await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
			await page.evaluate(() => {
				const w = /** @type {any} */ (window);
				w.__longest = 0;
				new PerformanceObserver((list) => {
					for (const entry of list.getEntries()) w.__longest = Math.max(w.__longest, entry.duration);
				}).observe({ type: 'longtask', buffered: false });
			});
			const started = Date.now();
			await page.getByTestId('folder-input').setInputFiles(folder.dir);
			await page.getByTestId('import-summary').waitFor({ timeout: 600_000 });
			const importMs = Date.now() - started;
			const summary = await page.getByTestId('import-summary').textContent();
			if (!summary?.includes(`Added ${folder.files} files`)) throw new Error(`import incomplete: ${summary}`);
			const longest = await page.evaluate(() => /** @type {any} */ (window).__longest);

			// Baseline: read the same files' bytes in the same page, on the UI thread, nothing else.
			const readMs = await page.evaluate(() => {
				const input = document.createElement('input');
				input.type = 'file';
				input.webkitdirectory = true;
				input.id = 'bench-read';
				document.body.append(input);
				return 0;
			});
			void readMs;
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
			const importMbPerS = mb / (importMs / 1000);
			const readMbPerS = mb / (plainReadMs / 1000);
			return {
				'library.import_files_per_s': {
					value: round(folder.files / (importMs / 1000), 1),
					unit: 'files/s',
					baseline: null,
					ratio: null,
					files: folder.files,
					mb: round(mb, 1)
				},
				'library.import_mb_per_s': {
					value: round(importMbPerS, 1),
					unit: 'MB/s',
					baseline: round(readMbPerS, 1),
					ratio: round(importMbPerS / readMbPerS, 3)
				},
				'library.import_ratio_to_read': {
					value: round(importMbPerS / readMbPerS, 3),
					unit: 'ratio',
					baseline: round(readMbPerS, 1),
					ratio: round(importMbPerS / readMbPerS, 3)
				},
				'library.import_longest_task_ms': {
					value: round(longest, 1),
					unit: 'ms',
					baseline: null,
					ratio: null,
					note: 'longest main-thread task (PerformanceObserver longtask, ≥50 ms are reported; 0 = none)'
				}
			};
		} finally {
			await context.close();
			rmSync(folder.dir, { recursive: true, force: true });
		}
	})();
	return importRun;
}

/** Writes `count` synthetic tracks straight into the app's IndexedDB (the schema the app created). */
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
	figure('library.search_p95_ms_50k', measureScale),
	figure('library.search_p95_ms_100k', measureScale),
	figure('library.first_rows_ms_100k', measureScale)
];
