#!/usr/bin/env node
// `npm run bench [-- <prefix>…]`: runs the figures whose names start with a prefix (all by default)
// against the production build in headless Chromium and merges them into bench/results.json.
// Every timing is a ratio against a baseline measured in the same run, because these machines are noisy.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { CHROMIUM_INSTALL_HINT, chromiumArgs, chromiumPath } from '../tests/chromium.js';
import { analysisFigures } from './figures/analysis.js';
import { collabFigures } from './figures/collab.js';
import { interopFigures } from './figures/interop.js';
import { libraryFigures } from './figures/library.js';
import { manifestFigures } from './figures/manifest.js';
import { meshFigures } from './figures/mesh.js';
import { playerFigures } from './figures/player.js';
import { sessionFigures } from './figures/session.js';
import { shellFigures } from './figures/shell.js';
import { syncFigures } from './figures/sync.js';
import { startServer } from './server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsFile = join(root, 'bench', 'results.json');
const prefixes = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));

/** @typedef {{ value: number, unit: string, baseline: number | null, ratio: number | null, [extra: string]: unknown }} Figure */
/** @typedef {{ name: string, run: (ctx: BenchContext) => Promise<Figure> }} FigureSpec */
/** @typedef {{ baseURL: string, buildDir: string, browser: import('@playwright/test').Browser, root: string }} BenchContext */

/** @type {FigureSpec[]} */
const all = [
	...shellFigures,
	...libraryFigures,
	...analysisFigures,
	...playerFigures,
	...manifestFigures,
	...meshFigures,
	...syncFigures,
	...interopFigures,
	...collabFigures,
	...sessionFigures
];
const selected = all.filter(
	(figure) => prefixes.length === 0 || prefixes.some((prefix) => figure.name.startsWith(prefix))
);
if (selected.length === 0) {
	console.error(`No figure matches ${prefixes.join(', ')}. Known: ${all.map((f) => f.name).join(', ')}`);
	process.exit(1);
}
if (!chromiumPath()) {
	console.error(CHROMIUM_INSTALL_HINT);
	process.exit(1);
}

function machine() {
	let chromiumVersion = '';
	try {
		chromiumVersion = execFileSync(chromiumPath(), ['--version'], { encoding: 'utf8' }).trim();
	} catch {
		// reported as empty
	}
	let commit = '';
	try {
		commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
	} catch {
		// not a git checkout
	}
	return {
		cpu: cpus()[0]?.model ?? 'unknown',
		cores: cpus().length,
		memoryGiB: Math.round(totalmem() / 2 ** 30),
		node: process.version,
		chromium: chromiumVersion,
		commit,
		date: new Date().toISOString()
	};
}

// BENCH_NO_BUILD=1 serves the build as it is (e.g. one made with CRATEMESH_BUILD_DIR for side-by-side runs).
const { child, baseURL } = await startServer(root, { build: !process.env.BENCH_NO_BUILD });
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
const previous = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : { figures: {} };
const figures = { ...previous.figures };
let failed = false;
try {
	/** @type {BenchContext} */
	const ctx = { baseURL, buildDir: process.env.CRATEMESH_BUILD_DIR ?? join(root, 'build'), browser, root };
	for (const figure of selected) {
		process.stdout.write(`${figure.name} … `);
		try {
			const result = await figure.run(ctx);
			figures[figure.name] = result;
			console.log(
				`${result.value} ${result.unit}${result.ratio !== null ? ` (ratio ${result.ratio}, baseline ${result.baseline})` : ''}`
			);
		} catch (error) {
			failed = true;
			console.log(`failed: ${error instanceof Error ? error.message : error}`);
		}
	}
} finally {
	await browser.close();
	child.kill('SIGTERM');
}
const sorted = Object.fromEntries(Object.entries(figures).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(resultsFile, `${JSON.stringify({ machine: machine(), figures: sorted }, null, 2)}\n`);
console.log(`Wrote ${resultsFile}`);
process.exit(failed ? 1 : 0);
