import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackRow } from '../../src/lib/db/test-rows';
import { tone } from '../fixtures/audio.js';
import { waitForApp, waitForServiceWorker } from './helpers';

interface Fixture {
	hash: string;
	title: string;
	base64: string;
	seconds: number;
}

let dir: string;
const fixtures: Record<string, Fixture> = {};

test.beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'cratemesh-player-'));
	const specs = [
		['a', 'mp3', 'Alpha', 1.5, 330],
		['b', 'aiff', 'Bravo', 1.5, 440],
		['c', 'flac', 'Charlie', 1.5, 550],
		['d', 'wav', 'Delta', 1.5, 660],
		['e', 'ogg', 'Echo', 1.5, 770]
	] as const;
	for (const [id, ext, title, seconds, freq] of specs) {
		const path = tone(dir, {
			name: `${id}.${ext}`,
			ext,
			title,
			artist: 'Player Test',
			album: 'Fixtures',
			genre: 'Test',
			seconds,
			freq
		});
		const bytes = readFileSync(path);
		fixtures[id] = {
			hash: createHash('sha256').update(bytes).digest('hex'),
			title,
			base64: bytes.toString('base64'),
			seconds
		};
	}
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Stores audio bytes in OPFS and track rows in IndexedDB, as an import would. */
async function seed(page: Page, items: Fixture[]) {
	// The shared row builder is self-contained: its source runs in the page as it is.
	await page.evaluate(`window.__trackRow = ${trackRow}`);
	await page.evaluate(async (items) => {
		const root = await navigator.storage.getDirectory();
		const audio = await root.getDirectoryHandle('audio', { create: true });
		for (const item of items) {
			const writable = await (await audio.getFileHandle(item.hash, { create: true })).createWritable();
			await writable.write(Uint8Array.from(atob(item.base64), (c) => c.charCodeAt(0)));
			await writable.close();
		}
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const open = indexedDB.open('cratemesh');
			open.onsuccess = () => resolve(open.result);
			open.onerror = () => reject(open.error);
		});
		const tx = db.transaction('tracks', 'readwrite');
		for (const item of items)
			tx.objectStore('tracks').put(
				(window as unknown as { __trackRow: typeof trackRow }).__trackRow({
					hash: item.hash,
					fileName: `${item.title}.audio`,
					size: 1,
					mime: 'audio/mpeg',
					title: item.title,
					dateAdded: Date.now(),
					artist: 'Player Test',
					album: 'Fixtures',
					duration: item.seconds,
					sampleRate: 44100,
					channels: 1
				})
			);
		await new Promise((resolve) => (tx.oncomplete = resolve));
		db.close();
	}, items);
}

async function idbAll<T>(page: Page, store: string): Promise<T[]> {
	return page.evaluate(async (store) => {
		const db = await new Promise<IDBDatabase>((resolve) => {
			const open = indexedDB.open('cratemesh');
			open.onsuccess = () => resolve(open.result);
		});
		const rows = await new Promise<unknown[]>((resolve) => {
			const request = db.transaction(store).objectStore(store).getAll();
			request.onsuccess = () => resolve(request.result);
		});
		db.close();
		return rows;
	}, store) as Promise<T[]>;
}

type Log = { hash: string; outcome: string | null; source: string; startedAt: number; endedAt: number | null };

const playNow = (page: Page, hashes: string[]) =>
	page.evaluate((hashes) => {
		const w = window as unknown as { __cratemeshPlayback: { playNow: (h: string[]) => Promise<void> } };
		return w.__cratemeshPlayback.playNow(hashes);
	}, hashes);

test('plays a queue through, AIFF included, with the network off, and logs every play', async ({ page, context }) => {
	const errors: string[] = [];
	page.on('pageerror', (error) => errors.push(error.message));
	await page.goto('/');
	await waitForApp(page);
	const queue = [fixtures.a!, fixtures.b!, fixtures.c!];
	await seed(page, queue);
	// Offline after one visit: the service worker holds the app's code.
	await waitForServiceWorker(page);
	await context.setOffline(true);

	await playNow(
		page,
		queue.map((f) => f.hash)
	);
	const title = page.getByTestId('now-title');
	await expect(title).toHaveText('Alpha');
	await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
	await expect(title).toHaveText('Bravo', { timeout: 5000 });
	await expect(title).toHaveText('Charlie', { timeout: 5000 });
	// The end of the queue: playback stops.
	await expect(page.getByRole('button', { name: 'Play', exact: true })).toBeVisible({ timeout: 5000 });

	await expect
		.poll(async () => (await idbAll<Log>(page, 'playLog')).filter((l) => l.outcome === 'finished').length)
		.toBe(3);
	const log = await idbAll<Log>(page, 'playLog');
	expect(log.map((l) => l.hash)).toEqual(queue.map((f) => f.hash));
	// Gapless: each track starts when the previous one ends (log times are wall-clock, so allow timer slack).
	for (let i = 1; i < log.length; i++) expect(Math.abs(log[i]!.startedAt - log[i - 1]!.endedAt!)).toBeLessThan(300);
	await expect
		.poll(async () =>
			(await idbAll<{ hash: string; playCount: number }>(page, 'tracks'))
				.filter((t) => queue.some((f) => f.hash === t.hash))
				.map((t) => t.playCount)
		)
		.toEqual([1, 1, 1]);

	// Queue panel and shortcuts help.
	await page.getByTestId('queue-toggle').click();
	await expect(page.getByTestId('queue-history')).toContainText('Bravo');
	await page.keyboard.press('Escape');
	await page.locator('main').click();
	await page.keyboard.press('?');
	await expect(page.getByTestId('shortcuts-help')).toBeVisible();
	await expect(page.getByTestId('shortcuts-help')).toContainText('Play / pause');
	await page.getByRole('button', { name: 'Close' }).last().click();
	await expect(page.getByTestId('shortcuts-help')).toBeHidden();
	expect(errors).toEqual([]);
});

