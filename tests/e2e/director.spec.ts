import { expect, test, type Page } from '@playwright/test';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { freePort, startOneBox, startServer, stopServer } from './app-server';
import { FakeSupabase } from './fake-supabase';
import { trackCspViolations, waitForApp } from './helpers';

// The director panel against the real one-box server (PGlite running supabase/migrations, RLS per
// request): a throwaway data directory and owner per run.
let box: Awaited<ReturnType<typeof startOneBox>>;
let base: string;
let audioDir: string;
const files: Record<string, string> = {};

test.beforeAll(async () => {
	audioDir = mkdtempSync(join(tmpdir(), 'cratemesh-director-'));
	const spec = { album: 'Director', genre: 'Test', ext: 'mp3' as const };
	files.morning = tone(audioDir, {
		...spec,
		name: 'morning.mp3',
		title: 'Morning Sun',
		artist: 'Ana <b>Bold',
		seconds: 3,
		freq: 440
	});
	files.evening = tone(audioDir, {
		...spec,
		name: 'evening.mp3',
		title: 'Evening Tide',
		artist: 'Bruno',
		seconds: 3,
		freq: 550
	});
	files.jingle = tone(audioDir, {
		...spec,
		name: 'old-jingle.mp3',
		title: 'Old Jingle',
		artist: 'Carla',
		seconds: 2,
		freq: 660
	});
	// Same bytes under another name: a duplicate within the batch.
	files.copy = join(audioDir, 'morning-copy.mp3');
	copyFileSync(files.morning, files.copy);
	// Not audio, whatever its name says: refused with a reason, the others proceed.
	files.notes = join(audioDir, 'notes.mp3');
	for (const [key, title, freq] of [
		['loopA', 'Loop A', 330],
		['loopB', 'Loop B', 370],
		['loopE', 'Loop Emergency', 415],
		['loopC', 'Loop C', 494]
	] as const)
		files[key] = tone(audioDir, { ...spec, name: `${key}.mp3`, title, artist: 'Loop', seconds: 3, freq });
	files.long = tone(audioDir, {
		...spec,
		ext: 'wav',
		name: 'long.wav',
		title: 'Long One',
		artist: 'Slow',
		seconds: 40,
		freq: 220
	});
	writeFileSync(files.notes, 'just some text, not audio at all\n'.repeat(20));
	const port = process.env.DIRECTOR_E2E_PORT ? Number(process.env.DIRECTOR_E2E_PORT) : await freePort();
	box = await startOneBox(port, { CRATEMESH_TENANT_NAME: 'Bar Aurora' });
	base = `http://127.0.0.1:${port}`;
});

test.afterAll(async () => {
	await box?.stop();
	rmSync(audioDir, { recursive: true, force: true });
});

async function signIn(page: Page) {
	await page.goto(`${base}/account`);
	await waitForApp(page);
	await page.getByTestId('account-email').fill(box.owner.email);
	await page.getByTestId('account-password').fill(box.owner.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('tenant-switcher')).toContainText('Bar Aurora');
}

const assetRow = (page: Page, title: string) =>
	page.getByTestId('asset-row').filter({ has: page.getByText(title, { exact: true }) });
const itemTitles = (page: Page) => page.getByTestId('playlist-item-title').allTextContents();

