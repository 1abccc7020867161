// Player sync figures, against the one-box server (PGlite running supabase/migrations) on a throwaway
// data directory. A device holds 1,000 assets (20 playlists of ~50 scheduled all day, plus 6 large
// emergency files); the player is the real app in Chromium, signed in as the device.
//   sync.bytes_unchanged     request + response bodies of the manifest exchange of a sync when nothing
//                            changed (sync_poll), counted by an HTTP/1.1-aware TCP proxy in front; headers
//                            (Authorization, apikey, the rest) reported apart. Baseline: the same check
//                            with the full held list (sync_manifest, the previous protocol), same run
//   sync.bytes_1_of_1000     the same when 1 of the 1,000 assets was replaced (baseline: unchanged)
//   sync.bytes_1_failing     a poll while 1 scheduled file keeps failing (a 404): the missing hash travels,
//                            not the full list (baseline: unchanged)
//   sync.download_ratio_to_fetch  MB/s through the download worker (Range-capable fetch, SHA-256, OPFS
//                            commit) vs a plain fetch + arrayBuffer of the same files, same parallelism (2)
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { createClient } from '@supabase/supabase-js';
import { chromiumArgs, chromiumPath } from '../../tests/chromium.js';

/** BENCH_SYNC_SMALL: fewer small assets, for iterating on the download figure alone (the byte figures need 994). */
const SMALL = Number(process.env.BENCH_SYNC_SMALL ?? 994);
const BIG = 6;
const BIG_BYTES = 8 * 1024 * 1024;
const PLAYLISTS = 20;
const RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 6);
/** Uncounted first rounds: both paths are markedly slower while the server's page cache, the network
 * stack and WASM/JIT warm up (measured: the first round ran at about half the later ones). */
const WARMUP = 2;

/** @param {number[]} values */
const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

class NoWebSocket {
	constructor() {
		throw new Error('Realtime is not used by the bench');
	}
}

/** `npm start` in one-box mode on a free port with a fresh data directory. */
function startOneBox(/** @type {string} */ root) {
	const dataDir = mkdtempSync(join(tmpdir(), 'cratemesh-sync-bench-'));
	const owner = { email: 'owner@bench.test', password: 'bench-owner-password' };
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(root, 'src/server/start.js'), '--no-build'], {
			cwd: root,
			env: {
				...process.env,
				PORT: '0',
				HOST: '127.0.0.1',
				ONEBOX: '1',
				CRATEMESH_DATA_DIR: dataDir,
				CRATEMESH_OWNER_EMAIL: owner.email,
				CRATEMESH_OWNER_PASSWORD: owner.password,
				CRATEMESH_TENANT_NAME: 'Bench store'
			},
			stdio: ['ignore', 'pipe', 'inherit']
		});
		let output = '';
		child.stdout.on('data', (chunk) => {
			output += chunk;
			const match = /running at http:\/\/localhost:(\d+)/.exec(output);
			if (match && /One box/.test(output)) {
				// Whichever figures run, the box goes when the bench process does.
				child.unref();
				/** @type {import('node:net').Socket} */ (child.stdout).unref?.();
				process.once('exit', () => {
					child.kill('SIGTERM');
					rmSync(dataDir, { recursive: true, force: true });
				});
				resolve({ child, port: Number(match[1]), dataDir, owner });
			}
		});
		child.once('exit', (code) => reject(new Error(`one box exited with ${code}: ${output}`)));
	});
}

/**
 * Splits one direction of an HTTP/1.1 connection into messages (head, then a Content-Length body; every
 * request and response of the one box has one) and reports each message's head and body sizes.
 */
function messageSplitter(/** @type {(head: string, headBytes: number, bodyBytes: number) => void} */ onMessage) {
	let pending = Buffer.alloc(0);
	let head = '';
	let headBytes = 0;
	let remaining = -1;
	let bodyBytes = 0;
	return (/** @type {Buffer} */ chunk) => {
		let rest = chunk;
		while (rest.length > 0) {
			if (remaining < 0) {
				pending = Buffer.concat([pending, rest]);
				const end = pending.indexOf('\r\n\r\n');
				if (end < 0) return;
				headBytes = end + 4;
				head = pending.subarray(0, headBytes).toString('latin1');
				rest = pending.subarray(headBytes);
				pending = Buffer.alloc(0);
				const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
				remaining = length ? Number(length[1]) : 0;
				bodyBytes = 0;
			}
			const take = Math.min(remaining, rest.length);
			bodyBytes += take;
			remaining -= take;
			rest = rest.subarray(take);
			if (remaining === 0) {
				remaining = -1;
				onMessage(head, headBytes, bodyBytes);
			}
		}
	};
}

