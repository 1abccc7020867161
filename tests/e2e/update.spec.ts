import { expect, test } from '@playwright/test';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer as startApp, stopServer as stop } from './app-server';
import { waitForApp, waitForServiceWorker } from './helpers';

test('a new version is offered, not forced, and applied when the user asks', async ({ page }) => {
	const buildDir = mkdtempSync(join(tmpdir(), 'cratemesh-update-'));
	cpSync('build', buildDir, { recursive: true });
	const port = await freePort();
	let server = await startApp(port, { CRATEMESH_BUILD_DIR: buildDir });
	try {
		expect(server.output).toContain(`Cratemesh is running at http://localhost:${port}`);
		expect(server.output).toContain('Local-only mode');
		const base = `http://127.0.0.1:${port}`;
		await page.goto(base);
		await waitForApp(page);
		await waitForServiceWorker(page);
		await expect(page.getByTestId('update-toast')).toHaveCount(0);

		// Deploy a "new version": a changed service worker script (no precompressed copies of it).
		await stop(server.child);
		appendFileSync(join(buildDir, 'sw.js'), '\n// next release\n');
		rmSync(join(buildDir, 'sw.js.br'));
		rmSync(join(buildDir, 'sw.js.gz'));
		server = await startApp(port, { CRATEMESH_BUILD_DIR: buildDir });

		await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
		const toast = page.getByTestId('update-toast');
		await expect(toast).toContainText('A new version of Cratemesh is ready.');
		// Nothing reloads by itself.
		await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
		await page.waitForTimeout(500);
		expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);

		await Promise.all([page.waitForEvent('framenavigated'), toast.getByRole('button', { name: 'Reload' }).click()]);
		await waitForApp(page);
		expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBeUndefined();
		const waiting = await page.evaluate(async () =>
			Boolean((await navigator.serviceWorker.getRegistration())?.waiting)
		);
		expect(waiting).toBe(false);
		await expect(page.getByTestId('update-toast')).toHaveCount(0);
	} finally {
		await stop(server.child);
		rmSync(buildDir, { recursive: true, force: true });
	}
});
