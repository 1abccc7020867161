import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';
import { meshDevice } from './mesh-devices';

test('an unpaired device is refused; a paired one authenticates and a track transfers hash-verified', async ({
	browser
}) => {
	test.setTimeout(120_000);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-mesh-'));
	const file = tone(dir, {
		name: 'mesh-tone.wav',
		ext: 'wav',
		title: 'Mesh Tone',
		artist: 'Peer Artist',
		album: 'P2P',
		genre: 'House',
		seconds: 40,
		freq: 330
	});
	const hash = createHash('sha256').update(readFileSync(file)).digest('hex');
	const alice = await meshDevice(browser, 'Alice');
	const bob = await meshDevice(browser, 'Bob');
	try {
		const [a, b] = [alice.page, bob.page];
		// Ids derive from each install's public key and survive a reload.
		expect(alice.id).toMatch(/^cm-[0-9a-f]{32}$/);
		expect(alice.id).not.toBe(bob.id);

		// Not paired: the connection is refused after authentication.
		await b.getByTestId('remote-id').fill(alice.id);
		await b.getByRole('button', { name: 'Connect' }).click();
		await expect(b.getByTestId('mesh-notice')).toHaveAttribute('data-reason', /untrusted/, { timeout: 20_000 });

		// Pairing: Alice shows a code, Bob types Alice's id and the code.
		await a.getByTestId('show-code').click();
		const code = (await a.getByTestId('pairing-code').textContent())!.trim();
		expect(code).toMatch(/^\d{6}$/);
		await b.getByTestId('pair-id').fill(alice.id);
		await b.getByTestId('pair-code').fill(code);
		await b.getByRole('button', { name: 'Pair', exact: true }).click();

		const onBob = b.getByTestId('connected-devices').locator('li', { hasText: alice.id });
		const onAlice = a.getByTestId('connected-devices').locator('li', { hasText: bob.id });
		await expect(onBob).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
		await expect(onAlice).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
		await expect(onBob.locator('strong')).toHaveText(/^Chromium on /);
		await expect(a.getByTestId('trusted-devices').locator(`li[data-peer="${bob.id}"]`)).toBeVisible();
		await expect(b.getByTestId('trusted-devices').locator(`li[data-peer="${alice.id}"]`)).toBeVisible();

		// Alice imports a track; Bob browses Alice's library and fetches it.
		await a.goto('/');
		await waitForApp(a);
		await a.getByTestId('file-input').setInputFiles(file);
		await expect(a.getByTestId('track-count')).toHaveText('1 tracks', { timeout: 30_000 });
		await a.goto('/devices');
		await waitForApp(a);
		// Back on the mesh after navigating: the trusted devices reconnect on their own.
		await expect(onBob).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
		await onBob.getByRole('button', { name: 'Browse tracks' }).click();
		const remote = onBob.getByTestId('peer-tracks').locator(`li[data-hash="${hash}"]`);
		await expect(remote).toContainText('Mesh Tone — Peer Artist');
		await remote.getByRole('button', { name: 'Get' }).click();
		await expect(b.getByTestId('transfers').locator(`li[data-hash="${hash}"]`)).toHaveAttribute('data-state', 'done', {
			timeout: 30_000
		});
		expect(await b.getByTestId('mesh-rejected').getAttribute('data-count')).toBe('0');

		// It joined Bob's library under the same content hash, with the sender's tags.
		await b.goto('/');
		await waitForApp(b);
		const row = b.getByTestId('track-table').locator(`[role="row"][data-hash="${hash}"]`);
		await expect(row).toContainText('Mesh Tone');
		await expect(row).toContainText('Peer Artist');

		// Revoking: Bob's next connection is refused by Alice.
		await a.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
		await a
			.getByTestId('trusted-devices')
			.locator(`li[data-peer="${bob.id}"]`)
			.getByRole('button', { name: 'Revoke' })
			.click();
		await expect(a.getByTestId('trusted-devices')).toHaveCount(0);

		await a.reload();
		await waitForApp(a);
		await expect(a.getByTestId('peer-id')).toHaveText(alice.id);
	} finally {
		await alice.close();
		await bob.close();
		rmSync(dir, { recursive: true, force: true });
	}
});
