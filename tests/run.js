#!/usr/bin/env node
// `npm test`: every suite against the production build, then one summary line.
//   1. prerequisites (with the command that installs what is missing)
//   2. type check and lint
//   3. production build (so the e2e suite tests the real service worker)
//   4. vitest: node project and real-Chromium browser project
//   5. Playwright end-to-end in Debian's Chromium
//   6. pgTAP on a throwaway PostgreSQL 15 cluster
// Set TEST_ONLY=unit,e2e,sql (any subset) to run part of it; checks and build always run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_INSTALL_HINT, chromiumPath } from './chromium.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'tests', '.artifacts');
const only = process.env.TEST_ONLY ? new Set(process.env.TEST_ONLY.split(',').map((s) => s.trim())) : null;
const wants = (/** @type {string} */ suite) => !only || only.has(suite);
const bin = (/** @type {string} */ name) => join(root, 'node_modules', '.bin', name);

/** @type {{ name: string, passed: number, failed: number, skipped: number }[]} */
const results = [];
let broken = false;

/** @param {string} message */
function fail(message) {
	console.error(`\n✗ ${message}`);
	console.log('total: 0 passed, 1 failed');
	process.exit(1);
}

/**
 * @param {string} title
 * @param {string} command
 * @param {string[]} args
 * @param {Record<string, string>} [env]
 */
function run(title, command, args, env = {}) {
	console.log(`\n▶ ${title}`);
	const started = Date.now();
	const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
	console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
	return result.status ?? 1;
}

// 1. Prerequisites
if (!existsSync(bin('vite')) || !existsSync(bin('playwright')))
	fail('Dependencies are not installed: run `npm ci` (or `npm install`) first.');
if ((wants('unit') || wants('e2e')) && !chromiumPath()) fail(CHROMIUM_INSTALL_HINT);
if (wants('e2e') && spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) {
	fail('ffmpeg is required to generate the audio fixtures: sudo apt-get install -y ffmpeg');
}
const sqlTests = join(root, 'supabase', 'tests', 'database');
const hasSql = existsSync(sqlTests) && readdirSync(sqlTests).some((f) => f.endsWith('.sql'));
if (wants('sql') && hasSql) {
	const pgBin = process.env.PG_BINDIR ?? '/usr/lib/postgresql/15/bin';
	const pgtapControl = '/usr/share/postgresql/15/extension/pgtap.control';
	if (!existsSync(join(pgBin, 'postgres')) || !existsSync(join(pgBin, 'initdb')) || !existsSync(pgtapControl)) {
		fail(
			'PostgreSQL 15 and pgTAP are required for the SQL tests: sudo apt-get install -y postgresql-15 postgresql-15-pgtap'
		);
	}
}
rmSync(artifacts, { recursive: true, force: true });
mkdirSync(artifacts, { recursive: true });

// 2. Static checks
if (run('Type check (svelte-check + tsc for workers)', 'npm', ['run', '--silent', 'check']) !== 0)
	fail('Type check failed.');
if (run('Lint and format check', 'npm', ['run', '--silent', 'lint']) !== 0)
	fail('Lint failed: `npm run format` fixes formatting.');

// 3. Build
if (run('Production build', bin('vite'), ['build', '--logLevel', 'warn']) !== 0) fail('The build failed.');

// 4. Vitest
if (wants('unit')) {
	const report = join(artifacts, 'vitest.json');
	const status = run('Unit and browser tests (vitest)', bin('vitest'), [
		'run',
		'--reporter=default',
		'--reporter=json',
		`--outputFile.json=${report}`
	]);
	if (existsSync(report)) {
		const json = JSON.parse(readFileSync(report, 'utf8'));
		results.push({
			name: 'vitest',
			passed: json.numPassedTests,
			failed: json.numFailedTests,
			skipped: json.numPendingTests + json.numTodoTests
		});
		if (json.numFailedTestSuites > 0 && json.numFailedTests === 0) broken = true;
	}
	if (status !== 0 && !existsSync(report)) broken = true;
}

// 5. Playwright
if (wants('e2e')) {
	const report = join(artifacts, 'playwright.json');
	const status = run('End-to-end tests (Playwright + Chromium)', bin('playwright'), ['test'], {
		PLAYWRIGHT_JSON_OUTPUT_NAME: report
	});
	if (existsSync(report)) {
		const { stats } = JSON.parse(readFileSync(report, 'utf8'));
		results.push({
			name: 'playwright',
			passed: stats.expected,
			failed: stats.unexpected + stats.flaky,
			skipped: stats.skipped
		});
		if (status !== 0 && stats.unexpected === 0) broken = true;
	} else if (status !== 0) broken = true;
}

// 6. pgTAP
if (wants('sql') && hasSql) {
	console.log('\n▶ SQL tests (pgTAP on PostgreSQL 15)');
	const result = spawnSync('bash', [join(root, 'tests', 'sql', 'run-pgtap.sh')], {
		cwd: root,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit']
	});
	process.stdout.write(result.stdout);
	const match = /^pgtap: (\d+) passed, (\d+) failed/m.exec(result.stdout);
	if (match) results.push({ name: 'pgtap', passed: Number(match[1]), failed: Number(match[2]), skipped: 0 });
	if (!match || (result.status !== 0 && Number(match[2]) === 0)) broken = true;
	// The generated client types must match the migrations.
	const types = spawnSync(process.execPath, [join(root, 'tests', 'sql', 'gen-types.mjs'), '--check'], {
		cwd: root,
		stdio: 'inherit'
	});
	results.push({
		name: 'db types',
		passed: types.status === 0 ? 1 : 0,
		failed: types.status === 0 ? 0 : 1,
		skipped: 0
	});
	// Opt-in: checks a real Supabase project when SUPABASE_URL and keys are set; says it skipped otherwise.
	const contract = spawnSync(process.execPath, [join(root, 'tests', 'sql', 'supabase-contract.mjs')], {
		cwd: root,
		stdio: 'inherit'
	});
	if (contract.status !== 0) broken = true;
}

console.log('\nSummary');
for (const r of results)
	console.log(`  ${r.name.padEnd(10)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
const total = results.reduce(
	(sum, r) => ({ passed: sum.passed + r.passed, failed: sum.failed + r.failed, skipped: sum.skipped + r.skipped }),
	{ passed: 0, failed: 0, skipped: 0 }
);
if (broken) {
	console.log('  a suite errored before reporting all its tests (see its output above)');
	total.failed += 1;
}
console.log(`total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