test('a queued track whose bytes are deleted mid-queue is skipped and marked', async ({ page }) => {
	await page.goto('/');
	await waitForApp(page);
	const queue = [fixtures.a!, fixtures.b!, fixtures.c!, fixtures.d!];
	await seed(page, queue);
	await playNow(
		page,
		queue.map((f) => f.hash)
	);
	await expect(page.getByTestId('now-title')).toHaveText('Alpha');
	// Charlie is two ahead (only Bravo is prepared): its bytes disappear.
	await page.evaluate(async (hash) => {
		const audio = await (await navigator.storage.getDirectory()).getDirectoryHandle('audio');
		await audio.removeEntry(hash);
	}, fixtures.c!.hash);
	await expect(page.getByTestId('now-title')).toHaveText('Bravo', { timeout: 5000 });
	await expect(page.getByTestId('now-title')).toHaveText('Delta', { timeout: 5000 });
	await expect
		.poll(async () => (await idbAll<Log>(page, 'playLog')).map((l) => [l.hash, l.outcome]))
		.toEqual([
			[fixtures.a!.hash, 'finished'],
			[fixtures.b!.hash, 'finished'],
			[fixtures.c!.hash, 'failed'],
			[fixtures.d!.hash, 'finished']
		]);
	const log = await idbAll<Log>(page, 'playLog');
	const bravo = log.find((l) => l.hash === fixtures.b!.hash)!;
	const delta = log.find((l) => l.hash === fixtures.d!.hash)!;
	// Skipped ahead of time: Delta follows Bravo without a gap.
	expect(Math.abs(delta.startedAt - bravo.endedAt!)).toBeLessThan(300);
	await page.getByTestId('queue-toggle').click();
	await expect(page.getByTestId('queue-history').locator(`li[data-hash="${fixtures.c!.hash}"]`)).toHaveCount(0);
});

test('Player mode falls back from an all-expired playlist to emergency, then to the jingle', async ({ page }) => {
	const errors: string[] = [];
	page.on('pageerror', (error) => errors.push(error.message));
	await page.goto('/');
	await waitForApp(page);
	await seed(page, [fixtures.a!, fixtures.e!]);
	const now = await page.evaluate(() => Date.now());
	const schedule = {
		timeZone: 'UTC',
		dayparts: [
			{
				id: 'all-day',
				name: 'All day',
				playlistId: 'p1',
				days: [1, 2, 3, 4, 5, 6, 7],
				start: '00:00',
				end: '24:00',
				timeZone: 'UTC',
				priority: 0
			}
		],
		playlists: [{ id: 'p1', name: 'Shop music', hashes: [fixtures.a!.hash] }],
		assets: [
			// Expired yesterday: never started.
			{ hash: fixtures.a!.hash, title: 'Alpha', validFrom: 0, validUntil: now - 86_400_000, emergencyEligible: false },
			// Valid for a few seconds more: plays from the emergency pool, then expires.
			{ hash: fixtures.e!.hash, title: 'Echo', validFrom: 0, validUntil: now + 4_000, emergencyEligible: true }
		],
		syncedAt: now - 60_000,
		newestServerTime: now - 60_000
	};
	await page.evaluate(async (schedule) => {
		const db = await new Promise<IDBDatabase>((resolve) => {
			const open = indexedDB.open('cratemesh');
			open.onsuccess = () => resolve(open.result);
		});
		const tx = db.transaction('settings', 'readwrite');
		tx.objectStore('settings').put({ key: 'scheduler.schedule', value: schedule });
		await new Promise((resolve) => (tx.oncomplete = resolve));
		db.close();
	}, schedule);

	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Player mode' }).click();
	await expect(page.getByTestId('player-mode')).toBeVisible();
	await expect(page.getByTestId('kiosk-daypart')).toHaveText('All day');
	await expect(page.getByTestId('kiosk-title')).toHaveText('Echo');
	await expect(page.getByTestId('kiosk-source')).toHaveAttribute('data-source', 'emergency');
	await expect(page.getByTestId('kiosk-warnings').locator('[data-kind="emergency"]').first()).toContainText(
		'no track of the playlist is valid and on this device'
	);
	await expect(page.getByTestId('kiosk-source')).toHaveAttribute('data-source', 'jingle', { timeout: 10_000 });
	await expect(page.getByTestId('kiosk-warnings').locator('[data-kind="jingle"]').first()).toBeVisible();
	await expect(page.getByRole('button', { name: 'Pause' }).first()).toBeVisible();

	const log = await idbAll<Log>(page, 'playLog');
	expect(log.some((l) => l.hash === fixtures.a!.hash)).toBe(false);
	const echo = log.filter((l) => l.hash === fixtures.e!.hash);
	expect(echo.length).toBeGreaterThan(0);
	// Never started at or after it expired.
	for (const play of echo) expect(play.startedAt).toBeLessThan(schedule.assets[1]!.validUntil);
	expect(log.some((l) => l.source === 'jingle')).toBe(true);
	expect(errors).toEqual([]);
});