/** Size on the wire of one header line (name, colon, value, CRLF), or 0. */
function headerBytes(/** @type {string} */ head, /** @type {string} */ name) {
	const line = new RegExp(`\\r\\n${name}:[^\\r]*\\r\\n`, 'i').exec(head);
	return line ? line[0].length - 2 : 0;
}

/**
 * A TCP proxy in front of the box that accounts every HTTP/1.1 exchange per request path: head and body
 * bytes of requests and responses, and the Authorization and apikey header lines of requests.
 */
function countingProxy(/** @type {number} */ upstreamPort) {
	/** @typedef {{ requests: number, upHead: number, upBody: number, downHead: number, downBody: number, auth: number, apikey: number }} Row */
	/** @type {Map<string, Row>} */
	const totals = new Map();
	const entry = (/** @type {string} */ path) => {
		let row = totals.get(path);
		if (!row)
			totals.set(path, (row = { requests: 0, upHead: 0, upBody: 0, downHead: 0, downBody: 0, auth: 0, apikey: 0 }));
		return row;
	};
	const server = createServer((client) => {
		const upstream = connect(upstreamPort, '127.0.0.1');
		/** Paths of requests whose responses have not come back yet (in order). */
		const inFlight = /** @type {string[]} */ ([]);
		const requests = messageSplitter((head, headBytes, bodyBytes) => {
			const path = (/^[A-Z]+ (\S+) HTTP/.exec(head)?.[1] ?? '(unknown)').split('?')[0];
			inFlight.push(path);
			const row = entry(path);
			row.requests++;
			row.upHead += headBytes;
			row.upBody += bodyBytes;
			row.auth += headerBytes(head, 'authorization');
			row.apikey += headerBytes(head, 'apikey');
		});
		const responses = messageSplitter((head, headBytes, bodyBytes) => {
			// 1xx interim responses do not answer the request.
			if (/^HTTP\/1\.[01] 1\d\d /.test(head)) return;
			const row = entry(inFlight.shift() ?? '(unknown)');
			row.downHead += headBytes;
			row.downBody += bodyBytes;
		});
		client.on('data', (chunk) => {
			requests(chunk);
			upstream.write(chunk);
		});
		upstream.on('data', (chunk) => {
			responses(chunk);
			client.write(chunk);
		});
		const close = () => {
			client.destroy();
			upstream.destroy();
		};
		client.on('error', close).on('close', close);
		upstream.on('error', close).on('close', close);
	});
	server.unref();
	return new Promise((resolve) =>
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			resolve({
				port: typeof address === 'object' && address ? address.port : 0,
				snapshot: () => new Map([...totals].map(([k, v]) => [k, { ...v }])),
				close: () => new Promise((done) => server.close(() => done(undefined)))
			});
		})
	);
}

const ZERO = { requests: 0, upHead: 0, upBody: 0, downHead: 0, downBody: 0, auth: 0, apikey: 0 };

/** What `paths` exchanged between two snapshots, summed. */
function diff(before, after, /** @type {string[]} */ ...paths) {
	const sum = { ...ZERO };
	for (const path of paths) {
		const a = before.get(path) ?? ZERO;
		const b = after.get(path) ?? ZERO;
		for (const key of Object.keys(sum)) sum[key] += b[key] - a[key];
	}
	return sum;
}

/** The figure's extra fields for one exchange: bodies (the value) and headers, apart. */
function breakdown(/** @type {typeof ZERO} */ x) {
	return {
		request_body_bytes: x.upBody,
		response_body_bytes: x.downBody,
		request_header_bytes: x.upHead,
		response_header_bytes: x.downHead,
		authorization_header_bytes: x.auth,
		apikey_header_bytes: x.apikey,
		with_headers_bytes: x.upHead + x.upBody + x.downHead + x.downBody
	};
}

