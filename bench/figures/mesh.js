// Mesh figures: a ~50 MB track fetched from a paired device through the app's real transfer (want →
// offer → binary frames → SHA-256 verified → in the receiver's library), as a ratio to a bare
// RTCDataChannel between two plain pages sending the same number of bytes, with the same chunk size and
// bufferedAmount thresholds, in the same run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { SYNC_FIELDS } from '../../src/lib/db/sync-fields.js';
import { chromiumArgs, chromiumPath } from '../../tests/chromium.js';

const RUNS = Number(process.env.BENCH_MESH_RUNS ?? 3);
/** The first transfer of each kind in a run is markedly slower for both (channel and storage warm-up): not counted. */
const WARMUP = 1;

/** @param {number[]} values */
const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Reads `export const NAME = 64 * 1024;` from the app's source so the baseline uses the same numbers. */
function constant(/** @type {string} */ root, /** @type {string} */ file, /** @type {string} */ name) {
	const source = readFileSync(join(root, 'src/lib/features/mesh', file), 'utf8');
	const match = new RegExp(`export const ${name} = ([\\d\\s*_]+);`).exec(source);
	if (!match) throw new Error(`${name} not found in ${file}`);
	return match[1]
		.split('*')
		.map((part) => Number(part.replace(/[\s_]/g, '')))
		.reduce((a, b) => a * b, 1);
}

/** The app's chunk size and backpressure thresholds, for the bare channel to use the same. */
export const meshLimits = (/** @type {string} */ root) => ({
	chunk: constant(root, 'protocol.ts', 'CHUNK_BYTES'),
	high: constant(root, 'transfers.svelte.ts', 'HIGH_WATER'),
	low: constant(root, 'transfers.svelte.ts', 'LOW_WATER')
});

/** Folder prefix of the on-disk profiles `diskProfile` launches (told apart from the bench's shared browser). */
const PROFILE_PREFIX = 'cratemesh-bench-profile-';

/** The pids of every process of a Chromium this process launched (browser, renderers, utilities): found by
 * its `--user-data-dir`, which all its processes carry — `dir`, or else the bench's shared browser (the
 * first one not launched by `diskProfile`). Empty without /proc. */
function browserPids(/** @type {string | undefined} */ dir) {
	if (!existsSync('/proc/self/stat')) return [];
	const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
	for (const pid of pids) {
		if (dir) break;
		try {
			if (Number(procStat(`/proc/${pid}/stat`)[1]) !== process.pid) continue;
			const found = /--user-data-dir=([^\0]+)/.exec(cmdline(pid))?.[1] ?? '';
			if (found && !found.includes(PROFILE_PREFIX)) dir = found;
		} catch {
			// gone
		}
	}
	if (!dir) return [];
	return pids.filter((pid) => {
		try {
			return cmdline(pid).includes(dir);
		} catch {
			return false;
		}
	});
}

/** Fields of a /proc stat file after the command name (so index 11/12 are utime/stime). */
function procStat(/** @type {string} */ file) {
	const text = readFileSync(file, 'utf8');
	return text.slice(text.lastIndexOf(')') + 2).split(' ');
}
const cmdline = (/** @type {string} */ pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
const cpuOf = (/** @type {string[]} */ fields) => (Number(fields[11]) + Number(fields[12])) / 100;

/**
 * CPU seconds (user + system) so far of every process of the Chromium this process launched (browser,
 * renderers, workers' threads, network service). Unlike wall time, it says what a path costs whatever
 * else the machine runs. NaN without /proc.
 */
export function browserCpu(/** @type {string | undefined} */ dir) {
	const pids = browserPids(dir);
	if (pids.length === 0) return NaN;
	let total = 0;
	for (const pid of pids) {
		try {
			total += cpuOf(procStat(`/proc/${pid}/stat`));
		} catch {
			// gone
		}
	}
	return total;
}

/**
 * CPU seconds so far per thread of the launched Chromium, keyed `<process type>:<pid>/<thread name>`
 * (a renderer's main thread is `CrRendererMain`, a worker `DedicatedWorker …`, WebRTC's
 * `WebRTC_Network`…): where a path's cost lands, for `bench/profile-mesh.js`.
 */
export function threadCpu(/** @type {string | undefined} */ dir) {
	/** @type {Record<string, number>} */
	const out = {};
	for (const pid of browserPids(dir)) {
		try {
			const type = /--type=([a-z-]+)/.exec(cmdline(pid))?.[1] ?? 'browser';
			for (const tid of readdirSync(`/proc/${pid}/task`)) {
				const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
				const key = `${type}:${pid}/${comm}`;
				out[key] = (out[key] ?? 0) + cpuOf(procStat(`/proc/${pid}/task/${tid}/stat`));
			}
		} catch {
			// gone
		}
	}
	return out;
}

/** `count` distinct 300 s stereo 16-bit WAVs (~53 MB each). */
export function makeTracks(/** @type {string} */ dir, /** @type {number} */ count) {
	const files = [];
	for (let i = 0; i < count; i++) {
		const file = join(dir, `mesh-bench-${i}.wav`);
		execFileSync('ffmpeg', [
			'-hide_banner',
			'-loglevel',
			'error',
			'-y',
			'-f',
			'lavfi',
			'-i',
			`sine=frequency=${440 + i * 7}:sample_rate=44100:duration=300`,
			'-ac',
			'2',
			'-c:a',
			'pcm_s16le',
			'-metadata',
			`title=Mesh Bench ${i}`,
			'-metadata',
			'artist=Bench',
			file
		]);
		files.push({
			file,
			size: statSync(file).size,
			hash: createHash('sha256').update(readFileSync(file)).digest('hex')
		});
	}
	return files;
}

/** @param {import('@playwright/test').Page} page */
export const waitForApp = (page) => page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });

