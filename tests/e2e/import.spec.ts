import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { trackCspViolations, waitForApp } from './helpers';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('adding files hashes them in the worker, dedupes by content and explains failures', async ({ page }) => {
	const violations = await trackCspViolations(page);
	await page.goto('/');
	await waitForApp(page);
	await expect(page.getByText('Your library is empty')).toBeVisible();

	const song = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
	song.write('ID3', 0);
	const other = Buffer.from('another song, different bytes');
	await page.getByTestId('file-input').setInputFiles([
		{ name: 'Artist - Song.mp3', mimeType: 'audio/mpeg', buffer: song },
		{ name: 'copy of song.flac', mimeType: 'audio/flac', buffer: song },
		{ name: '<img src=x onerror=alert(1)>.ogg', mimeType: 'audio/ogg', buffer: other },
		{ name: 'empty.mp3', mimeType: 'audio/mpeg', buffer: Buffer.alloc(0) },
		{ name: 'cover.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('jpeg') }
	]);

	await expect(page.getByTestId('import-summary')).toHaveText('Added 2 files (1 already in the library).');
	await expect(page.getByText('1 non-audio files skipped')).toBeVisible();
	await expect(page.getByTestId('import-failures')).toHaveText('empty.mp3: the file is empty (0 bytes)');
	await expect(page.getByTestId('track-count')).toHaveText('2 tracks');
	const table = page.getByTestId('track-table');
	await expect(table.locator(`td[title="${sha256(song)}"]`)).toBeVisible();
	await expect(table.locator(`td[title="${sha256(other)}"]`)).toBeVisible();
	// Hostile file names are shown as text, never parsed as markup.
	await expect(table.getByText('<img src=x onerror=alert(1)>', { exact: true })).toBeVisible();
	expect(await page.locator('img[src="x"]').count()).toBe(0);

	// The library survives a reload.
	await page.reload();
	await waitForApp(page);
	await expect(page.getByTestId('track-count')).toHaveText('2 tracks');
	expect(violations).toEqual([]);
});

test('Settings shows storage usage and the persistence grant', async ({ page }) => {
	await page.goto('/settings');
	await waitForApp(page);
	await expect(page.getByTestId('storage-usage')).toContainText(/used of/);
	const state = await page.getByTestId('persist-status').getAttribute('data-state');
	expect(['persisted', 'not-persisted', 'denied']).toContain(state);
	const granted = await page.evaluate(() => navigator.storage.persisted());
	expect(state === 'persisted').toBe(granted);
});
