// App shell figures: start-up time as a ratio against a blank page loaded in the same run, and the
// size of what the service worker precaches.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);

/** @param {number[]} values */
const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A blank page on its own loopback server: the floor any page pays for navigation and paint. */
async function withBlankServer(/** @type {(url: string) => Promise<number>} */ fn) {
	const html = '<!doctype html><html><head><meta charset="utf-8"><title>blank</title></head><body></body></html>';
	const server = createServer((_req, res) => {
		res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-cache' });
		res.end(html);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
	const address = server.address();
	try {
		return await fn(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
	} finally {
		server.close();
	}
}

/** @param {import('@playwright/test').Page} page */
const appInteractiveMs = (page) =>
	page.evaluate(() => performance.getEntriesByName('cratemesh:interactive')[0]?.startTime ?? NaN);

/** @param {import('@playwright/test').Page} page */
const blankLoadedMs = (page) =>
	page.evaluate(() => {
		const [navigation] = /** @type {PerformanceNavigationTiming[]} */ (performance.getEntriesByType('navigation'));
		return navigation ? navigation.loadEventEnd : NaN;
	});

/** @param {import('@playwright/test').Page} page */
async function waitForInteractive(page) {
	await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
}

/** @type {import('../run.js').FigureSpec[]} */
export const shellFigures = [
	{
		name: 'shell.cold_start_ratio',
		async run({ browser, baseURL }) {
			const app = [];
			const blank = [];
			await withBlankServer(async (blankURL) => {
				// Interleave app and blank runs so drift in machine load hits both alike.
				for (let i = 0; i < RUNS; i++) {
					for (const kind of ['app', 'blank']) {
						const context = await browser.newContext();
						const page = await context.newPage();
						if (kind === 'app') {
							await page.goto(baseURL);
							await waitForInteractive(page);
							app.push(await appInteractiveMs(page));
						} else {
							await page.goto(blankURL, { waitUntil: 'load' });
							blank.push(await blankLoadedMs(page));
						}
						await context.close();
					}
				}
				return 0;
			});
			const value = median(app);
			const baseline = median(blank);
			return {
				value: round(value, 1),
				unit: 'ms',
				baseline: round(baseline, 1),
				ratio: round(value / baseline),
				runs: RUNS
			};
		}
	},
	{
		name: 'shell.offline_reload_ratio',
		async run({ browser, baseURL }) {
			const context = await browser.newContext();
			const page = await context.newPage();
			await page.goto(baseURL);
			await waitForInteractive(page);
			await page.evaluate(async () => {
				await navigator.serviceWorker.ready;
				if (!navigator.serviceWorker.controller) {
					await new Promise((resolve) =>
						navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true })
					);
				}
			});
			const app = [];
			const blank = [];
			const blankPage = await context.newPage();
			await withBlankServer(async (blankURL) => {
				await blankPage.goto(blankURL);
				for (let i = 0; i < RUNS; i++) {
					await context.setOffline(true);
					await page.reload();
					await waitForInteractive(page);
					app.push(await appInteractiveMs(page));
					await context.setOffline(false);
					await blankPage.reload({ waitUntil: 'load' });
					blank.push(await blankLoadedMs(blankPage));
				}
				return 0;
			});
			await context.close();
			const value = median(app);
			const baseline = median(blank);
			return {
				value: round(value, 1),
				unit: 'ms',
				baseline: round(baseline, 1),
				ratio: round(value / baseline),
				runs: RUNS
			};
		}
	},
	{
		name: 'shell.precache_kb',
		async run({ buildDir }) {
			const sw = readFileSync(join(buildDir, 'sw.js'), 'utf8');
			const urls = [...sw.matchAll(/\{url:"([^"]+)",revision:/g)].map((m) => m[1]);
			if (urls.length === 0) throw new Error('no precache manifest found in sw.js');
			let bytes = 0;
			let transferBytes = 0;
			for (const url of urls) {
				const file = join(buildDir, url);
				const size = statSync(file).size;
				bytes += size;
				transferBytes += existsSync(`${file}.br`) ? statSync(`${file}.br`).size : size;
			}
			// A size has no timing baseline; `transfer_kb` is what a first visit downloads (brotli).
			return {
				value: round(bytes / 1024, 1),
				unit: 'KiB',
				baseline: null,
				ratio: null,
				entries: urls.length,
				transfer_kb: round(transferBytes / 1024, 1)
			};
		}
	}
];
