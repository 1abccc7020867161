import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForApp } from './helpers';
import { meshDevice } from './mesh-devices';

/** A long 320 kbps MP3 (2.4 MB a minute): big enough that playback starts well before the transfer ends. */
function longMp3(dir: string, seconds: number): string {
	const file = join(dir, 'stream-me.mp3');
	execFileSync('ffmpeg', [
		...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
		...['-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`, '-ac', '2'],
		...['-c:a', 'libmp3lame', '-b:a', '320k', '-metadata', 'title=Stream Me', '-metadata', 'artist=Far Device'],
		file
	]);
	return file;
}

interface Probe {
	state: string;
	kept: boolean;
	received: number;
	size: number;
	currentTime: number;
	paused: boolean;
	firstAudioMs: number;
	firstAudioBytes: number;
	keptMs: number;
}

const probe = (page: Page) =>
	page.evaluate((): Probe => {
		const s = (
			window as unknown as {
				__cratemeshStream: {
					state: string;
					kept: boolean;
					received: number;
					size: number;
					media: HTMLAudioElement | null;
					firstAudioMs: number;
					firstAudioBytes: number;
					keptMs: number;
				};
			}
		).__cratemeshStream;
		return {
			state: s.state,
			kept: s.kept,
			received: s.received,
			size: s.size,
			currentTime: s.media?.currentTime ?? 0,
			paused: s.media?.paused ?? true,
			firstAudioMs: s.firstAudioMs,
			firstAudioBytes: s.firstAudioBytes,
			keptMs: s.keptMs
		};
	});

async function pairAndImport(alice: { page: Page; id: string }, bob: { page: Page; id: string }, file: string) {
	const [a, b] = [alice.page, bob.page];
	await a.goto('/');
	await waitForApp(a);
	await a.getByTestId('file-input').setInputFiles(file);
	await expect(a.getByTestId('track-count')).toHaveText('1 tracks', { timeout: 60_000 });
	await a.goto('/devices');
	await waitForApp(a);
	await expect(a.getByTestId('signalling-status')).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
	await a.getByTestId('show-code').click();
	const code = (await a.getByTestId('pairing-code').textContent())!.trim();
	await b.getByTestId('pair-id').fill(alice.id);
	await b.getByTestId('pair-code').fill(code);
	await b.getByRole('button', { name: 'Pair', exact: true }).click();
	const onBob = b.getByTestId('connected-devices').locator('li', { hasText: alice.id });
	// Generous: on a loaded CI machine the authenticated handshake after pairing has taken over 20 s.
	await expect(onBob).toHaveAttribute('data-ready', 'true', { timeout: 45_000 });
	await onBob.getByRole('button', { name: 'Browse tracks' }).click();
	return onBob;
}

test('a remote MP3 plays while it arrives, then is kept hash-verified', async ({ browser }) => {
	test.setTimeout(180_000);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-stream-'));
	// 30 minutes (~72 MB): on a loaded machine the first `playing` event can take a second or more, and a
	// smaller file may have arrived whole by then.
	const file = longMp3(dir, 1800);
	const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
	const alice = await meshDevice(browser, 'Alice');
	const bob = await meshDevice(browser, 'Bob');
	try {
		const b = bob.page;
		const onBob = await pairAndImport(alice, bob, file);
		const remote = onBob.getByTestId('peer-tracks').locator(`li[data-hash="${hash}"]`);
		await expect(remote).toContainText('Stream Me');

		// Keyboard: the Play button is focusable and Enter starts it.
		await remote.getByRole('button', { name: 'Play Stream Me while it arrives' }).focus();
		await b.keyboard.press('Enter');
		const bar = b.getByTestId('stream');
		await expect(bar).toHaveAttribute('data-mode', 'mse');
		await expect(b.getByTestId('stream-format')).toHaveText('MP3: plays while it arrives');

		// Audio played (the element's `playing` event) while bytes were still arriving: recorded in the page
		// at that moment, since a loopback transfer may finish before the test can look.
		await expect.poll(async () => (await probe(b)).firstAudioMs).toBeGreaterThan(0);
		const first = await probe(b);
		expect(first.firstAudioBytes).toBeGreaterThan(0);
		expect(first.firstAudioBytes).toBeLessThan(first.size);
		expect(first.keptMs === 0 || first.firstAudioMs < first.keptMs).toBe(true);
		await expect.poll(async () => (await probe(b)).currentTime).toBeGreaterThan(0.2);

		// The transfer completes: verified and kept, playback goes on.
		await expect(bar).toHaveAttribute('data-kept', 'true', { timeout: 120_000 });
		await expect(b.getByTestId('stream-kept')).toBeVisible();
		const after = await probe(b);
		expect(after.paused).toBe(false);
		const t0 = after.currentTime;
		await expect.poll(async () => (await probe(b)).currentTime).toBeGreaterThan(t0);
		await expect(b.getByTestId('transfers').locator(`li[data-hash="${hash}"]`)).toHaveAttribute('data-state', 'done');

		// Seek near the end (everything has arrived now).
		await b.evaluate(() =>
			(window as unknown as { __cratemeshStream: { seek(s: number): void } }).__cratemeshStream.seek(590)
		);
		await expect.poll(async () => (await probe(b)).currentTime).toBeGreaterThan(589);
		// Keyboard: ← on the position slider goes back 5 s.
		await b.getByTestId('stream-seek').focus();
		await b.keyboard.press('ArrowLeft');
		await b.keyboard.press('ArrowLeft');
		await expect.poll(async () => (await probe(b)).currentTime).toBeLessThan(586);

		// The track is in Bob's library under the same hash, with its audio stored.
		const stored = await b.evaluate(async (hash) => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const request = indexedDB.open('cratemesh');
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			return new Promise<{ title: string; storage: string } | undefined>((resolve) => {
				const request = db.transaction('tracks').objectStore('tracks').get(hash);
				request.onsuccess = () => resolve(request.result);
			});
		}, hash);
		expect(stored?.title).toBe('Stream Me');
		expect(stored?.storage).not.toBe('none');
		expect(await b.getByTestId('mesh-rejected').getAttribute('data-count')).toBe('0');
	} finally {
		await alice.close();
		await bob.close();
		rmSync(dir, { recursive: true, force: true });
	}
});

