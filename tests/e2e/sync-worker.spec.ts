/**
 * The download worker in real Chromium against a real Node server (tests/e2e/sync-file-server.ts) that
 * serves Range requests and injects faults: a server that dies mid-download, corrupted bytes, 404/403,
 * a reload mid-download, cancellation, and a full disk made real with CDP Storage.overrideQuotaForOrigin.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../chromium.js';
import { freePort } from './app-server';
import { storedDigest } from './helpers';
import { SyncFileServer } from './sync-file-server';

test.use({ serviceWorkers: 'block' });
test.describe.configure({ mode: 'serial' });

interface Job {
	hash: string;
	size: number;
	urlPath: string;
	priority: 0 | 1 | 2;
	order: number;
	md5?: string;
}

interface BatchResult {
	outcomes: { hash: string; status: string; code?: string; sha256?: string; resumedFrom?: number }[];
	maxActive: number;
	events: number;
	error?: string;
}

/** Deterministic bytes (a file's content must not depend on the run). */
function bytes(size: number, seed: number): Buffer {
	const data = Buffer.alloc(size);
	let x = seed * 2654435761;
	for (let i = 0; i < size; i++) {
		x = (x * 1103515245 + 12345) >>> 0;
		data[i] = x >>> 24;
	}
	return data;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

let server: SyncFileServer;

function serve(
	name: string,
	data: Buffer,
	extra: Partial<Omit<Job, 'hash' | 'size' | 'urlPath'>> = {},
	opts = {}
): Job {
	server.files.set(name, { data, ...opts });
	return { hash: sha256(data), size: data.length, urlPath: name, priority: 0, order: 0, ...extra };
}

async function openPlayer(context: BrowserContext): Promise<Page> {
	const page = await context.newPage();
	await page.goto(`${server.url}/player`);
	await page.waitForFunction(() => '__cratemeshDownloads' in window);
	return page;
}

const FAST = { backoff: { baseMs: 200, capMs: 1000 }, maxAttempts: 30, progressIntervalMs: 100 };

/** Runs one batch in the page; `abortAfterBytes` cancels it once that many bytes arrived. */
function runBatch(page: Page, jobs: Job[], settings: object = FAST, abortAfterBytes?: number): Promise<BatchResult> {
	return page.evaluate(
		async ({ jobs, settings, abortAfterBytes }) => {
			type Api = {
				downloadFiles(
					jobs: unknown[],
					options: {
						open: (file: { urlPath: string }) => Promise<unknown>;
						onEvents: (e: { active: unknown[]; received: number }) => void;
						signal: AbortSignal;
						settings: object;
					}
				): Promise<BatchResult['outcomes']>;
			};
			const api = (window as unknown as { __cratemeshDownloads: Api }).__cratemeshDownloads;
			const controller = new AbortController();
			let maxActive = 0;
			let events = 0;
			try {
				const outcomes = await api.downloadFiles(jobs, {
					open: async (file) => ({ kind: 'http', url: `/files/${file.urlPath}`, headers: {} }),
					onEvents: (e) => {
						events++;
						maxActive = Math.max(maxActive, e.active.length);
						if (abortAfterBytes !== undefined && e.received >= abortAfterBytes) controller.abort();
					},
					signal: controller.signal,
					settings
				});
				return { outcomes, maxActive, events };
			} catch (error) {
				return { outcomes: [], maxActive, events, error: (error as { code?: string }).code ?? String(error) };
			}
		},
		{ jobs, settings, abortAfterBytes }
	);
}

const requestsFor = (name: string) => server.log.filter((r) => r.name === name);

test.beforeEach(async () => {
	server = new SyncFileServer(await freePort());
	await server.start();
});

test.afterEach(async () => {
	await server.stop();
});

test('priorities: current playlist, then emergency, then future; two at a time; a held file is not fetched again', async ({
	context
}) => {
	const page = await openPlayer(context);
	const slow = { bytesPerSecond: 2_000_000 };
	const jobs = [
		serve('f1', bytes(400_000, 1), { priority: 2, order: 0 }, slow),
		serve('e1', bytes(400_000, 2), { priority: 1, order: 1 }, slow),
		serve('c2', bytes(400_000, 3), { priority: 0, order: 3 }, slow),
		serve('f2', bytes(400_000, 4), { priority: 2, order: 4 }, slow),
		serve('c1', bytes(400_000, 5), { priority: 0, order: 2 }, slow),
		serve('md5only', bytes(300_000, 6), { priority: 1, order: 5 }, slow)
	];
	// A source that vouches only for an MD5: verified by MD5, stored under its SHA-256.
	const md5Job = jobs[5]!;
	const md5Sha = md5Job.hash;
	md5Job.md5 = md5(server.files.get('md5only')!.data);
	md5Job.hash = `md5-${md5Job.md5}`;

	const result = await runBatch(page, jobs);
	expect(result.error).toBeUndefined();
	expect(result.outcomes.map((o) => o.status)).toEqual(Array(6).fill('stored'));
	const order = server.log.map((r) => r.name);
	expect(new Set(order.slice(0, 2))).toEqual(new Set(['c1', 'c2']));
	expect(new Set(order.slice(2, 4))).toEqual(new Set(['e1', 'md5only']));
	expect(new Set(order.slice(4))).toEqual(new Set(['f1', 'f2']));
	expect(server.maxConcurrent).toBe(2);
	expect(result.maxActive).toBeLessThanOrEqual(2);
	expect(result.events).toBeGreaterThan(0);
	expect(result.outcomes[5]!.sha256).toBe(md5Sha);
	for (const job of [...jobs.slice(0, 5), { hash: md5Sha }]) expect(await storedDigest(page, job.hash)).toBe(job.hash);

	// Everything is held now: a second batch answers from the store without a request.
	const before = server.log.length;
	const again = await runBatch(page, jobs.slice(0, 5));
	expect(again.outcomes.map((o) => o.status)).toEqual(Array(5).fill('existed'));
	expect(server.log.length).toBe(before);
});

test('a corrupted file is rejected and retried later; 404 and 403 are reported; the others proceed', async ({
	context
}) => {
	const page = await openPlayer(context);
	const good1 = serve('good1', bytes(300_000, 11), { order: 0 });
	const bad = serve('bad', bytes(500_000, 12), { order: 1 }, { corrupt: true });
	const missing = serve('missing', bytes(1000, 13), { order: 2 }, { status: 404 });
	const denied = serve('denied', bytes(1000, 14), { order: 3 }, { status: 403 });
	const good2 = serve('good2', bytes(300_000, 15), { priority: 2, order: 4 });

	const first = await runBatch(page, [bad, missing, denied, good1, good2]);
	const byHash = new Map(first.outcomes.map((o) => [o.hash, o]));
	expect(byHash.get(bad.hash)).toMatchObject({ status: 'failed', code: 'corrupt' });
	expect(byHash.get(missing.hash)).toMatchObject({ status: 'failed', code: 'not-found' });
	expect(byHash.get(denied.hash)).toMatchObject({ status: 'failed', code: 'forbidden' });
	expect(byHash.get(good1.hash)?.status).toBe('stored');
	expect(byHash.get(good2.hash)?.status).toBe('stored');
	// A permanent failure is not hammered within the batch.
	expect(requestsFor('missing')).toHaveLength(1);
	expect(requestsFor('bad')).toHaveLength(1);
	// Corrupt bytes never become playable.
	expect(await storedDigest(page, bad.hash)).toBeNull();

	// Later (the engine's next sync), the server serves it correctly: fetched again from zero and stored.
	server.files.get('bad')!.corrupt = false;
	const second = await runBatch(page, [bad]);
	expect(second.outcomes[0]).toMatchObject({ status: 'stored', resumedFrom: 0 });
	expect(requestsFor('bad').at(-1)!.range).toBeNull();
	expect(await storedDigest(page, bad.hash)).toBe(bad.hash);
});

test('the server dies mid-download: the download resumes from its offset when it is back, hash correct', async ({
	context
}) => {
	const page = await openPlayer(context);
	const big = serve('big', bytes(3_000_000, 21), {}, { bytesPerSecond: 6_000_000, dieAfterBytes: 1_200_000 });
	let restarted: Promise<void> = Promise.resolve();
	server.onDied = () => {
		restarted = new Promise((resolve) => setTimeout(() => void server.start().then(resolve), 1500));
	};
	// Hashed as it arrives: the resume restores the saved hash-wasm state with the offset.
	const settings = { ...FAST, checkpointBytes: 128 * 1024, checkpointMs: 50 };
	const result = await runBatch(page, [big], settings);
	await restarted;
	expect(result.error).toBeUndefined();
	expect(result.outcomes[0]!.status).toBe('stored');
	expect(result.outcomes[0]!.resumedFrom).toBeGreaterThan(0);
	const ranges = requestsFor('big').map((r) => r.range);
	expect(ranges[0]).toBeNull();
	const resumed = ranges.find((r) => r !== null);
	expect(resumed).toMatch(/^bytes=\d+-$/);
	expect(Number(/\d+/.exec(resumed!)![0])).toBeGreaterThan(0);
	// Bytes re-sent after the restart: at most one checkpoint interval was lost.
	expect(server.sent.get('big')!).toBeLessThan(3_000_000 + 1_200_000);
	expect(await storedDigest(page, big.hash)).toBe(big.hash);
});

/** Drops the saved hash state of a partial download (as a version that verified at the end kept it). */
function dropHashState(page: Page, hash: string): Promise<number> {
	return page.evaluate(
		(hash) =>
			new Promise<number>((resolve, reject) => {
				const open = indexedDB.open('cratemesh');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const tx = open.result.transaction('syncPartials', 'readwrite');
					const store = tx.objectStore('syncPartials');
					const get = store.get(hash);
					let offset = -1;
					get.onsuccess = () => {
						const row = get.result as { offset: number; sha256: unknown } | undefined;
						if (!row) return;
						offset = row.offset;
						store.put({ ...row, sha256: null });
					};
					tx.oncomplete = () => {
						open.result.close();
						resolve(offset);
					};
					tx.onerror = () => reject(tx.error);
				};
			}),
		hash
	);
}