/** Uploads `data` by hash and registers it as an asset; returns the asset id and hash. */
async function seedAsset(owner, tenantId, /** @type {Buffer} */ data, title, fields = {}) {
	const sha = createHash('sha256').update(data).digest('hex');
	const upload = await owner.storage
		.from('media')
		.upload(`${tenantId}/${sha}`, data, { contentType: 'audio/mpeg', cacheControl: '31536000', upsert: false });
	if (upload.error) throw new Error(`upload: ${upload.error.message}`);
	const { data: row, error } = await owner
		.from('media_assets')
		.insert({
			tenant_id: tenantId,
			sha256: sha,
			size_bytes: data.length,
			mime: 'audio/mpeg',
			title,
			valid_from: new Date(Date.now() - 86_400_000).toISOString(),
			valid_until: new Date(Date.now() + 30 * 86_400_000).toISOString(),
			...fields
		})
		.select('id')
		.single();
	if (error) throw new Error(`asset: ${error.message}`);
	return { id: row.id, sha, size: data.length };
}

/** Runs `task` over `items` with `width` at a time. */
async function pool(items, width, task) {
	const results = new Array(items.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: width }, async () => {
			while (next < items.length) {
				const i = next++;
				results[i] = await task(items[i], i);
			}
		})
	);
	return results;
}

/** @type {Promise<any> | undefined} */
let prepared;

/** Box, proxy, seeded tenant, enrolled device, and a signed-in player page that holds everything. */
function prepare(/** @type {import('../run.js').BenchContext} */ ctx) {
	prepared ??= (async () => {
		const box = await startOneBox(ctx.root);
		const direct = `http://127.0.0.1:${box.port}`;
		const proxy = await countingProxy(box.port);
		const viaProxy = `http://127.0.0.1:${proxy.port}`;
		const config = await (await fetch(`${direct}/config.json`)).json();
		const owner = createClient(direct, config.supabaseAnonKey, {
			auth: { persistSession: false, autoRefreshToken: false },
			realtime: { transport: /** @type {never} */ (NoWebSocket) }
		});
		const signIn = await owner.auth.signInWithPassword(box.owner);
		if (signIn.error) throw new Error(signIn.error.message);
		const { data: memberships, error: membershipsError } = await owner
			.from('memberships')
			.select('tenant_id')
			.eq('role', 'owner');
		if (!memberships) throw new Error(`listing the owner's memberships failed: ${membershipsError?.message}`);
		const tenantId = memberships[0].tenant_id;

		const small = await pool(
			Array.from({ length: SMALL }, (_, i) => i),
			6,
			(i) => seedAsset(owner, tenantId, randomBytes(1024), `Small ${i}`)
		);
		const big = [];
		for (let i = 0; i < BIG; i++)
			big.push(await seedAsset(owner, tenantId, randomBytes(BIG_BYTES), `Big ${i}`, { emergency_eligible: true }));

		const ownerSession = (await owner.auth.getSession()).data.session;
		if (!ownerSession) throw new Error('the owner has no session after signing in');
		const token = ownerSession.access_token;
		const enrol = await fetch(`${direct}/onebox/v1/players`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
			body: JSON.stringify({ tenant_id: tenantId, name: 'Bench player' })
		});
		const player = await enrol.json();
		const playlists = [];
		for (let p = 0; p < PLAYLISTS; p++) {
			const { data: playlist, error: playlistError } = await owner
				.from('playlists')
				.insert({ tenant_id: tenantId, name: `Playlist ${p}` })
				.select('id')
				.single();
			if (!playlist) throw new Error(`creating playlist ${p} failed: ${playlistError?.message}`);
			const members = small.filter((_, i) => i % PLAYLISTS === p);
			await owner.from('playlist_items').insert(
				members.map((asset, position) => ({
					tenant_id: tenantId,
					playlist_id: playlist.id,
					asset_id: asset.id,
					position
				}))
			);
			await owner.from('schedules').insert({
				tenant_id: tenantId,
				playlist_id: playlist.id,
				device_id: player.device_id,
				name: `All day ${p}`,
				start_time: '00:00',
				end_time: '24:00',
				time_zone: 'UTC',
				priority: p
			});
			playlists.push({ id: playlist.id, members });
		}

		const context = await ctx.browser.newContext({ serviceWorkers: 'block' });
		const page = await context.newPage();
		await page.goto(`${viaProxy}/player`);
		await page.getByTestId('sync-email').fill(player.email);
		await page.getByTestId('sync-password').fill(player.password);
		await page.getByTestId('sync-status').getByRole('button').first().click();
		await page
			.getByTestId('sync-storage')
			.and(page.locator(`[data-files="${SMALL + BIG}"]`))
			.waitFor({ timeout: 300_000 });
		await page.evaluate(() => window.__cratemeshSync.downloadsSettled());
		const session = await page.evaluate(() => JSON.parse(localStorage.getItem('cratemesh-auth') ?? 'null'));
		return {
			box,
			proxy,
			owner,
			tenantId,
			playlists,
			small,
			big,
			page,
			context,
			direct,
			viaProxy,
			config,
			session,
			player
		};
	})();
	return prepared;
}

