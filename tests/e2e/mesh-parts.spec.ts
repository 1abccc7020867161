import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goTo, meshDevice, pairDevices, type MeshDevice } from './mesh-devices';

// A track two own devices hold, fetched by a third in parts from both at once (ranges), with one sender
// killed mid-way or one sending corrupted bytes. Real contexts, real PeerJS over the built-in /peerjs.

let dir = '';
let file = '';
let hash = '';
let size = 0;

test.beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'cratemesh-parts-'));
	// ~106 MB: long enough to cut mid-way on loopback, and many ranges.
	file = join(dir, 'long-mix.wav');
	execFileSync('ffmpeg', [
		...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
		...['-i', 'sine=frequency=330:sample_rate=44100:duration=600', '-ac', '2', '-c:a', 'pcm_s16le'],
		...['-metadata', 'title=Long Mix', file]
	]);
	const bytes = readFileSync(file);
	hash = createHash('sha256').update(bytes).digest('hex');
	size = bytes.byteLength;
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A (holder), B (fetches), C (holder): A and C import the track, both pair with B. */
async function threeDevices(browser: import('@playwright/test').Browser): Promise<MeshDevice[]> {
	const devices: MeshDevice[] = [];
	for (const name of ['A', 'B', 'C']) devices.push(await meshDevice(browser, name, { analyse: false }));
	const [a, b, c] = devices as [MeshDevice, MeshDevice, MeshDevice];
	for (const holder of [a, c]) {
		await goTo(holder.page, 'Library');
		await holder.page.getByTestId('file-input').setInputFiles(file);
		await expect(holder.page.getByTestId('track-count')).toHaveText('1 tracks', { timeout: 60_000 });
		await goTo(holder.page, 'Devices');
	}
	await pairDevices(a, b);
	await pairDevices(c, b);
	// B learns of the track by library sync (without its audio).
	await b.page.getByTestId('show-remote').click();
	await expect(b.page.getByTestId('remote-only').locator(`li[data-hash="${hash}"]`)).toBeVisible({ timeout: 30_000 });
	return devices;
}

const storageOf = (page: Page, hash: string) =>
	page.evaluate(
		(hash) =>
			new Promise<string | null>((resolve, reject) => {
				const open = indexedDB.open('cratemesh');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const request = open.result.transaction('tracks').objectStore('tracks').get(hash);
					request.onsuccess = () => {
						resolve(request.result?.storage ?? null);
						open.result.close();
					};
					request.onerror = () => reject(request.error);
				};
			}),
		hash
	);

const getButton = (page: Page) =>
	page.getByTestId('remote-only').locator(`li[data-hash="${hash}"]`).getByRole('button', { name: 'Get' });

test('a track two devices hold comes in parts from both; one killed mid-way, the other finishes it', async ({
	browser
}) => {
	test.setTimeout(360_000);
	const devices = await threeDevices(browser);
	const [a, b, c] = devices as [MeshDevice, MeshDevice, MeshDevice];
	try {
		let killed = '';
		await b.page.exposeFunction('__killSource', async (peerId: string) => {
			const source = devices.find((d) => d.id === peerId)!;
			killed = source.id;
			await source.close();
		});
		// Once both devices have sent bytes and a fifth of the file is here, the one sending now goes away.
		await b.page.evaluate(
			({ hash, size }) => {
				const observer = new MutationObserver(() => {
					const row = document.querySelector(`[data-testid="transfers"] li[data-hash="${hash}"]`);
					const sources = [...(row?.querySelectorAll('li[data-source]') ?? [])];
					const bytes = sources.map((s) => Number(s.getAttribute('data-bytes')));
					if (sources.length === 2 && bytes.every((n) => n > 0) && bytes[0]! + bytes[1]! > size * 0.2) {
						observer.disconnect();
						const sending = sources.find((s) => s.getAttribute('data-state') === 'sending') ?? sources[0]!;
						void (window as unknown as { __killSource: (id: string) => Promise<void> }).__killSource(
							sending.getAttribute('data-source')!
						);
					}
				});
				observer.observe(document.body, { subtree: true, childList: true, attributes: true });
			},
			{ hash, size }
		);
		await getButton(b.page).click();
		const transfer = b.page.getByTestId('transfers').locator(`li[data-hash="${hash}"]`);
		await expect(transfer).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
		expect(killed).not.toBe('');
		const survivor = killed === a.id ? c : a;
		await expect(transfer.locator(`li[data-source="${killed}"]`)).toHaveAttribute('data-state', 'gone');
		await expect(transfer.locator(`li[data-source="${survivor.id}"]`)).toHaveAttribute('data-state', 'idle');
		const sent = await transfer
			.locator('li[data-source]')
			.evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-bytes'))));
		// Both sent parts; together at least the whole file (a part cut mid-way may be sent again).
		expect(sent.every((bytes) => bytes > 0)).toBe(true);
		expect(sent[0]! + sent[1]!).toBeGreaterThanOrEqual(size);
		// Verified (done means the SHA-256 over the joined parts matched) and now held on B.
		expect(await storageOf(b.page, hash)).toBe('opfs');
		await expect(b.page.getByTestId('mesh-rejected')).toHaveAttribute('data-count', '0');
	} finally {
		for (const d of devices) await d.close().catch(() => undefined);
	}
});

test('a device sending corrupted parts is found by the hash, dropped, and the track verifies from the other', async ({
	browser
}) => {
	test.setTimeout(360_000);
	const devices = await threeDevices(browser);
	const [a, b, c] = devices as [MeshDevice, MeshDevice, MeshDevice];
	try {
		// C's copy rots on disk: a few bytes changed in every MiB (same size, same row, wrong bytes).
		await c.page.evaluate(async (hash) => {
			const root = await navigator.storage.getDirectory();
			const handle = await (await root.getDirectoryHandle('audio')).getFileHandle(hash);
			const size = (await handle.getFile()).size;
			const writable = await handle.createWritable({ keepExistingData: true });
			for (let at = 4096; at < size; at += 1024 * 1024)
				await writable.write({ type: 'write', position: at, data: new Uint8Array(16).fill(0x5a) });
			await writable.close();
		}, hash);
		await getButton(b.page).click();
		const transfer = b.page.getByTestId('transfers').locator(`li[data-hash="${hash}"]`);
		await expect(transfer).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
		await expect(transfer.locator(`li[data-source="${c.id}"]`)).toHaveAttribute('data-state', 'dropped');
		await expect(transfer.locator(`li[data-source="${c.id}"]`)).toContainText('bad-data');
		await expect(transfer.locator(`li[data-source="${a.id}"]`)).toHaveAttribute('data-state', 'idle');
		expect(await storageOf(b.page, hash)).toBe('opfs');
		// The bad sender is counted and named.
		expect(Number(await b.page.getByTestId('mesh-rejected').getAttribute('data-count'))).toBeGreaterThan(0);
		// B now holds exactly the original bytes.
		const held = await b.page.evaluate(async (hash) => {
			const root = await navigator.storage.getDirectory();
			const blob = await (await (await root.getDirectoryHandle('audio')).getFileHandle(hash)).getFile();
			const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
			return [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, '0')).join('');
		}, hash);
		expect(held).toBe(hash);
	} finally {
		for (const d of devices) await d.close().catch(() => undefined);
	}
});
