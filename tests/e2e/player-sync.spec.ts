/**
 * Player sync end to end against the real one-box server (PGlite running supabase/migrations, the SQL
 * sync_manifest/report_sync, Storage with Range). The owner seeds through supabase-js; a player device
 * signs in with its enrolment credentials in Player mode, syncs, downloads only what is valid, verifies
 * hashes, plays with the network off, picks up a change at the next sync and deletes the expired file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { expect, test, type Page } from '@playwright/test';
import { tone } from '../fixtures/audio.js';
import { freePort, startOneBox } from './app-server';
import { storedDigest, waitForApp } from './helpers';

let box: Awaited<ReturnType<typeof startOneBox>>;
let base: string;
let audioDir: string;
let owner: SupabaseClient;
let tenantId: string;

interface Seeded {
	id: string;
	sha: string;
	title: string;
}

const DAY = 86_400_000;

class NoWebSocket {
	constructor() {
		throw new Error('Realtime is not used in this test');
	}
}

test.beforeAll(async () => {
	audioDir = mkdtempSync(join(tmpdir(), 'cratemesh-player-sync-'));
	const port = process.env.PLAYER_SYNC_E2E_PORT ? Number(process.env.PLAYER_SYNC_E2E_PORT) : await freePort();
	box = await startOneBox(port, { CRATEMESH_TENANT_NAME: 'Loja Centro' });
	base = `http://127.0.0.1:${port}`;
	const config = (await (await fetch(`${base}/config.json`)).json()) as { supabaseAnonKey: string };
	owner = createClient(base, config.supabaseAnonKey, {
		auth: { persistSession: false, autoRefreshToken: false },
		// Node 20 has no WebSocket and the one box has no Realtime: the client must not need one.
		realtime: { transport: NoWebSocket as never }
	});
	const { error } = await owner.auth.signInWithPassword(box.owner);
	expect(error).toBeNull();
	const { data } = await owner.from('memberships').select('tenant_id').eq('role', 'owner');
	tenantId = data![0]!.tenant_id as string;
});

test.afterAll(async () => {
	await box?.stop();
	rmSync(audioDir, { recursive: true, force: true });
});

/** An ffmpeg tone uploaded to Storage by hash and registered as an asset. */
async function seedAsset(
	name: string,
	freq: number,
	fields: { validFrom?: number; validUntil?: number; emergency?: boolean; noFile?: boolean } = {}
): Promise<Seeded> {
	const title = `Tone ${name}`;
	const path = tone(audioDir, {
		name: `${name}.mp3`,
		title,
		artist: 'Sync',
		album: 'E2E',
		genre: 'Test',
		ext: 'mp3',
		seconds: 4,
		freq
	});
	const bytes = readFileSync(path);
	const sha = createHash('sha256').update(bytes).digest('hex');
	if (!fields.noFile) {
		const upload = await owner.storage
			.from('media')
			.upload(`${tenantId}/${sha}`, bytes, { contentType: 'audio/mpeg', cacheControl: '31536000', upsert: false });
		expect(upload.error).toBeNull();
	}
	const now = Date.now();
	const { data, error } = await owner
		.from('media_assets')
		.insert({
			tenant_id: tenantId,
			sha256: sha,
			size_bytes: bytes.length,
			mime: 'audio/mpeg',
			title,
			artist: 'Sync',
			duration_ms: 4000,
			valid_from: new Date(fields.validFrom ?? now - DAY).toISOString(),
			valid_until: new Date(fields.validUntil ?? now + 30 * DAY).toISOString(),
			emergency_eligible: fields.emergency ?? false
		})
		.select('id')
		.single();
	expect(error).toBeNull();
	return { id: data!.id as string, sha, title };
}

/** Hashes the player is playing or has queued. */
function playingHashes(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const w = window as unknown as {
			__cratemeshPlayback: { currentEntry: { hash: string } | null; upcoming: { hash: string }[] };
		};
		const p = w.__cratemeshPlayback;
		return [...(p.currentEntry ? [p.currentEntry.hash] : []), ...p.upcoming.map((e) => e.hash)];
	});
}

