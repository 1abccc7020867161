// A/B of two builds' mesh transfer (the `mesh.transfer_ratio_to_raw` set-up): both builds served at once,
// each with its own pair of devices (origins of one on-disk profile), transfers interleaved with the bare
// channel (A, bare, B; then B, bare, A) so that the machine's drift hits all three alike. Prints each
// round and the median of the per-round ratios to bare. Between separate bench runs the same build reads
// 0.67–0.83 here, so a change is judged this way.
// Usage: build both checkouts (`npx vite build` in each, e.g. a `git worktree` of the older commit with a
// node_modules symlink), then: node bench/ab-mesh.js <checkout A> <checkout B> [rounds, default 8]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../tests/chromium.js';
import {
	bareChannel,
	browserCpu,
	diskProfile,
	getButton,
	makeTracks,
	meshLimits,
	pairedDevices,
	transferDone,
	watchPhases
} from './figures/mesh.js';
import { startServer } from './server.js';

const [rootA, rootB] = process.argv.slice(2, 4);
const ROUNDS = Number(process.argv[4] ?? 8);
const servers = [await startServer(rootA, { build: false }), await startServer(rootB, { build: false })];
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
const dir = mkdtempSync(join(tmpdir(), 'cratemesh-ab-'));
const profile = await diskProfile();
const cpu = () => browserCpu(profile.dir);
const med = (/** @type {number[]} */ a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
try {
	const tracks = makeTracks(dir, ROUNDS + 1);
	const sides = [];
	for (const s of servers)
		sides.push(
			await pairedDevices(
				browser,
				s.baseURL,
				tracks.map((t) => t.file),
				profile.context
			)
		);
	const bare = await bareChannel(browser, servers[0].baseURL, meshLimits(rootA), profile.context);
	const res = { A: [], B: [], bare: [] };
	const mesh = async (/** @type {number} */ k, /** @type {number} */ i) => {
		const { hash } = tracks[i];
		const d = sides[k];
		const b = d.bob.page;
		const get = getButton(d.onBob, hash);
		await get.waitFor({ timeout: 30_000 });
		await watchPhases(b, hash);
		const c0 = cpu();
		await get.click();
		await transferDone(b, hash);
		const c = cpu() - c0;
		const s = await b.evaluate(() => {
			const w = /** @type {any} */ (window);
			return (w.phases.done - w.clickedAt) / 1000;
		});
		return [s, c];
	};
	for (let i = 0; i < tracks.length; i++) {
		const order = i % 2 ? ['B', 'bare', 'A'] : ['A', 'bare', 'B'];
		for (const v of order) {
			let r;
			if (v === 'bare') {
				const c0 = cpu();
				const s = await bare.send(tracks[i].size);
				r = [s, cpu() - c0];
			} else r = await mesh(v === 'A' ? 0 : 1, i);
			if (i > 0) res[v].push(r);
			console.log(i, v, r.map((x) => x.toFixed(2)).join(' s, cpu '));
		}
	}
	for (const v of ['A', 'B']) {
		const ratios = res[v].map((r, j) => res.bare[j][0] / r[0]);
		console.log(
			`${v}: median ratio to bare ${med(ratios).toFixed(3)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')}),`,
			`median ${med(res[v].map((r) => r[0])).toFixed(2)} s and ${med(res[v].map((r) => r[1])).toFixed(2)} CPU-s per transfer`
		);
	}
	console.log(
		`bare: median ${med(res.bare.map((r) => r[0])).toFixed(2)} s and ${med(res.bare.map((r) => r[1])).toFixed(2)} CPU-s`
	);
	await bare.close();
	for (const d of sides) await d.close();
} finally {
	await profile.close();
	await browser.close();
	for (const s of servers) s.child.kill('SIGTERM');
	rmSync(dir, { recursive: true, force: true });
}
