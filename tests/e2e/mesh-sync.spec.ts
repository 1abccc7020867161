import { expect, test, type Page } from '@playwright/test';
import { rmSync } from 'node:fs';
import { SYNC_FIELDS } from '../../src/lib/db/sync-fields';
import { makeFixtureFolder } from '../fixtures/audio.js';
import { waitForApp } from './helpers';
import { goTo, meshDevice, pairDevices, type MeshDevice } from './mesh-devices';

// The synced fields plus the identities, read straight from IndexedDB for the comparison.
const FIELDS = {
	...SYNC_FIELDS,
	cues: ['uid', ...SYNC_FIELDS.cues],
	playlists: ['id', ...SYNC_FIELDS.playlists]
};

interface Dump {
	tables: Record<keyof typeof FIELDS, Record<string, unknown>[]>;
	/** per playlist, its track hashes in order (position, then hash) */
	order: Record<string, string[]>;
	storage: Record<string, string>;
}

/** A canonical dump of the library tables: synced fields only, sorted by identity, no local ids. */
function dump(page: Page): Promise<Dump> {
	return page.evaluate(async (fields): Promise<Dump> => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const request = indexedDB.open('cratemesh');
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
		const all = (store: string) =>
			new Promise<Record<string, unknown>[]>((resolve, reject) => {
				const request = db.transaction(store).objectStore(store).getAll();
				request.onsuccess = () => resolve(request.result);
				request.onerror = () => reject(request.error);
			});
		const keyOf: Record<string, (row: Record<string, unknown>) => string> = {
			tracks: (row) => String(row.hash),
			analysis: (row) => String(row.hash),
			cues: (row) => String(row.uid),
			playlists: (row) => String(row.id),
			playlistItems: (row) => `${row.playlistId}|${row.hash}`
		};
		const tables = {} as Dump['tables'];
		const storage: Record<string, string> = {};
		let items: Record<string, unknown>[] = [];
		for (const [table, list] of Object.entries(fields)) {
			let rows = await all(table);
			if (table === 'analysis') rows = rows.filter((row) => row.error == null);
			if (table === 'tracks') for (const row of rows) storage[String(row.hash)] = String(row.storage);
			if (table === 'playlistItems') items = rows;
			tables[table as keyof Dump['tables']] = rows
				.map((row) => ({
					sid: keyOf[table]!(row),
					...Object.fromEntries(list.filter((f) => row[f] !== undefined).map((f) => [f, row[f]]))
				}))
				.sort((x, y) => (x.sid < y.sid ? -1 : x.sid > y.sid ? 1 : 0));
		}
		db.close();
		const order: Record<string, string[]> = {};
		for (const item of [...items].sort(
			(x, y) => Number(x.position) - Number(y.position) || (String(x.hash) < String(y.hash) ? -1 : 1)
		))
			(order[String(item.playlistId)] ??= []).push(String(item.hash));
		return { tables, order, storage };
	}, FIELDS);
}

const rows = (page: Page) => page.getByTestId('track-table').locator('[role="row"][data-hash]');
const row = (page: Page, title: string) => rows(page).filter({ hasText: title });

async function editTags(page: Page, title: string, edit: (editor: ReturnType<Page['getByTestId']>) => Promise<void>) {
	await row(page, title).click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Edit tags…' }).click();
	const editor = page.getByTestId('tag-editor');
	await edit(editor);
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(editor).toBeHidden();
}

async function setSync(page: Page, on: boolean): Promise<void> {
	await goTo(page, 'Devices');
	const toggle = page.getByTestId('sync-switch');
	if (on) await toggle.check();
	else await toggle.uncheck();
}

