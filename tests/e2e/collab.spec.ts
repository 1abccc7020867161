import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

/**
 * Collaborative playlists between three people (three browser contexts, separate profiles) over the
 * built-in /peerjs server, plus a fourth collaborator who is not in the share.
 */

interface Person {
	page: Page;
	id: string;
	name: string;
}

interface Hooks {
	__cratemeshCollab: {
		collab: { refused: number; shares: { id: string }[] };
		mesh: {
			rejected: number;
			fetch(peerId: string, hash: string): void;
			transfers: { list: { state: string; reason: string }[] };
		};
		send(peerId: string, message: Record<string, unknown>): boolean;
	};
}

async function person(browser: Browser, name: string): Promise<Person> {
	const context = await browser.newContext();
	// Installs the e2e hook (crafted frames); the app never sets this.
	await context.addInitScript(() => localStorage.setItem('cratemesh:test-hooks', '1'));
	const page = await context.newPage();
	page.on('console', (message) => {
		if (message.text().startsWith('mesh: refused')) console.log(`${name}: ${message.text()}`);
	});
	await page.goto('/devices');
	await waitForApp(page);
	await expect(page.getByTestId('signalling-status')).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
	const id = (await page.getByTestId('peer-id').textContent())!.trim();
	return { page, id, name };
}

/** In-app navigation keeps the mesh connected (a page load restarts it). */
const go = (page: Page, link: 'Library' | 'Devices') =>
	page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();

async function ready(on: Person, other: Person) {
	await go(on.page, 'Devices');
	await expect(on.page.getByTestId('connected-devices').locator('li', { hasText: other.id })).toHaveAttribute(
		'data-ready',
		'true',
		{ timeout: 45_000 }
	);
}

/** The host invites a collaborator: a code shown for a collaborator, entered with "as a collaborator". */
async function invite(host: Person, guest: Person): Promise<void> {
	await go(host.page, 'Devices');
	await go(guest.page, 'Devices');
	await host.page.getByTestId('show-invite').click();
	await expect(host.page.getByTestId('pairing-code')).toHaveAttribute('data-trust', 'collaborator');
	const code = (await host.page.getByTestId('pairing-code').textContent())!.trim();
	await guest.page.getByTestId('pair-id').fill(host.id);
	await guest.page.getByTestId('pair-code').fill(code);
	await guest.page.getByTestId('pair-as-collaborator').check();
	await guest.page.getByRole('button', { name: 'Pair', exact: true }).click();
	await ready(guest, host);
	await ready(host, guest);
	for (const [on, other] of [
		[host, guest],
		[guest, host]
	] as const)
		await expect(on.page.getByTestId('trusted-devices').locator(`li[data-peer="${other.id}"] select`)).toHaveValue(
			'collaborator'
		);
}

async function importFolder(p: Person, dir: string, count: number) {
	await go(p.page, 'Library');
	await p.page.getByTestId('folder-input').setInputFiles(dir);
	await expect(p.page.getByTestId('import-summary')).toContainText(`Added ${count} file`, { timeout: 60_000 });
}

const rows = (page: Page) => page.getByTestId('track-table').locator('[role="row"][data-hash]');
const entries = (page: Page) => page.getByTestId('shared-entries').locator(':scope > li');
const entry = (page: Page, title: string) => entries(page).filter({ has: page.locator('.title', { hasText: title }) });
const titles = async (page: Page) =>
	(await entries(page).locator('.title').allTextContents()).map((text) => text.trim());
const notes = (page: Page) =>
	entries(page).evaluateAll((items) =>
		items.map((item) => item.querySelector('[data-testid="entry-note"]')?.textContent?.trim() ?? '')
	);

async function openShared(p: Person, name: string) {
	await go(p.page, 'Library');
	await p.page.getByTestId(`shared-${name}`).click({ timeout: 30_000 });
	await expect(p.page.getByTestId('shared-view')).toBeVisible();
}

async function setOnline(p: Person, on: boolean) {
	const toggle = p.page.getByTestId('collab-switch');
	if (on) await toggle.check();
	else await toggle.uncheck();
}

