import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { freePort, startOneBox } from './app-server';
import { waitForApp } from './helpers';
import { goTo, meshDevice, pairDevices } from './mesh-devices';

// Encrypted backups that leave the device: to the signed-in user's folder on the one-box server (the same
// Storage API and policies as Supabase) and to one of the user's own paired devices; restored on a fresh
// profile after listing what each place holds.

const PASS = 'correct horse battery';
let root: string;
test.beforeAll(() => {
	root = mkdtempSync(join(tmpdir(), 'cratemesh-backups-'));
	const dir = join(root, 'Music');
	mkdirSync(dir, { recursive: true });
	const spec = { album: 'Backups', genre: 'House', seconds: 4 };
	tone(dir, { ...spec, name: 'one.mp3', ext: 'mp3', title: 'Backup One', artist: 'Ana', freq: 330 });
	tone(dir, { ...spec, name: 'two.flac', ext: 'flac', title: 'Backup Two', artist: 'Bia', freq: 440 });
});
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

const trackCount = (page: Page) => page.getByTestId('track-count');

async function importAndRate(page: Page) {
	await page.getByTestId('folder-input').setInputFiles(join(root, 'Music'));
	await expect(page.getByTestId('import-summary')).toContainText('Added 2 files', { timeout: 30_000 });
	await expect(trackCount(page)).toHaveText('2 tracks');
}

