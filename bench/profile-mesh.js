#!/usr/bin/env node
// Where a mesh transfer spends CPU, next to a bare DataChannel sending the same bytes: CPU seconds per
// thread of every Chromium process (from /proc: renderer main threads, the transfer worker, WebRTC's
// network threads, the browser process's storage threads…), main-thread task and script time of both
// pages (CDP Performance metrics) and the receiver's hottest functions (CDP Profiler). CPU time, unlike
// wall time, does not depend much on what else the machine runs. Same devices, pairing and baseline as
// the `mesh.` bench figures (bench/figures/mesh.js).
// It also samples the sending page's channel every few ms and prints how often it was empty: a channel
// that runs dry mid-transfer means the sender (reads, lookups between ranges) is the hold-up, not the CPU.
// Usage: npx vite build && node bench/profile-mesh.js [runs] [--incognito]
// By default the devices are two origins of one on-disk profile, as in the bench figures; `--incognito`
// uses two incognito-like contexts (OPFS in the browser process's memory), the earlier layout.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../tests/chromium.js';
import {
	bareChannel,
	diskProfile,
	getButton,
	makeTracks,
	meshLimits,
	pairedDevices,
	threadCpu as threadCpuOf,
	transferDone
} from './figures/mesh.js';
import { startServer } from './server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.argv.slice(2).find((arg) => !arg.startsWith('-')) ?? 2);
const INCOGNITO = process.argv.includes('--incognito');

/** Per-thread CPU seconds spent between two `threadCpu()` readings, biggest first (threads under 50 ms left out). */
const cpuDelta = (/** @type {Record<string, number>} */ before, /** @type {Record<string, number>} */ after) =>
	Object.fromEntries(
		Object.entries(after)
			.map(([k, v]) => /** @type {[string, number]} */ ([k, Math.round((v - (before[k] ?? 0)) * 100) / 100]))
			.filter(([, v]) => v >= 0.05)
			.sort((x, y) => y[1] - x[1])
	);
const sum = (/** @type {Record<string, number>} */ delta) =>
	Math.round(Object.values(delta).reduce((a, b) => a + b, 0) * 100) / 100;

/** Main-thread task and script milliseconds of a page so far (CDP Performance metrics). */
async function metrics(/** @type {import('@playwright/test').Page} */ page) {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Performance.enable');
	return async () => {
		const { metrics } = await cdp.send('Performance.getMetrics');
		const get = (/** @type {string} */ name) => metrics.find((m) => m.name === name)?.value ?? 0;
		return { task: get('TaskDuration'), script: get('ScriptDuration') };
	};
}
const diff = (
	/** @type {{ task: number, script: number }} */ a,
	/** @type {{ task: number, script: number }} */ b
) => ({
	task: Math.round((b.task - a.task) * 1000),
	script: Math.round((b.script - a.script) * 1000)
});

/** The hottest functions by self time in a CDP CPU profile. */
function topSelf(/** @type {any} */ profile, count = 25) {
	const self = new Map();
	profile.samples.forEach((/** @type {number} */ id, /** @type {number} */ k) =>
		self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[k] ?? 0))
	);
	/** @type {Map<string, number>} */
	const rows = new Map();
	for (const n of profile.nodes) {
		const name = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
		rows.set(name, (rows.get(name) ?? 0) + (self.get(n.id) ?? 0) / 1000);
	}
	return [...rows].sort((x, y) => y[1] - x[1]).slice(0, count);
}

const { child, baseURL } = await startServer(root, { build: false });
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
const dir = mkdtempSync(join(tmpdir(), 'cratemesh-prof-tracks-'));
const profile = INCOGNITO ? undefined : await diskProfile();
const threadCpu = () => threadCpuOf(profile?.dir);
/** Records every RTCDataChannel a page opens (`window.__benchChannels`), for the sampler below. */
const recordChannels = () => {
	const w = /** @type {any} */ (window);
	w.__benchChannels = [];
	const create = RTCPeerConnection.prototype.createDataChannel;
	RTCPeerConnection.prototype.createDataChannel = function (
		/** @type {Parameters<RTCPeerConnection['createDataChannel']>} */ ...args
	) {
		const channel = create.apply(this, args);
		w.__benchChannels.push(channel);
		return channel;
	};
	const Original = RTCPeerConnection;
	w.RTCPeerConnection = function (/** @type {any[]} */ ...args) {
		const pc = new Original(...args);
		pc.addEventListener('datachannel', (event) => w.__benchChannels.push(event.channel));
		return pc;
	};
	w.RTCPeerConnection.prototype = Original.prototype;
};
/** Starts sampling the open channel's `bufferedAmount` on `page` every 2 ms; the returned function stops
 * and gives the share of samples in which it was empty, and when (ms after the first sample). */