let root: string;
const folders: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
test.beforeAll(() => {
	root = mkdtempSync(join(tmpdir(), 'cratemesh-collab-'));
	for (const key of ['a', 'b', 'c'] as const) mkdirSync((folders[key] = join(root, key)));
	const make = (dir: string, title: string, ext: 'mp3' | 'wav', freq: number) =>
		tone(dir, {
			name: `${title}.${ext}`,
			ext,
			title,
			artist: 'The Crew',
			album: 'Friday',
			genre: 'House',
			bpm: 124,
			key: 'Am',
			seconds: 3,
			freq
		});
	['Alpha', 'Bravo', 'Charlie', 'Delta'].forEach((title, i) => make(folders.a, title, 'mp3', 300 + i * 50));
	// B owns another file of Bravo (different bytes, same tags and length): matched by tags, not by hash.
	make(folders.b, 'Bravo', 'wav', 350);
	make(folders.c, 'Echo', 'mp3', 600);
});
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

test('three collaborators edit a shared playlist offline, reconnect and converge; files, matches, outsiders and bad frames', async ({
	browser
}) => {
	test.setTimeout(420_000);
	const a = await person(browser, 'A');
	const b = await person(browser, 'B');
	const c = await person(browser, 'C');
	const d = await person(browser, 'D');
	const everyone = [a, b, c];

	await invite(a, b);
	await invite(a, c);
	await invite(a, d);

	// A's playlist of four, shared with B and C (D is a collaborator of A's too, but not in this share).
	await importFolder(a, folders.a, 4);
	await importFolder(b, folders.b, 1);
	await importFolder(c, folders.c, 1);
	await a.page.getByTestId('new-playlist').click();
	await a.page.getByTestId('playlist-name').fill('Friday');
	await a.page.getByTestId('playlist-name').press('Enter');
	await a.page.getByRole('button', { name: 'All tracks' }).click();
	for (const title of ['Alpha', 'Bravo', 'Charlie', 'Delta']) {
		await rows(a.page).filter({ hasText: title }).click({ button: 'right' });
		await a.page.getByTestId('context-menu').getByRole('menuitem', { name: '♪ Friday' }).click();
	}
	await a.page.getByTestId('playlist-Friday').click();
	await a.page.getByTestId('share-playlist').click();
	const dialog = a.page.getByTestId('share-dialog');
	await expect(dialog.getByTestId('share-member')).toHaveCount(3);
	await dialog.locator(`input[value="${b.id}"]`).check();
	await dialog.locator(`input[value="${c.id}"]`).check();
	await expect(dialog.getByTestId('share-allow-files')).toBeChecked();
	await dialog.getByTestId('share-submit').click();
	await expect(a.page.getByTestId('shared-view')).toBeVisible();
	const shareId = (await a.page.getByTestId('shared-view').getAttribute('data-share'))!;
	await expect.poll(() => titles(a.page)).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta']);
	await expect(entries(a.page).first()).toHaveAttribute('data-status', 'here');

	// The invitation reaches B and C with the entries (and the sharer's BPM, key, cues…), their files missing.
	for (const p of [b, c]) {
		await openShared(p, 'Friday');
		await expect.poll(() => titles(p.page), { timeout: 30_000 }).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta']);
		await expect(entry(p.page, 'Alpha')).toHaveAttribute('data-status', 'missing');
		await expect(entry(p.page, 'Alpha')).toContainText('124.0 BPM');
		await expect(p.page.getByTestId('share-members').locator('li')).toHaveCount(3);
	}
	const hashOf = async (title: string) => (await entry(a.page, title).getAttribute('data-hash'))!;

	// Apart: all three work offline and edit the same playlist at the same time.
	for (const p of everyone) await setOnline(p, false);
	// A (keyboard): Delta to the top with Alt+↑.
	await entry(a.page, 'Delta').focus();
	for (let i = 0; i < 3; i++) {
		await a.page.keyboard.press('Alt+ArrowUp');
		await expect(entry(a.page, 'Delta')).toBeFocused();
	}
	await expect.poll(() => titles(a.page)).toEqual(['Delta', 'Alpha', 'Bravo', 'Charlie']);
	// B: removes Charlie, annotates Alpha.
	await entry(b.page, 'Charlie').getByTestId('remove-entry').click();
	await entry(b.page, 'Alpha').getByTestId('edit-note').click();
	await b.page.getByTestId('note-input').fill('Open with this, <b>loud</b>');
	await b.page.getByTestId('note-input').press('Enter');
	await expect(entry(b.page, 'Alpha').getByTestId('entry-note')).toContainText('Open with this, <b>loud</b>');
	// C: adds its own track Echo (context menu) and moves Alpha down one.
	await c.page.getByRole('button', { name: 'All tracks' }).click();
	await rows(c.page).filter({ hasText: 'Echo' }).click({ button: 'right' });
	await c.page.getByTestId('context-menu').getByRole('menuitem', { name: '⇄ Friday' }).click();
	await c.page.getByTestId('shared-Friday').click();
	await entry(c.page, 'Alpha').getByTestId('move-down').click();
	await expect.poll(() => titles(c.page)).toEqual(['Bravo', 'Alpha', 'Charlie', 'Delta', 'Echo']);
	// Still apart: nobody saw anybody's edits.
	expect(await titles(a.page)).toEqual(['Delta', 'Alpha', 'Bravo', 'Charlie']);
	expect(await titles(b.page)).toEqual(['Alpha', 'Bravo', 'Delta']);

	// B's browser restarts while offline: its edits were stored (y-indexeddb) and it stays offline.
	await b.page.reload();
	await waitForApp(b.page);
	await openShared(b, 'Friday');
	await expect.poll(() => titles(b.page)).toEqual(['Alpha', 'Bravo', 'Delta']);
	await expect(b.page.getByTestId('collab-switch')).not.toBeChecked();
	await ready(b, a);

	// Back together: everyone ends with the same order and nobody's work is lost.
	for (const p of everyone) {
		await openShared(p, 'Friday');
		await setOnline(p, true);
	}
	let agreed: string[] = [];
	await expect
		.poll(
			async () => {
				const lists = await Promise.all(everyone.map((p) => titles(p.page)));
				agreed = lists[0]!;
				return lists.every((list) => JSON.stringify(list) === JSON.stringify(agreed));
			},
			{ timeout: 60_000, intervals: [500, 1000, 2000] }
		)
		.toBe(true);
	expect([...agreed].sort()).toEqual(['Alpha', 'Bravo', 'Delta', 'Echo']);
	expect(agreed[0]).toBe('Delta');
	expect(agreed.indexOf('Alpha')).toBeGreaterThan(agreed.indexOf('Bravo'));
	const allNotes = await Promise.all(everyone.map((p) => notes(p.page)));
	for (const list of allNotes) expect(list).toEqual(allNotes[0]);
	await expect(entry(c.page, 'Alpha').getByTestId('entry-note')).toContainText('Open with this, <b>loud</b>');
	expect(await c.page.locator('[data-testid="entry-note"] b').count()).toBe(0);
	// Who did what: A's history names B's removal and C's addition.
	await a.page.getByTestId('share-history').locator('..').locator('summary').click();
	await expect(a.page.getByTestId('share-history')).toContainText('removed Charlie');
	await expect(a.page.getByTestId('share-history')).toContainText('added Echo');

	// B lacks Delta: it asks, A (who added it and allows files) sends it over the verified transfer.
	await expect(entry(b.page, 'Delta')).toHaveAttribute('data-status', 'missing');
	await entry(b.page, 'Delta').getByTestId('request-file').click();
	await expect(entry(b.page, 'Delta')).toHaveAttribute('data-status', 'here', { timeout: 60_000 });
	// B has its own Bravo (another file): matched by tags and length.
	await entry(b.page, 'Bravo').getByTestId('find-copy').click();
	await entry(b.page, 'Bravo').getByTestId('use-copy').click();
	await expect(entry(b.page, 'Bravo')).toHaveAttribute('data-status', 'matched');
	// A's Echo came from C: A asks C for it (C is a member; A is paired with C).
	await entry(a.page, 'Echo').getByTestId('request-file').click();
	await expect(entry(a.page, 'Echo')).toHaveAttribute('data-status', 'here', { timeout: 60_000 });

	// D, a collaborator of A's outside the share, gets nothing: no share, no entries, no files.
	await go(d.page, 'Library');
	const alpha = await hashOf('Alpha');
	const refusedBefore = await a.page.evaluate(() => (window as unknown as Hooks).__cratemeshCollab.collab.refused);
	await d.page.evaluate(
		([peer, share]) =>
			(window as unknown as Hooks).__cratemeshCollab.send(peer, {
				type: 'collab-sync',
				cv: 1,
				share,
				state: 'AA==',
				answer: false
			}),
		[a.id, shareId] as const
	);
	await d.page.evaluate(([peer, hash]) => (window as unknown as Hooks).__cratemeshCollab.mesh.fetch(peer, hash), [
		a.id,
		alpha
	] as const);
	await expect
		.poll(() =>
			d.page.evaluate(() =>
				(window as unknown as Hooks).__cratemeshCollab.mesh.transfers.list.map((t) => `${t.state}:${t.reason}`)
			)
		)
		.toEqual(['failed:forbidden']);
	await expect
		.poll(() => a.page.evaluate(() => (window as unknown as Hooks).__cratemeshCollab.collab.refused))
		.toBe(refusedBefore + 1);
	expect(await d.page.evaluate(() => (window as unknown as Hooks).__cratemeshCollab.collab.shares.length)).toBe(0);
	await expect(d.page.getByTestId('shared-lists')).toHaveCount(0);
	expect(
		await d.page.evaluate(
			async () => (await indexedDB.databases()).filter((db) => db.name?.startsWith('cratemesh-collab')).length
		)
	).toBe(0);

	// Bad frames from a member: an oversized part, a malformed one (both refused by validation and counted
	// by the mesh), and bytes that are not a Yjs update (refused by the collab layer). Nothing changes.
	const rejectedBefore = await a.page.evaluate(() => (window as unknown as Hooks).__cratemeshCollab.mesh.rejected);
	const before = await titles(a.page);
	await b.page.evaluate(
		([peer, share]) => {
			const { send } = (window as unknown as Hooks).__cratemeshCollab;
			const update = (data: string, id: string) => ({
				type: 'collab-update',
				cv: 1,
				share,
				id,
				part: 0,
				parts: 1,
				data
			});
			send(peer, update('A'.repeat(200 * 1024), 'big'));
			send(peer, update('%%% not base64', 'bad'));
			send(peer, update(btoa(String.fromCharCode(5, 255, 255, 255, 255, 15)), 'junk'));
		},
		[a.id, shareId] as const
	);
	await expect
		.poll(() => a.page.evaluate(() => (window as unknown as Hooks).__cratemeshCollab.mesh.rejected))
		.toBe(rejectedBefore + 2);
	await expect
		.poll(() => a.page.evaluate(() => (window as unknown as Hooks).__cratemeshCollab.collab.refused))
		.toBe(refusedBefore + 2);
	await expect(a.page.getByTestId('collab-refused')).toHaveAttribute('data-count', String(refusedBefore + 2));
	expect(await titles(a.page)).toEqual(before);
	// The connection survived and still carries edits: B's next change reaches A.
	await entry(b.page, 'Echo').getByTestId('move-up').click();
	const afterMove = await titles(b.page);
	await expect.poll(() => titles(a.page), { timeout: 30_000 }).toEqual(afterMove);

	// The owner stops file requests for this share: B's Request button goes, and asking anyway is refused.
	await a.page.getByTestId('share-manage').click();
	await a.page.getByTestId('share-dialog').getByTestId('share-allow-files').uncheck();
	await a.page.getByTestId('share-dialog').getByTestId('share-submit').click();
	await expect(b.page.getByTestId('shared-view')).toContainText('file requests not allowed', { timeout: 30_000 });
	await expect(entry(b.page, 'Echo')).toHaveAttribute('data-status', 'missing');
	await expect(entry(b.page, 'Echo').getByTestId('request-file')).toHaveCount(0);
	const echo = (await entry(b.page, 'Echo').getAttribute('data-hash'))!;
	await b.page.evaluate(([peer, hash]) => (window as unknown as Hooks).__cratemeshCollab.mesh.fetch(peer, hash), [
		a.id,
		echo
	] as const);
	await expect
		.poll(() =>
			b.page.evaluate(() =>
				(window as unknown as Hooks).__cratemeshCollab.mesh.transfers.list.map((t) => `${t.state}:${t.reason}`)
			)
		)
		.toContain('failed:forbidden');

	// Leaving: C leaves; the owner's member list drops C, and C no longer has the share.
	c.page.once('dialog', (prompt) => void prompt.accept());
	await c.page.getByTestId('share-leave').click();
	await expect(c.page.getByTestId('shared-Friday')).toHaveCount(0);
	await expect(a.page.getByTestId('share-members').locator('li')).toHaveCount(2, { timeout: 30_000 });
	await expect(b.page.getByTestId('share-members').locator('li')).toHaveCount(2, { timeout: 30_000 });

	// The owner stops sharing: B's copy turns read-only (kept until B leaves it), then both remove it.
	a.page.once('dialog', (prompt) => void prompt.accept());
	await a.page.getByTestId('share-end').click();
	await expect(b.page.getByTestId('shared-view')).toContainText('Sharing stopped', { timeout: 30_000 });
	await expect(b.page.getByTestId('remove-entry')).toHaveCount(0);
	await expect.poll(() => titles(b.page)).toEqual(await titles(a.page));
	for (const p of [b, a]) {
		p.page.once('dialog', (prompt) => void prompt.accept());
		await p.page.getByTestId('share-leave').click();
		await expect(p.page.getByTestId('shared-Friday')).toHaveCount(0);
	}
});

