import { expect, test, type Page } from '@playwright/test';
import { encodeWav } from '../../src/lib/features/player/wav';
import { waitForApp } from './helpers';

const FILES = 30;

/**
 * Writes FILES distinct WAV files (mono 16-bit, 40 s, a different tone each) into an OPFS folder. OPFS
 * handles are real FileSystemFileHandles, so they stand in for a folder the user picked: the importer
 * journals them exactly like picked files and must reopen them after a reload.
 */
async function makePickedFolder(page: Page): Promise<void> {
	// The app's WAV writer is self-contained: its source runs in the page as it is.
	await page.evaluate(`window.__encodeWav = ${encodeWav}`);
	await page.evaluate(async (count) => {
		const root = await navigator.storage.getDirectory();
		const folder = await root.getDirectoryHandle('picked-music', { create: true });
		const rate = 44_100;
		const seconds = 40;
		for (let i = 0; i < count; i++) {
			const step = (2 * Math.PI * (200 + i * 11)) / rate;
			const tone = Float32Array.from({ length: rate * seconds }, (_, n) => (8000 / 32767) * Math.sin(n * step));
			const bytes = (window as unknown as { __encodeWav: typeof encodeWav }).__encodeWav([tone], rate);
			const file = await folder.getFileHandle(`resume-${String(i).padStart(2, '0')}.wav`, { create: true });
			const writable = await file.createWritable();
			await writable.write(bytes);
			await writable.close();
		}
	}, FILES);
}

/** Names in an OPFS folder of the app ('audio': stored tracks, 'incoming': temp files). */
const opfsNames = (page: Page, name: string) =>
	page.evaluate(async (name) => {
		const root = await navigator.storage.getDirectory();
		const names: string[] = [];
		try {
			const dir = await root.getDirectoryHandle(name);
			for await (const key of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(key);
		} catch {
			// no such folder
		}
		return names;
	}, name);

const trackCount = async (page: Page) =>
	Number(/(\d+)/.exec((await page.getByTestId('track-count').textContent()) ?? '')?.[1]);

test('an import of picked files interrupted by a reload resumes exactly the unfinished files', async ({ page }) => {
	test.setTimeout(180_000);
	await page.goto('/');
	await waitForApp(page);
	await makePickedFolder(page);
	// The folder picker hands the app the folder: the OPFS folder plays that part.
	await page.evaluate(() => {
		(window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker =
			async () => (await navigator.storage.getDirectory()).getDirectoryHandle('picked-music');
	});
	await page.getByRole('button', { name: 'Add folder' }).click();
	await expect(page.getByTestId('import-progress')).toContainText(/^([2-9]|1\d|2[0-5]) of 30/, { timeout: 60_000 });
	await page.reload();
	await waitForApp(page);

	// After the reload: what finished is in the library, the rest is offered for resuming.
	const interrupted = page.getByTestId('import-interrupted');
	await expect(interrupted).toBeVisible();
	const unfinished = Number(
		/(\d+) files did not finish/.exec((await interrupted.locator('strong').textContent()) ?? '')?.[1]
	);
	await expect(page.getByTestId('track-count')).toHaveText(/\d+ tracks/);
	const before = await trackCount(page);
	expect(unfinished).toBeGreaterThan(0);
	expect(before + unfinished).toBe(FILES);
	await expect(page.getByTestId('import-resume')).toHaveText(`Resume import (${unfinished} files)`);
	await expect(page.getByTestId('import-not-resumable')).toHaveCount(0);

	await page.getByTestId('import-resume').click();
	await expect(page.getByTestId('import-summary')).toHaveText(`Added ${unfinished} files (0 already in the library).`, {
		timeout: 120_000
	});
	await expect(interrupted).toHaveCount(0);
	await expect(page.getByTestId('track-count')).toHaveText(`${FILES} tracks`);

	// Each picked file is one track with its own path, stored once; no temp file, no audio without a track.
	const state = await page.evaluate(async () => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const open = indexedDB.open('cratemesh');
			open.onsuccess = () => resolve(open.result);
			open.onerror = () => reject(open.error);
		});
		const all = <T>(store: string) =>
			new Promise<T[]>((resolve, reject) => {
				const request = db.transaction(store).objectStore(store).getAll();
				request.onsuccess = () => resolve(request.result as T[]);
				request.onerror = () => reject(request.error);
			});
		const tracks = await all<{ hash: string; paths: string[] }>('tracks');
		const journal = await all<{ status: string }>('importJournal');
		db.close();
		return { hashes: tracks.map((t) => t.hash), paths: tracks.flatMap((t) => t.paths), journal: journal.length };
	});
	expect(new Set(state.paths).size).toBe(FILES);
	expect(state.paths.every((path) => /^picked-music\/resume-\d\d\.wav$/.test(path))).toBe(true);
	expect(state.journal).toBe(0);
	expect(await opfsNames(page, 'incoming')).toEqual([]);
	expect((await opfsNames(page, 'audio')).sort()).toEqual([...state.hashes].sort());

	// Nothing is offered again after another reload.
	await page.reload();
	await waitForApp(page);
	await expect(page.getByTestId('track-count')).toHaveText(`${FILES} tracks`);
	await expect(page.getByTestId('import-interrupted')).toHaveCount(0);
});