const sampleChannel = async (/** @type {import('@playwright/test').Page} */ page) => {
	await page.evaluate(() => {
		const w = /** @type {any} */ (window);
		w.__benchIdle = { samples: 0, empty: /** @type {number[]} */ ([]), t0: performance.now() };
		w.__benchSampler = setInterval(() => {
			const channel = w.__benchChannels.find((/** @type {RTCDataChannel} */ c) => c.readyState === 'open');
			if (!channel) return;
			w.__benchIdle.samples++;
			if (channel.bufferedAmount === 0) w.__benchIdle.empty.push(Math.round(performance.now() - w.__benchIdle.t0));
		}, 2);
	});
	return () =>
		page.evaluate(() => {
			const w = /** @type {any} */ (window);
			clearInterval(w.__benchSampler);
			return /** @type {{ samples: number, empty: number[] }} */ (w.__benchIdle);
		});
};

try {
	if (profile) await profile.context.addInitScript(recordChannels);
	const tracks = makeTracks(dir, RUNS);
	const devices = await pairedDevices(
		browser,
		baseURL,
		tracks.map((t) => t.file),
		profile?.context
	);
	const [a, b] = [devices.alice.page, devices.bob.page];
	const bare = await bareChannel(browser, baseURL, meshLimits(root), profile?.context);
	const [ma, mb, bs, br] = await Promise.all([a, b, bare.sender, bare.receiver].map(metrics));
	const profiler = await b.context().newCDPSession(b);
	await profiler.send('Profiler.enable');
	for (let i = 0; i < tracks.length; i++) {
		const { hash, size } = tracks[i];
		const get = getButton(devices.onBob, hash);
		await get.waitFor({ timeout: 30_000 });
		const last = i === tracks.length - 1;
		const [a0, b0, t0] = [await ma(), await mb(), threadCpu()];
		if (last) await profiler.send('Profiler.start');
		const stopSampling = profile ? await sampleChannel(a) : null;
		const started = Date.now();
		await get.click();
		await transferDone(b, hash);
		const wall = (Date.now() - started) / 1000;
		const idle = await stopSampling?.();
		const [a1, b1, t1] = [await ma(), await mb(), threadCpu()];
		const meshCpu = cpuDelta(t0, t1);
		console.log(
			`mesh run ${i}: ${wall.toFixed(2)} s wall, ${(size / 1e6 / wall).toFixed(1)} MB/s, cpu ${sum(meshCpu)} s`
		);
		console.log('  sender main', diff(a0, a1), 'receiver main', diff(b0, b1));
		if (idle)
			console.log(
				`  sender's channel empty in ${idle.empty.length} of ${idle.samples} samples, at ms:`,
				idle.empty.join(' ')
			);
		console.log('  thread cpu s', meshCpu);
		if (last) {
			const { profile } = await profiler.send('Profiler.stop');
			writeFileSync('/tmp/hmesh-receiver.cpuprofile', JSON.stringify(profile));
			console.log('  receiver top self ms:');
			for (const [name, ms] of topSelf(profile)) console.log(`    ${ms.toFixed(0).padStart(6)} ${name}`);
		}
		const [s0, r0, t2] = [await bs(), await br(), threadCpu()];
		const seconds = await bare.send(size);
		const [s1, r1, t3] = [await bs(), await br(), threadCpu()];
		const bareCpu = cpuDelta(t2, t3);
		console.log(
			`bare run ${i}: ${seconds.toFixed(2)} s, ${(size / 1e6 / seconds).toFixed(1)} MB/s, cpu ${sum(bareCpu)} s`
		);
		console.log('  sender main', diff(s0, s1), 'receiver main', diff(r0, r1));
		console.log('  thread cpu s', bareCpu);
	}
	await bare.close();
	await devices.close();
} finally {
	await profile?.close();
	await browser.close();
	child.kill('SIGTERM');
	rmSync(dir, { recursive: true, force: true });
}
