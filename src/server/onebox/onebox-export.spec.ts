import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { exportOneBox } from './export.js';
import { OWNER, startHarness } from './test-harness';

// Each file starts a real server on PGlite; on a loaded 2-core machine that and the requests take seconds.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const root = join(import.meta.dirname, '../../..');
const clusterScript = join(root, 'tests/sql/pg-cluster.sh');
const hasPostgres = spawnSync('bash', ['-c', `source ${clusterScript} && pgc_find_bins`]).status === 0;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// What Supabase's auth schema has beyond the shim (which recreates only what the migrations use).
const SUPABASE_AUTH_EXTRA = `
alter table auth.users add column instance_id uuid, add column confirmation_token varchar(255),
  add column recovery_token varchar(255), add column email_change_token_new varchar(255), add column email_change varchar(255);
create table auth.identities (id uuid primary key, user_id uuid not null references auth.users on delete cascade,
  provider_id text not null, provider text not null, identity_data jsonb not null, created_at timestamptz,
  updated_at timestamptz, unique (provider_id, provider));`;

describe.skipIf(!hasPostgres)('moving a one-box install to PostgreSQL/Supabase', () => {
	it('exports accounts, data and media that load into a fresh database with the same migrations', async () => {
		const h = await startHarness();
		dirs.push(h.dataDir);
		const owner = await h.signIn(OWNER.email, OWNER.password);
		const tenant = (await owner.client.from('tenants').select('id').single()).data!.id;
		const audio = Buffer.from("pretend this is an mp3 with a quote ' and a $j tag");
		const sha = createHash('sha256').update(audio).digest('hex');
		await owner.client.storage
			.from('media')
			.upload(`${tenant}/${sha}`, audio, { contentType: 'audio/mpeg', cacheControl: '31536000' });
		const { data: asset } = await owner.client
			.from('media_assets')
			.insert({
				tenant_id: tenant,
				sha256: sha,
				size_bytes: audio.length,
				mime: 'audio/mpeg',
				title: "O'Brien — ünïcode $$",
				valid_until: '2100-01-01'
			})
			.select()
			.single();
		const { data: playlist } = await owner.client
			.from('playlists')
			.insert({ tenant_id: tenant, name: 'Main' })
			.select()
			.single();
		await owner.client
			.from('playlist_items')
			.insert({ tenant_id: tenant, playlist_id: playlist!.id, asset_id: asset!.id, position: 0 });
		const enrol = await (
			await h.api('/onebox/v1/players', {
				method: 'POST',
				token: owner.token,
				body: JSON.stringify({ tenant_id: tenant, name: 'Bar' })
			})
		).json();
		await owner.client.from('schedules').insert({
			tenant_id: tenant,
			playlist_id: playlist!.id,
			device_id: enrol.device_id,
			days_of_week: [1, 3, 5],
			start_time: '08:00',
			end_time: '12:00',
			time_zone: 'Europe/Lisbon'
		});
		const p = await h.signIn(enrol.email, enrol.password);
		const m = await p.client.rpc('sync_manifest', { device_id: enrol.device_id, have_hashes: [] });
		await p.client.rpc('report_sync', {
			device_id: enrol.device_id,
			manifest_hash: m.data.hash,
			downloaded: [sha],
			cached_assets_count: 1
		});
		const at = '2030-01-07T09:00:00Z';
		const asService = `select set_config('request.jwt.claims', '{"role":"service_role"}', false);`;
		await h.box.db.exec(asService);
		const manifestHere = (
			await h.box.db.query(`select cratemesh.sync_manifest_at($1, null, '{}', $2) ->> 'hash' as hash`, [
				enrol.device_id,
				at
			])
		).rows[0] as { hash: string };
		await h.stop({ keepData: true });

		const out = mkdtempSync(join(tmpdir(), 'cratemesh-export-'));
		dirs.push(out);
		const result = await exportOneBox({ dataDir: h.dataDir, out });
		expect(result.users).toBe(2);
		expect(result.counts).toMatchObject({
			tenants: 1,
			memberships: 2,
			devices: 1,
			media_assets: 1,
			playlists: 1,
			playlist_items: 1,
			schedules: 1,
			sync_logs: 1
		});
		expect(readFileSync(join(out, 'storage', 'media', tenant, sha)).equals(audio)).toBe(true);
		expect(JSON.parse(readFileSync(join(out, 'objects.json'), 'utf8'))).toEqual([
			{
				bucket: 'media',
				name: `${tenant}/${sha}`,
				size: audio.length,
				contentType: 'audio/mpeg',
				cacheControl: 'max-age=31536000',
				sha256: sha
			}
		]);
		expect(readFileSync(join(out, 'accounts.csv'), 'utf8')).toContain(`${OWNER.email},staff,owner@My store`);
		expect(readFileSync(join(out, 'auth-users.sql'), 'utf8')).not.toMatch(/scrypt\$/);

		const started = spawnSync('bash', [clusterScript, 'start', '--schema'], { encoding: 'utf8' });
		expect(started.status, started.stderr).toBe(0);
		const env = Object.fromEntries(
			started.stdout
				.trim()
				.split('\n')
				.map((l) => l.split(/=(.*)/s).slice(0, 2))
		);
		const psql = (args: string[], input?: string) =>
			spawnSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', ...args], {
				input,
				encoding: 'utf8',
				env: { ...process.env, ...env }
			});
		try {
			for (const step of [
				psql([], SUPABASE_AUTH_EXTRA),
				psql(['-f', join(out, 'auth-users.sql')]),
				psql(['-f', join(out, 'data.sql')])
			])
				expect(step.status, step.stderr).toBe(0);
			const check = psql([
				'-c',
				`${asService} select json_build_object(
					'title', (select title from public.media_assets where id = '${asset!.id}'),
					'logs', (select count(*) from public.sync_logs),
					'identities', (select count(*) from auth.identities),
					'hash', cratemesh.sync_manifest_at('${enrol.device_id}', null, '{}', '${at}') ->> 'hash')`
			]);
			expect(check.status, check.stderr).toBe(0);
			// Same rows, same versions, same schedule: the very same manifest hash on PostgreSQL 15.
			expect(JSON.parse(check.stdout.trim().split('\n').pop()!)).toEqual({
				title: "O'Brien — ünïcode $$",
				logs: 1,
				identities: 2,
				hash: manifestHere.hash
			});
			// Sequences moved past the imported values: new rows do not collide.
			const next = psql([
				'-c',
				`select nextval('cratemesh.media_asset_version_seq') > (select max(version) from public.media_assets)`
			]);
			expect(next.stdout.trim()).toBe('t');
		} finally {
			spawnSync('bash', [clusterScript, 'stop', env.PGC_DIR!]);
		}
	}, 180_000);
});