test('a player signs in, syncs only what is valid, plays offline, picks up a change and deletes an expired file', async ({
	page,
	context
}) => {
	test.setTimeout(120_000);
	const now = Date.now();
	const a = await seedAsset('a', 440);
	const b = await seedAsset('b', 494);
	const expired = await seedAsset('expired', 523, { validFrom: now - 3 * DAY, validUntil: now - DAY });
	const emergency = await seedAsset('emergency', 587, { emergency: true });
	// Listed, but its file never reached Storage: a 404 for the player, reported, never blocking the rest.
	const missing = await seedAsset('missing', 622, { noFile: true });

	const { data: playlist } = await owner
		.from('playlists')
		.insert({ tenant_id: tenantId, name: 'Todo dia' })
		.select('id')
		.single();
	const items = [a, expired, b, missing].map((asset, position) => ({
		tenant_id: tenantId,
		playlist_id: playlist!.id,
		asset_id: asset.id,
		position
	}));
	expect((await owner.from('playlist_items').insert(items)).error).toBeNull();

	// Enrol the device: its own auth user with the player role.
	const { data: session } = await owner.auth.getSession();
	const enrol = await fetch(`${base}/onebox/v1/players`, {
		method: 'POST',
		headers: { authorization: `Bearer ${session.session!.access_token}`, 'content-type': 'application/json' },
		body: JSON.stringify({ tenant_id: tenantId, name: 'Caixa 1' })
	});
	expect(enrol.status).toBe(201);
	const player = (await enrol.json()) as { device_id: string; email: string; password: string };
	const schedule = await owner.from('schedules').insert({
		tenant_id: tenantId,
		playlist_id: playlist!.id,
		device_id: player.device_id,
		name: 'All day',
		days_of_week: [1, 2, 3, 4, 5, 6, 7],
		start_time: '00:00',
		end_time: '24:00',
		time_zone: 'UTC'
	});
	expect(schedule.error).toBeNull();

	// The device: Player mode, signed in with nothing but its enrolment credentials.
	await page.goto(`${base}/player`);
	await waitForApp(page);
	const status = page.getByTestId('sync-status');
	await expect(status).toHaveAttribute('data-status', 'signed-out');
	await page.getByTestId('sync-email').fill(player.email);
	await page.getByTestId('sync-password').fill(player.password);
	await status.getByRole('button', { name: 'Sign in and sync' }).click();
	await expect(status).toContainText('Caixa 1');
	await expect(page.getByTestId('sync-last')).toHaveAttribute('data-result', 'changed');
	await expect(page.getByTestId('sync-storage')).toHaveAttribute('data-files', '3', { timeout: 30_000 });
	await expect(page.getByTestId('sync-pending')).toHaveAttribute('data-count', '1');
	const failure = page.getByTestId('sync-failures').locator('li[data-code="not-found"]');
	await expect(failure).toContainText(missing.title);
	await expect(failure).toContainText('not found on the server (404)');

	// Valid and emergency files are here and verified; the expired one was never fetched.
	for (const asset of [a, b, emergency]) expect(await storedDigest(page, asset.sha)).toBe(asset.sha);
	expect(await storedDigest(page, expired.sha)).toBeNull();

	// The schedule runs from local files with the network off.
	await expect(page.getByTestId('kiosk-daypart')).toHaveText('All day');
	await context.setOffline(true);
	await expect(page.getByTestId('kiosk-source')).toHaveAttribute('data-source', 'schedule', { timeout: 30_000 });
	await expect(page.getByTestId('kiosk-title')).toHaveText(new RegExp(`${a.title}|${b.title}`));
	// The other track of the playlist (least recently played) comes next, from the local store too.
	const first = await page.getByTestId('kiosk-title').textContent();
	await page.getByTestId('player-mode').getByRole('button', { name: 'Next track' }).click();
	await expect(page.getByTestId('kiosk-title')).toHaveText(first === a.title ? b.title : a.title);
	await expect(page.getByTestId('kiosk-source')).toHaveAttribute('data-source', 'schedule');

	// The director changes the programme: a new track, and the emergency track's licence ends. (A file that
	// is playing or queued would be kept until it is not: see planDeletes in src/lib/features/sync.)
	await context.setOffline(false);
	const retire = emergency;
	expect(await playingHashes(page)).not.toContain(retire.sha);
	const fresh = await seedAsset('fresh', 659);
	expect(
		(
			await owner
				.from('playlist_items')
				.insert({ tenant_id: tenantId, playlist_id: playlist!.id, asset_id: fresh.id, position: 4 })
		).error
	).toBeNull();
	const expire = await owner
		.from('media_assets')
		.update({
			valid_from: new Date(now - 2 * DAY).toISOString(),
			valid_until: new Date(Date.now() - 1000).toISOString()
		})
		.eq('id', retire.id);
	expect(expire.error).toBeNull();

	// Next sync (on demand here; the loop does the same on its timer).
	await page.waitForTimeout(1200); // the server allows one manifest per second per device
	await page.getByTestId('sync-now').click();
	await expect.poll(() => storedDigest(page, fresh.sha), { timeout: 30_000 }).toBe(fresh.sha);
	await expect.poll(() => storedDigest(page, retire.sha), { timeout: 30_000 }).toBeNull();
	await expect(page.getByTestId('sync-pending')).toHaveAttribute('data-count', '1');

	// The device reported both syncs: what it downloaded and deleted, and its telemetry.
	await expect
		.poll(
			async () => {
				const { data } = await owner
					.from('sync_logs')
					.select('downloaded, deleted, failed')
					.eq('device_id', player.device_id);
				return {
					downloaded: [...new Set((data ?? []).flatMap((r) => r.downloaded as string[]))].sort(),
					deleted: (data ?? []).flatMap((r) => r.deleted as string[]),
					failed: [...new Set((data ?? []).flatMap((r) => r.failed as string[]))]
				};
			},
			{ timeout: 30_000 }
		)
		.toEqual({
			downloaded: [a.sha, b.sha, emergency.sha, fresh.sha].sort(),
			deleted: [retire.sha],
			failed: [missing.sha]
		});
	const { data: device } = await owner
		.from('devices')
		.select('app_version, public_key, cached_assets_count, last_sync_at')
		.eq('id', player.device_id)
		.single();
	expect(device!.cached_assets_count).toBe(3);
	expect(device!.app_version).toBeTruthy();
	expect(device!.public_key).toMatch(/^[A-Za-z0-9+/]+=*$/);
	expect(device!.last_sync_at).toBeTruthy();
	// Player mode with the sync panel fits a 360 px screen, and Sync now works from the keyboard.
	await page.setViewportSize({ width: 360, height: 740 });
	expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
	const before = await page.getByTestId('sync-last').textContent();
	await page.waitForTimeout(1200);
	await page.getByTestId('sync-now').focus();
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('sync-last')).not.toHaveText(before ?? '');

	// What it plays reaches the director's device list (checked every 15 s, sent at most every 30 s).
	await expect
		.poll(
			async () =>
				(await owner.from('devices').select('now_playing_title').eq('id', player.device_id).single()).data
					?.now_playing_title,
			{ timeout: 60_000, intervals: [2000] }
		)
		.toMatch(/^Tone (a|b|fresh)$/);
});