/** A datetime-local value `days` from now in the browser's zone (the test runs in the same zone). */
function localInput(days: number): string {
	const d = new Date(Date.now() + days * 86_400_000);
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** What a player device does after a sync, through the same HTTP APIs (supabase-js speaks them). */
async function playerReports(credentials: { email: string; password: string; deviceId: string }, failedHash: string) {
	const config = (await (await fetch(`${base}/config.json`)).json()) as { supabaseAnonKey: string };
	const headers = { apikey: config.supabaseAnonKey, 'content-type': 'application/json' };
	const token = await fetch(`${base}/auth/v1/token?grant_type=password`, {
		method: 'POST',
		headers,
		body: JSON.stringify({ email: credentials.email, password: credentials.password })
	});
	expect(token.status).toBe(200);
	const auth = {
		...headers,
		authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}`
	};
	const manifest = await fetch(`${base}/rest/v1/rpc/sync_manifest`, {
		method: 'POST',
		headers: auth,
		body: JSON.stringify({ device_id: credentials.deviceId, last_manifest_hash: null, have_hashes: [] })
	});
	expect(manifest.status).toBe(200);
	const body = (await manifest.json()) as { hash: string; downloads: { hash: string; asset: { title: string } }[] };
	const report = await fetch(`${base}/rest/v1/rpc/report_sync`, {
		method: 'POST',
		headers: auth,
		body: JSON.stringify({
			device_id: credentials.deviceId,
			manifest_hash: body.hash,
			downloaded: body.downloads.map((d) => d.hash).filter((h) => h !== failedHash),
			failed: [failedHash],
			cached_assets_count: body.downloads.length - 1,
			app_version: '9.9.9-e2e',
			error: 'corrupt download: <sha mismatch>'
		})
	});
	expect(report.status).toBe(200);
	const playing = await fetch(`${base}/rest/v1/devices?id=eq.${credentials.deviceId}`, {
		method: 'PATCH',
		headers: auth,
		body: JSON.stringify({ now_playing_title: 'Morning Sun', now_playing_at: new Date().toISOString() })
	});
	expect(playing.status).toBeLessThan(300);
	return body;
}

test('a director uploads, edits, builds a playlist, schedules dayparts, enrols a player and sees its sync log', async ({
	page,
	context
}) => {
	test.setTimeout(120_000);
	const violations = await trackCspViolations(page);
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
	await signIn(page);

	// The nav item exists only for owners and managers.
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Director' }).click();
	await expect(page.getByRole('heading', { name: 'Director', level: 1 })).toBeVisible();
	await expect(page.getByText('Team: Bar Aurora')).toBeVisible();

	// ---- Media: 5 files, one the same bytes as another, one not audio ----
	await page
		.getByTestId('director-upload-input')
		.setInputFiles([files.morning!, files.evening!, files.jingle!, files.copy!, files.notes!]);
	await expect(page.getByTestId('upload-summary')).toHaveText(
		'5 of 5 files: 3 uploaded, 1 duplicates skipped, 1 failed',
		{ timeout: 30_000 }
	);
	await expect(page.getByTestId('upload-item').filter({ hasText: 'morning-copy.mp3' })).toContainText(
		'Skipped: same file as "Morning Sun"'
	);
	await expect(page.getByTestId('upload-item').filter({ hasText: 'notes.mp3' })).toContainText(
		'Failed: Not a supported audio file'
	);
	await expect(page.getByTestId('asset-row')).toHaveCount(3);
	// Title and artist came from the tags; markup in a tag is shown as text (no slash: ID3v2.3 splits artists on it).
	await expect(assetRow(page, 'Morning Sun')).toContainText('Ana <b>Bold');
	await expect(assetRow(page, 'Morning Sun').locator('b')).toHaveCount(0);

	// Uploading a file the team already has: detected by hash against media_assets, not uploaded.
	await page.getByTestId('director-upload-input').setInputFiles([files.evening!]);
	await expect(page.getByTestId('upload-summary')).toHaveText(
		'1 of 1 files: 0 uploaded, 1 duplicates skipped, 0 failed'
	);
	await expect(page.getByTestId('upload-item')).toContainText('Skipped: same file as "Evening Tide"');
	await expect(page.getByTestId('asset-row')).toHaveCount(3);

	// Validity: an end before the start is refused in the form; then expire the jingle.
	await assetRow(page, 'Old Jingle').getByRole('button', { name: 'Edit Old Jingle' }).click();
	const editor = page.getByTestId('asset-editor');
	await editor.getByTestId('asset-valid-from').fill(localInput(-3));
	await editor.getByTestId('asset-valid-until').fill(localInput(-4));
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(editor).toContainText('Must be after "valid from".');
	await editor.getByTestId('asset-valid-until').fill(localInput(-1));
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(editor).toHaveCount(0);
	await expect(assetRow(page, 'Old Jingle').getByTestId('asset-expired')).toBeVisible();

	// Emergency flag and a new title.
	await assetRow(page, 'Evening Tide').getByRole('button', { name: 'Edit Evening Tide' }).click();
	await editor.getByLabel('Title').fill('Evening Tide (radio)');
	await editor.getByTestId('asset-emergency-toggle').check();
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(assetRow(page, 'Evening Tide (radio)').getByTestId('asset-emergency')).toBeVisible();

	// ---- Playlist: create, add three tracks, reorder by keyboard and by drag ----
	await page.getByTestId('director-tab-playlists').click();
	await page.getByTestId('playlist-new-name').fill('Morning');
	await page.getByRole('button', { name: 'Create' }).click();
	await expect(page.getByRole('heading', { name: 'Morning', level: 2 })).toBeVisible();
	await page.locator('summary', { hasText: 'Add tracks' }).click();
	for (const title of ['Morning Sun', 'Evening Tide (radio)', 'Old Jingle'])
		await page.locator(`[data-testid="playlist-pick"][data-title="${title}"]`).check();
	await page.getByTestId('playlist-add').click();
	await expect(page.getByTestId('playlist-item')).toHaveCount(3);
	expect(await itemTitles(page)).toEqual(['Morning Sun', 'Evening Tide (radio)', 'Old Jingle']);

	const handle = page.getByRole('button', { name: 'Move Old Jingle, position 3' });
	await handle.focus();
	await page.keyboard.press('ArrowUp');
	await expect(page.getByRole('button', { name: 'Move Old Jingle, position 2' })).toBeFocused();
	await page.keyboard.press('Home');
	await expect.poll(() => itemTitles(page)).toEqual(['Old Jingle', 'Morning Sun', 'Evening Tide (radio)']);
	await expect(page.getByRole('status').filter({ hasText: 'Old Jingle moved to position 1 of 3.' })).toBeAttached();

	await page
		.getByTestId('playlist-item')
		.filter({ hasText: 'Evening Tide (radio)' })
		.dragTo(page.getByTestId('playlist-item').filter({ hasText: 'Old Jingle' }));
	await expect.poll(() => itemTitles(page)).toEqual(['Evening Tide (radio)', 'Old Jingle', 'Morning Sun']);
	await expect(page.getByTestId('playlist-error')).toHaveCount(0);

	// Another playlist: renamed, then deleted.
	await page.getByTestId('playlist-new-name').fill('Spare');
	await page.getByRole('button', { name: 'Create' }).click();
	await expect(page.getByRole('heading', { name: 'Spare', level: 2 })).toBeVisible();
	await page.getByRole('textbox', { name: 'Rename' }).fill('Spare (old)');
	await page.getByRole('button', { name: 'Rename' }).click();
	await expect(page.getByTestId('playlist-select').filter({ hasText: 'Spare (old)' })).toBeVisible();
	await page.getByRole('button', { name: 'Delete' }).click();
	await page.getByRole('button', { name: 'Really delete' }).click();
	await expect(page.getByTestId('playlist-select')).toHaveCount(1);

	// The order is the server's: a reload shows the same.
	await page.reload();
	await waitForApp(page);
	await page.getByTestId('director-tab-playlists').click();
	await page.getByTestId('playlist-select').filter({ hasText: 'Morning' }).click();
	await expect.poll(() => itemTitles(page)).toEqual(['Evening Tide (radio)', 'Old Jingle', 'Morning Sun']);

	// ---- Devices: a group, then enrol a player (credentials shown once, copyable) ----
	await page.getByTestId('director-tab-devices').click();
	await expect(page.getByText('No devices yet. Enrol a player below.')).toBeVisible();
	await page.getByTestId('group-name').fill('Terrace');
	await page.getByRole('button', { name: 'Add group' }).click();
	await expect(page.getByTestId('group-row').filter({ hasText: 'Terrace' })).toContainText('0 devices');
	// The server refuses a second group of the same name; its message is shown, nothing is lost.
	await page.getByTestId('group-name').fill('Terrace');
	await page.getByRole('button', { name: 'Add group' }).click();
	await expect(page.getByTestId('group-error')).toContainText('duplicate');
	await expect(page.getByTestId('group-row')).toHaveCount(1);
	await page.getByTestId('enrol-name').fill('Bar speakers');
	await page.getByTestId('enrol-submit').click();
	const credentials = page.getByTestId('enrol-credentials');
	await expect(credentials).toContainText('Player "Bar speakers" created');
	const email = (await page.getByTestId('enrol-email').textContent())!.trim();
	const password = (await page.getByTestId('enrol-password').textContent())!.trim();
	expect(email).toMatch(/@/);
	expect(password.length).toBeGreaterThanOrEqual(8);
	await page.getByTestId('enrol-copy-password').click();
	await expect(credentials.getByText('Copied to the clipboard.')).toBeVisible();
	expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(password);
	await page.getByTestId('enrol-done').click();
	await expect(credentials).toHaveCount(0);
	const device = page.getByTestId('device-row').filter({ hasText: 'Bar speakers' });
	await expect(device.getByTestId('device-online')).toHaveText('Not heard from recently');
	await expect(device.getByTestId('device-last-sync')).toHaveText('Never');

	// ---- Schedules: weekday mornings on the device, a Saturday night past midnight on the group ----
	await page.getByTestId('director-tab-schedules').click();
	await page.getByTestId('daypart-new').click();
	let daypart = page.getByTestId('daypart-editor');
	await daypart.getByTestId('daypart-name').fill('Weekday mornings');
	await daypart.getByTestId('daypart-playlist').selectOption({ label: 'Morning' });
	await daypart.getByTestId('daypart-target').selectOption({ label: 'Bar speakers' });
	await daypart.getByTestId('daypart-start').fill('08:00');
	await daypart.getByTestId('daypart-end').fill('12:00');
	await daypart.getByTestId('daypart-zone').fill('Europe/Pari');
	await daypart.getByTestId('daypart-save').click();
	await expect(daypart).toContainText('Unknown time zone');
	await daypart.getByTestId('daypart-zone').fill('Europe/Lisbon');
	await daypart.getByTestId('daypart-save').click();
	await expect(daypart).toHaveCount(0);
	// Monday to Friday by default: five blocks.
	await expect(page.getByTestId('week-block')).toHaveCount(5);
	await expect(page.getByRole('button', { name: /^Mon 08:00–12:00: Weekday mornings$/ })).toBeVisible();

	await page.getByTestId('daypart-new').click();
	daypart = page.getByTestId('daypart-editor');
	await daypart.getByTestId('daypart-name').fill('Late night');
	await daypart.getByTestId('daypart-target').selectOption({ label: 'Terrace' });
	for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']) await daypart.getByLabel(day).uncheck();
	await daypart.getByLabel('Saturday').check();
	await daypart.getByTestId('daypart-start').fill('22:00');
	await daypart.getByTestId('daypart-end').fill('02:00');
	await daypart.getByTestId('daypart-priority').fill('5');
	await daypart.getByTestId('daypart-save').click();
	await expect(daypart).toHaveCount(0);
	// Past midnight: Saturday's piece and Sunday's continuation.
	await expect(page.getByTestId('week-block')).toHaveCount(7);
	await expect(page.getByRole('button', { name: 'Sat 22:00–24:00: Late night' })).toBeVisible();
	await expect(page.getByRole('button', { name: 'Sun 00:00–02:00: Late night' })).toBeVisible();

	// Edit a daypart from the week view; delete the second one.
	await page.getByRole('button', { name: 'Mon 08:00–12:00: Weekday mornings' }).click();
	daypart = page.getByTestId('daypart-editor');
	await daypart.getByTestId('daypart-end').fill('13:30');
	await daypart.getByTestId('daypart-save').click();
	await expect(page.getByRole('button', { name: 'Mon 08:00–13:30: Weekday mornings' })).toBeVisible();
	await page.getByRole('button', { name: 'Sat 22:00–24:00: Late night' }).click();
	await page.getByTestId('daypart-editor').getByRole('button', { name: 'Delete' }).click();
	await page.getByTestId('daypart-editor').getByRole('button', { name: 'Really delete' }).click();
	await expect(page.getByTestId('week-block')).toHaveCount(5);

	// ---- The player syncs and reports (one failed file); the director sees it ----
	const deviceId = await page.evaluate(
		async ([url]) => {
			// The device id is not shown in the UI; read it as the director would through the API.
			const auth = JSON.parse(localStorage.getItem('cratemesh-auth') ?? '{}') as { access_token?: string };
			const config = (await (await fetch('/config.json')).json()) as { supabaseAnonKey: string };
			const response = await fetch(`${url}/rest/v1/devices?select=id&name=eq.Bar%20speakers`, {
				headers: { apikey: config.supabaseAnonKey, authorization: `Bearer ${auth.access_token}` }
			});
			return ((await response.json()) as { id: string }[])[0]!.id;
		},
		[base]
	);
	const manifest = await playerReports({ email, password, deviceId }, '0'.repeat(64));
	// Only what is valid reaches the player: the expired jingle is not in its manifest.
	expect(manifest.downloads.map((d) => d.asset.title).sort()).toEqual(['Evening Tide (radio)', 'Morning Sun']);

	await page.getByTestId('director-tab-devices').click();
	await page.getByTestId('devices-refresh').click();
	await expect(device.getByTestId('device-online')).toHaveText('Online');
	await expect(device.getByTestId('device-last-sync')).toContainText('s ago');
	await expect(device).toContainText('9.9.9-e2e');
	await expect(device.getByTestId('device-cached')).toHaveText('1');
	await expect(device).toContainText('Morning Sun');
	const log = device.getByTestId('sync-log');
	await expect(log).toContainText('Sync log (1)');
	await expect(log).toContainText('1 with failures');
	await log.locator('summary').click();
	const row = log.getByTestId('sync-log-row');
	await expect(row).toHaveAttribute('data-failed', 'true');
	await expect(row).toContainText('corrupt download: <sha mismatch>');

	// The device joins the group from the list.
	await device.getByTestId('device-group').selectOption({ label: 'Terrace' });
	await expect(page.getByTestId('group-row').filter({ hasText: 'Terrace' })).toContainText('1 device ');
	await page.reload();
	await waitForApp(page);
	await page.getByTestId('director-tab-devices').click();
	await expect(
		page.getByTestId('device-row').filter({ hasText: 'Bar speakers' }).getByTestId('device-group')
	).toHaveValue(/.+/);

	// Deleting an asset removes it from its playlist too (cascade) and from the player's manifest.
	await page.getByTestId('director-tab-media').click();
	await assetRow(page, 'Old Jingle').getByRole('button', { name: 'Delete Old Jingle' }).click();
	await assetRow(page, 'Old Jingle').getByRole('button', { name: 'Really delete' }).click();
	await expect(page.getByTestId('asset-row')).toHaveCount(2);
	await page.getByTestId('director-tab-playlists').click();
	await page.getByTestId('playlist-select').filter({ hasText: 'Morning' }).click();
	await expect.poll(() => itemTitles(page)).toEqual(['Evening Tide (radio)', 'Morning Sun']);
	await page.reload();
	await waitForApp(page);
	await expect(page.getByTestId('asset-row')).toHaveCount(2);

	expect(violations).toEqual([]);
});

test('usable at 360 px and on a tablet: no sideways page scroll on any tab', async ({ page }) => {
	for (const width of [360, 820]) {
		await page.setViewportSize({ width, height: 740 });
		await signIn(page);
		await page.goto(`${base}/director`);
		await waitForApp(page);
		for (const tab of ['media', 'playlists', 'schedules', 'devices']) {
			await page.getByTestId(`director-tab-${tab}`).click();
			await expect(page.getByTestId(`director-tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
			const overflow = await page.evaluate(() => {
				const main = document.querySelector('main')!;
				return main.scrollWidth - main.clientWidth;
			});
			expect(overflow, `${tab} at ${width}px`).toBeLessThanOrEqual(1);
		}
		// Tabs work from the keyboard.
		await page.getByTestId('director-tab-devices').focus();
		await page.keyboard.press('ArrowRight');
		await expect(page.getByTestId('director-tab-media')).toBeFocused();
		await expect(page.getByTestId('director-tab-media')).toHaveAttribute('aria-selected', 'true');
		await page.evaluate(() => localStorage.clear());
	}
});