/**
 * One on-disk Chromium profile (a persistent context, launched like the bench's browser) in which each
 * device is an origin of its own (`origins(baseURL)`): every device's storage is separate and on disk, as
 * on users' devices, while both stay in one browser like the incognito-like contexts (two browsers on this
 * machine drop UDP packets between their network services: see the mesh README).
 */
export async function diskProfile() {
	const dir = mkdtempSync(join(tmpdir(), PROFILE_PREFIX));
	const context = await chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), args: chromiumArgs });
	return {
		context,
		dir,
		close: async () => {
			await context.close();
			rmSync(dir, { recursive: true, force: true });
		}
	};
}

/** The app's two loopback origins (the server listens on 127.0.0.1; `localhost` is the same server). */
export const origins = (/** @type {string} */ baseURL) =>
	/** @type {[string, string]} */ ([baseURL, baseURL.replace('//127.0.0.1:', '//localhost:')]);

/**
 * One app install on /devices with auto-analysis off (it would compete for the CPU): in a context of its
 * own, or at `origin` in a `shared` context (an on-disk profile, one origin per device).
 */
export async function device(
	/** @type {import('@playwright/test').Browser} */ browser,
	/** @type {string} */ origin,
	/** @type {import('@playwright/test').BrowserContext | undefined} */ shared = undefined
) {
	const context = shared ?? (await browser.newContext());
	const page = await context.newPage();
	await page.goto(`${origin}/settings`);
	await waitForApp(page);
	const auto = page.getByTestId('auto-analyse');
	if (await auto.isChecked()) await auto.uncheck();
	await page.waitForFunction(() => true);
	await page.goto(`${origin}/devices`);
	await waitForApp(page);
	await page.getByTestId('signalling-status').and(page.locator('[data-status="online"]')).waitFor({ timeout: 30_000 });
	const id = ((await page.getByTestId('peer-id').textContent()) ?? '').trim();
	return { context, page, id, origin, close: () => (shared ? page.close() : context.close()) };
}

/**
 * Two app installs, Alice holding `files` (imported before the mesh starts, so navigation does not cut
 * it) and Bob paired with her by code as `tests/e2e/mesh.spec.ts` does, with Alice's track list open on
 * Bob's side. `onBob` is Alice's entry in Bob's connected devices.
 */
export async function pairedDevices(
	/** @type {import('@playwright/test').Browser} */ browser,
	/** @type {string} */ baseURL,
	/** @type {string[]} */ files,
	/** @type {import('@playwright/test').BrowserContext | undefined} */ disk = undefined
) {
	const [first, second] = disk ? origins(baseURL) : [baseURL, baseURL];
	const alice = await device(browser, first, disk);
	const bob = await device(browser, second, disk);
	const [a, b] = [alice.page, bob.page];
	await a.goto(`${alice.origin}/`);
	await waitForApp(a);
	await a.getByTestId('file-input').setInputFiles(files);
	await a
		.getByTestId('track-count')
		.and(a.locator(`:text-is("${files.length} tracks")`))
		.waitFor({ timeout: 120_000 });
	await a.goto(`${alice.origin}/devices`);
	await waitForApp(a);
	await a.getByTestId('signalling-status').and(a.locator('[data-status="online"]')).waitFor({ timeout: 30_000 });
	await a.getByTestId('show-code').click();
	const code = ((await a.getByTestId('pairing-code').textContent()) ?? '').trim();
	await b.getByTestId('pair-id').fill(alice.id);
	await b.getByTestId('pair-code').fill(code);
	await b.getByRole('button', { name: 'Pair', exact: true }).click();
	const onBob = b.getByTestId('connected-devices').locator('li', { hasText: alice.id });
	await onBob.and(b.locator('[data-ready="true"]')).waitFor({ timeout: 30_000 });
	await a
		.getByTestId('connected-devices')
		.locator('li[data-ready="true"]', { hasText: bob.id })
		.waitFor({ timeout: 30_000 });
	await onBob.getByRole('button', { name: 'Browse tracks' }).click();
	return {
		alice,
		bob,
		onBob,
		close: () => Promise.all([alice.close(), bob.close()])
	};
}

/** Bob's Get button for one of Alice's tracks. */
export const getButton = (/** @type {import('@playwright/test').Locator} */ onBob, /** @type {string} */ hash) =>
	onBob.getByTestId('peer-tracks').locator(`li[data-hash="${hash}"]`).getByRole('button', { name: 'Get' });

/** Resolves when Bob's transfer row for `hash` is done. */
export const transferDone = (/** @type {import('@playwright/test').Page} */ b, /** @type {string} */ hash) =>
	b.getByTestId('transfers').locator(`li[data-hash="${hash}"][data-state="done"]`).waitFor({ timeout: 300_000 });

