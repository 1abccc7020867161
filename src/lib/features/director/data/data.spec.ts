/**
 * The director's data modules against the real one-box server (PGlite running supabase/migrations,
 * RLS per request) through supabase-js, as the panel uses them. Upload progress (XMLHttpRequest) is
 * browser-only and covered by tests/e2e/director.spec.ts; here the bytes go through supabase-js.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER, startHarness, type Harness } from '../../../../server/onebox/test-harness';
import {
	createGroup,
	enrolPlayer,
	listDevices,
	listGroups,
	recentSyncLogs,
	setDeviceGroup,
	type PlayerCredentials
} from './devices';
import { deleteAsset, insertAsset, listAssets, storagePath, titlesByHash, updateAsset, type MediaAsset } from './media';
import { appendItems, createPlaylist, listItems, reorderItems } from './playlists';
import { createSchedule, deleteSchedule, listSchedules, updateSchedule } from './schedules';
import { DirectorError, type Db } from './types';

let harness: Harness;
let db: Db;
let tenantId: string;
const assets: MediaAsset[] = [];

/** A few bytes that pass the bucket's audio MIME rule; the server never decodes them. */
const fakeAudio = (n: number) => new Uint8Array(Buffer.from(`ID3 fake audio ${n} `.repeat(50)));
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function refused(promise: Promise<unknown>): Promise<DirectorError> {
	const error = await promise.then(
		() => null,
		(e: unknown) => e
	);
	expect(error).toBeInstanceOf(DirectorError);
	return error as DirectorError;
}

beforeAll(async () => {
	harness = await startHarness({ tenantName: 'Data Spec' });
	db = (await harness.signIn(OWNER.email, OWNER.password)).client as unknown as Db;
	const { data } = await db.from('memberships').select('tenant_id').eq('role', 'owner');
	tenantId = data![0]!.tenant_id;
}, 60_000);

afterAll(() => harness?.stop());

describe('media', () => {
	it('inserts assets for uploaded files, finds duplicates by hash, edits and lists them', async () => {
		expect(await listAssets(db, tenantId)).toEqual([]);
		for (const n of [1, 2, 3]) {
			const bytes = fakeAudio(n);
			const hash = sha(bytes);
			const { error } = await db.storage
				.from('media')
				.upload(storagePath(tenantId, hash), bytes, { contentType: 'audio/mpeg', upsert: false });
			expect(error).toBeNull();
			assets.push(
				await insertAsset(db, tenantId, {
					sha256: hash,
					size_bytes: bytes.byteLength,
					mime: 'audio/mpeg',
					title: `Track ${n}`,
					artist: null,
					duration_ms: 1000,
					valid_from: new Date(Date.now() - 60_000).toISOString(),
					valid_until: new Date(Date.now() + 86_400_000).toISOString(),
					emergency_eligible: false
				})
			);
		}
		const found = await titlesByHash(db, tenantId, [assets[1]!.sha256, 'f'.repeat(64)]);
		expect([...found]).toEqual([[assets[1]!.sha256, 'Track 2']]);

		const edited = await updateAsset(db, assets[0]!.id, { title: 'Renamed', emergency_eligible: true });
		expect(edited).toMatchObject({ title: 'Renamed', emergency_eligible: true });
		expect((await listAssets(db, tenantId)).map((a) => a.title).sort()).toEqual(['Renamed', 'Track 2', 'Track 3']);
	});

	it('reports the database refusal (validity end before start) as a DirectorError', async () => {
		const error = await refused(
			updateAsset(db, assets[0]!.id, { valid_from: '2030-01-02T00:00:00Z', valid_until: '2030-01-01T00:00:00Z' })
		);
		expect(error.code).toBe('23514');
	});

	it('the same file twice is refused by the unique key', async () => {
		const a = assets[1]!;
		const error = await refused(
			insertAsset(db, tenantId, {
				sha256: a.sha256,
				size_bytes: a.size_bytes,
				mime: a.mime,
				title: 'again',
				artist: null,
				duration_ms: null,
				valid_from: a.valid_from,
				valid_until: a.valid_until,
				emergency_eligible: false
			})
		);
		expect(error.code).toBe('23505');
	});
});