async function signIn(page: Page, base: string, email: string, password: string) {
	await page.goto(`${base}/account`);
	await waitForApp(page);
	await page.getByTestId('account-email').fill(email);
	await page.getByTestId('account-password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: `Signed in as ${email}` })).toBeVisible();
}

test.describe('cloud', () => {
	let box: Awaited<ReturnType<typeof startOneBox>>;
	let base: string;
	test.beforeAll(async () => {
		const port = await freePort();
		box = await startOneBox(port);
		base = `http://127.0.0.1:${port}`;
	});
	test.afterAll(() => box?.stop());

	test('backs up to the account, lists it on a fresh profile, refuses a wrong passphrase and a tampered copy, restores', async ({
		page,
		browser
	}) => {
		test.setTimeout(180_000);
		await signIn(page, base, box.owner.email, box.owner.password);
		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
		await importAndRate(page);
		await page.getByTestId('interop-open').click();
		await page.getByTestId('backup-target').selectOption('cloud');
		// Remote backups must be encrypted with a real passphrase.
		await page.getByTestId('backup-passphrase').fill('short');
		await page.getByTestId('backup-create').click();
		await expect(page.getByTestId('backup-error')).toContainText('at least 8 characters');
		await page.getByTestId('backup-passphrase').fill(PASS);
		await page.getByTestId('backup-create').click();
		await expect(page.getByTestId('backup-written')).toContainText('Saved to your account: 2 tracks', {
			timeout: 30_000
		});

		// What the server holds: opaque bytes, no title or field name in clear.
		const stored = await page.evaluate(async () => {
			const session = JSON.parse(localStorage.getItem('cratemesh-auth')!);
			const auth = { authorization: `Bearer ${session.access_token}`, 'content-type': 'application/json' };
			const list = await (
				await fetch('/storage/v1/object/list/backups', {
					method: 'POST',
					headers: auth,
					body: JSON.stringify({ prefix: session.user.id })
				})
			).json();
			const path = `${session.user.id}/${list[0].name}`;
			const bytes = new Uint8Array(
				await (await fetch(`/storage/v1/object/authenticated/backups/${path}`, { headers: auth })).arrayBuffer()
			);
			const text = new TextDecoder('latin1').decode(bytes);
			// A copy with one byte of the encrypted payload changed, uploaded as another backup of this user.
			const tampered = bytes.slice();
			const at = Math.floor(bytes.length / 2);
			tampered[at] = tampered[at]! ^ 0x01;
			const name = `${session.user.id}/20200101T000000Z-0badc0de.cmbk`;
			const up = await fetch(`/storage/v1/object/backups/${name}`, {
				method: 'POST',
				headers: { authorization: auth.authorization, 'content-type': 'application/octet-stream' },
				body: tampered
			});
			return {
				count: list.length,
				clear: ['Backup One', 'Ana', '"tracks"'].some((s) => text.includes(s)),
				sealed: text.includes('metadata.enc.json'),
				tamperedUpload: up.status
			};
		});
		expect(stored).toEqual({ count: 1, clear: false, sealed: true, tamperedUpload: 200 });

		// A new device: empty library, same account.
		const other = await browser.newContext();
		const fresh = await other.newPage();
		await signIn(fresh, base, box.owner.email, box.owner.password);
		await fresh.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
		await fresh.getByTestId('interop-open').click();
		await fresh.getByTestId('backup-places-refresh').click();
		const places = fresh.getByTestId('backup-places').locator('li');
		await expect(places).toHaveCount(2);
		await expect(places.first()).toContainText('Account');

		// Wrong passphrase: a clear error, nothing changed.
		await places.first().getByTestId('backup-place').check();
		await fresh.getByTestId('restore-passphrase').fill('not the passphrase');
		await fresh.getByTestId('restore-read').click();
		await expect(fresh.getByTestId('backup-error')).toContainText('Wrong passphrase', { timeout: 30_000 });
		await expect(fresh.getByTestId('restore-preview')).toHaveCount(0);

		// The tampered copy (the older one, listed last): refused even with the right passphrase.
		await places.last().getByTestId('backup-place').check();
		await fresh.getByTestId('restore-passphrase').fill(PASS);
		await fresh.getByTestId('restore-read').click();
		await expect(fresh.getByTestId('backup-error')).toContainText(/damaged|altered/, { timeout: 30_000 });
		await expect(fresh.getByTestId('restore-preview')).toHaveCount(0);

		// The real one: preview, then apply.
		await places.first().getByTestId('backup-place').check();
		await fresh.getByTestId('restore-read').click();
		await expect(fresh.getByTestId('restore-preview')).toContainText('2 tracks — 2 new, 0 to update, 0 unchanged', {
			timeout: 30_000
		});
		await fresh.getByTestId('interop-dialog').getByRole('button', { name: 'Close' }).first().click();
		await expect(trackCount(fresh)).toHaveText('0 tracks');
		await fresh.getByTestId('interop-open').click();
		await fresh.getByTestId('restore-apply').click();
		await expect(fresh.getByTestId('restore-done')).toContainText('Restored: 2 tracks added or updated');
		await fresh.getByTestId('interop-dialog').getByRole('button', { name: 'Close' }).first().click();
		await expect(trackCount(fresh)).toHaveText('2 tracks');
		await expect(fresh.getByTestId('track-table')).toContainText('Backup One');
		await other.close();
	});
});

test.describe('paired device', () => {
	test('an own device keeps the encrypted backup it cannot read and returns it to a new device; a collaborator gets nothing', async ({
		browser
	}) => {
		test.setTimeout(240_000);
		const laptop = await meshDevice(browser, 'Laptop');
		const holder = await meshDevice(browser, 'Holder');
		// Library sync off on the new device, so what it gets is the restore, not a sync.
		const fresh = await meshDevice(browser, 'Fresh');
		await fresh.page.getByTestId('sync-switch').uncheck();
		await pairDevices(holder, laptop);

		await goTo(laptop.page, 'Library');
		await importAndRate(laptop.page);
		await laptop.page.getByTestId('interop-open').click();
		await laptop.page.getByTestId('backup-target').selectOption(`device:${holder.id}`);
		await laptop.page.getByTestId('backup-passphrase').fill(PASS);
		await laptop.page.getByTestId('backup-create').click();
		await expect(laptop.page.getByTestId('backup-written')).toContainText('Kept by', { timeout: 30_000 });

		// The holder has the bytes and no way to read them: no passphrase, only the encrypted zip.
		const held = await holder.page.evaluate(async () => {
			const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('peer-backups');
			const files: { name: string; clear: boolean; sealed: boolean }[] = [];
			for await (const [name, handle] of (
				dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }
			).entries()) {
				const text = new TextDecoder('latin1').decode(await (await handle.getFile()).arrayBuffer());
				files.push({ name, clear: text.includes('Backup One'), sealed: text.includes('metadata.enc.json') });
			}
			return files;
		});
		expect(held).toHaveLength(1);
		expect(held[0]).toMatchObject({ clear: false, sealed: true });

		// A new device of the same user pairs with the holder, lists and restores.
		await pairDevices(holder, fresh);
		await goTo(fresh.page, 'Library');
		await fresh.page.getByTestId('interop-open').click();
		await fresh.page.getByTestId('backup-places-refresh').click();
		const places = fresh.page.getByTestId('backup-places').locator('li');
		await expect(places).toHaveCount(1, { timeout: 20_000 });
		await expect(places.first()).toContainText('On ');
		await places.first().getByTestId('backup-place').check();
		await fresh.page.getByTestId('restore-passphrase').fill('wrong passphrase');
		await fresh.page.getByTestId('restore-read').click();
		await expect(fresh.page.getByTestId('backup-error')).toContainText('Wrong passphrase', { timeout: 30_000 });
		await fresh.page.getByTestId('restore-passphrase').fill(PASS);
		await fresh.page.getByTestId('restore-read').click();
		await expect(fresh.page.getByTestId('restore-preview')).toContainText('2 new', { timeout: 30_000 });
		await fresh.page.getByTestId('restore-apply').click();
		await expect(fresh.page.getByTestId('restore-done')).toContainText('Restored: 2 tracks');

		// The holder now treats the new device as a collaborator: it lists nothing to it.
		await holder.page
			.getByTestId('trusted-devices')
			.locator('li', { hasText: fresh.id })
			.getByRole('combobox')
			.selectOption('collaborator');
		await fresh.page.getByTestId('backup-places-refresh').click();
		await expect(fresh.page.getByTestId('backup-places')).toContainText('No backups found', { timeout: 20_000 });
		for (const d of [laptop, holder, fresh]) await d.close();
	});
});