test('the sending device disappears mid-stream: a clear message and nothing half-kept', async ({ browser }) => {
	test.setTimeout(180_000);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-stream-'));
	const file = longMp3(dir, 900);
	const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
	const alice = await meshDevice(browser, 'Alice');
	const bob = await meshDevice(browser, 'Bob');
	let aliceClosed = false;
	try {
		const b = bob.page;
		const onBob = await pairAndImport(alice, bob, file);
		const remote = onBob.getByTestId('peer-tracks').locator(`li[data-hash="${hash}"]`);
		await remote.getByRole('button', { name: 'Play Stream Me while it arrives' }).click();
		await expect.poll(async () => (await probe(b)).currentTime).toBeGreaterThan(0);
		const before = await probe(b);
		expect(before.received).toBeLessThan(before.size);

		await alice.close();
		aliceClosed = true;
		await expect(b.getByTestId('stream-source-gone')).toContainText('went away', { timeout: 30_000 });
		await expect(b.getByTestId('stream')).toHaveAttribute('data-kept', 'false');
		const row = await b.evaluate(async (hash) => {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const request = indexedDB.open('cratemesh');
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
			return new Promise<unknown>((resolve) => {
				const request = db.transaction('tracks').objectStore('tracks').get(hash);
				request.onsuccess = () => resolve(request.result);
			});
		}, hash);
		// Library sync brings the metadata row, but no audio was kept for it.
		expect((row as { storage?: string } | undefined)?.storage ?? 'none').toBe('none');
		// Stop: the player goes away, the partial transfer is not in the library.
		await b.getByTestId('stream-stop').click();
		await expect(b.getByTestId('stream')).toHaveCount(0);
	} finally {
		if (!aliceClosed) await alice.close();
		await bob.close();
		rmSync(dir, { recursive: true, force: true });
	}
});

test('a synced track without its audio plays from the library, streamed from the device that has it', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-stream-'));
	const file = longMp3(dir, 120);
	const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
	const alice = await meshDevice(browser, 'Alice');
	const bob = await meshDevice(browser, 'Bob');
	try {
		const b = bob.page;
		await pairAndImport(alice, bob, file);
		// In-app navigation keeps the connection; library sync has brought the row, without audio.
		await b.getByRole('link', { name: 'Library' }).first().click();
		const row = b.getByTestId('track-table').locator(`[role="row"][data-hash="${hash}"]`);
		await expect(row).toContainText('Stream Me', { timeout: 30_000 });
		await row.dblclick();
		await b.getByTestId('play-remote').click();

		await expect(b).toHaveURL(/\/devices$/);
		await expect(b.getByTestId('stream')).toHaveAttribute('data-mode', 'mse');
		await expect.poll(async () => (await probe(b)).currentTime).toBeGreaterThan(0.2);
		await expect(b.getByTestId('stream')).toHaveAttribute('data-kept', 'true', { timeout: 120_000 });
	} finally {
		await alice.close();
		await bob.close();
		rmSync(dir, { recursive: true, force: true });
	}
});