test('the issue 7 loop: the director plans in the panel, a real player syncs and plays, the director sees it', async ({
	page,
	browser
}) => {
	test.setTimeout(180_000);
	await signIn(page);
	// A team of its own, so the other test's assets (its emergency track) stay out of this player's manifest.
	await page.getByLabel('New team name').fill('Loop Store');
	await page.getByRole('button', { name: 'Create team' }).click();
	await expect(page.getByTestId('tenant-switcher').locator('option:checked')).toHaveText('Loop Store · Owner');
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Director' }).click();
	await expect(page.getByText('Team: Loop Store')).toBeVisible();

	await page.getByTestId('director-upload-input').setInputFiles([files.loopA!, files.loopB!, files.loopE!]);
	await expect(page.getByTestId('upload-summary')).toHaveText(
		'3 of 3 files: 3 uploaded, 0 duplicates skipped, 0 failed',
		{
			timeout: 30_000
		}
	);
	const editor = page.getByTestId('asset-editor');
	await assetRow(page, 'Loop B').getByRole('button', { name: 'Edit Loop B' }).click();
	await editor.getByTestId('asset-valid-from').fill(localInput(-3));
	await editor.getByTestId('asset-valid-until').fill(localInput(-1));
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(assetRow(page, 'Loop B').getByTestId('asset-expired')).toBeVisible();
	await assetRow(page, 'Loop Emergency').getByRole('button', { name: 'Edit Loop Emergency' }).click();
	await editor.getByTestId('asset-emergency-toggle').check();
	await editor.getByRole('button', { name: 'Save' }).click();
	await expect(assetRow(page, 'Loop Emergency').getByTestId('asset-emergency')).toBeVisible();

	await page.getByTestId('director-tab-playlists').click();
	await page.getByTestId('playlist-new-name').fill('Loop');
	await page.getByRole('button', { name: 'Create' }).click();
	await page.locator('summary', { hasText: 'Add tracks' }).click();
	for (const title of ['Loop A', 'Loop B'])
		await page.locator(`[data-testid="playlist-pick"][data-title="${title}"]`).check();
	await page.getByTestId('playlist-add').click();
	await expect(page.getByTestId('playlist-item')).toHaveCount(2);

	await page.getByTestId('director-tab-devices').click();
	await page.getByTestId('enrol-name').fill('Loop player');
	await page.getByTestId('enrol-submit').click();
	const email = (await page.getByTestId('enrol-email').textContent())!.trim();
	const password = (await page.getByTestId('enrol-password').textContent())!.trim();
	await page.getByTestId('enrol-done').click();

	await page.getByTestId('director-tab-schedules').click();
	await page.getByTestId('daypart-new').click();
	const daypart = page.getByTestId('daypart-editor');
	await daypart.getByTestId('daypart-name').fill('All week');
	await daypart.getByTestId('daypart-playlist').selectOption({ label: 'Loop' });
	await daypart.getByTestId('daypart-target').selectOption({ label: 'Loop player' });
	for (const day of ['Saturday', 'Sunday']) await daypart.getByLabel(day).check();
	await daypart.getByTestId('daypart-start').fill('00:00');
	await daypart.getByTestId('daypart-end').fill('24:00');
	await daypart.getByTestId('daypart-zone').fill('UTC');
	await daypart.getByTestId('daypart-save').click();
	await expect(page.getByTestId('week-block')).toHaveCount(7);

	// ---- The player: another browser profile, Player mode, only its enrolment credentials ----
	const playerContext = await browser.newContext();
	try {
		const player = await playerContext.newPage();
		await player.goto(`${base}/player`);
		await waitForApp(player);
		await player.getByTestId('sync-email').fill(email);
		await player.getByTestId('sync-password').fill(password);
		await player.getByTestId('sync-status').getByRole('button', { name: 'Sign in and sync' }).click();
		await expect(player.getByTestId('sync-status')).toContainText('Loop player');
		// Valid + emergency are fetched and verified; the expired one never is.
		await expect(player.getByTestId('sync-storage')).toHaveAttribute('data-files', '2', { timeout: 30_000 });
		await expect(player.getByTestId('kiosk-title')).toHaveText('Loop A', { timeout: 30_000 });

		// ---- The director sees the device: online, what it holds, what it plays, its sync log ----
		const device = page.getByTestId('device-row').filter({ hasText: 'Loop player' });
		await page.getByTestId('director-tab-devices').click();
		await expect
			.poll(
				async () => {
					await page.getByTestId('devices-refresh').click();
					return (await device.textContent()) ?? '';
				},
				{ timeout: 60_000, intervals: [1000] }
			)
			.toMatch(/Online[\s\S]*Loop A/);
		await expect(device.getByTestId('device-cached')).toHaveText('2');
		await expect(device.getByTestId('sync-log')).not.toContainText('with failures');
		// No other player in this store: every byte came from the server, and the panel says so.
		await expect(device.getByTestId('device-peer-bytes')).toHaveAttribute('data-peer-bytes', '0');
		await expect(device.getByTestId('device-peer-bytes')).toContainText('(0%)');

		// ---- A change: a new track in the playlist, and the emergency track retired ----
		await page.getByTestId('director-tab-media').click();
		await page.getByTestId('director-upload-input').setInputFiles([files.loopC!]);
		await expect(page.getByTestId('upload-summary')).toHaveText(
			'1 of 1 files: 1 uploaded, 0 duplicates skipped, 0 failed'
		);
		await assetRow(page, 'Loop Emergency').getByRole('button', { name: 'Edit Loop Emergency' }).click();
		await editor.getByTestId('asset-emergency-toggle').uncheck();
		await editor.getByRole('button', { name: 'Save' }).click();
		await expect(assetRow(page, 'Loop Emergency').getByTestId('asset-emergency')).toHaveCount(0);
		await page.getByTestId('director-tab-playlists').click();
		await page.getByTestId('playlist-select').filter({ hasText: 'Loop' }).click();
		await page.locator('summary', { hasText: 'Add tracks' }).click();
		await page.locator('[data-testid="playlist-pick"][data-title="Loop C"]').check();
		await page.getByTestId('playlist-add').click();
		await expect(page.getByTestId('playlist-item')).toHaveCount(3);

		// The player's next sync (on demand; report_sync allows one report per device every 5 s).
		await player.waitForTimeout(5500);
		await player.getByTestId('sync-now').click();
		await expect
			.poll(
				() =>
					player.evaluate(
						() => (window as unknown as { __cratemeshSync: { readyFiles: number } }).__cratemeshSync.readyFiles
					),
				{
					timeout: 30_000
				}
			)
			.toBe(2);
		await expect(player.getByTestId('sync-storage')).toHaveAttribute('data-files', '2');

		await page.getByTestId('director-tab-devices').click();
		const log = device.getByTestId('sync-log');
		await expect
			.poll(
				async () => {
					await page.getByTestId('devices-refresh').click();
					return (await log.locator('summary').textContent()) ?? '';
				},
				{ timeout: 60_000, intervals: [1000] }
			)
			.toMatch(/Sync log \((2|3)\)/);
		await log.locator('summary').click();
		// Newest first: Loop C downloaded, the retired emergency file deleted.
		const newest = log.getByTestId('sync-log-row').first();
		await expect(newest.locator('td').nth(1)).toHaveText('1');
		await expect(newest.locator('td').nth(2)).toHaveText('1');
		await expect(newest).toHaveAttribute('data-failed', 'false');
	} finally {
		await playerContext.close();
	}
});

