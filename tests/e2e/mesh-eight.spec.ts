import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';
import { goTo, meshDevice, pairDevices, type MeshDevice } from './mesh-devices';

/** "Up to 8 devices connected at once": one device paired with seven others, all connected together. */
test('eight devices: one is connected to seven at once, they stay connected, and a track transfers', async ({
	browser
}) => {
	test.setTimeout(420_000);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-mesh-eight-'));
	const file = tone(dir, {
		name: 'eight.wav',
		ext: 'wav',
		title: 'Eight Tone',
		album: 'Eight',
		genre: 'House',
		artist: 'Mesh',
		seconds: 20,
		freq: 550
	});
	const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
	const devices: MeshDevice[] = [];
	try {
		for (let i = 0; i < 8; i++) devices.push(await meshDevice(browser, `device ${i}`, { analyse: false }));
		const [hub, ...others] = devices as [MeshDevice, ...MeshDevice[]];
		// The hub holds a track, imported before the connections (navigation would drop them).
		await hub.page.goto('/');
		await waitForApp(hub.page);
		await hub.page.getByTestId('file-input').setInputFiles(file);
		await expect(hub.page.getByTestId('track-count')).toHaveText('1 tracks', { timeout: 60_000 });
		await goTo(hub.page, 'Devices');
		await expect(hub.page.getByTestId('signalling-status')).toHaveAttribute('data-status', 'online', {
			timeout: 30_000
		});
		for (const other of others) await pairDevices(hub, other);

		const ready = hub.page.getByTestId('connected-devices').locator('li[data-ready="true"]');
		await expect(ready).toHaveCount(7, { timeout: 60_000 });
		for (const other of others) await expect(ready.filter({ hasText: other.id })).toHaveCount(1);

		// Still all connected after several heartbeat periods (4 s pings, 15 s silence drops a device).
		await hub.page.waitForTimeout(20_000);
		await expect(ready).toHaveCount(7);
		for (const other of others)
			await expect(
				other.page.getByTestId('connected-devices').locator('li[data-ready="true"]', { hasText: hub.id })
			).toHaveCount(1);

		// The last device to join fetches the hub's track while all eight are connected: hash-verified.
		const last = others.at(-1)!;
		const onLast = last.page.getByTestId('connected-devices').locator('li', { hasText: hub.id });
		await onLast.getByRole('button', { name: 'Browse tracks' }).click();
		await onLast
			.getByTestId('peer-tracks')
			.locator(`li[data-hash="${hash}"]`)
			.getByRole('button', { name: 'Get' })
			.click();
		await expect(last.page.getByTestId('transfers').locator(`li[data-hash="${hash}"]`)).toHaveAttribute(
			'data-state',
			'done',
			{ timeout: 60_000 }
		);
		await expect(ready).toHaveCount(7);
		for (const device of devices)
			expect(await device.page.getByTestId('mesh-rejected').getAttribute('data-count')).toBe('0');
	} finally {
		for (const device of devices) await device.close();
		rmSync(dir, { recursive: true, force: true });
	}
});
