/**
 * Connections and signalling, each on a server of its own so it can be restarted mid-session:
 * the PeerJS server and Supabase Realtime (the one-box endpoint) as transports, a signalling restart,
 * and a peer whose page is frozen (CDP) being dropped by the heartbeat and coming back.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, stopServer } from './app-server';
import { waitForApp } from './helpers';

interface Device {
	page: Page;
	id: string;
	close: () => Promise<void>;
}

async function device(browser: Browser, base: string, transport: 'peerjs' | 'supabase'): Promise<Device> {
	const context = await browser.newContext({ baseURL: base });
	const page = await context.newPage();
	page.on('console', (message) => {
		if (message.text().startsWith('mesh: refused')) console.log(message.text());
	});
	await page.goto('/devices');
	await waitForApp(page);
	const status = page.getByTestId('signalling-status');
	await expect(status).toHaveAttribute('data-status', 'online', { timeout: 30_000 });
	await expect(status).toHaveAttribute('data-transport', transport);
	const id = (await page.getByTestId('peer-id').textContent())!.trim();
	return { page, id, close: () => context.close() };
}

const link = (on: Device, other: Device) =>
	on.page.getByTestId('connected-devices').locator('li', { hasText: other.id });

async function pair(host: Device, joiner: Device): Promise<void> {
	await host.page.getByTestId('show-code').click();
	const code = (await host.page.getByTestId('pairing-code').textContent())!.trim();
	await joiner.page.getByTestId('pair-id').fill(host.id);
	await joiner.page.getByTestId('pair-code').fill(code);
	await joiner.page.getByRole('button', { name: 'Pair', exact: true }).click();
	await expect(link(joiner, host)).toHaveAttribute('data-ready', 'true', { timeout: 45_000 });
	await expect(link(host, joiner)).toHaveAttribute('data-ready', 'true', { timeout: 45_000 });
	// Each lists the other with the fingerprint the other shows for itself.
	const fingerprintOf = async (d: Device) => (await d.page.getByTestId('own-fingerprint').textContent())!.trim();
	await expect(
		host.page.getByTestId('trusted-devices').locator(`li[data-peer="${joiner.id}"]`).getByTestId('trusted-fingerprint')
	).toHaveText(`Key ${await fingerprintOf(joiner)}`);
	await expect(
		joiner.page.getByTestId('trusted-devices').locator(`li[data-peer="${host.id}"]`).getByTestId('trusted-fingerprint')
	).toHaveText(`Key ${await fingerprintOf(host)}`);
}

const status = (d: Device) => d.page.getByTestId('signalling-status');

test('PeerJS server restarted mid-session: sessions carry on, signalling comes back, a reload reconnects; a frozen (paused) peer is dropped by heartbeat and comes back', async ({
	browser
}) => {
	test.setTimeout(300_000);
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	let server = await startServer(port);
	const devices: Device[] = [];
	try {
		const alice = await device(browser, base, 'peerjs');
		const bob = await device(browser, base, 'peerjs');
		devices.push(alice, bob);
		await pair(alice, bob);

		await stopServer(server.child);
		await expect(status(alice)).toHaveAttribute('data-status', /offline|connecting/, { timeout: 20_000 });
		await expect(status(bob)).toHaveAttribute('data-status', /offline|connecting/, { timeout: 20_000 });
		// The DataChannel does not go through the server: the paired session stays up (heartbeats pass).
		await alice.page.waitForTimeout(6000);
		await expect(link(alice, bob)).toHaveAttribute('data-ready', 'true');
		await expect(link(bob, alice)).toHaveAttribute('data-ready', 'true');

		server = await startServer(port);
		await expect(status(alice)).toHaveAttribute('data-status', 'online', { timeout: 45_000 });
		await expect(status(bob)).toHaveAttribute('data-status', 'online', { timeout: 45_000 });

		// A new connection through the restarted server: Bob reloads and dials Alice again.
		await bob.page.reload();
		await waitForApp(bob.page);
		await expect(status(bob)).toHaveAttribute('data-status', 'online', { timeout: 30_000 });
		await expect(link(bob, alice)).toHaveAttribute('data-ready', 'true', { timeout: 45_000 });
		await expect(link(alice, bob)).toHaveAttribute('data-ready', 'true', { timeout: 45_000 });

		// Bob's page freezes: no JavaScript runs, yet the channel stays open at the network level (no close
		// event). Alice's heartbeat (ping every 4 s, drop after 15 s of silence) must notice. CDP
		// `Page.setWebLifecycleState` 'frozen' is ignored for a visible page in headless Chromium (measured:
		// timers kept running), so the page's JavaScript is paused in the debugger instead — the same for
		// the mesh: nothing on that page handles a frame or a timer.
		// The drop is watched for as it happens: Alice redials a trusted device about 2 s after dropping it,
		// so its entry comes back (not ready) and a later look could miss that it ever went. The observer
		// records when Bob's entry leaves the list and what the notice said at that moment.
		await alice.page.evaluate((bobId) => {
			const w = window as unknown as { __drop?: { at: number; reason: string; peer: string } };
			const listed = () =>
				[...document.querySelectorAll('[data-testid="connected-devices"] li')].some((li) =>
					li.textContent?.includes(bobId)
				);
			const observer = new MutationObserver(() => {
				if (listed()) return;
				const notice = document.querySelector('[data-testid="mesh-notice"]');
				w.__drop = {
					at: Date.now(),
					reason: notice?.getAttribute('data-reason') ?? '',
					peer: notice?.getAttribute('data-peer') ?? ''
				};
				observer.disconnect();
			});
			observer.observe(document.body, { subtree: true, childList: true, attributes: true });
		}, bob.id);
		const cdp = await bob.page.context().newCDPSession(bob.page);
		await cdp.send('Debugger.enable');
		await cdp.send('Debugger.pause');
		const frozenAt = Date.now();
		// Bounded: the timeout plus one heartbeat interval (19 s), with room for a loaded machine.
		const dropped = await alice.page.waitForFunction(() => (window as unknown as { __drop?: object }).__drop, null, {
			timeout: 40_000
		});
		const drop = (await dropped.jsonValue()) as { at: number; reason: string; peer: string };
		console.log(`frozen peer dropped after ${drop.at - frozenAt} ms`);
		expect(drop).toMatchObject({ reason: 'timeout', peer: bob.id });
		// Until Bob answers again, Alice's entry for him (if redialled) is not ready.
		await expect(link(alice, bob).and(alice.page.locator('[data-ready="true"]'))).toHaveCount(0);

		await cdp.send('Debugger.resume');
		await cdp.send('Debugger.disable');
		await expect(link(alice, bob)).toHaveAttribute('data-ready', 'true', { timeout: 90_000 });
		await expect(link(bob, alice)).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
	} finally {
		for (const d of devices) await d.close();
		await stopServer(server.child);
	}
});

test('over Supabase Realtime (the one-box endpoint): pair, then reconnect after the server restarts', async ({
	browser
}) => {
	test.setTimeout(300_000);
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	const dataDir = mkdtempSync(join(tmpdir(), 'cratemesh-realtime-'));
	const env = {
		ONEBOX: '1',
		CRATEMESH_DATA_DIR: dataDir,
		CRATEMESH_OWNER_EMAIL: 'owner@onebox.test',
		CRATEMESH_OWNER_PASSWORD: 'owner-password-e2e',
		MESH_SIGNALLING: 'supabase'
	};
	let server = await startServer(port, env);
	const devices: Device[] = [];
	try {
		const alice = await device(browser, base, 'supabase');
		const bob = await device(browser, base, 'supabase');
		devices.push(alice, bob);
		await pair(alice, bob);
		// Nobody used the PeerJS server: signalling went over Realtime.
		expect((await (await fetch(`${base}/healthz`)).json()).peersOnline).toBe(0);

		await stopServer(server.child);
		await expect(status(alice)).toHaveAttribute('data-status', /offline|connecting/, { timeout: 40_000 });
		server = await startServer(port, env);
		await expect(status(alice)).toHaveAttribute('data-status', 'online', { timeout: 60_000 });
		await expect(status(bob)).toHaveAttribute('data-status', 'online', { timeout: 60_000 });
		await expect(link(alice, bob)).toHaveAttribute('data-ready', 'true');

		await bob.page.reload();
		await waitForApp(bob.page);
		await expect(status(bob)).toHaveAttribute('data-status', 'online', { timeout: 30_000 });
		await expect(link(bob, alice)).toHaveAttribute('data-ready', 'true', { timeout: 45_000 });
		await expect(link(alice, bob)).toHaveAttribute('data-ready', 'true', { timeout: 45_000 });
		expect(await alice.page.getByTestId('mesh-rejected').getAttribute('data-count')).toBe('0');
	} finally {
		for (const d of devices) await d.close();
		await stopServer(server.child);
		rmSync(dataDir, { recursive: true, force: true });
	}
});
