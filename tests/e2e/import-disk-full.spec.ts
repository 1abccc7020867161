import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

// A real QuotaExceededError: Chromium's quota for the origin is lowered through the DevTools protocol
// (Storage.overrideQuotaForOrigin), so OPFS writes fail the way they do on a full disk.

let root: string;
let dir: string;
test.beforeAll(() => {
	root = mkdtempSync(join(tmpdir(), 'cratemesh-diskfull-'));
	dir = join(root, 'Big');
	mkdirSync(dir);
	// Ten ~1.8 MB WAV files, each different.
	for (let i = 0; i < 10; i++)
		tone(dir, {
			name: `big-${i}.wav`,
			ext: 'wav',
			title: `Big ${i}`,
			artist: 'Quota',
			album: 'Full Disk',
			genre: 'Test',
			seconds: 10,
			freq: 300 + i * 25
		});
});
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

const oplist = (page: import('@playwright/test').Page) =>
	page.evaluate(async () => {
		const rootDir = await navigator.storage.getDirectory();
		const names = async (name: string) => {
			const out: string[] = [];
			try {
				const handle = await rootDir.getDirectoryHandle(name);
				for await (const key of (handle as unknown as { keys(): AsyncIterable<string> }).keys()) out.push(key);
			} catch {
				// no such folder yet
			}
			return out;
		};
		return { audio: await names('audio'), incoming: await names('incoming') };
	});

test('a full disk stops the import, says so, keeps what finished and leaves no partial file', async ({ page }) => {
	await page.goto('/');
	await waitForApp(page);
	const origin = new URL(page.url()).origin;
	const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
	const cdp = await page.context().newCDPSession(page);
	// Room for about three of the ten files on top of what the app already holds.
	await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 6 * 1024 * 1024 });

	await page.getByTestId('folder-input').setInputFiles(dir);
	const summary = page.getByTestId('import-summary');
	await expect(summary).toContainText('The disk is full. Import stopped', { timeout: 30_000 });
	const added = Number((await summary.textContent())!.match(/the (\d+) files added/)![1]);
	expect(added).toBeGreaterThanOrEqual(1);
	expect(added).toBeLessThan(10);

	// The file that hit the limit is named with the reason; the library holds exactly what finished.
	const failures = page.getByTestId('import-failures');
	await expect(failures).toContainText('the disk is full; files already added are kept');
	await expect(page.getByTestId('track-count')).toHaveText(`${added} tracks`);
	const stored = await oplist(page);
	expect(stored.incoming).toEqual([]);
	expect(stored.audio).toHaveLength(added);

	// Space again: the same folder brings in the rest, the finished ones are recognised as held.
	await cdp.send('Storage.overrideQuotaForOrigin', { origin });
	await page.getByTestId('folder-input').setInputFiles(dir);
	await expect(summary).toHaveText(`Added ${10 - added} files (${added} already in the library).`, {
		timeout: 30_000
	});
	await expect(page.getByTestId('track-count')).toHaveText('10 tracks');
	expect((await oplist(page)).audio).toHaveLength(10);
});