test('on a Supabase project the panel explains how to add a player instead of offering enrolment', async ({ page }) => {
	const supabase = new FakeSupabase();
	await supabase.start();
	const port = await freePort();
	const server = await startServer(port, {
		PUBLIC_SUPABASE_URL: supabase.url,
		PUBLIC_SUPABASE_ANON_KEY: 'test-anon-key'
	});
	try {
		await page.goto(`http://127.0.0.1:${port}/account`);
		await waitForApp(page);
		await page.getByTestId('account-email').fill('owner@example.com');
		await page.getByTestId('account-password').fill('correct horse battery');
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.getByLabel('New team name').fill('Hosted Bar');
		await page.getByRole('button', { name: 'Create team' }).click();
		await expect(page.getByTestId('tenant-switcher').locator('option:checked')).toHaveText('Hosted Bar · Owner');
		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Director' }).click();
		await page.getByTestId('director-tab-devices').click();
		await expect(page.getByTestId('enrol-unsupported')).toContainText('needs an Edge Function');
		await expect(page.getByTestId('enrol-unsupported')).toContainText('role "player"');
		await expect(page.getByTestId('enrol-submit')).toHaveCount(0);
		expect(supabase.requests).not.toContain('POST /onebox/v1/players');
	} finally {
		await stopServer(server.child);
		await supabase.stop();
	}
});

