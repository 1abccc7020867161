// Node side of the analysis harness: builds it with Vite, serves it plus a folder of audio files on a
// loopback port, and drives it in headless Chromium. Used by the bench figures and `npm run analyze`.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const HARNESS_DIR = join(root, 'tests/.artifacts/analysis-harness');

/** Builds the harness (≈1 s). */
export function buildHarness() {
	execFileSync(
		join(root, 'node_modules/.bin/vite'),
		['build', '--config', join(root, 'tests/tools/analysis/vite.config.ts')],
		{
			cwd: root,
			stdio: ['ignore', 'ignore', 'inherit']
		}
	);
	return HARNESS_DIR;
}

const TYPES = /** @type {Record<string, string>} */ ({
	'.html': 'text/html',
	'.js': 'text/javascript',
	'.wasm': 'application/wasm'
});

/**
 * Serves the harness at / and `filesDir` at /files/. Returns { url, close }.
 * @param {string} filesDir
 */
export async function serveHarness(filesDir) {
	const server = createServer((req, res) => {
		const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
		const [base, rel] = path.startsWith('/files/')
			? [filesDir, path.slice(7)]
			: [HARNESS_DIR, path === '/' ? 'index.html' : path.slice(1)];
		const file = normalize(join(base, rel));
		if (!file.startsWith(resolve(base) + sep) || !existsSync(file) || !statSync(file).isFile()) {
			res.writeHead(404).end();
			return;
		}
		res.writeHead(200, {
			'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
			'content-length': statSync(file).size,
			'cache-control': 'no-store'
		});
		createReadStream(file).pipe(res);
	});
	await new Promise((done) => server.listen(0, '127.0.0.1', () => done(undefined)));
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((done) => server.close(() => done(undefined))) };
}

/**
 * A page with the harness loaded and the worker's WASM warmed up.
 * @param {import('@playwright/test').Browser} browser @param {string} url
 */
export async function openHarness(browser, url) {
	const context = await browser.newContext();
	const page = await context.newPage();
	await page.goto(url);
	await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
	await page.evaluate(() => /** @type {any} */ (globalThis).harness.warmUp());
	return { page, context };
}

/**
 * @param {import('@playwright/test').Page} page @param {string} name file name under /files/
 * @param {Record<string, unknown>} [options]
 * @returns {Promise<{ ok: true, result: any } | { ok: false, code: string, message: string }>}
 */
export function analyseInPage(page, name, options = {}) {
	return page.evaluate(
		([file, opts]) => /** @type {any} */ (globalThis).harness.analyse(`/files/${encodeURIComponent(file)}`, opts),
		/** @type {const} */ ([name, options])
	);
}

/** @param {import('@playwright/test').Page} page @param {string} name */
export function decodeInPage(page, name) {
	return page.evaluate(
		(file) => /** @type {any} */ (globalThis).harness.decodeOnly(`/files/${encodeURIComponent(file)}`),
		name
	);
}

/**
 * Peak resident memory (VmHWM, MiB) of Chromium renderer processes started after `since` below `ancestor`.
 * The analysis worker runs in the page's renderer, so a fresh browser per measurement isolates it.
 * @param {number} ancestor
 */
export function rendererPeakMiB(ancestor) {
	let peak = 0;
	for (const pid of descendants(ancestor)) {
		try {
			const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
			if (!cmdline.includes('--type=renderer')) continue;
			const status = readFileSync(`/proc/${pid}/status`, 'utf8');
			const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
			if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
		} catch {
			// process ended
		}
	}
	return peak;
}

/** @param {number} pid @returns {number[]} */
function descendants(pid) {
	/** @type {number[]} */
	const out = [];
	const children = (/** @type {number} */ p) => {
		try {
			return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
		} catch {
			return [];
		}
	};
	const stack = [pid];
	while (stack.length) {
		const p = /** @type {number} */ (stack.pop());
		for (const c of children(p)) {
			out.push(c);
			stack.push(c);
		}
	}
	return out;
}