const POLL = '/rest/v1/rpc/sync_poll';
const FULL = '/rest/v1/rpc/sync_manifest';
const REPORT = '/rest/v1/rpc/report_sync';

/** One sync through the real engine; what its manifest exchange (poll, and the full list if asked) and its report cost. */
async function measuredSync(setup) {
	const { page, proxy } = setup;
	const before = proxy.snapshot();
	await page.evaluate(async () => {
		window.__cratemeshSync.syncNow();
		await window.__cratemeshSync.downloadsSettled();
	});
	const after = proxy.snapshot();
	const manifest = diff(before, after, POLL, FULL);
	const fullCalls = diff(before, after, FULL).requests;
	const report = diff(before, after, REPORT);
	if (manifest.requests - fullCalls !== 1) throw new Error(`expected one poll, saw ${manifest.requests - fullCalls}`);
	const result = await page.evaluate(() => window.__cratemeshSync.lastSync);
	return { manifest, fullCalls, report, result };
}

let unchangedBytes = 0;

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Baseline, same run: the previous protocol's unchanged check — `sync_manifest` with the full held list,
 * through the same proxy, as the player (its hash from the device row its report updated). Spaced from
 * the engine's calls by the RPC's 1 s rate limit.
 */
async function fullListExchange(setup) {
	const { owner, player, proxy, viaProxy, config, session, small, big } = setup;
	const { data: device } = await owner.from('devices').select('last_manifest_hash').eq('id', player.device_id).single();
	await sleep(1100);
	const before = proxy.snapshot();
	const response = await fetch(`${viaProxy}${FULL}`, {
		method: 'POST',
		headers: {
			authorization: `Bearer ${session.access_token}`,
			apikey: config.supabaseAnonKey,
			'content-type': 'application/json'
		},
		body: JSON.stringify({
			device_id: player.device_id,
			last_manifest_hash: device.last_manifest_hash,
			have_hashes: [...small, ...big].map((a) => a.sha).sort()
		})
	});
	const answer = await response.json();
	if (answer.unchanged !== true)
		throw new Error(`full-list baseline not unchanged: ${JSON.stringify(answer).slice(0, 200)}`);
	const after = proxy.snapshot();
	await sleep(1100);
	return diff(before, after, FULL);
}

async function teardown() {
	const setup = await prepared;
	if (!setup) return;
	await setup.context.close();
	await setup.proxy.close();
	setup.box.child.kill('SIGTERM');
	await new Promise((resolve) => setTimeout(resolve, 500));
	rmSync(setup.box.dataDir, { recursive: true, force: true });
	prepared = undefined;
}

const bodies = (/** @type {typeof ZERO} */ x) => x.upBody + x.downBody;

