import { chromium, expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../chromium.js';
import { tone } from '../fixtures/audio.js';
import { waitForApp, waitForServiceWorker } from './helpers';

test('the manifest makes the app installable', async ({ request, baseURL }) => {
	// Chromium never offers installation in incognito-like contexts, so use a real profile.
	const profile = mkdtempSync(join(tmpdir(), 'cratemesh-profile-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: chromiumPath(),
		args: chromiumArgs,
		baseURL
	});
	const page = context.pages()[0] ?? (await context.newPage());
	await page.goto('/');
	await waitForApp(page);
	await waitForServiceWorker(page);
	const manifest = await (await request.get('/manifest.webmanifest')).json();
	expect(manifest).toMatchObject({
		name: 'Cratemesh',
		short_name: 'Cratemesh',
		display: 'standalone',
		start_url: '/',
		theme_color: '#0f1115'
	});
	const sizes = manifest.icons.map(
		(icon: { sizes: string; purpose?: string }) => `${icon.sizes}${icon.purpose ? ` ${icon.purpose}` : ''}`
	);
	expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512', '512x512 maskable']));
	for (const icon of manifest.icons) {
		const response = await request.get(`/${icon.src}`);
		expect(response.status(), icon.src).toBe(200);
		expect(response.headers()['content-type']).toBe('image/png');
	}
	// Chromium's own installability check: no errors means the browser offers "Install".
	const cdp = await context.newCDPSession(page);
	const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
	await context.close();
	rmSync(profile, { recursive: true, force: true });
	expect(installabilityErrors).toEqual([]);
});

test('after one online visit the full app reloads, navigates and works offline', async ({ page, context }) => {
	await page.goto('/');
	await waitForApp(page);
	await waitForServiceWorker(page);
	const precached = await page.evaluate(async () => {
		const urls: string[] = [];
		for (const name of await caches.keys())
			for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
		return urls;
	});
	expect(precached).toEqual(expect.arrayContaining(['/index.html', '/manifest.webmanifest']));
	for (const worker of ['import', 'catalog']) {
		const pattern = new RegExp(`/${worker}\\.worker-[\\w-]+\\.js$`);
		expect(
			precached.some((url) => pattern.test(url)),
			`the ${worker} worker is precached`
		).toBe(true);
	}

	await context.setOffline(true);
	await page.reload();
	await waitForApp(page);
	await expect(page.getByRole('heading', { level: 1, name: 'Library' })).toBeVisible();
	await expect(page.getByTestId('offline-badge')).toBeVisible();
	await expect(page.getByTestId('mode-badge')).toHaveText('Local-only mode');

	// A fresh navigation to another route is served from the precached shell too.
	await page.goto('/settings');
	await waitForApp(page);
	await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();

	// Workers run offline: import (hash) a file with the network off.
	await page.goto('/');
	await waitForApp(page);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-offline-'));
	const file = tone(dir, {
		name: 'offline.flac',
		ext: 'flac',
		title: 'Offline Track',
		artist: 'Nobody',
		album: '',
		genre: '',
		seconds: 1,
		freq: 440
	});
	await page.getByTestId('file-input').setInputFiles(file);
	await expect(page.getByTestId('import-summary')).toHaveText('Added 1 files (0 already in the library).');
	const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
	await expect(page.locator(`[data-hash="${hash}"]`)).toContainText('Offline Track');
	rmSync(dir, { recursive: true, force: true });
	await context.setOffline(false);
});