test('a shared playlist fits a 360 px phone and works from the keyboard', async ({ browser }, info) => {
	test.setTimeout(120_000);
	const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
	await context.addInitScript(() => localStorage.setItem('cratemesh:test-hooks', '1'));
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (error) => errors.push(error.message));
	try {
		await page.goto('/devices');
		await waitForApp(page);
		await expect(page.getByTestId('signalling-status')).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
		await expect(page.getByTestId('show-invite')).toBeVisible();
		expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
		await go(page, 'Library');
		await page.getByTestId('folder-input').setInputFiles(folders.a);
		await expect(page.getByTestId('import-summary')).toContainText('Added 4 files', { timeout: 60_000 });
		// A share with a member who is not around (created through the app's own state, as the dialog does).
		await page.evaluate(async () => {
			const hooks = (
				window as unknown as { __cratemeshCollab: { collab: { create: (...args: unknown[]) => Promise<string> } } }
			).__cratemeshCollab;
			const request = indexedDB.open('cratemesh');
			const hashes = await new Promise<string[]>((resolve) => {
				request.onsuccess = () => {
					const all = request.result.transaction('tracks').objectStore('tracks').getAllKeys();
					all.onsuccess = () => resolve(all.result as string[]);
				};
			});
			await hooks.collab.create(
				'Sunday sunrise set with a very long name',
				'playlist',
				hashes,
				[{ peerId: `cm-${'b'.repeat(32)}`, name: 'Bia' }],
				true
			);
		});
		const lists = page.locator('details.lists');
		if (!(await lists.getAttribute('open'))) await lists.locator('summary').click();
		await page.getByTestId('shared-Sunday sunrise set with a very long name').click();
		await expect(entries(page)).toHaveCount(4);
		await expect(page.getByTestId('share-members').locator('li')).toHaveCount(2);
		expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
		await page.getByTestId('shared-view').scrollIntoViewIfNeeded();
		await page.getByTestId('shared-view').screenshot({
			path: `tests/.artifacts/screenshots/${info.project.name}-360-shared-playlist.png`
		});

		// Keyboard: ↓ walks, Alt+↓ moves the focused entry (focus follows it), Enter plays it.
		const first = (await titles(page))[0]!;
		await entries(page).first().focus();
		await page.keyboard.press('ArrowDown');
		await expect(entries(page).nth(1)).toBeFocused();
		await page.keyboard.press('ArrowUp');
		await page.keyboard.press('Alt+ArrowDown');
		await expect.poll(async () => (await titles(page))[1]).toBe(first);
		await expect(entry(page, first)).toBeFocused();
		// The note editor and the members dialog fit too.
		await entry(page, first).getByTestId('edit-note').click();
		await page.getByTestId('note-input').fill('Sunrise opener');
		await page.keyboard.press('Enter');
		await expect(entry(page, first).getByTestId('entry-note')).toContainText('Sunrise opener');
		await page.getByTestId('share-manage').click();
		await expect(page.getByTestId('share-dialog')).toBeVisible();
		expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
		await page.screenshot({ path: `tests/.artifacts/screenshots/${info.project.name}-360-share-dialog.png` });
		await page.keyboard.press('Escape');
		await expect(page.getByTestId('share-dialog')).toBeHidden();
		expect(errors).toEqual([]);
	} finally {
		await context.close();
	}
});