export const syncFigures = [
	{
		name: 'sync.bytes_unchanged',
		async run(/** @type {import('../run.js').BenchContext} */ ctx) {
			const setup = await prepare(ctx);
			await measuredSync(setup); // settles anything left from the first sync
			const { manifest, fullCalls, report, result } = await measuredSync(setup);
			if (result.result !== 'unchanged') throw new Error(`expected an unchanged sync, got ${result.result}`);
			if (fullCalls !== 0) throw new Error(`an unchanged sync sent the full list ${fullCalls} time(s)`);
			unchangedBytes = bodies(manifest);
			const full = await fullListExchange(setup);
			return {
				value: unchangedBytes,
				unit: 'bytes',
				baseline: bodies(full),
				ratio: round(unchangedBytes / bodies(full), 4),
				assets_held: SMALL + BIG,
				what: 'request + response bodies of the sync_poll exchange (count + digest of the held files); headers apart',
				baseline_what: 'the same check through sync_manifest with the full held list (the previous protocol), same run',
				...breakdown(manifest),
				baseline_with_headers_bytes: breakdown(full).with_headers_bytes,
				report_body_bytes: bodies(report),
				report_with_headers_bytes: breakdown(report).with_headers_bytes
			};
		}
	},
	{
		name: 'sync.bytes_1_of_1000',
		async run(/** @type {import('../run.js').BenchContext} */ ctx) {
			const setup = await prepare(ctx);
			if (!unchangedBytes) {
				await measuredSync(setup);
				const { manifest } = await measuredSync(setup);
				unchangedBytes = bodies(manifest);
			}
			// Replace one track of one playlist with a new file: 1 download, 1 delete, 1 playlist position.
			const { owner, tenantId, playlists } = setup;
			const target = playlists[7];
			const old = target.members[10];
			const fresh = await seedAsset(owner, tenantId, randomBytes(1024), 'Replacement');
			await owner.from('playlist_items').delete().eq('playlist_id', target.id).eq('asset_id', old.id);
			await owner
				.from('playlist_items')
				.insert({ tenant_id: tenantId, playlist_id: target.id, asset_id: fresh.id, position: 10 });
			const { manifest, fullCalls, result } = await measuredSync(setup);
			if (result.result !== 'changed') throw new Error(`expected a changed sync, got ${result.result}`);
			if (result.downloads !== 1) throw new Error(`expected 1 download, got ${result.downloads}`);
			const value = bodies(manifest);
			return {
				value,
				unit: 'bytes',
				baseline: unchangedBytes,
				ratio: round(value / unchangedBytes, 3),
				full_list_sent: fullCalls > 0,
				downloads: result.downloads,
				deleted: result.deleted,
				...breakdown(manifest),
				change: '1 asset replaced in 1 of 20 playlists (~50 items): 1 download, 1 delete, a 1-position playlist patch'
			};
		}
	},
	{
		name: 'sync.bytes_1_failing',
		async run(/** @type {import('../run.js').BenchContext} */ ctx) {
			const setup = await prepare(ctx);
			if (!unchangedBytes) {
				await measuredSync(setup);
				const { manifest } = await measuredSync(setup);
				unchangedBytes = bodies(manifest);
			}
			// A scheduled asset whose file the server does not have: every download of it is a 404.
			const { owner, tenantId, playlists } = setup;
			const target = playlists[3];
			const sha = createHash('sha256').update(randomBytes(32)).digest('hex');
			const { data: ghost, error } = await owner
				.from('media_assets')
				.insert({
					tenant_id: tenantId,
					sha256: sha,
					size_bytes: 1024,
					mime: 'audio/mpeg',
					title: 'Missing on the server',
					valid_from: new Date(Date.now() - 86_400_000).toISOString(),
					valid_until: new Date(Date.now() + 30 * 86_400_000).toISOString()
				})
				.select('id')
				.single();
			if (error) throw new Error(`asset: ${error.message}`);
			await owner
				.from('playlist_items')
				.insert({ tenant_id: tenantId, playlist_id: target.id, asset_id: ghost.id, position: 999 });
			try {
				const first = await measuredSync(setup);
				if (first.result.result !== 'changed') throw new Error(`expected a changed sync, got ${first.result.result}`);
				const held = await setup.page.evaluate(() => window.__cratemeshSync.lastSync);
				// The next poll, with the file still missing (its retry is backed off, so nothing is downloaded).
				const { manifest, fullCalls } = await measuredSync(setup);
				const value = bodies(manifest);
				return {
					value,
					unit: 'bytes',
					baseline: unchangedBytes,
					ratio: round(value / unchangedBytes, 3),
					full_list_sent: fullCalls > 0,
					first_sync: { failed: held.failed, downloads: held.downloads },
					...breakdown(manifest),
					change: '1 of 1,001 scheduled files is a 404 on the server; the poll after the failure'
				};
			} finally {
				await owner.from('playlist_items').delete().eq('playlist_id', target.id).eq('asset_id', ghost.id);
			}
		}
	},
	{
		name: 'sync.download_ratio_to_fetch',
		async run(/** @type {import('../run.js').BenchContext} */ ctx) {
			const setup = await prepare(ctx);
			try {
				// A page on the box's own origin (no proxy in the way), with the player's token, in a profile on
				// disk like a real player's: off-the-record contexts keep OPFS in memory behind IPC, which is
				// slower than the disk for the manager and does not touch plain fetch.
				const profile = mkdtempSync(join(tmpdir(), 'cratemesh-sync-bench-profile-'));
				const disk = await chromium.launchPersistentContext(profile, {
					executablePath: chromiumPath(),
					args: chromiumArgs,
					serviceWorkers: 'block'
				});
				const page = await disk.newPage();
				await page.goto(`${setup.direct}/player`);
				await page.waitForFunction(() => '__cratemeshDownloads' in window);
				const files = setup.big.map((b, order) => ({
					hash: b.sha,
					size: b.size,
					urlPath: `/storage/v1/object/authenticated/media/${setup.tenantId}/${b.sha}`,
					priority: 0,
					order
				}));
				const headers = { Authorization: `Bearer ${setup.session.access_token}`, apikey: setup.config.supabaseAnonKey };
				const fetchRates = [];
				const managerRates = [];
				/** Per round, manager vs fetch back to back: the ratio reported (robust to load drifting between rounds). */
				const pairRatios = [];
				/** Mean worker ms per file by stage (prepare, request, read, write, verify, commit). */
				/** @type {Record<string, number>} */
				const stageMs = {};
				for (let run = 0; run < RUNS + WARMUP; run++) {
					const plainRound = () =>
						page.evaluate(
							async ({ files, headers }) => {
								const started = performance.now();
								let next = 0;
								let bytes = 0;
								await Promise.all(
									[0, 1].map(async () => {
										while (next < files.length) {
											const file = files[next++];
											const response = await fetch(file.urlPath, { headers, cache: 'no-store' });
											if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
											const body = await response.arrayBuffer();
											bytes += body.byteLength;
										}
									})
								);
								return { bytes, ms: performance.now() - started };
							},
							{ files, headers }
						);
					const managedRound = () =>
						page.evaluate(
							async ({ files, headers }) => {
								// Not held yet: the manager must fetch every byte.
								const root = await navigator.storage.getDirectory();
								const audio = await root.getDirectoryHandle('audio', { create: true });
								for (const f of files) await audio.removeEntry(f.hash).catch(() => undefined);
								const started = performance.now();
								const outcomes = await window.__cratemeshDownloads.downloadFiles(files, {
									open: async (file) => ({ kind: 'http', url: file.urlPath, headers })
								});
								const ms = performance.now() - started;
								if (outcomes.some((o) => o.status !== 'stored')) throw new Error(JSON.stringify(outcomes));
								/** @type {Record<string, number>} */
								const stages = {};
								for (const o of outcomes)
									for (const [stage, t] of Object.entries(o.timings ?? {})) stages[stage] = (stages[stage] ?? 0) + t;
								return { bytes: files.reduce((sum, f) => sum + f.size, 0), ms, stages };
							},
							{ files, headers }
						);
					// Alternating which goes first, so drift in the machine's load does not favour one side.
					const first = run % 2 === 0 ? await plainRound() : await managedRound();
					const second = run % 2 === 0 ? await managedRound() : await plainRound();
					const [plain, managed] = run % 2 === 0 ? [first, second] : [second, first];
					if (plain.bytes !== managed.bytes) throw new Error(`fetched ${plain.bytes}, managed ${managed.bytes}`);
					if (run < WARMUP) continue;
					for (const [stage, t] of Object.entries(
						/** @type {Awaited<ReturnType<typeof managedRound>>} */ (managed).stages
					))
						stageMs[stage] = (stageMs[stage] ?? 0) + t / BIG / RUNS;
					fetchRates.push(plain.bytes / 1e6 / (plain.ms / 1000));
					managerRates.push(managed.bytes / 1e6 / (managed.ms / 1000));
					pairRatios.push(plain.ms / managed.ms);
				}
				const value = round(median(managerRates));
				const baseline = round(median(fetchRates));
				await disk.close();
				rmSync(profile, { recursive: true, force: true });
				return {
					value,
					unit: 'MB/s',
					baseline,
					ratio: round(median(pairRatios), 3),
					ratio_of_medians: round(value / baseline, 3),
					files: BIG,
					file_mb: round(BIG_BYTES / 1e6, 1),
					runs: RUNS,
					manager_runs: managerRates.map((r) => round(r)),
					fetch_runs: fetchRates.map((r) => round(r)),
					worker_ms_per_file: Object.fromEntries(Object.entries(stageMs).map(([k, v]) => [k, round(v, 1)]))
				};
			} finally {
				await teardown();
			}
		}
	}
];