/** The three dumps, once they stop differing. */
async function converged(devices: MeshDevice[], timeout = 90_000): Promise<Dump> {
	let last: Dump[] = [];
	await expect
		.poll(
			async () => {
				last = await Promise.all(devices.map((d) => dump(d.page)));
				const [first, ...rest] = last.map((d) => JSON.stringify({ tables: d.tables, order: d.order }));
				return rest.every((other) => other === first);
			},
			{ timeout, intervals: [500, 1000, 2000] }
		)
		.toBe(true);
	return last[0]!;
}

let fixtures: ReturnType<typeof makeFixtureFolder>;
test.beforeAll(() => {
	fixtures = makeFixtureFolder();
});
test.afterAll(() => rmSync(fixtures.root, { recursive: true, force: true }));

test('three own devices sync their libraries, edit concurrently while apart and end identical', async ({ browser }) => {
	test.setTimeout(300_000);
	const a = await meshDevice(browser, 'A');
	const b = await meshDevice(browser, 'B');
	const c = await meshDevice(browser, 'C');
	const devices = [a, b, c];
	try {
		await pairDevices(a, b);
		await pairDevices(a, c);
		await pairDevices(b, c);

		// A builds a library: 7 tracks (analysed in the background) and a playlist of three.
		await goTo(a.page, 'Library');
		await a.page.getByTestId('folder-input').setInputFiles(fixtures.dir);
		await expect(a.page.getByTestId('import-summary')).toContainText('Added 7 files', { timeout: 60_000 });
		await a.page.getByTestId('new-playlist').click();
		await a.page.getByTestId('playlist-name').fill('Set');
		await a.page.getByTestId('playlist-name').press('Enter');
		await a.page.getByRole('button', { name: 'All tracks' }).click();
		for (const title of ['Tone FLAC', 'Tone MP3', 'Tone WAV']) {
			await row(a.page, title).click({ button: 'right' });
			await a.page.getByTestId('context-menu').getByRole('menuitem', { name: '♪ Set' }).click();
		}

		// Initial sync: B and C get the whole library (metadata, analysis, playlist), without the audio.
		const initial = await converged(devices);
		expect(initial.tables.tracks).toHaveLength(7);
		expect(Object.values(initial.order)).toEqual([expect.any(Array)]);
		const hashOf = (title: string) => initial.tables.tracks.find((t) => t.title === title)!.sid as string;
		expect(Object.values(initial.order)[0]).toEqual(['Tone FLAC', 'Tone MP3', 'Tone WAV'].map(hashOf));
		const onB = await dump(b.page);
		expect(Object.values(onB.storage)).toEqual(new Array(7).fill('none'));
		expect(Object.values((await dump(a.page)).storage)).not.toContain('none');
		// The Devices view shows per device when it last synced and how much moved.
		await goTo(b.page, 'Devices');
		const bFromA = b.page.getByTestId('trusted-devices').locator(`li[data-peer="${a.id}"]`).getByTestId('sync-status');
		await expect(bFromA).toHaveAttribute('data-last-sync', /\d+/);
		await expect(bFromA).toContainText('Last sync');
		// B may have had much of it from C first (C relays what it got from A): count both.
		const statuses = b.page.getByTestId('trusted-devices').getByTestId('sync-status');
		await expect(statuses).toHaveCount(2);
		const received = await statuses.evaluateAll((els) =>
			els.reduce((sum, el) => sum + Number(el.getAttribute('data-received')), 0)
		);
		expect(received).toBeGreaterThanOrEqual(7 + 1 + 3);

		// Apart: sync paused on all three, then each edits the same library.
		for (const d of devices) await setSync(d.page, false);
		await goTo(a.page, 'Library');
		await editTags(a.page, 'Tone FLAC', (editor) => editor.locator('input[name="rating"][value="5"]').check());
		await row(a.page, 'Tone OGG').click({ button: 'right' });
		await a.page
			.getByTestId('context-menu')
			.getByRole('menuitem', { name: /^Delete from library/ })
			.click();
		await expect(row(a.page, 'Tone OGG')).toHaveCount(0);

		await goTo(b.page, 'Library');
		await editTags(b.page, 'Tone MP3', (editor) => editor.getByLabel('Tags (comma-separated)').fill('peak, vocal'));
		// Later than A's rating of the same track: this one wins everywhere.
		await editTags(b.page, 'Tone FLAC', (editor) => editor.locator('input[name="rating"][value="2"]').check());

		await goTo(c.page, 'Library');
		// An edit of the track A deleted (made after the delete): the delete still wins.
		await editTags(c.page, 'Tone OGG', (editor) => editor.getByLabel('Title').fill('Renamed on C'));
		await c.page.getByTestId('playlist-Set').click();
		await expect(rows(c.page)).toHaveCount(3);
		await row(c.page, 'Tone FLAC').click();
		await c.page.keyboard.press('Alt+ArrowDown');
		await expect
			.poll(async () =>
				// (the ⌀ flag marks a track whose audio is on another device)
				(await rows(c.page).locator('.title').allTextContents()).map((s) => s.replace('⌀', '').trim())
			)
			.toEqual(['Tone MP3', 'Tone FLAC', 'Tone WAV']);

		// Still apart: nothing moved.
		expect((await dump(b.page)).tables.tracks.find((t) => t.sid === hashOf('Tone FLAC'))!.rating).toBe(2);
		expect((await dump(a.page)).tables.tracks.find((t) => t.sid === hashOf('Tone FLAC'))!.rating).toBe(5);

		// Every connection really drops: all three reload (the pause switch is remembered), the devices
		// re-dial each other, and only then is sync switched back on.
		for (const d of devices) {
			await d.page.goto('/devices');
			await waitForApp(d.page);
		}
		for (const d of devices) {
			await expect(d.page.getByTestId('sync-switch')).not.toBeChecked();
			await expect(d.page.getByTestId('connected-devices').locator('li[data-ready="true"]')).toHaveCount(2, {
				timeout: 60_000
			});
		}
		expect((await dump(a.page)).tables.tracks.find((t) => t.sid === hashOf('Tone FLAC'))!.rating).toBe(5);

		// Back together: all three end identical, with the merge rule's outcome.
		for (const d of devices) await setSync(d.page, true);
		const final = await converged(devices);
		const track = (title: string) => final.tables.tracks.find((t) => t.sid === hashOf(title));
		expect(track('Tone OGG')).toBeUndefined();
		expect(final.tables.tracks).toHaveLength(6);
		expect(track('Tone FLAC')!.rating).toBe(2);
		expect(track('Tone MP3')!.freeTags).toEqual(['peak', 'vocal']);
		expect(Object.values(final.order)[0]).toEqual(['Tone MP3', 'Tone FLAC', 'Tone WAV'].map(hashOf));
		expect(final.tables.analysis.length).toBeGreaterThan(0);
		for (const d of devices) await expect(d.page.getByTestId('mesh-rejected')).toHaveAttribute('data-count', '0');

		// A synced track without audio is on another device: B fetches it with the verified transfer.
		await goTo(b.page, 'Devices');
		await b.page.getByTestId('show-remote').click();
		const wav = b.page.getByTestId('remote-only').locator(`li[data-hash="${hashOf('Tone WAV')}"]`);
		await expect(b.page.getByTestId('remote-only').locator('li')).toHaveCount(6);
		await wav.getByRole('button', { name: 'Get' }).click();
		await expect(b.page.getByTestId('transfers').locator(`li[data-hash="${hashOf('Tone WAV')}"]`)).toHaveAttribute(
			'data-state',
			'done',
			{ timeout: 30_000 }
		);
		expect((await dump(b.page)).storage[hashOf('Tone WAV')]).not.toBe('none');
		// Fetching the audio is not an edit: the libraries stay identical.
		await converged(devices, 20_000);
	} finally {
		for (const d of devices) await d.close();
	}
});

// A transfer cut by a device going away (and parts from several devices): tests/e2e/mesh-parts.spec.ts.
