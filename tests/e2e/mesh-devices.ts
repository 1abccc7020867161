import { expect, type Browser, type Page } from '@playwright/test';
import { waitForApp } from './helpers';

/** One app install in its own browser context, on Devices and online on the signalling server. */
export interface MeshDevice {
	page: Page;
	id: string;
	name: string;
	close: () => Promise<void>;
}

export async function meshDevice(
	browser: Browser,
	name: string,
	options: { analyse?: boolean; baseURL?: string } = {}
): Promise<MeshDevice> {
	const context = await browser.newContext(options.baseURL ? { baseURL: options.baseURL } : {});
	const page = await context.newPage();
	page.on('console', (message) => {
		if (message.text().startsWith('mesh: refused')) console.log(`${name}: ${message.text()}`);
	});
	if (options.analyse === false) {
		// No background analysis of long files competing with a transfer for the CPU.
		await page.goto('/settings');
		await waitForApp(page);
		await page.getByTestId('auto-analyse').uncheck();
	}
	await page.goto('/devices');
	await waitForApp(page);
	await expect(page.getByTestId('signalling-status')).toHaveAttribute('data-status', 'online', { timeout: 30_000 });
	const id = (await page.getByTestId('peer-id').textContent())!.trim();
	return { page, id, name, close: () => context.close() };
}

/** In-app navigation keeps the mesh connected (a page load would restart it). */
export const goTo = (page: Page, link: 'Library' | 'Devices') =>
	page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();

/** Pairs `joiner` with `host` by code and waits until both see the other ready. */
export async function pairDevices(host: MeshDevice, joiner: MeshDevice): Promise<void> {
	await host.page.getByTestId('show-code').click();
	const code = (await host.page.getByTestId('pairing-code').textContent())!.trim();
	await joiner.page.getByTestId('pair-id').fill(host.id);
	await joiner.page.getByTestId('pair-code').fill(code);
	await joiner.page.getByRole('button', { name: 'Pair', exact: true }).click();
	for (const [on, other] of [
		[joiner, host],
		[host, joiner]
	] as const)
		await expect(on.page.getByTestId('connected-devices').locator('li', { hasText: other.id })).toHaveAttribute(
			'data-ready',
			'true',
			{ timeout: 45_000 }
		);
}