test('upload progress shows bytes and time left, and cancelling stops it without a half asset', async ({
	page,
	context
}) => {
	await signIn(page);
	await page.goto(`${base}/director`);
	await waitForApp(page);
	// About 3.5 MB at 400 kB/s: long enough to watch and cancel.
	const cdp = await context.newCDPSession(page);
	await cdp.send('Network.enable');
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: 400_000
	});
	// Count only once the list has arrived (earlier tests in this file leave assets behind).
	await expect(page.getByTestId('asset-list')).toHaveAttribute('data-loaded', 'true');
	const before = await page.getByTestId('asset-row').count();
	await page.getByTestId('director-upload-input').setInputFiles([files.long!]);
	const item = page.getByTestId('upload-item').filter({ hasText: 'long.wav' });
	await expect(item).toHaveAttribute('data-status', 'uploading', { timeout: 20_000 });
	const progress = page.getByTestId('upload-progress');
	await expect(progress).toContainText(/of 3\.\d MB · [\d.]+ (kB|KB|MB)\/s · \d+ s left/, { timeout: 10_000 });
	await progress.getByRole('button', { name: 'Cancel' }).click();
	await expect(item).toHaveAttribute('data-status', 'cancelled');
	await expect(page.getByTestId('upload-summary')).toHaveText(
		'1 of 1 files: 0 uploaded, 0 duplicates skipped, 0 failed'
	);
	await cdp.send('Network.emulateNetworkConditions', {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: -1
	});
	await page.reload();
	await waitForApp(page);
	await expect(page.getByTestId('asset-list')).toHaveAttribute('data-loaded', 'true');
	await expect(page.getByTestId('asset-row')).toHaveCount(before);
	// Nothing half-written: the same file uploads cleanly afterwards.
	await page.getByTestId('director-upload-input').setInputFiles([files.long!]);
	await expect(page.getByTestId('upload-summary')).toHaveText(
		'1 of 1 files: 1 uploaded, 0 duplicates skipped, 0 failed',
		{
			timeout: 30_000
		}
	);
	await expect(assetRow(page, 'Long One')).toContainText('0:40');
});
