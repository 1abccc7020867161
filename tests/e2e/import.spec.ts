import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFixtureFolder, tone } from '../fixtures/audio.js';
import { trackCspViolations, waitForApp } from './helpers';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const rows = (page: Page) => page.getByTestId('track-table').locator('[role="row"][data-hash]');

let fixtures: ReturnType<typeof makeFixtureFolder>;
test.beforeAll(() => {
	fixtures = makeFixtureFolder();
});
test.afterAll(() => rmSync(fixtures.root, { recursive: true, force: true }));

test('a folder of every format imports with tags, covers and a clear reason for each bad file', async ({ page }) => {
	const violations = await trackCspViolations(page);
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(fixtures.dir);

	await expect(page.getByTestId('import-summary')).toHaveText('Added 7 files (0 already in the library).', {
		timeout: 30_000
	});
	await expect(page.getByText('2 non-audio files skipped')).toBeVisible();
	const failures = page.getByTestId('import-failures');
	await expect(failures.locator('li')).toHaveCount(4);
	await expect(failures).toContainText('Music/empty.mp3: the file is empty (0 bytes)');
	await expect(failures).toContainText('Music/notes.mp3: not an audio file');
	await expect(failures).toContainText('Music/picture.flac: not an audio file');
	await expect(failures).toContainText('Music/truncated.wav: the file is truncated');

	await expect(page.getByTestId('track-count')).toHaveText('7 tracks');
	await expect(rows(page)).toHaveCount(7);
	// Tags, technical data and covers came from the files, hashed by content.
	const mp3 = rows(page).filter({ hasText: 'Tone MP3' });
	await expect(mp3).toHaveAttribute('data-hash', sha256(fixtures.good[0]!));
	await expect(mp3).toContainText('Beyoncé');
	await expect(mp3).toContainText('120');
	await expect(mp3).toContainText('Am');
	await expect(mp3).toContainText('0:02');
	await expect(mp3.locator('img')).toBeVisible();
	for (const ext of ['FLAC', 'OGG', 'OPUS', 'M4A', 'WAV', 'AIFF'])
		await expect(rows(page).filter({ hasText: `Tone ${ext}` })).toHaveCount(1);

	// The first import worker measured which SHA-256 is cheaper in this browser; later page loads reuse it.
	const remembered = await page.evaluate(() => JSON.parse(localStorage.getItem('cratemesh.sha256Engine') ?? 'null'));
	expect(remembered).toEqual({
		ua: await page.evaluate(() => navigator.userAgent),
		engine: expect.stringMatching(/^(native|wasm)$/)
	});

	// The same folder again: nothing new, nothing duplicated.
	await page.getByTestId('folder-input').setInputFiles(fixtures.dir);
	await expect(page.getByTestId('import-summary')).toHaveText('Added 0 files (7 already in the library).', {
		timeout: 30_000
	});
	await expect(page.getByTestId('track-count')).toHaveText('7 tracks');

	// Settings tells audio bytes from everything else.
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
	await expect(page.getByTestId('storage-split')).toContainText('in 7 files');
	expect(violations).toEqual([]);
});

test('search is accent-insensitive, filters by BPM and key, and the query survives a reload', async ({ page }) => {
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(fixtures.dir);
	await expect(page.getByTestId('import-summary')).toContainText('Added 7 files', { timeout: 30_000 });

	await page.getByTestId('search').fill('beyonce');
	await expect(rows(page)).toHaveCount(1);
	await expect(rows(page)).toContainText('Tone MP3');
	await page.getByTestId('search').fill('sao paul');
	await expect(rows(page)).toHaveCount(7);
	await page.getByTestId('search').fill('techno tone');
	await expect(rows(page)).toHaveCount(3);
	await expect(page).toHaveURL(/\?q=techno\+tone/);
	await page.reload();
	await waitForApp(page);
	await expect(page.getByTestId('search')).toHaveValue('techno tone');
	await expect(rows(page)).toHaveCount(3);

	await page.getByTestId('search').fill('');
	await page.getByRole('button', { name: 'Filters' }).click();
	await page.getByTestId('bpm-min').fill('121');
	await page.getByTestId('bpm-max').fill('123');
	await page.getByTestId('bpm-max').press('Enter');
	await expect(rows(page)).toHaveCount(3);
	await page.getByTestId('bpm-min').fill('');
	await page.getByTestId('bpm-min').press('Enter');
	await page.getByTestId('bpm-max').fill('');
	await page.getByTestId('bpm-max').press('Enter');
	// A minor (8A) and its neighbours: C major (8B) is compatible.
	await page.getByTestId('key-filter').selectOption('8A');
	await expect(rows(page)).toHaveCount(1);
	await page.getByLabel('Compatible keys').check();
	await expect(rows(page)).toHaveCount(2);
	await expect(page).toHaveURL(/key=8A&compat=1/);

	// Sorting by BPM, both ways.
	await page.getByTestId('key-filter').selectOption('');
	await page.getByTestId('sort-bpm').click();
	await expect(rows(page).first()).toContainText('Tone AIFF');
	await page.getByTestId('sort-bpm').click();
	await expect(rows(page).first()).toContainText('Tone MP3');
});

