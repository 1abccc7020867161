import { expect, test } from '@playwright/test';
import { waitForApp } from './helpers';

test('two browsers meet through the built-in /peerjs server and exchange hellos', async ({ browser }) => {
	const alice = await browser.newContext();
	const bob = await browser.newContext();
	try {
		const [a, b] = await Promise.all([alice.newPage(), bob.newPage()]);
		for (const page of [a, b]) {
			await page.goto('/devices');
			await waitForApp(page);
			await expect(page.getByTestId('signalling-status')).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
		}
		const aliceId = (await a.getByTestId('peer-id').textContent())!.trim();
		const bobId = (await b.getByTestId('peer-id').textContent())!.trim();
		expect(aliceId).toMatch(/^cm-[0-9a-f-]{36}$/);
		expect(aliceId).not.toBe(bobId);

		await b.getByTestId('remote-id').fill(aliceId);
		await b.getByRole('button', { name: 'Connect' }).click();

		const onBob = b.getByTestId('connected-devices').locator('li', { hasText: aliceId });
		const onAlice = a.getByTestId('connected-devices').locator('li', { hasText: bobId });
		await expect(onBob).toHaveAttribute('data-open', 'true', { timeout: 20_000 });
		await expect(onAlice).toHaveAttribute('data-open', 'true', { timeout: 20_000 });
		// Each side learnt the other's device name from its hello.
		await expect(onBob.locator('strong')).toHaveText(/^Chromium on /);
		await expect(onAlice.locator('strong')).toHaveText(/^Chromium on /);

		// The id is stable across reloads (kept in IndexedDB).
		await a.reload();
		await waitForApp(a);
		await expect(a.getByTestId('peer-id')).toHaveText(aliceId);
	} finally {
		await alice.close();
		await bob.close();
	}
});