describe('playlists', () => {
	it('appends items and reorders them atomically through the RPC', async () => {
		const playlist = await createPlaylist(db, tenantId, 'Morning');
		await appendItems(
			db,
			tenantId,
			playlist.id,
			assets.map((a) => a.id),
			0
		);
		const items = (await listItems(db, tenantId)).filter((i) => i.playlist_id === playlist.id);
		expect(items.map((i) => i.asset_id)).toEqual(assets.map((a) => a.id));

		const reversed = [...items].reverse().map((i) => i.id);
		await reorderItems(db, playlist.id, reversed);
		const after = (await listItems(db, tenantId)).filter((i) => i.playlist_id === playlist.id);
		expect(after.map((i) => i.id)).toEqual(reversed);
		expect(after.map((i) => i.position)).toEqual([0, 1, 2]);

		const error = await refused(reorderItems(db, playlist.id, reversed.slice(1)));
		expect(error.code).toBe('22023');
	});
});

describe('devices and schedules', () => {
	let player: PlayerCredentials;

	it('enrols a player, groups it, and refuses a duplicate group name', async () => {
		player = await enrolPlayer(db, harness.url, harness.box.anonKey, {
			tenant_id: tenantId,
			name: 'Bar',
			group_id: null
		});
		expect(player.email).toMatch(/@/);
		const group = await createGroup(db, tenantId, 'Terrace');
		expect((await refused(createGroup(db, tenantId, 'Terrace'))).code).toBe('23505');
		await setDeviceGroup(db, player.device_id, group.id);
		expect(await listGroups(db, tenantId)).toEqual([group]);
		expect(await listDevices(db, tenantId)).toEqual([
			expect.objectContaining({ id: player.device_id, name: 'Bar', group_id: group.id, last_sync_at: null })
		]);
	});

	it('enrolment errors carry the server status', async () => {
		const error = await refused(
			enrolPlayer(db, harness.url, harness.box.anonKey, {
				tenant_id: '00000000-0000-4000-8000-000000000000',
				name: 'Elsewhere',
				group_id: null
			})
		);
		expect(error.status).toBeGreaterThanOrEqual(400);
		expect(error.code).not.toBe('unsupported');
	});

	it('creates, updates and deletes dayparts; an unknown zone is the server message', async () => {
		const [playlist] = (await db.from('playlists').select('id').eq('name', 'Morning')).data!;
		const input = {
			playlist_id: playlist!.id,
			device_id: player.device_id,
			group_id: null,
			name: 'Mornings',
			days_of_week: [1, 2, 3, 4, 5],
			start_time: '08:00',
			end_time: '12:00',
			time_zone: 'Europe/Lisbon',
			priority: 0
		};
		const created = await createSchedule(db, tenantId, input);
		expect(created).toMatchObject({ start_time: '08:00:00', end_time: '12:00:00', days_of_week: [1, 2, 3, 4, 5] });
		const updated = await updateSchedule(db, created.id, { ...input, end_time: '24:00', priority: 7 });
		expect(updated).toMatchObject({ end_time: '24:00:00', priority: 7 });
		const error = await refused(createSchedule(db, tenantId, { ...input, time_zone: 'Europe/Pari' }));
		expect(error.message).toContain('Unknown time zone');
		await deleteSchedule(db, created.id);
		expect(await listSchedules(db, tenantId)).toEqual([]);
	});

	it('shows the player its reports in the sync log, newest first', async () => {
		const device = await harness.signIn(player.email, player.password);
		const report = await device.client.rpc('report_sync', {
			device_id: player.device_id,
			failed: [assets[2]!.sha256],
			cached_assets_count: 2,
			app_version: '1.0.0',
			error: 'one file failed'
		});
		expect(report.error).toBeNull();
		const logs = await recentSyncLogs(db, tenantId);
		expect(logs).toEqual([
			expect.objectContaining({
				device_id: player.device_id,
				failed_count: 1,
				error: 'one file failed',
				cached_assets_count: 2
			})
		]);
		expect((await listDevices(db, tenantId))[0]).toMatchObject({ app_version: '1.0.0', cached_assets_count: 2 });
	});
});

describe('delete', () => {
	it('removes the row and its file', async () => {
		const asset = assets[2]!;
		await deleteAsset(db, tenantId, asset);
		expect((await listAssets(db, tenantId)).some((a) => a.id === asset.id)).toBe(false);
		const { error } = await db.storage.from('media').download(storagePath(tenantId, asset.sha256));
		expect(error).not.toBeNull();
	});
});
