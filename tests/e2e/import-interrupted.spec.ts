import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

test('a reload in the middle of an import keeps finished tracks and lists exactly the files that did not finish', async ({
	page
}) => {
	// Thirty 40-second WAV fixtures take a while to make on a loaded machine.
	test.setTimeout(180_000);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-interrupt-'));
	try {
		const files = Array.from({ length: 30 }, (_, i) =>
			tone(dir, {
				name: `long-${i}.wav`,
				ext: 'wav',
				title: `Long ${i}`,
				artist: 'Reload',
				album: '',
				genre: '',
				seconds: 40,
				freq: 200 + i * 11
			})
		);
		await page.goto('/');
		await waitForApp(page);
		await page.getByTestId('file-input').setInputFiles(files);
		await expect(page.getByTestId('import-progress')).toContainText(/^([2-9]|1\d|2[0-5]) of 30/, { timeout: 30_000 });
		await page.reload();
		await waitForApp(page);

		const interrupted = page.getByTestId('import-interrupted');
		await expect(interrupted).toBeVisible();
		const text = (await interrupted.locator('strong').textContent()) ?? '';
		const unfinished = Number(/(\d+) files did not finish/.exec(text)?.[1]);
		await expect(page.getByTestId('track-count')).toHaveText(/\d+ tracks/);
		const added = Number(/(\d+)/.exec((await page.getByTestId('track-count').textContent()) ?? '')?.[1]);
		expect(unfinished).toBeGreaterThan(0);
		expect(added).toBeGreaterThan(0);
		expect(added + unfinished).toBe(30);
		// Files from a plain file input cannot be reopened after a reload: reported, not offered for resuming.
		await expect(page.getByTestId('import-resume')).toHaveCount(0);
		await expect(page.getByTestId('import-not-resumable')).toContainText(`${unfinished} of them`);

		// No half-written audio is left behind.
		const incoming = await page.evaluate(async () => {
			const root = await navigator.storage.getDirectory();
			try {
				const dir = await root.getDirectoryHandle('incoming');
				let n = 0;
				for await (const _ of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) n++;
				return n;
			} catch {
				return 0;
			}
		});
		expect(incoming).toBe(0);
		// Every stored audio file belongs to a track.
		const stored = await page.evaluate(async () => {
			const root = await navigator.storage.getDirectory();
			const dir = await root.getDirectoryHandle('audio', { create: true });
			let n = 0;
			for await (const _ of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) n++;
			return n;
		});
		expect(stored).toBe(added);

		await interrupted.getByRole('button', { name: 'Dismiss' }).click();
		await expect(interrupted).toHaveCount(0);
		await page.reload();
		await waitForApp(page);
		await expect(page.getByTestId('import-interrupted')).toHaveCount(0);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});
