/**
 * Cloud backups against the real one-box server (PGlite with every migration, the Storage API subset) through
 * supabase-js: what the bucket's policies allow, as the app calls it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OWNER, startHarness, type Harness } from '../../../server/onebox/test-harness';
import {
	BACKUP_BUCKET,
	backupObjectName,
	createdAtOf,
	deleteCloudBackup,
	downloadCloudBackup,
	listCloudBackups,
	uploadCloudBackup
} from './cloud-backups';
import { backupData, writeBackupZip } from './backup';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

let h: Harness;
let owner: Awaited<ReturnType<Harness['signIn']>>;
let dj: Awaited<ReturnType<Harness['signIn']>>;

async function encryptedZip(passphrase: string): Promise<Blob> {
	const chunks: Uint8Array[] = [];
	const data = backupData({ tracks: [], analysis: [], cues: [], playlists: [], items: [] }, [], 1_700_000_000_000);
	await writeBackupZip(new WritableStream({ write: (c: Uint8Array) => void chunks.push(c) }), data, {
		passphrase
	});
	return new Blob(chunks as BlobPart[]);
}

beforeAll(async () => {
	h = await startHarness();
	owner = await h.signIn(OWNER.email, OWNER.password);
	const tenant = (await owner.client.from('tenants').select('id').single()).data!.id;
	const created = await h.api('/onebox/v1/accounts', {
		method: 'POST',
		token: owner.token,
		body: JSON.stringify({ tenant_id: tenant, email: 'dj@onebox.test', role: 'dj' })
	});
	const { password } = (await created.json()) as { password: string };
	dj = await h.signIn('dj@onebox.test', password);
}, 120_000);

afterAll(() => h?.stop());

describe('object names', () => {
	it('sort by time and parse back', () => {
		const name = backupObjectName(Date.UTC(2026, 11, 5, 17, 3, 9, 450));
		expect(name).toMatch(/^20261205T170309Z-[0-9a-f]{8}\.cmbk$/);
		expect(createdAtOf(name)).toBe(Date.UTC(2026, 11, 5, 17, 3, 9));
		expect(createdAtOf('library.zip')).toBeNull();
	});
});

describe('cloud backups on the one box', () => {
	it('uploads, lists newest first and downloads the same bytes', async () => {
		const first = await encryptedZip('correct horse battery');
		const a = await uploadCloudBackup(dj.client, dj.userId, first, { now: Date.UTC(2026, 0, 1) });
		const second = await encryptedZip('correct horse battery');
		const b = await uploadCloudBackup(dj.client, dj.userId, second, { now: Date.UTC(2026, 0, 2) });
		const list = await listCloudBackups(dj.client, dj.userId);
		expect(list.map((x) => x.path)).toEqual([b.path, a.path]);
		expect(list[0]).toMatchObject({ createdAt: Date.UTC(2026, 0, 2), size: second.size });
		const back = await downloadCloudBackup(dj.client, a.path);
		expect(new Uint8Array(await back.arrayBuffer())).toEqual(new Uint8Array(await first.arrayBuffer()));
	});

	it('another user of the same tenant (even its owner) neither lists, reads, writes nor deletes them', async () => {
		const [mine] = await listCloudBackups(dj.client, dj.userId);
		expect(await listCloudBackups(owner.client, dj.userId)).toEqual([]);
		await expect(downloadCloudBackup(owner.client, mine!.path)).rejects.toMatchObject({ code: 'not-found' });
		await expect(deleteCloudBackup(owner.client, mine!.path)).rejects.toMatchObject({ code: 'not-found' });
		await expect(uploadCloudBackup(owner.client, dj.userId, await encryptedZip('x'))).rejects.toMatchObject({
			code: 'failed'
		});
		const raw = await owner.client.storage
			.from(BACKUP_BUCKET)
			.upload(`${owner.userId}/backup.zip`, new Blob(['x'], { type: 'application/octet-stream' }));
		expect(raw.error).not.toBeNull();
		expect((await listCloudBackups(dj.client, dj.userId)).length).toBe(2);
	});

	it('keeps the newest ten', async () => {
		for (let day = 3; day <= 13; day++)
			await uploadCloudBackup(owner.client, owner.userId, await encryptedZip('p'), { now: Date.UTC(2026, 0, day) });
		const list = await listCloudBackups(owner.client, owner.userId);
		expect(list.length).toBe(10);
		expect(list[0]!.createdAt).toBe(Date.UTC(2026, 0, 13));
		expect(list[9]!.createdAt).toBe(Date.UTC(2026, 0, 4));
	});

	it('deletes one of the user’s own', async () => {
		const [newest] = await listCloudBackups(dj.client, dj.userId);
		await deleteCloudBackup(dj.client, newest!.path);
		expect((await listCloudBackups(dj.client, dj.userId)).map((b) => b.path)).not.toContain(newest!.path);
	});
});
