#!/usr/bin/env node
// Where a mesh transfer spends CPU, next to a bare DataChannel sending the same bytes: main-thread task and
// script time of sender and receiver (CDP Performance metrics), the renderer processes' total CPU (from
// /proc, so the WebRTC network threads and workers count too), and the receiver's hottest functions (CDP
// Profiler). CPU time, unlike wall time, does not depend much on what else the machine runs.
// Usage: npx vite build && node bench/profile-mesh.js [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../tests/chromium.js';
import { bareChannel, device, makeTracks, waitForApp } from './figures/mesh.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv[2] ?? 2);

function startServer() {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(root, 'src/server/start.js'), '--no-build'], {
			cwd: root,
			env: {
				CRATEMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'cratemesh-prof-')),
				...process.env,
				PORT: '0',
				HOST: '127.0.0.1'
			},
			stdio: ['ignore', 'pipe', 'inherit']
		});
		let output = '';
		child.stdout.on('data', (chunk) => {
			output += chunk;
			const match = /running at http:\/\/localhost:(\d+)/.exec(output);
			if (match) resolve({ child, baseURL: `http://127.0.0.1:${match[1]}` });
		});
		child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
	});
}

/** CPU seconds (user + system) of every Chromium renderer/utility process on the machine, by pid (run it alone:
 * other Chromiums count too). */
function processCpu() {
	const tick = 100;
	/** @type {Record<string, number>} */
	const out = {};
	for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
			if (!cmd.includes('chromium') || !cmd.includes('--type=')) continue;
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
			const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? '?';
			out[`${type}:${pid}`] = (Number(stat[11]) + Number(stat[12])) / tick;
		} catch {
			// gone
		}
	}
	return out;
}
const cpuDelta = (before, after) =>
	Object.fromEntries(
		Object.entries(after)
			.map(([k, v]) => [k, Math.round((v - (before[k] ?? 0)) * 100) / 100])
			.filter(([, v]) => v > 0.05)
	);

async function metrics(page) {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Performance.enable');
	return async () => {
		const { metrics } = await cdp.send('Performance.getMetrics');
		const get = (name) => metrics.find((m) => m.name === name)?.value ?? 0;
		return { task: get('TaskDuration'), script: get('ScriptDuration') };
	};
}
const diff = (a, b) => ({
	task: Math.round((b.task - a.task) * 1000),
	script: Math.round((b.script - a.script) * 1000)
});

const { child, baseURL } = await startServer();
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
const dir = mkdtempSync(join(tmpdir(), 'cratemesh-prof-tracks-'));
try {
	const tracks = makeTracks(dir, RUNS);
	const alice = await device(browser, baseURL);
	const bob = await device(browser, baseURL);
	const [a, b] = [alice.page, bob.page];
	await a.goto('/');
	await waitForApp(a);
	await a.getByTestId('file-input').setInputFiles(tracks.map((t) => t.file));
	await a
		.getByTestId('track-count')
		.and(a.locator(`:text-is("${tracks.length} tracks")`))
		.waitFor({ timeout: 120_000 });
	await a.goto('/devices');
	await waitForApp(a);
	await a.getByTestId('signalling-status').and(a.locator('[data-status="online"]')).waitFor({ timeout: 30_000 });
	await a.getByTestId('show-code').click();
	const code = ((await a.getByTestId('pairing-code').textContent()) ?? '').trim();
	await b.getByTestId('pair-id').fill(alice.id);
	await b.getByTestId('pair-code').fill(code);
	await b.getByRole('button', { name: 'Pair', exact: true }).click();
	const onBob = b.getByTestId('connected-devices').locator('li', { hasText: alice.id });
	await onBob.and(b.locator('[data-ready="true"]')).waitFor({ timeout: 30_000 });
	await onBob.getByRole('button', { name: 'Browse tracks' }).click();
	const limits = { chunk: Number(process.env.PROF_CHUNK ?? 65536), high: 4 * 1024 * 1024, low: 1024 * 1024 };
	const bare = await bareChannel(browser, baseURL, limits);
	const [ma, mb] = [await metrics(a), await metrics(b)];
	const profiler = await b.context().newCDPSession(b);
	await profiler.send('Profiler.enable');
	for (let i = 0; i < tracks.length; i++) {
		const { hash, size } = tracks[i];
		const get = onBob
			.getByTestId('peer-tracks')
			.locator(`li[data-hash="${hash}"]`)
			.getByRole('button', { name: 'Get' });
		await get.waitFor({ timeout: 30_000 });
		const [a0, b0, p0] = [await ma(), await mb(), processCpu()];
		if (i === tracks.length - 1) await profiler.send('Profiler.start');
		const started = Date.now();
		await get.click();
		await b
			.getByTestId('transfers')
			.locator(`li[data-hash="${hash}"][data-state="done"]`)
			.waitFor({ timeout: 300_000 });
		const wall = (Date.now() - started) / 1000;
		const [a1, b1, p1] = [await ma(), await mb(), processCpu()];
		console.log(`mesh run ${i}: ${wall.toFixed(2)} s wall, ${(size / 1e6 / wall).toFixed(1)} MB/s`);
		console.log('  sender main', diff(a0, a1), 'receiver main', diff(b0, b1));
		console.log('  process cpu s', cpuDelta(p0, p1));
		if (i === tracks.length - 1) {
			const { profile } = await profiler.send('Profiler.stop');
			writeFileSync('/tmp/hmesh-receiver.cpuprofile', JSON.stringify(profile));
			const self = new Map();
			const dt = profile.timeDeltas;
			profile.samples.forEach((id, k) => self.set(id, (self.get(id) ?? 0) + (dt[k] ?? 0)));
			const rows = profile.nodes
				.map((n) => ({
					name: `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`,
					ms: (self.get(n.id) ?? 0) / 1000
				}))
				.reduce((acc, r) => acc.set(r.name, (acc.get(r.name) ?? 0) + r.ms), new Map());
			console.log('  receiver top self ms:');
			for (const [name, ms] of [...rows].sort((x, y) => y[1] - x[1]).slice(0, 25))
				console.log(`    ${ms.toFixed(0).padStart(6)} ${name}`);
		}
		const p2 = processCpu();
		const seconds = await bare.send(size);
		const p3 = processCpu();
		console.log(`bare run ${i}: ${seconds.toFixed(2)} s, ${(size / 1e6 / seconds).toFixed(1)} MB/s`, cpuDelta(p2, p3));
	}
	await bare.close();
} finally {
	await browser.close();
	child.kill('SIGTERM');
	rmSync(dir, { recursive: true, force: true });
}
