/**
 * Store players share scheduled files over the mesh (issue 8) against the real one-box server: two players
 * of one shop, paired; the second fetches what the first already holds from it (verified by the download
 * worker), what the first does not hold from the server, and when the first goes away mid-file the same
 * download continues from the server at that byte. Bytes from peers are shown and logged.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { expect, test, type Page } from '@playwright/test';
import { tone } from '../fixtures/audio.js';
import { freePort, startOneBox } from './app-server';
import { storedDigest } from './helpers';
import { goTo, meshDevice, pairDevices, type MeshDevice } from './mesh-devices';

let box: Awaited<ReturnType<typeof startOneBox>>;
let base: string;
let audioDir: string;
let owner: SupabaseClient;
let tenantId: string;
const DAY = 86_400_000;

class NoWebSocket {
	constructor() {
		throw new Error('Realtime is not used in this test');
	}
}

test.beforeAll(async () => {
	audioDir = mkdtempSync(join(tmpdir(), 'cratemesh-store-mesh-'));
	const port = await freePort();
	box = await startOneBox(port, { CRATEMESH_TENANT_NAME: 'Loja Mesh' });
	base = `http://127.0.0.1:${port}`;
	const config = (await (await fetch(`${base}/config.json`)).json()) as { supabaseAnonKey: string };
	owner = createClient(base, config.supabaseAnonKey, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: NoWebSocket as never }
	});
	expect((await owner.auth.signInWithPassword(box.owner)).error).toBeNull();
	const { data } = await owner.from('memberships').select('tenant_id').eq('role', 'owner');
	tenantId = data![0]!.tenant_id as string;
});

test.afterAll(async () => {
	await box?.stop();
	rmSync(audioDir, { recursive: true, force: true });
});

interface Asset {
	id: string;
	sha: string;
	size: number;
	title: string;
}

async function seedAsset(name: string, freq: number, ext: 'mp3' | 'wav', seconds: number): Promise<Asset> {
	const title = `Tone ${name}`;
	const path = tone(audioDir, {
		name: `${name}.${ext}`,
		title,
		artist: 'Mesh',
		album: 'E2E',
		genre: 'Test',
		ext,
		seconds,
		freq
	});
	const bytes = readFileSync(path);
	const sha = createHash('sha256').update(bytes).digest('hex');
	const mime = ext === 'mp3' ? 'audio/mpeg' : 'audio/wav';
	const upload = await owner.storage.from('media').upload(`${tenantId}/${sha}`, bytes, { contentType: mime });
	expect(upload.error).toBeNull();
	const { data, error } = await owner
		.from('media_assets')
		.insert({
			tenant_id: tenantId,
			sha256: sha,
			size_bytes: bytes.length,
			mime,
			title,
			artist: 'Mesh',
			duration_ms: seconds * 1000,
			valid_from: new Date(Date.now() - DAY).toISOString(),
			valid_until: new Date(Date.now() + 30 * DAY).toISOString()
		})
		.select('id')
		.single();
	expect(error).toBeNull();
	return { id: data!.id as string, sha, size: bytes.length, title };
}

async function playlistOf(name: string, assets: Asset[]): Promise<string> {
	const { data } = await owner.from('playlists').insert({ tenant_id: tenantId, name }).select('id').single();
	const items = assets.map((asset, position) => ({
		tenant_id: tenantId,
		playlist_id: data!.id,
		asset_id: asset.id,
		position
	}));
	expect((await owner.from('playlist_items').insert(items)).error).toBeNull();
	return data!.id as string;
}

async function enrol(
	name: string,
	playlists: string[]
): Promise<{ device_id: string; email: string; password: string }> {
	const { data: session } = await owner.auth.getSession();
	const response = await fetch(`${base}/onebox/v1/players`, {
		method: 'POST',
		headers: { authorization: `Bearer ${session.session!.access_token}`, 'content-type': 'application/json' },
		body: JSON.stringify({ tenant_id: tenantId, name })
	});
	expect(response.status).toBe(201);
	const player = (await response.json()) as { device_id: string; email: string; password: string };
	for (const playlist of playlists) {
		const schedule = await owner.from('schedules').insert({
			tenant_id: tenantId,
			playlist_id: playlist,
			device_id: player.device_id,
			name: 'All day',
			days_of_week: [1, 2, 3, 4, 5, 6, 7],
			start_time: '00:00',
			end_time: '24:00',
			time_zone: 'UTC'
		});
		expect(schedule.error).toBeNull();
	}
	return player;
}

/** Player mode (reached in-app, so the mesh stays connected), signed in with the enrolment credentials. */
async function signIn(page: Page, player: { email: string; password: string }): Promise<void> {
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Player mode' }).click();
	const status = page.getByTestId('sync-status');
	await expect(status).toHaveAttribute('data-status', 'signed-out', { timeout: 30_000 });
	await page.getByTestId('sync-email').fill(player.email);
	await page.getByTestId('sync-password').fill(player.password);
	await status.getByRole('button', { name: 'Sign in and sync' }).click();
}

