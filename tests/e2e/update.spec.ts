import { expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForApp, waitForServiceWorker } from './helpers';

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const address = probe.address();
			probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/** Starts `npm start`'s server on a build directory and resolves with what it printed. */
function startServer(buildDir: string, port: number): Promise<{ child: ChildProcess; output: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['src/server/start.js', '--no-build'], {
			env: { ...process.env, CRATEMESH_BUILD_DIR: buildDir, PORT: String(port), HOST: '127.0.0.1' },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let output = '';
		const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 15_000);
		child.stdout!.on('data', (chunk) => {
			output += chunk;
			if (/Local-only mode|Supabase: /.test(output)) {
				clearTimeout(timer);
				resolve({ child, output });
			}
		});
		child.stderr!.on('data', (chunk) => (output += chunk));
		child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
	});
}

function stop(child: ChildProcess): Promise<void> {
	return new Promise((resolve) => {
		if (child.exitCode !== null) return resolve();
		child.removeAllListeners('exit');
		child.once('exit', () => resolve());
		child.kill('SIGTERM');
	});
}

test('a new version is offered, not forced, and applied when the user asks', async ({ page }) => {
	const buildDir = mkdtempSync(join(tmpdir(), 'cratemesh-update-'));
	cpSync('build', buildDir, { recursive: true });
	const port = await freePort();
	let server = await startServer(buildDir, port);
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
		server = await startServer(buildDir, port);

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