/**
 * Records, in `page`'s own time, the next click (`window.clickedAt`) and when the receiver's row for `hash`
 * first takes each state (queued → receiving → verifying → done: `window.phases`), so a transfer is timed
 * from the click to the row turning done without Playwright's polling in it.
 */
export const watchPhases = (/** @type {import('@playwright/test').Page} */ page, /** @type {string} */ hash) =>
	page.evaluate((hash) => {
		const w = /** @type {any} */ (window);
		w.phases = {};
		const seen = () => {
			const state = document
				.querySelector(`[data-testid="transfers"] li[data-hash="${hash}"]`)
				?.getAttribute('data-state');
			if (state && !(state in w.phases)) w.phases[state] = performance.now();
		};
		w.clickedAt = NaN;
		document.addEventListener('click', () => (w.clickedAt = performance.now()), { capture: true, once: true });
		w.observer?.disconnect();
		w.observer = new MutationObserver(seen);
		w.observer.observe(document.body, { subtree: true, childList: true, attributes: true });
	}, hash);

/**
 * Two plain pages (a blank document on the app's origin, served by route interception) joined by a bare
 * RTCDataChannel; returns a function that sends `bytes` in `chunk`-sized messages with the app's
 * backpressure thresholds and resolves with the seconds until the receiver has them all.
 */
export async function bareChannel(
	/** @type {import('@playwright/test').Browser} */ browser,
	/** @type {string} */ baseURL,
	/** @type {{ chunk: number, high: number, low: number }} */ limits,
	/** @type {import('@playwright/test').BrowserContext | undefined} */ disk = undefined
) {
	if (disk) {
		// The same layout as the devices': one on-disk profile, one origin per side.
		const [first, second] = origins(baseURL);
		const pages = [await blankPage(disk, first), await blankPage(disk, second)];
		const channel = await bareChannelBetween(pages[0], pages[1], limits);
		return { ...channel, close: () => Promise.all(pages.map((page) => page.close())) };
	}
	const contexts = [await browser.newContext(), await browser.newContext()];
	const pages = [];
	for (const context of contexts) pages.push(await blankPage(context, baseURL));
	const channel = await bareChannelBetween(pages[0], pages[1], limits);
	return { ...channel, close: () => Promise.all(contexts.map((context) => context.close())) };
}

/** A blank document on `origin` (served by route interception) in `context`. */
export async function blankPage(
	/** @type {import('@playwright/test').BrowserContext} */ context,
	/** @type {string} */ origin
) {
	await context.route(`${origin}/__bench_blank`, (route) =>
		route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' })
	);
	const page = await context.newPage();
	await page.goto(`${origin}/__bench_blank`);
	return page;
}

