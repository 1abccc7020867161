import { expect, test, type Page } from '@playwright/test';
import { rmSync } from 'node:fs';
import { makeFixtureFolder } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

const rows = (page: Page) => page.getByTestId('track-table').locator('[role="row"][data-hash]');
const titles = async (page: Page) => (await rows(page).locator('.title').allTextContents()).map((s) => s.trim());

let fixtures: ReturnType<typeof makeFixtureFolder>;
test.beforeAll(() => {
	fixtures = makeFixtureFolder();
});
test.afterAll(() => rmSync(fixtures.root, { recursive: true, force: true }));

test('playlists keep their own order, reorder by keyboard and drag, and smart playlists stay live', async ({
	page
}) => {
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(fixtures.dir);
	await expect(page.getByTestId('import-summary')).toContainText('Added 7 files', { timeout: 30_000 });

	// A playlist, filled from the context menu.
	await page.getByTestId('new-playlist').click();
	await page.getByTestId('playlist-name').fill('Warm-up');
	await page.getByTestId('playlist-name').press('Enter');
	await expect(page.getByRole('heading', { level: 1, name: 'Warm-up' })).toBeVisible();
	await expect(rows(page)).toHaveCount(0);
	await page.getByRole('button', { name: 'All tracks' }).click();
	for (const name of ['Tone FLAC', 'Tone MP3', 'Tone WAV']) {
		await rows(page).filter({ hasText: name }).click({ button: 'right' });
		await page.getByTestId('context-menu').getByRole('menuitem', { name: '♪ Warm-up' }).click();
	}
	await page.getByTestId('playlist-Warm-up').click();
	await expect(page).toHaveURL(/list=/);
	expect(await titles(page)).toEqual(['Tone FLAC', 'Tone MP3', 'Tone WAV']);

	// Keyboard: Alt+↓ moves the selected track down one place.
	await rows(page).filter({ hasText: 'Tone FLAC' }).click();
	await page.keyboard.press('Alt+ArrowDown');
	await expect.poll(() => titles(page)).toEqual(['Tone MP3', 'Tone FLAC', 'Tone WAV']);

	// Drag: WAV onto MP3 puts it first.
	// (A synthetic HTML5 drag can be lost by a busy browser; the move is idempotent, so retry it.)
	await expect(async () => {
		await rows(page)
			.filter({ hasText: 'Tone WAV' })
			.dragTo(rows(page).filter({ hasText: 'Tone MP3' }));
		expect(await titles(page)).toEqual(['Tone WAV', 'Tone MP3', 'Tone FLAC']);
	}).toPass({ timeout: 15_000 });

	// The order survives a reload (it is stored), and so does the selected playlist (URL).
	await page.reload();
	await waitForApp(page);
	await expect.poll(() => titles(page)).toEqual(['Tone WAV', 'Tone MP3', 'Tone FLAC']);

	// Removing from the playlist keeps the track in the library.
	await rows(page).filter({ hasText: 'Tone MP3' }).click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Remove from this playlist' }).click();
	await expect.poll(() => titles(page)).toEqual(['Tone WAV', 'Tone FLAC']);

	// A smart playlist saves the current filters and follows later edits.
	await page.getByRole('button', { name: 'All tracks' }).click();
	await page.getByRole('button', { name: 'Filters' }).click();
	await page.getByTestId('genre-filter').selectOption('Techno');
	await expect(rows(page)).toHaveCount(3);
	await page.getByTestId('new-smart').click();
	await page.getByTestId('playlist-name').fill('Techno only');
	await page.getByTestId('playlist-name').press('Enter');
	await page.getByTestId('genre-filter').selectOption('');
	await expect(rows(page)).toHaveCount(3);
	await rows(page).first().click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Edit tags…' }).click();
	await page.getByTestId('tag-editor').getByLabel('Title').fill('Now in the smart list');
	await page.getByTestId('tag-editor').getByRole('button', { name: 'Save' }).click();
	await page.getByRole('button', { name: 'All tracks' }).click();
	await rows(page).filter({ hasText: 'Tone OGG' }).click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Edit tags…' }).click();
	await page.getByTestId('tag-editor').getByLabel('Genre').fill('Techno');
	await page.getByTestId('tag-editor').getByRole('button', { name: 'Save' }).click();
	await page.getByTestId('playlist-Techno only').click();
	await expect(rows(page)).toHaveCount(4);
	await expect(rows(page).filter({ hasText: 'Tone OGG' })).toHaveCount(1);
});