/** Flips one byte of the kept partial bytes on disk. */
function tamperPartial(page: Page, hash: string, at: number): Promise<void> {
	return page.evaluate(
		async ({ hash, at }) => {
			const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('sync-partial');
			const handle = await dir.getFileHandle(hash);
			const old = new Uint8Array(await (await handle.getFile()).slice(at, at + 1).arrayBuffer());
			const writable = await handle.createWritable({ keepExistingData: true });
			await writable.write({ type: 'write', position: at, data: new Uint8Array([old[0]! ^ 0xff]) });
			await writable.close();
		},
		{ hash, at }
	);
}

test('a partial kept without a hash state is hashed again from disk on resume: the whole file is verified', async ({
	context
}) => {
	const page = await openPlayer(context);
	const settings = { ...FAST, checkpointBytes: 128 * 1024, checkpointMs: 50 };
	const intact = serve('intact', bytes(2_000_000, 61), {}, { bytesPerSecond: 1_500_000 });
	const tampered = serve('tampered', bytes(2_000_000, 62), {}, { bytesPerSecond: 1_500_000 });

	for (const job of [intact, tampered]) {
		const cancelled = await runBatch(page, [job], settings, 700_000);
		expect(cancelled.error).toBe('aborted');
		expect(await dropHashState(page, job.hash)).toBeGreaterThan(1000);
	}
	await tamperPartial(page, tampered.hash, 1000);

	// The intact prefix is re-read and hashed: the download resumes with Range and the file is stored.
	const resumed = await runBatch(page, [intact], settings);
	expect(resumed.outcomes[0]).toMatchObject({ status: 'stored' });
	expect(resumed.outcomes[0]!.resumedFrom).toBeGreaterThan(0);
	expect(requestsFor('intact').at(-1)!.range).toMatch(/^bytes=[1-9]\d*-$/);
	expect(await storedDigest(page, intact.hash)).toBe(intact.hash);

	// A changed byte in the kept prefix fails the digest over the whole file: rejected, never playable…
	const rejected = await runBatch(page, [tampered], settings);
	expect(rejected.outcomes[0]).toMatchObject({ status: 'failed', code: 'corrupt' });
	expect(requestsFor('tampered').at(-1)!.range).toMatch(/^bytes=[1-9]\d*-$/);
	expect(await storedDigest(page, tampered.hash)).toBeNull();
	// …and the next sync fetches it again from zero.
	const again = await runBatch(page, [tampered], settings);
	expect(again.outcomes[0]).toMatchObject({ status: 'stored', resumedFrom: 0 });
	expect(requestsFor('tampered').at(-1)!.range).toBeNull();
	expect(await storedDigest(page, tampered.hash)).toBe(tampered.hash);
});

