import { expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { trackCspViolations, waitForApp } from './helpers';

const screens = [
	{ path: '/', heading: 'Library' },
	{ path: '/devices', heading: 'Devices' },
	{ path: '/settings', heading: 'Settings' }
];

test.describe('main screens', () => {
	for (const screen of screens) {
		test(`${screen.heading} renders without CSP violations or overflow, and is screenshotted`, async ({
			page
		}, info) => {
			const violations = await trackCspViolations(page);
			const errors: string[] = [];
			page.on('pageerror', (error) => errors.push(error.message));
			await page.goto(screen.path);
			await waitForApp(page);
			await expect(page.getByRole('heading', { level: 1, name: screen.heading })).toBeVisible();
			await expect(page.getByTestId('mode-badge')).toHaveText('Local-only mode');
			await expect(page.getByTestId('player-bar')).toBeVisible();
			await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
			// Nothing may be wider than the viewport (phones start at 360 px).
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
			expect(overflow).toBeLessThanOrEqual(0);
			await page.screenshot({
				path: `tests/.artifacts/screenshots/${info.project.name}-${screen.heading.toLowerCase()}.png`
			});
			expect(violations).toEqual([]);
			expect(errors).toEqual([]);
		});
	}

	test('after an import the tracks are on screen: the table keeps room for rows, a phone scrolls to them', async ({
		page
	}) => {
		const dir = mkdtempSync(join(tmpdir(), 'cratemesh-screens-'));
		try {
			const files = [1, 2, 3, 4, 5, 6].map((i) =>
				tone(dir, {
					name: `phone-${i}.wav`,
					ext: 'wav',
					title: `Pocket Tone ${i}`,
					artist: 'Test',
					album: 'Test',
					genre: 'Test',
					seconds: 4,
					freq: 300 + 20 * i
				})
			);
			await page.goto('/');
			await waitForApp(page);
			await page.getByTestId('file-input').setInputFiles(files);
			// The import and analysis panels stay open above the table.
			await expect(page.getByTestId('import-summary')).toContainText('Added 6 files', { timeout: 30_000 });
			const table = page.getByTestId('track-table');
			const rows = table.locator('[role="row"][data-hash]');
			await expect(rows).toHaveCount(6);
			// Squeezed by the panels, the table was once a 10 px sliver on a phone, its rows clipped away.
			expect((await table.boundingBox())!.height).toBeGreaterThanOrEqual(5 * 40);
			await rows.last().scrollIntoViewIfNeeded();
			await expect(rows.last()).toBeInViewport();
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
			expect(overflow).toBeLessThanOrEqual(0);
			// Finished, each panel is one line with its dismiss button beside it (a phone included)…
			const analysis = page.getByTestId('analysis-panel');
			await expect(analysis).toHaveAttribute('data-state', 'finished', { timeout: 60_000 });
			for (const panel of [page.getByTestId('import-panel'), analysis])
				expect((await panel.boundingBox())!.height, await panel.innerText()).toBeLessThan(80);
			// …and goes when dismissed, by keyboard too.
			await page.getByTestId('import-dismiss').focus();
			await page.keyboard.press('Enter');
			await expect(page.getByTestId('import-panel')).toHaveCount(0);
			await analysis.getByRole('button', { name: 'Dismiss' }).click();
			await expect(analysis).toHaveCount(0);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	test('keyboard alone reaches every screen', async ({ page }) => {
		await page.goto('/');
		await waitForApp(page);
		// The first Tab stop is the skip link, which moves focus to the content.
		await page.keyboard.press('Tab');
		await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
		for (const name of ['Devices', 'Settings', 'Library']) {
			const link = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });
			await link.focus();
			await page.keyboard.press('Enter');
			await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
			await expect(link).toHaveAttribute('aria-current', 'page');
		}
	});
});

test.describe('preferences', () => {
	test('dark by default, light on request, and the choice survives a reload', async ({ page }) => {
		await page.goto('/settings');
		await waitForApp(page);
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
		await page.getByTestId('theme-select').selectOption('light');
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
		const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
		expect(background).toBe('rgb(246, 247, 249)');
		await page.reload();
		await waitForApp(page);
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
	});

	test('English and Brazilian Portuguese can be switched in Settings', async ({ page }) => {
		await page.goto('/settings');
		await waitForApp(page);
		await page.getByTestId('language-select').selectOption('pt-BR');
		await expect(page.getByRole('heading', { level: 1, name: 'Configurações' })).toBeVisible();
		await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
		await page.reload();
		await waitForApp(page);
		await expect(page.getByRole('navigation').getByRole('link', { name: 'Biblioteca' })).toBeVisible();
		await page.getByTestId('language-select').selectOption('');
		await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
	});
});

test.describe('browser language', () => {
	test.use({ locale: 'pt-BR' });

	test('a Portuguese browser gets Portuguese by default', async ({ page }) => {
		await page.goto('/');
		await waitForApp(page);
		await expect(page.getByRole('heading', { level: 1, name: 'Biblioteca' })).toBeVisible();
		await expect(page.getByTestId('mode-badge')).toHaveText('Modo somente local');
	});
});
