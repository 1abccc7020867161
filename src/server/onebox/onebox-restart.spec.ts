import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from './database.js';
import { createOneBox } from './index.js';
import { OWNER, startHarness } from './test-harness';

// Each file starts a real server on PGlite; on a loaded 2-core machine that and the requests take seconds.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const root = join(import.meta.dirname, '../../..');
const dirs: string[] = [];
const tempDir = (prefix: string) => {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	dirs.push(dir);
	return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('one-box data directory', () => {
	it('keeps everything across a restart and applies nothing twice', async () => {
		const dataDir = tempDir('cratemesh-onebox-restart-');
		const first = await startHarness({ dataDir });
		const migrations = readdirSync(join(root, 'supabase/migrations')).filter((f) => f.endsWith('.sql'));
		expect(first.box.applied).toEqual(['supabase-shim', ...migrations.map((f) => f.replace(/\.sql$/, ''))]);
		const owner = await first.signIn(OWNER.email, OWNER.password);
		const tenant = (await owner.client.from('tenants').select('id').single()).data!.id;
		await owner.client.from('playlists').insert({ tenant_id: tenant, name: 'Survives' });
		const file = Buffer.from('ID3 some audio bytes');
		const path = `${tenant}/${'f'.repeat(64)}`;
		expect(
			(await owner.client.storage.from('media').upload(path, file, { contentType: 'audio/mpeg' })).error
		).toBeNull();
		const session = (await owner.client.auth.getSession()).data.session!;
		const coldMs = first.box.startMs;
		await first.stop({ keepData: true });

		const second = await startHarness({ dataDir, ownerPassword: 'ignored-after-first-start' });
		try {
			expect(second.box.applied).toEqual([]);
			expect(second.box.owner).toMatchObject({ email: OWNER.email, created: false });
			// Same signing secret: a token issued before the restart still works, and so does its session.
			const user = await second.api('/auth/v1/user', { token: session.access_token });
			expect(user.status).toBe(200);
			const again = await second.signIn(OWNER.email, OWNER.password);
			expect((await again.client.from('playlists').select('name')).data).toEqual([{ name: 'Survives' }]);
			expect((await again.client.from('tenants').select('id')).data).toHaveLength(1);
			const back = await again.client.storage.from('media').download(path);
			expect(Buffer.from(await back.data!.arrayBuffer()).equals(file)).toBe(true);
			console.log(
				`one-box start: first ${coldMs} ms (initdb + ${migrations.length} migrations), restart ${second.box.startMs} ms`
			);
		} finally {
			await second.stop();
		}
	}, 120_000);

	it('generates the owner password once, in a file only its owner can read, beside a 0600 JWT secret', async () => {
		const dataDir = tempDir('cratemesh-onebox-owner-');
		const lines: string[] = [];
		const box = await createOneBox({ dataDir, log: (line) => lines.push(line) });
		try {
			const saved = readFileSync(join(dataDir, 'owner-password.txt'), 'utf8');
			const password = /password: (\S+)/.exec(saved)![1]!;
			expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
			expect(lines.join('\n')).toContain(password);
			expect(statSync(join(dataDir, 'owner-password.txt')).mode & 0o777).toBe(0o600);
			expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
			// One server per directory.
			await expect(createOneBox({ dataDir, log: () => {} })).rejects.toThrow(/in use by process/);
		} finally {
			await box.close();
		}
	}, 120_000);

	it('resets a lost password from the command line while the server is stopped', async () => {
		const dataDir = tempDir('cratemesh-onebox-admin-');
		const first = await startHarness({ dataDir });
		const busy = spawnSync(
			process.execPath,
			[join(import.meta.dirname, 'admin.js'), 'accounts', '--data-dir', dataDir],
			{ encoding: 'utf8' }
		);
		expect(busy.status).toBe(1);
		expect(busy.stderr).toMatch(/in use by process/);
		await first.stop({ keepData: true });

		const reset = spawnSync(
			process.execPath,
			[join(import.meta.dirname, 'admin.js'), 'set-password', OWNER.email, '--data-dir', dataDir],
			{
				encoding: 'utf8'
			}
		);
		expect(reset.status, reset.stderr).toBe(0);
		const password = /New password for \S+: (\S+)/.exec(reset.stdout)![1]!;
		const list = spawnSync(
			process.execPath,
			[join(import.meta.dirname, 'admin.js'), 'accounts', '--data-dir', dataDir],
			{ encoding: 'utf8' }
		);
		expect(list.stdout.trim()).toBe(`${OWNER.email}: owner of My store`);

		const second = await startHarness({ dataDir });
		try {
			await expect(second.signIn(OWNER.email, OWNER.password)).rejects.toThrow('Invalid login credentials');
			await second.signIn(OWNER.email, password);
		} finally {
			await second.stop();
		}
	}, 120_000);

	it('applies a new migration on upgrade, and rolls back a failing one whole', async () => {
		const migrationsDir = tempDir('cratemesh-migrations-');
		for (const f of readdirSync(join(root, 'supabase/migrations')))
			copyFileSync(join(root, 'supabase/migrations', f), join(migrationsDir, f));
		const pgDir = join(tempDir('cratemesh-pg-'), 'pg');
		const shimFile = join(root, 'supabase/compat/supabase-shim.sql');
		const first = await openDatabase({ pgDir, shimFile, migrationsDir });
		await first.db.close();

		writeFileSync(join(migrationsDir, '29990101000000_later.sql'), 'create table public.later (id int primary key);');
		writeFileSync(join(migrationsDir, '29990102000000_broken.sql'), 'create table public.half (id int); select 1/0;');
		await expect(openDatabase({ pgDir, shimFile, migrationsDir })).rejects.toThrow(
			/29990102000000_broken failed: division by zero/
		);

		rmSync(join(migrationsDir, '29990102000000_broken.sql'));
		const third = await openDatabase({ pgDir, shimFile, migrationsDir });
		try {
			expect(third.applied).toEqual([]);
			const { rows } = await third.db.query(
				`select to_regclass('public.later') is not null as later, to_regclass('public.half') is not null as half`
			);
			expect(rows[0]).toEqual({ later: true, half: false });
		} finally {
			await third.db.close();
		}
	}, 120_000);
});