/** The newest sync log entry the player keeps (settings row `sync.history`). */
function latestLog(page: Page): Promise<{ peerBytes?: number; serverBytes?: number } | null> {
	return page.evaluate(
		() =>
			new Promise((resolve, reject) => {
				const open = indexedDB.open('cratemesh');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const request = open.result.transaction('settings').objectStore('settings').get('sync.history');
					request.onsuccess = () => {
						resolve((request.result?.value as { peerBytes?: number }[] | undefined)?.[0] ?? null);
						open.result.close();
					};
					request.onerror = () => reject(request.error);
				};
			})
	);
}

test('a store player gets scheduled files from a paired player first, the rest and a broken-off file from the server', async ({
	browser
}) => {
	test.setTimeout(420_000);
	const small = await seedAsset('small', 440, 'mp3', 4);
	// ~53 MB: long enough to cut the first player off mid-file.
	const big = await seedAsset('big', 494, 'wav', 300);
	const onlyTwo = await seedAsset('only-two', 523, 'mp3', 4);
	const shared = await playlistOf('Shared', [small, big]);
	const second = await playlistOf('Second only', [onlyTwo]);
	const one = await enrol('Caixa 1', [shared]);
	const two = await enrol('Caixa 2', [shared, second]);

	const devices: MeshDevice[] = [];
	try {
		const p1 = await meshDevice(browser, 'P1', { analyse: false, baseURL: base });
		devices.push(p1);
		// The first player downloads its schedule from the server (no peers yet).
		await signIn(p1.page, one);
		await expect(p1.page.getByTestId('sync-storage')).toHaveAttribute('data-files', '2', { timeout: 120_000 });
		await expect(p1.page.getByTestId('sync-file-bytes')).toHaveAttribute('data-peers', '0');

		// The second player of the shop is paired with it (the mesh stays up in Player mode).
		const p2 = await meshDevice(browser, 'P2', { analyse: false, baseURL: base });
		devices.push(p2);
		await goTo(p1.page, 'Devices');
		await pairDevices(p1, p2);

		// P1 goes away once P2 has a fifth of the big file from it: the rest must come from the server.
		let killed = false;
		await p2.page.exposeFunction('__killFirstPlayer', async () => {
			killed = true;
			await p1.close();
		});
		await p2.page.evaluate((title) => {
			const observer = new MutationObserver(() => {
				const row = [...document.querySelectorAll('[data-testid="sync-active"] li')].find((li) =>
					li.textContent?.includes(title)
				);
				const bar = row?.querySelector('progress');
				if (bar && bar.value > bar.max * 0.2) {
					observer.disconnect();
					void (window as unknown as { __killFirstPlayer: () => Promise<void> }).__killFirstPlayer();
				}
			});
			observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
		}, big.title);
		await signIn(p2.page, two);
		await expect(p2.page.getByTestId('sync-storage')).toHaveAttribute('data-files', '3', { timeout: 240_000 });
		expect(killed).toBe(true);

		// Everything verified in P2's store.
		for (const asset of [small, big, onlyTwo]) expect(await storedDigest(p2.page, asset.sha)).toBe(asset.sha);
		// From P1: the small file and at least a fifth of the big one; from the server: the file P1 does not
		// have and the rest of the big one.
		const shown = p2.page.getByTestId('sync-file-bytes');
		await expect(shown).toBeVisible();
		const peers = Number(await shown.getAttribute('data-peers'));
		const server = Number(await shown.getAttribute('data-server'));
		expect(peers).toBeGreaterThanOrEqual(small.size + big.size * 0.2);
		expect(server).toBeGreaterThanOrEqual(onlyTwo.size);
		expect(server).toBeGreaterThan(big.size * 0.05);
		expect(peers + server).toBeGreaterThanOrEqual(small.size + big.size + onlyTwo.size);
		await expect(shown).toContainText('from other players');
		// The sync log entry says the same.
		await expect.poll(() => latestLog(p2.page)).toMatchObject({ peerBytes: peers, serverBytes: server });
		// The server's log has all three downloads for P2.
		await expect
			.poll(
				async () => {
					const { data } = await owner.from('sync_logs').select('downloaded').eq('device_id', two.device_id);
					return [...new Set((data ?? []).flatMap((r) => r.downloaded as string[]))].sort();
				},
				{ timeout: 30_000 }
			)
			.toEqual([small.sha, big.sha, onlyTwo.sha].sort());
		// The server learnt where the bytes came from: per report, and as the device's running totals the
		// director sees.
		await expect
			.poll(
				async () => {
					const { data } = await owner
						.from('sync_logs')
						.select('peer_bytes, server_bytes')
						.eq('device_id', two.device_id);
					const sum = (key: 'peer_bytes' | 'server_bytes') =>
						(data ?? []).reduce((total, row) => total + Number(row[key] ?? 0), 0);
					return { peers: sum('peer_bytes'), server: sum('server_bytes') };
				},
				{ timeout: 30_000 }
			)
			.toEqual({ peers, server });
		const { data: device } = await owner
			.from('devices')
			.select('peer_bytes_total, server_bytes_total')
			.eq('id', two.device_id)
			.single();
		expect(device).toEqual({ peer_bytes_total: peers, server_bytes_total: server });
	} finally {
		for (const d of devices) await d.close().catch(() => undefined);
	}
});