/** A bare RTCDataChannel between two open pages (see `bareChannel`). */
export async function bareChannelBetween(
	/** @type {import('@playwright/test').Page} */ sender,
	/** @type {import('@playwright/test').Page} */ receiver,
	/** @type {{ chunk: number, high: number, low: number }} */ limits
) {
	const pages = [sender, receiver];
	/** @param {import('@playwright/test').Page} page @param {boolean} offerer */
	const setup = (page, offerer) =>
		page.evaluate((offerer) => {
			const w = /** @type {any} */ (window);
			const pc = new RTCPeerConnection();
			w.pc = pc;
			w.candidates = [];
			pc.onicecandidate = (event) => event.candidate && w.candidates.push(event.candidate.toJSON());
			const attach = (/** @type {RTCDataChannel} */ channel) => {
				channel.binaryType = 'arraybuffer';
				w.channel = channel;
				w.opened = new Promise((resolve) =>
					channel.readyState === 'open' ? resolve(undefined) : channel.addEventListener('open', resolve)
				);
			};
			if (offerer) attach(pc.createDataChannel('bench', { ordered: true }));
			else
				w.opened = new Promise((resolve) => {
					pc.ondatachannel = (event) => {
						attach(event.channel);
						w.opened.then(resolve);
					};
				});
		}, offerer);
	await setup(sender, true);
	await setup(receiver, false);
	const offer = await sender.evaluate(async () => {
		const pc = /** @type {RTCPeerConnection} */ (/** @type {any} */ (window).pc);
		await pc.setLocalDescription(await pc.createOffer());
		if (!pc.localDescription) throw new Error('no local description after setting the offer');
		return pc.localDescription.toJSON();
	});
	const answer = await receiver.evaluate(async (offer) => {
		const pc = /** @type {RTCPeerConnection} */ (/** @type {any} */ (window).pc);
		await pc.setRemoteDescription(offer);
		await pc.setLocalDescription(await pc.createAnswer());
		if (!pc.localDescription) throw new Error('no local description after setting the answer');
		return pc.localDescription.toJSON();
	}, offer);
	await sender.evaluate((answer) => /** @type {any} */ (window).pc.setRemoteDescription(answer), answer);
	// Trickle the candidates both ways until the channel opens.
	const exchange = async () => {
		for (const [from, to] of [
			[sender, receiver],
			[receiver, sender]
		]) {
			const candidates = await from.evaluate(() => /** @type {any} */ (window).candidates.splice(0));
			await to.evaluate(async (list) => {
				for (const candidate of list) await /** @type {any} */ (window).pc.addIceCandidate(candidate);
			}, candidates);
		}
	};
	const deadline = Date.now() + 20_000;
	for (;;) {
		await exchange();
		const open = await Promise.all(
			pages.map((page) => page.evaluate(() => /** @type {any} */ (window).channel?.readyState === 'open'))
		);
		if (open.every(Boolean)) break;
		if (Date.now() > deadline) throw new Error('bare DataChannel did not open');
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	const maxMessageSize = await sender.evaluate(() => /** @type {any} */ (window).pc.sctp?.maxMessageSize ?? 0);

	/** @param {number} bytes */
	const send = async (bytes) => {
		const done = receiver.evaluate((total) => {
			const channel = /** @type {RTCDataChannel} */ (/** @type {any} */ (window).channel);
			return new Promise((resolve) => {
				let received = 0;
				channel.onmessage = (event) => {
					received += /** @type {ArrayBuffer} */ (event.data).byteLength;
					if (received >= total) {
						channel.onmessage = null;
						resolve(Date.now());
					}
				};
			});
		}, bytes);
		const startedAt = await sender.evaluate(
			async ({ total, chunk, high, low }) => {
				const channel = /** @type {RTCDataChannel} */ (/** @type {any} */ (window).channel);
				channel.bufferedAmountLowThreshold = low;
				const source = new Uint8Array(Math.min(total, 1024 * 1024));
				for (let i = 0; i < source.length; i++) source[i] = i & 255;
				const started = Date.now();
				let sent = 0;
				while (sent < total) {
					if (channel.bufferedAmount > high)
						await new Promise((resolve) => channel.addEventListener('bufferedamountlow', resolve, { once: true }));
					const size = Math.min(chunk, total - sent);
					const at = sent % source.length;
					channel.send(source.subarray(at, Math.min(source.length, at + size)));
					sent += Math.min(size, source.length - at);
				}
				return started;
			},
			{ total: bytes, ...limits }
		);
		const finishedAt = /** @type {number} */ (await done);
		return (finishedAt - startedAt) / 1000;
	};
	/** The selected ICE candidate pair as the sender sees it (how the bytes travel). */
	const route = () =>
		sender.evaluate(async () => {
			const stats = await /** @type {RTCPeerConnection} */ (/** @type {any} */ (window).pc).getStats();
			/** @type {any} */ let pair = null;
			stats.forEach((s) => {
				if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
			});
			const local = pair && stats.get(pair.localCandidateId);
			const remote = pair && stats.get(pair.remoteCandidateId);
			const describe = (/** @type {any} */ c) => c && `${c.candidateType} ${c.protocol} ${c.address}:${c.port}`;
			return { local: describe(local), remote: describe(remote), rtt: pair?.currentRoundTripTime ?? null };
		});
	return { send, sender, receiver, maxMessageSize, route };
}

/** @typedef {{ mesh: number[], meshWall: number[], meshCpuS: number[], bareCpuS: number[], bare: number[], phases: Record<string, number>[], bytes: number, limits: { chunk: number, high: number, low: number }, maxMessageSize: number, route: unknown }} Measured */
/** @type {{ disk: Measured, incognito: Measured } | null} */
let measured = null;

/**
 * Runs the interleaved mesh and bare transfers once for both figures, in both layouts: the figure's (one
 * on-disk profile, a device per origin — storage as users have it) and the earlier one (two
 * incognito-like contexts, whose OPFS lives in the browser process's memory), kept for comparison.
 */
async function measure(/** @type {import('../run.js').BenchContext} */ ctx) {
	if (measured) return measured;
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-bench-mesh-'));
	try {
		const tracks = makeTracks(dir, WARMUP + RUNS);
		const profile = await diskProfile();
		let disk;
		try {
			disk = await measureLayout(ctx, tracks, profile);
		} finally {
			await profile.close();
		}
		const incognito = await measureLayout(ctx, tracks, undefined);
		measured = { disk, incognito };
		return measured;
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** Mesh and bare transfers of `tracks` in one layout: `profile` (on disk, a device per origin) or incognito-like contexts. */
async function measureLayout(
	/** @type {import('../run.js').BenchContext} */ { browser, baseURL, root },
	/** @type {{ file: string, size: number, hash: string }[]} */ tracks,
	/** @type {{ context: import('@playwright/test').BrowserContext, dir: string } | undefined} */ profile
) {
	const limits = meshLimits(root);
	const cpu = () => browserCpu(profile?.dir);
	const devices = await pairedDevices(
		browser,
		baseURL,
		tracks.map((track) => track.file),
		profile?.context
	);
	const { onBob } = devices;
	const b = devices.bob.page;
	const bare = await bareChannel(browser, baseURL, limits, profile?.context);
	try {
		const mesh = [];
		const bareSeconds = [];
		const meshWall = [];
		// CPU seconds of the whole browser per transfer (both sides, all processes): the load-independent cost.
		const meshCpuS = [];
		const bareCpuS = [];
		/** @type {Record<string, number>[]} */
		const phases = [];
		for (let i = 0; i < tracks.length; i++) {
			const { hash, size } = tracks[i];
			const runMesh = async () => {
				const get = getButton(onBob, hash);
				await get.waitFor({ timeout: 30_000 });
				await watchPhases(b, hash);
				const cpuBefore = cpu();
				const started = Date.now();
				await get.click();
				await transferDone(b, hash);
				const wall = (Date.now() - started) / 1000;
				if (i >= WARMUP) meshCpuS.push(cpu() - cpuBefore);
				const { marks, clickedAt } = await b.evaluate(() => ({
					marks: /** @type {any} */ (window).phases,
					clickedAt: /** @type {any} */ (window).clickedAt
				}));
				// Timed in the page like the bare channel (from the click to the row turning done), so
				// Playwright's own polling is not counted; the wall-clock time is kept alongside.
				if (i >= WARMUP) {
					mesh.push(Number.isFinite(clickedAt) ? (marks.done - clickedAt) / 1000 : wall);
					meshWall.push(wall);
				}
				const from = marks.queued ?? marks.receiving;
				if (i >= WARMUP)
					phases.push(
						Object.fromEntries(Object.entries(marks).map(([state, at]) => [state, Math.round(Number(at) - from)]))
					);
				const failed = await b.getByTestId('mesh-rejected').getAttribute('data-count');
				if (failed !== '0') throw new Error(`receiver rejected ${failed} frames`);
			};
			const runBare = async () => {
				const cpuBefore = cpu();
				const seconds = await bare.send(size);
				if (i >= WARMUP) {
					bareSeconds.push(seconds);
					bareCpuS.push(cpu() - cpuBefore);
				}
			};
			// Alternate the order so drift in machine load hits both alike.
			if (i % 2) {
				await runBare();
				await runMesh();
			} else {
				await runMesh();
				await runBare();
			}
		}
		// The last track really is in Bob's library under its content hash.
		await b.goto(`${devices.bob.origin}/`);
		await waitForApp(b);
		await b
			.getByTestId('track-table')
			.locator(`[role="row"][data-hash="${tracks[tracks.length - 1].hash}"]`)
			.waitFor({ timeout: 30_000 });
		return {
			mesh,
			meshWall,
			meshCpuS,
			bareCpuS,
			bare: bareSeconds,
			phases,
			bytes: tracks[0].size,
			limits,
			maxMessageSize: bare.maxMessageSize,
			route: await bare.route()
		};
	} finally {
		await bare.close();
		await devices.close();
	}
}

/** @param {{ mesh: number[], bare: number[], bytes: number }} m */
const rates = (m) => {
	const meshSeconds = median(m.mesh);
	const bareSeconds = median(m.bare);
	return { mesh: m.bytes / 1e6 / meshSeconds, bare: m.bytes / 1e6 / bareSeconds, meshSeconds, bareSeconds };
};

/** One layout's figures in short, for the other layout's entry (the incognito-like one, kept for comparison). */
const summary = (/** @type {Measured} */ m) => {
	const r = rates(m);
	return {
		mesh_mb_per_s: round(r.mesh),
		bare_mb_per_s: round(r.bare),
		ratio: round(r.mesh / r.bare),
		mesh_cpu_s: m.meshCpuS.map((s) => round(s)),
		bare_cpu_s: m.bareCpuS.map((s) => round(s))
	};
};
const LAYOUT =
	"one on-disk Chromium profile, each device on its own origin (127.0.0.1 / localhost): OPFS on disk as on users' devices; the bare channel runs between two pages of the same profile and origins";
const INCOGNITO =
	'two incognito-like contexts of one browser (the layout before December 2026): OPFS in the browser process memory';

/** @type {import('../run.js').FigureSpec[]} */
export const meshFigures = [
	{
		name: 'mesh.transfer_mb_per_s',
		async run(ctx) {
			const { disk: m, incognito } = await measure(ctx);
			const r = rates(m);
			return {
				value: round(r.mesh),
				unit: 'MB/s',
				baseline: round(r.bare),
				ratio: round(r.mesh / r.bare),
				bytes: m.bytes,
				runs: m.mesh.length,
				mesh_s: m.mesh.map((s) => round(s)),
				mesh_wall_s: m.meshWall.map((s) => round(s)),
				bare_s: m.bare.map((s) => round(s)),
				// CPU seconds of the browser (every process) per transfer, mesh and bare: what each path costs
				// whatever the machine's load (the 2-core bench machine is shared)
				mesh_cpu_s: m.meshCpuS.map((s) => round(s)),
				bare_cpu_s: m.bareCpuS.map((s) => round(s)),
				warmup: WARMUP,
				// ms after the receiver's row appeared at which it entered each state, per run
				phases_ms: m.phases,
				chunk_bytes: m.limits.chunk,
				high_water: m.limits.high,
				low_water: m.limits.low,
				max_message_size: m.maxMessageSize,
				layout: LAYOUT,
				// the bare channel's selected ICE candidate pair (host UDP over the machine's own address)
				bare_route: m.route,
				incognito_layout: { layout: INCOGNITO, ...summary(incognito), bare_route: incognito.route }
			};
		}
	},
	{
		name: 'mesh.transfer_ratio_to_raw',
		async run(ctx) {
			const { disk, incognito } = await measure(ctx);
			const r = rates(disk);
			// Higher is better: the app's throughput as a fraction of a bare DataChannel's (goal ≥ 0.85).
			return {
				value: round(r.mesh / r.bare),
				unit: 'ratio',
				baseline: round(r.bare),
				ratio: round(r.mesh / r.bare),
				mesh_mb_per_s: round(r.mesh),
				bare_mb_per_s: round(r.bare),
				goal: 0.85,
				layout: LAYOUT,
				// the same figure in the earlier layout (in-memory OPFS), measured in the same run
				incognito_ratio: round(rates(incognito).mesh / rates(incognito).bare),
				incognito_mesh_mb_per_s: round(rates(incognito).mesh),
				incognito_bare_mb_per_s: round(rates(incognito).bare)
			};
		}
	}
];

// ---- Library sync: a 10,000-track library to a fresh paired device, then 100-track deltas. ----

const SYNC_TRACKS = Number(process.env.BENCH_SYNC_TRACKS ?? 10_000);
const DELTA = 100;
const DELTA_RUNS = Number(process.env.BENCH_SYNC_DELTA_RUNS ?? 3);
/** The synced track fields: each seeded row gets a stamp for every one of them (the app's own list). */
const TRACK_FIELDS = SYNC_FIELDS.tracks;

/**
 * Track rows as an import makes them, plus the stamp records the v8 upgrade gives existing rows (created
 * and every field at one stamp, change order unique per row). Built in the page; written raw in one
 * transaction (`syncStamps` too) when `db` is 'cratemesh', or as the baseline's plain bulk put elsewhere.
 */
function seedTracks(
	/** @type {import('@playwright/test').Page} */ page,
	/** @type {string} */ dbName,
	/** @type {number} */ count
) {
	return page.evaluate(
		async ({ dbName, count, fields }) => {
			const hex = (n) => n.toString(16).padStart(64, '0');
			const rows = Array.from({ length: count }, (_, i) => ({
				hash: hex(i + 1),
				fileName: `Artist ${i % 500} - Track ${i}.mp3`,
				size: 5_000_000 + i,
				mime: 'audio/mpeg',
				dateAdded: 1_700_000_000_000 + i,
				title: `Track ${i}`,
				artist: `Artist ${i % 500}`,
				album: `Album ${i % 900}`,
				albumArtist: '',
				genre: ['House', 'Techno', 'Disco', 'Ambient'][i % 4],
				year: 1990 + (i % 35),
				trackNo: (i % 12) + 1,
				discNo: null,
				comment: 'Seeded for the sync bench',
				label: `Label ${i % 50}`,
				isrc: '',
				tagBpm: 118 + (i % 12),
				tagKey: 'Am',
				bpm: 118 + (i % 12),
				key: 'Am',
				duration: 300 + (i % 120),
				container: 'MPEG',
				codec: 'MPEG 1 Layer 3',
				bitrate: 320000,
				sampleRate: 44100,
				channels: 2,
				artwork: null,
				rating: i % 6,
				color: null,
				freeTags: i % 3 ? [] : ['warm-up'],
				playCount: 0,
				lastPlayed: null,
				storage: 'opfs',
				pinned: false,
				paths: [`Music/Track ${i}.mp3`]
			}));
			const db = await new Promise((resolve, reject) => {
				const request = indexedDB.open(dbName);
				request.onupgradeneeded = () => request.result.createObjectStore('tracks', { keyPath: 'hash' });
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			const node = 'beefbeefbeef';
			const stamp = (ms, counter) => ms.toString(36).padStart(9, '0') + counter.toString(36).padStart(4, '0') + node;
			const ms = Date.now();
			const synced = dbName === 'cratemesh';
			const started = performance.now();
			await new Promise((resolve, reject) => {
				const tx = db.transaction(synced ? ['tracks', 'syncStamps'] : ['tracks'], 'readwrite', {
					durability: 'relaxed'
				});
				const tracks = tx.objectStore('tracks');
				for (const row of rows) tracks.put(row);
				if (synced) {
					const stamps = tx.objectStore('syncStamps');
					rows.forEach((row, i) => {
						const at = stamp(ms, i);
						stamps.put({
							id: `tracks/${row.hash}`,
							t: 'tracks',
							k: row.hash,
							c: at,
							d: '',
							s: Object.fromEntries(fields.map((f) => [f, at])),
							seq: at
						});
					});
				}
				tx.oncomplete = resolve;
				tx.onerror = () => reject(tx.error);
			});
			const ms_ = performance.now() - started;
			db.close();
			if (!synced) indexedDB.deleteDatabase(dbName);
			return ms_;
		},
		{ dbName, count, fields: TRACK_FIELDS }
	);
}

/** Edits `count` tracks on a device as a local edit would be recorded: new rating and title, stamped now. */
function editTracks(
	/** @type {import('@playwright/test').Page} */ page,
	/** @type {number} */ count,
	/** @type {number} */ run
) {
	return page.evaluate(
		async ({ count, run }) => {
			const hex = (n) => n.toString(16).padStart(64, '0');
			const db = await new Promise((resolve, reject) => {
				const request = indexedDB.open('cratemesh');
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			const ms = Date.now();
			const stamp = (counter) =>
				ms.toString(36).padStart(9, '0') + counter.toString(36).padStart(4, '0') + 'beefbeefbeef';
			await new Promise((resolve, reject) => {
				const tx = db.transaction(['tracks', 'syncStamps'], 'readwrite');
				const tracks = tx.objectStore('tracks');
				const stamps = tx.objectStore('syncStamps');
				for (let i = 0; i < count; i++) {
					const hash = hex(run * count + i + 1);
					const at = stamp(i);
					tracks.get(hash).onsuccess = (event) => {
						const row = event.target.result;
						tracks.put({ ...row, rating: (run + 1) % 6, title: `Track edited ${run}` });
					};
					stamps.get(`tracks/${hash}`).onsuccess = (event) => {
						const record = event.target.result;
						stamps.put({ ...record, s: { ...record.s, rating: at, title: at }, seq: at });
					};
				}
				tx.oncomplete = resolve;
				tx.onerror = () => reject(tx.error);
			});
			db.close();
		},
		{ count, run }
	);
}

/** Reads B's view of the sync with A straight from IndexedDB. */
function syncState(
	/** @type {import('@playwright/test').Page} */ page,
	/** @type {string} */ peerId,
	/** @type {number} */ run
) {
	return page.evaluate(
		async ({ peerId, run }) => {
			const db = await new Promise((resolve, reject) => {
				const request = indexedDB.open('cratemesh');
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			const get = (store, fn) =>
				new Promise((resolve, reject) => {
					const request = fn(db.transaction(store).objectStore(store));
					request.onsuccess = () => resolve(request.result);
					request.onerror = () => reject(request.error);
				});
			const peer = await get('syncPeers', (s) => s.get(peerId));
			const tracks = await get('tracks', (s) => s.count());
			const edited =
				run >= 0 ? await get('tracks', (s) => s.get((run * 100 + 1).toString(16).padStart(64, '0'))) : null;
			db.close();
			return { lastSync: peer?.lastSync ?? null, tracks, editedTitle: edited?.title ?? null };
		},
		{ peerId, run }
	);
}

/** @type {{ fullS: number, fullBaselineMs: number, deltaMs: number[], deltaBaselineMs: number[], tracks: number } | null} */
let syncMeasured = null;

async function measureSync(/** @type {import('../run.js').BenchContext} */ { browser, baseURL }) {
	if (syncMeasured) return syncMeasured;
	const alice = await device(browser, baseURL);
	const bob = await device(browser, baseURL);
	try {
		await seedTracks(alice.page, 'cratemesh', SYNC_TRACKS);
		const [a, b] = [alice.page, bob.page];
		// When Bob's link to Alice turns ready (sync starts then), in Bob's page clock.
		await b.evaluate(() => {
			const w = /** @type {any} */ (window);
			w.readyAt = NaN;
			const observer = new MutationObserver(() => {
				if (document.querySelector('[data-testid="connected-devices"] li[data-ready="true"]')) {
					w.readyAt = Date.now();
					observer.disconnect();
				}
			});
			observer.observe(document.body, { subtree: true, childList: true, attributes: true });
		});
		await a.getByTestId('show-code').click();
		const code = ((await a.getByTestId('pairing-code').textContent()) ?? '').trim();
		await b.getByTestId('pair-id').fill(alice.id);
		await b.getByTestId('pair-code').fill(code);
		await b.getByRole('button', { name: 'Pair', exact: true }).click();
		const deadline = Date.now() + 600_000;
		let state;
		for (;;) {
			state = await syncState(b, alice.id, -1);
			if (state.lastSync && state.tracks >= SYNC_TRACKS) break;
			if (Date.now() > deadline) throw new Error(`sync did not finish: ${JSON.stringify(state)}`);
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
		const readyAt = await b.evaluate(() => /** @type {any} */ (window).readyAt);
		const fullS = (state.lastSync - readyAt) / 1000;
		const fullBaselineMs = await seedTracks(b, 'bench-sync-baseline', SYNC_TRACKS);
		const rejected = await b.getByTestId('mesh-rejected').getAttribute('data-count');
		if (rejected !== '0') throw new Error(`receiver rejected ${rejected} frames`);

		// Deltas: Alice edits 100 tracks; Bob's sync switch goes off and on (a pull), timed from the click.
		const deltaMs = [];
		const deltaBaselineMs = [];
		const toggle = b.getByTestId('sync-switch');
		for (let run = 0; run < DELTA_RUNS; run++) {
			await editTracks(a, DELTA, run);
			await toggle.uncheck();
			const before = (await syncState(b, alice.id, run)).lastSync;
			await b.evaluate(() => {
				const w = /** @type {any} */ (window);
				document.addEventListener('click', () => (w.toggledAt = Date.now()), { capture: true, once: true });
			});
			await toggle.check();
			const end = Date.now() + 60_000;
			let after;
			for (;;) {
				after = await syncState(b, alice.id, run);
				if (after.lastSync !== before && after.editedTitle === `Track edited ${run}`) break;
				if (Date.now() > end) throw new Error(`delta did not arrive: ${JSON.stringify(after)}`);
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
			const toggledAt = await b.evaluate(() => /** @type {any} */ (window).toggledAt);
			deltaMs.push(after.lastSync - toggledAt);
			deltaBaselineMs.push(await seedTracks(b, 'bench-sync-baseline', DELTA));
		}
		syncMeasured = { fullS, fullBaselineMs, deltaMs, deltaBaselineMs, tracks: SYNC_TRACKS };
		return syncMeasured;
	} finally {
		await alice.context.close();
		await bob.context.close();
	}
}

meshFigures.push(
	{
		name: 'mesh.sync_10k_s',
		async run(ctx) {
			const m = await measureSync(ctx);
			// Lower is better. Baseline: the receiver writing the same track rows in one IndexedDB
			// transaction (no network, no validation, no merge, no stamps): the floor sync could reach.
			return {
				value: round(m.fullS),
				unit: 's',
				baseline: round(m.fullBaselineMs / 1000),
				ratio: round(m.fullS / (m.fullBaselineMs / 1000)),
				tracks: m.tracks,
				tracks_per_s: Math.round(m.tracks / m.fullS)
			};
		}
	},
	{
		name: 'mesh.sync_delta_100_ms',
		async run(ctx) {
			const m = await measureSync(ctx);
			const value = median(m.deltaMs);
			const baseline = median(m.deltaBaselineMs);
			return {
				value: Math.round(value),
				unit: 'ms',
				baseline: round(baseline),
				ratio: round(value / baseline),
				runs_ms: m.deltaMs,
				baseline_runs_ms: m.deltaBaselineMs.map((ms) => round(ms)),
				library_tracks: m.tracks
			};
		}
	}
);

// ---- Streaming: pressing Play on a track that only another device has, to first audio. ----

const STREAM_RUNS = Number(process.env.BENCH_STREAM_RUNS ?? 5);

/** `count` distinct 120 s 192 kbps MP3s (~2.9 MB each). */
function makeMp3s(/** @type {string} */ dir, /** @type {number} */ count) {
	const files = [];
	for (let i = 0; i < count; i++) {
		const file = join(dir, `stream-bench-${i}.mp3`);
		execFileSync('ffmpeg', [
			...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
			...['-i', `sine=frequency=${330 + i * 11}:sample_rate=44100:duration=120`, '-ac', '2'],
			...['-c:a', 'libmp3lame', '-b:a', '192k', '-metadata', `title=Stream Bench ${i}`],
			file
		]);
		files.push({ file, hash: createHash('sha256').update(readFileSync(file)).digest('hex') });
	}
	return files;
}

async function measureStream(/** @type {import('../run.js').BenchContext} */ { browser, baseURL }) {
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-bench-stream-'));
	const tracks = makeMp3s(dir, WARMUP + STREAM_RUNS);
	const { bob, onBob, close } = await pairedDevices(
		browser,
		baseURL,
		tracks.map((track) => track.file)
	);
	const b = bob.page;
	try {
		// Baseline: the same kind of <audio> element playing the same file with the bytes local (served on the
		// app's origin by route interception): what first audio costs without the mesh.
		const bytes = Object.fromEntries(tracks.map((track) => [track.hash, readFileSync(track.file)]));
		await bob.context.route(`${baseURL}/__bench_mp3/*`, (route) =>
			route.fulfill({ contentType: 'audio/mpeg', body: bytes[route.request().url().split('/').pop() ?? ''] })
		);

		const stream = [];
		const local = [];
		const firstBytes = [];
		/** @type {Record<string, number>[]} */
		const steps = [];
		for (let i = 0; i < tracks.length; i++) {
			const { hash } = tracks[i];
			const play = onBob
				.getByTestId('peer-tracks')
				.locator(`li[data-hash="${hash}"]`)
				.getByRole('button', { name: /^Play / });
			await play.waitFor({ timeout: 30_000 });
			// The click handler starts the stream synchronously: firstAudioMs runs from there to `playing`.
			await play.click();
			await b.waitForFunction(() => /** @type {any} */ (window).__cratemeshStream.firstAudioMs > 0, null, {
				timeout: 30_000
			});
			const run = await b.evaluate(() => {
				const s = /** @type {any} */ (window).__cratemeshStream;
				return { ms: s.firstAudioMs, bytes: s.firstAudioBytes, steps: s.firstAudioSteps };
			});
			await b.getByTestId('stream').and(b.locator('[data-kept="true"]')).waitFor({ timeout: 60_000 });
			await b.getByTestId('stream-stop').click();
			const localMs = await b.evaluate(
				(hash) =>
					new Promise((resolve, reject) => {
						const audio = new Audio();
						const started = performance.now();
						audio.addEventListener('playing', () => {
							resolve(performance.now() - started);
							audio.pause();
						});
						audio.addEventListener('error', () => reject(new Error('baseline audio failed')));
						audio.src = `/__bench_mp3/${hash}`;
						void audio.play();
					}),
				hash
			);
			if (i < WARMUP) continue;
			stream.push(run.ms);
			firstBytes.push(run.bytes);
			steps.push(run.steps);
			local.push(/** @type {number} */ (localMs));
		}
		return { stream, local, firstBytes, steps };
	} finally {
		await close();
		rmSync(dir, { recursive: true, force: true });
	}
}

meshFigures.push({
	name: 'mesh.time_to_first_audio_ms',
	async run(ctx) {
		const m = await measureStream(ctx);
		const value = median(m.stream);
		const baseline = median(m.local);
		// Lower is better; goal under 300 ms on loopback.
		return {
			value: round(value, 1),
			unit: 'ms',
			baseline: round(baseline, 1),
			ratio: round(value / baseline),
			runs_ms: m.stream.map((ms) => round(ms, 1)),
			local_ms: m.local.map((ms) => round(ms, 1)),
			bytes_at_first_audio: m.firstBytes,
			// ms from the click to each step: offer, first bytes, MediaSource open, first append done, playing
			steps_ms: m.steps,
			warmup: WARMUP,
			goal_ms: 300
		};
	}
});