test('a corrupted byte after a resume with the saved hash state is rejected', async ({ context }) => {
	const page = await openPlayer(context);
	const settings = { ...FAST, checkpointBytes: 128 * 1024, checkpointMs: 50 };
	const file = serve('late-corrupt', bytes(2_000_000, 71), {}, { bytesPerSecond: 1_500_000 });
	const cancelled = await runBatch(page, [file], settings, 400_000);
	expect(cancelled.error).toBe('aborted');
	// The byte flipped by the server is past the resume point (the middle of the file).
	server.files.get('late-corrupt')!.corrupt = true;
	const result = await runBatch(page, [file], settings);
	expect(result.outcomes[0]).toMatchObject({ status: 'failed', code: 'corrupt' });
	expect(requestsFor('late-corrupt').at(-1)!.range).toMatch(/^bytes=[1-9]\d*-$/);
	expect(await storedDigest(page, file.hash)).toBeNull();
});

test('a reload mid-download and a cancelled batch both resume from the saved offset', async ({ context }) => {
	const page = await openPlayer(context);
	const file = serve('slow', bytes(2_500_000, 31), {}, { bytesPerSecond: 1_000_000 });
	const settings = { ...FAST, checkpointBytes: 128 * 1024, checkpointMs: 50 };

	// Cancelled through the AbortSignal: rejects with 'aborted', keeps the bytes.
	const cancelled = await runBatch(page, [file], settings, 400_000);
	expect(cancelled.error).toBe('aborted');

	// Started again, then the page reloads mid-download.
	void runBatch(page, [file], settings).catch(() => undefined);
	await expect.poll(() => requestsFor('slow').length).toBe(2);
	expect(requestsFor('slow')[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
	await expect.poll(() => server.sent.get('slow') ?? 0, { timeout: 10_000 }).toBeGreaterThan(1_200_000);
	await page.reload();
	await page.waitForFunction(() => '__cratemeshDownloads' in window);

	const result = await runBatch(page, [file], settings);
	expect(result.outcomes[0]!.status).toBe('stored');
	const third = requestsFor('slow')[2]!.range!;
	expect(Number(/\d+/.exec(third)![0])).toBeGreaterThan(800_000);
	expect(result.outcomes[0]!.resumedFrom).toBeGreaterThan(800_000);
	expect(await storedDigest(page, file.hash)).toBe(file.hash);
});

test('a full disk stops future downloads first and keeps current and emergency ones', async () => {
	// Quota overrides apply to a profile on disk, not to Playwright's default in-memory contexts.
	const profile = mkdtempSync(join(tmpdir(), 'cratemesh-quota-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: chromiumPath(),
		args: chromiumArgs,
		serviceWorkers: 'block'
	});
	const page = await openPlayer(context);
	const cdp = await context.newCDPSession(page);
	const futures = [
		serve('future1', bytes(20_000_000, 41), { priority: 2, order: 1 }, { bytesPerSecond: 4_000_000 }),
		serve('future2', bytes(3_000_000, 42), { priority: 2, order: 2 })
	];
	const current = serve('current', bytes(6_000_000, 50), { priority: 0, order: 10 });
	const emergency = serve('emergency', bytes(1_000_000, 51), { priority: 1, order: 11 });

	const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
	// A 12 MB disk. Chromium grows an OPFS file's quota reservation in powers of two, so the sizes keep
	// clear of both readings (exact bytes or reservation): a 6.5–7.6 MB partial future file fits (≤ 8 MiB);
	// next to it the 6 MB current file cannot (≥ 12.5 MB); without it current + emergency fit (≤ 9.5 MB).
	await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: usage + 12_000_000 });
	try {
		// A future file fills the disk first (a long-running download of tomorrow's music)…
		const settings = { ...FAST, checkpointBytes: 128 * 1024, checkpointMs: 50 };
		const first = await runBatch(page, [futures[0]!], { ...settings, parallel: 1 }, 6_500_000);
		expect(first.error).toBe('aborted');
		// …then a sync brings today's files.
		const result = await runBatch(page, [...futures, current, emergency], settings);
		const byHash = new Map(result.outcomes.map((o) => [o.hash, o]));
		// The current file ran into the full disk, room was made by dropping future partials, and it was
		// fetched again (a second request) to completion.
		expect(byHash.get(current.hash)).toMatchObject({ status: 'stored' });
		expect(requestsFor('current').length).toBeGreaterThanOrEqual(2);
		expect(byHash.get(emergency.hash)?.status).toBe('stored');
		for (const f of futures) expect(byHash.get(f.hash)).toMatchObject({ status: 'stopped', code: 'disk-full' });
		expect(await storedDigest(page, current.hash)).toBe(current.hash);
		expect(await storedDigest(page, emergency.hash)).toBe(emergency.hash);
		for (const f of futures) expect(await storedDigest(page, f.hash)).toBeNull();
		// The future files' partial bytes were dropped to make room.
		const partials = await page.evaluate(async () => {
			const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('sync-partial');
			const names: string[] = [];
			for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
			return names;
		});
		for (const f of futures) expect(partials).not.toContain(f.hash);
	} finally {
		await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url }).catch(() => undefined);
		await context.close();
		rmSync(profile, { recursive: true, force: true });
	}
});