test('tags are edited singly and in batch, and deletes can be undone', async ({ page }) => {
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(fixtures.dir);
	await expect(page.getByTestId('import-summary')).toContainText('Added 7 files', { timeout: 30_000 });

	// Single edit through the context menu.
	await rows(page).filter({ hasText: 'Tone OGG' }).click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Edit tags…' }).click();
	const editor = page.getByTestId('tag-editor');
	await editor.getByLabel('Title').fill('Renamed <b>Song</b>');
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(rows(page).filter({ hasText: 'Renamed <b>Song</b>' })).toHaveCount(1);

	// Batch edit of every track from the keyboard.
	await page.getByTestId('track-table').focus();
	await page.keyboard.press('ArrowDown');
	await page.keyboard.press('ControlOrMeta+a');
	await expect(page.getByTestId('track-count')).toContainText('7 selected');
	await page.keyboard.press('Enter');
	await editor.getByLabel('Genre').fill('Deep House');
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(rows(page).filter({ hasText: 'Deep House' })).toHaveCount(7);
	// Fields left alone in a batch keep each track's own value.
	await expect(rows(page).filter({ hasText: 'Beyoncé' })).toHaveCount(1);

	// Rating from the context menu.
	await rows(page).filter({ hasText: 'Tone WAV' }).click();
	await rows(page).filter({ hasText: 'Tone WAV' }).click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: '4 of 5 stars' }).click();
	await expect(rows(page).filter({ hasText: 'Tone WAV' })).toContainText('★★★★☆');

	// Delete, then undo.
	await page.keyboard.press('Delete');
	await expect(page.getByTestId('track-count')).toHaveText('6 tracks');
	await page.getByTestId('undo-toast').getByRole('button', { name: 'Undo' }).click();
	await expect(page.getByTestId('track-count')).toHaveText('7 tracks');
	await expect(rows(page).filter({ hasText: 'Tone WAV' })).toContainText('★★★★☆');
});

test('hostile tags stay text, long tags and big covers are handled', async ({ page }) => {
	const dir = fixtures.root;
	const bigCover = join(dir, 'big.png');
	// ~5 MB of noise as a PNG cover.
	const noise = Buffer.alloc(1200 * 1200 * 3);
	for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
	writeFileSync(join(dir, 'noise.rgb'), noise);
	const { execFileSync } = await import('node:child_process');
	execFileSync('ffmpeg', [
		'-loglevel',
		'error',
		'-y',
		'-f',
		'rawvideo',
		'-pix_fmt',
		'rgb24',
		'-s',
		'1200x1200',
		'-i',
		join(dir, 'noise.rgb'),
		bigCover
	]);
	const hostile = tone(dir, {
		name: 'hostile.mp3',
		ext: 'mp3',
		title: '<img src=x onerror="window.__pwned=1">',
		// (No "/" here: ID3v2.3 uses it to separate artists.)
		artist: '<iframe srcdoc="<b>pwned">',
		album: 'A'.repeat(2500),
		genre: 'Noise',
		seconds: 1,
		freq: 330,
		coverPath: bigCover
	});
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('file-input').setInputFiles(hostile);
	await expect(page.getByTestId('import-summary')).toHaveText('Added 1 files (0 already in the library).', {
		timeout: 30_000
	});
	const row = rows(page).first();
	await expect(row).toContainText('<img src=x onerror="window.__pwned=1">');
	await expect(row).toContainText('<iframe srcdoc=');
	expect(await page.locator('iframe').count()).toBe(0);
	await expect(row.locator('img')).toBeVisible();
	expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
	expect(await page.locator('img[src="x"]').count()).toBe(0);
	const album = await page.evaluate(async (hash) => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const open = indexedDB.open('cratemesh');
			open.onsuccess = () => resolve(open.result);
			open.onerror = () => reject(open.error);
		});
		return new Promise<string>((resolve) => {
			const get = db.transaction('tracks').objectStore('tracks').get(hash);
			get.onsuccess = () => resolve(get.result.album);
		});
	}, sha256(hostile));
	expect(album).toHaveLength(2000);
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

test('pinned audio stays; a cache cap drops the rest, and re-importing brings it back', async ({ page }) => {
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(fixtures.dir);
	await expect(page.getByTestId('import-summary')).toContainText('Added 7 files', { timeout: 30_000 });
	await rows(page).filter({ hasText: 'Tone FLAC' }).click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Keep offline (pin)' }).click();
	await expect(rows(page).filter({ hasText: 'Tone FLAC' }).getByLabel('Kept offline (pinned)')).toBeVisible();

	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
	await expect(page.getByTestId('offline-summary')).toContainText('Pinned: 1 tracks');
	await page.getByTestId('cap-input').fill('0');
	await page.getByTestId('cap-apply').click();
	await expect(page.getByText('Removed the audio of 6 tracks')).toBeVisible();
	await expect(page.getByTestId('offline-summary')).toContainText('cached: 0 tracks (0 B) · without audio: 6');
	await expect(page.getByTestId('storage-split')).toContainText('in 1 files');

	await page.getByTestId('cap-input').fill('');
	await page.getByTestId('cap-apply').click();
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
	await expect(rows(page).getByLabel('Audio not on this device')).toHaveCount(6);
	await page.getByTestId('folder-input').setInputFiles(fixtures.dir);
	await expect(page.getByTestId('import-summary')).toHaveText('Added 0 files (7 already in the library).', {
		timeout: 30_000
	});
	await expect(rows(page).getByLabel('Audio not on this device')).toHaveCount(0);
});
