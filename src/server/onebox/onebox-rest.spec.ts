import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signJwt } from './jwt.js';
import { OWNER, startHarness, type Harness } from './test-harness';

// Each file starts a real server on PGlite; on a loaded 2-core machine that and the requests take seconds.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const sha = (n: number) => n.toString(16).padStart(64, '0');

let h: Harness;

/** A GET that sees the bytes on the wire (fetch would undo the compression). */
function rawGet(
	path: string,
	headers: Record<string, string>
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
	return new Promise((resolve, reject) => {
		get(h.url + path, { headers }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
		}).on('error', reject);
	});
}
let owner: { client: SupabaseClient; token: string; userId: string };
let tenantA: string;

beforeAll(async () => {
	h = await startHarness();
	owner = await h.signIn(OWNER.email, OWNER.password);
	const { data } = await owner.client.from('tenants').select('id').single();
	tenantA = data!.id;
}, 60_000);

afterAll(() => h?.stop());

describe('config and auth', () => {
	it('serves the runtime config pointing supabase-js at this origin', async () => {
		const config = await (await h.api('/config.json')).json();
		expect(config).toMatchObject({ backend: 'onebox', supabaseUrl: h.url, supabaseAnonKey: h.box.anonKey });
		const info = await (await h.api('/onebox/v1/info')).json();
		expect(info).toMatchObject({ mode: 'onebox', signup: false });
	});

	it('signs the owner in, refuses a wrong password and sign-ups', async () => {
		const c = h.client();
		const bad = await c.auth.signInWithPassword({ email: OWNER.email, password: 'wrong-password' });
		expect(bad.error?.message).toBe('Invalid login credentials');
		expect(bad.error?.status).toBe(400);
		const signUp = await c.auth.signUp({ email: 'new@onebox.test', password: 'whatever-123' });
		expect(signUp.error?.code).toBe('signup_disabled');
		const otp = await c.auth.signInWithOtp({ email: OWNER.email });
		expect(otp.error?.status).toBe(422);
		// A function without arguments (the account page calls this one on every sign-in).
		expect(await owner.client.rpc('accept_invitations')).toMatchObject({ status: 200, data: 0 });
		const { data } = await owner.client.auth.getUser();
		expect(data.user?.email).toBe(OWNER.email);
		expect(data.user?.id).toBe(owner.userId);
	});

	it('slows down password guessing per address', async () => {
		const created = await h.api('/onebox/v1/accounts', {
			method: 'POST',
			token: owner.token,
			body: JSON.stringify({ tenant_id: tenantA, email: 'guessed@onebox.test', role: 'dj' })
		});
		const { password } = await created.json();
		const c = h.client();
		for (let i = 0; i < 10; i++) {
			const { error } = await c.auth.signInWithPassword({ email: 'guessed@onebox.test', password: `guess-${i}` });
			expect(error?.status).toBe(400);
		}
		// Locked for a while, even with the right password; other accounts are unaffected.
		const locked = await c.auth.signInWithPassword({ email: 'GUESSED@onebox.test', password });
		expect([locked.error?.status, locked.error?.code]).toEqual([429, 'over_request_rate_limit']);
		await h.signIn(OWNER.email, OWNER.password);
	});

	it('rotates refresh tokens and ends sessions on sign-out', async () => {
		const { client } = await h.signIn(OWNER.email, OWNER.password);
		const before = (await client.auth.getSession()).data.session!;
		const { data, error } = await client.auth.refreshSession();
		expect(error).toBeNull();
		expect(data.session!.refresh_token).not.toBe(before.refresh_token);
		// The old access token still verifies for REST (stateless, like PostgREST) until sign-out…
		const token = data.session!.access_token;
		expect((await h.api('/auth/v1/user', { token })).status).toBe(200);
		await client.auth.signOut();
		// …after which the session is gone for the auth API and the refresh token is useless.
		const user = await h.api('/auth/v1/user', { token });
		expect(user.status).toBe(403);
		expect((await user.json()).code).toBe('session_not_found');
		const refresh = await h.api('/auth/v1/token?grant_type=refresh_token', {
			method: 'POST',
			body: JSON.stringify({ refresh_token: data.session!.refresh_token })
		});
		expect(refresh.status).toBe(400);
	});

	it('changes a password with updateUser', async () => {
		const created = await h.api('/onebox/v1/accounts', {
			method: 'POST',
			token: owner.token,
			body: JSON.stringify({ tenant_id: tenantA, email: 'changer@onebox.test', role: 'dj' })
		});
		const { password } = await created.json();
		const { client } = await h.signIn('changer@onebox.test', password);
		expect((await client.auth.updateUser({ password: 'short' })).error?.code).toBe('weak_password');
		expect((await client.auth.updateUser({ password: 'a-new-password-42' })).error).toBeNull();
		await expect(h.signIn('changer@onebox.test', password)).rejects.toThrow('Invalid login credentials');
		await h.signIn('changer@onebox.test', 'a-new-password-42');
	});
});

describe('REST', () => {
	let assets: { id: string; sha256: string; title: string }[];

	beforeAll(async () => {
		const rows = [1, 2, 3, 4].map((n) => ({
			tenant_id: tenantA,
			sha256: sha(n),
			size_bytes: 1000 * n,
			mime: 'audio/mpeg',
			title: `Track ${n}`,
			artist: n % 2 ? 'Odd' : null,
			valid_until: '2100-01-01T00:00:00Z',
			emergency_eligible: n === 4
		}));
		const { data, error } = await owner.client.from('media_assets').insert(rows).select('id, sha256, title');
		expect(error).toBeNull();
		assets = data!;
	});

	it('inserts in bulk and returns the rows in PostgREST shapes', async () => {
		expect(assets.map((a) => a.title)).toEqual(['Track 1', 'Track 2', 'Track 3', 'Track 4']);
		const { data } = await owner.client.from('media_assets').select('*').eq('id', assets[0]!.id).single();
		// Types as PostgREST serialises them: bigint and numeric as JSON numbers, timestamps with offset.
		expect(data!.size_bytes).toBe(1000);
		expect(data!.valid_until).toBe('2100-01-01T00:00:00+00:00');
		expect(data!.storage_path).toBe(`${tenantA}/${sha(1)}`);
		expect(typeof data!.version).toBe('number');
	});

	it('filters, orders, pages and counts', async () => {
		const c = owner.client;
		const ordered = await c
			.from('media_assets')
			.select('title', { count: 'exact' })
			.order('size_bytes', { ascending: false })
			.range(1, 2);
		expect(ordered.data!.map((r) => r.title)).toEqual(['Track 3', 'Track 2']);
		expect(ordered.count).toBe(4);
		const head = await c.from('media_assets').select('*', { count: 'exact', head: true }).gte('size_bytes', 2000);
		expect(head.count).toBe(3);
		expect(head.data).toBeNull();
		expect(
			(
				await c
					.from('media_assets')
					.select('title')
					.in('sha256', [sha(1), sha(3)])
					.order('title')
			).data
		).toEqual([{ title: 'Track 1' }, { title: 'Track 3' }]);
		expect((await c.from('media_assets').select('title').is('artist', null).order('title')).data!.length).toBe(2);
		expect((await c.from('media_assets').select('title').not('artist', 'is', null)).data!.length).toBe(2);
		expect((await c.from('media_assets').select('title').ilike('title', '%K 4')).data).toEqual([{ title: 'Track 4' }]);
		expect((await c.from('media_assets').select('title').like('title', 'Track _')).data!.length).toBe(4);
		const or = await c
			.from('media_assets')
			.select('title')
			.or(`title.eq.Track 1,and(emergency_eligible.is.true,size_bytes.gt.3000)`)
			.order('title');
		expect(or.data).toEqual([{ title: 'Track 1' }, { title: 'Track 4' }]);
		expect(
			(await c.from('media_assets').select('t:title, size:size_bytes::text').eq('sha256', sha(2)).single()).data
		).toEqual({
			t: 'Track 2',
			size: '2000'
		});
		expect(
			(await c.from('media_assets').select('title').neq('title', 'Track 1').lt('size_bytes', 4000)).data!.length
		).toBe(2);
	});

	it('compresses large answers for clients that accept it', async () => {
		const path = '/rest/v1/media_assets?select=*';
		const plain = await rawGet(path, { authorization: `Bearer ${owner.token}` });
		expect(plain.headers['content-encoding']).toBeUndefined();
		expect(plain.body.length).toBeGreaterThan(1024);
		for (const encoding of ['br', 'gzip'] as const) {
			const packed = await rawGet(path, { authorization: `Bearer ${owner.token}`, 'accept-encoding': encoding });
			expect(packed.headers['content-encoding']).toBe(encoding);
			expect(packed.body.length).toBeLessThan(plain.body.length / 2);
			const unpacked = encoding === 'br' ? brotliDecompressSync(packed.body) : gunzipSync(packed.body);
			expect(unpacked.equals(plain.body)).toBe(true);
		}
	});

	it('embeds related rows through foreign keys in both directions', async () => {
		const c = owner.client;
		const { data: memberships } = await c
			.from('memberships')
			.select('role, tenant_id, tenants(name)')
			.eq('user_id', owner.userId);
		expect(memberships).toEqual([{ role: 'owner', tenant_id: tenantA, tenants: { name: 'My store' } }]);
		const { data: playlist } = await c
			.from('playlists')
			.insert({ tenant_id: tenantA, name: 'Morning' })
			.select()
			.single();
		await c
			.from('playlist_items')
			.insert(
				assets
					.slice(0, 2)
					.map((a, i) => ({ tenant_id: tenantA, playlist_id: playlist!.id, asset_id: a.id, position: i }))
			);
		const { data, error } = await c
			.from('playlists')
			.select('name, playlist_items(position, media_assets(title))')
			.eq('id', playlist!.id)
			.single();
		expect(error).toBeNull();
		expect(data).toEqual({
			name: 'Morning',
			playlist_items: [
				{ position: 0, media_assets: { title: 'Track 1' } },
				{ position: 1, media_assets: { title: 'Track 2' } }
			]
		});
		const inner = await c.from('media_assets').select('title, playlist_items!inner(position)').order('title');
		expect(inner.data!.map((r) => r.title)).toEqual(['Track 1', 'Track 2']);

		// Filters, order and paging addressed to an embedded resource apply inside it…
		const items = (select: string) => c.from('playlists').select(select).eq('id', playlist!.id);
		const filtered = await items('name, playlist_items(position)').eq('playlist_items.position', 1).single();
		expect(filtered.data).toEqual({ name: 'Morning', playlist_items: [{ position: 1 }] });
		const ordered = await items('name, playlist_items(position)')
			.order('position', { referencedTable: 'playlist_items', ascending: false })
			.limit(1, { referencedTable: 'playlist_items' })
			.single();
		expect(ordered.data).toEqual({ name: 'Morning', playlist_items: [{ position: 1 }] });
		const nested = await items('playlist_items(position, media_assets(title))')
			.eq('playlist_items.media_assets.title', 'Track 2')
			.single();
		expect(nested.data).toEqual({
			playlist_items: [
				{ position: 0, media_assets: null },
				{ position: 1, media_assets: { title: 'Track 2' } }
			]
		});
		// …and with !inner they also filter the parent rows.
		const parents = await c
			.from('media_assets')
			.select('title, playlist_items!inner(position)')
			.eq('playlist_items.position', 1);
		expect(parents.data).toEqual([{ title: 'Track 2', playlist_items: [{ position: 1 }] }]);
	});

	it('gives absent keys their column default with Prefer: missing=default, null otherwise', async () => {
		const rows = [
			{ tenant_id: tenantA, name: 'With text', description: 'd' },
			{ tenant_id: tenantA, name: 'Without' }
		];
		const withDefaults = await owner.client
			.from('playlists')
			.insert(rows, { defaultToNull: false })
			.select('name, description, created_at');
		expect(withDefaults.error).toBeNull();
		expect(withDefaults.data!.map((r) => [r.name, r.description, typeof r.created_at])).toEqual([
			['With text', 'd', 'string'],
			['Without', null, 'string']
		]);
		// Without it, the absent created_at of the second row is null, which the column refuses.
		const withNulls = await owner.client
			.from('playlists')
			.insert([
				{ tenant_id: tenantA, name: 'A', created_at: '2026-01-01T00:00:00Z' },
				{ tenant_id: tenantA, name: 'B' }
			])
			.select();
		expect([withNulls.status, withNulls.error?.code]).toEqual([400, '23502']);
		await owner.client.from('playlists').delete().in('name', ['With text', 'Without']);
	});

	it('updates, upserts and deletes with return=representation and minimal', async () => {
		const c = owner.client;
		const updated = await c
			.from('media_assets')
			.update({ title: 'Renamed' })
			.eq('sha256', sha(3))
			.select('title, version');
		expect(updated.data).toHaveLength(1);
		expect(updated.data![0]!.title).toBe('Renamed');
		const minimal = await c.from('media_assets').update({ artist: 'X' }).eq('sha256', sha(3));
		expect(minimal.status).toBe(204);
		expect(minimal.data).toBeNull();
		const group = await c
			.from('device_groups')
			.upsert({ tenant_id: tenantA, name: 'Bars' }, { onConflict: 'tenant_id,name' })
			.select()
			.single();
		const again = await c
			.from('device_groups')
			.upsert({ tenant_id: tenantA, name: 'Bars' }, { onConflict: 'tenant_id,name', ignoreDuplicates: true })
			.select();
		expect(again.data).toEqual([]);
		// Merge updates every non-conflict column of the payload, so it works where those are updatable.
		const { data: list } = await c.from('playlists').insert({ tenant_id: tenantA, name: 'Draft' }).select().single();
		const merged = await c
			.from('playlists')
			.upsert({ id: list!.id, tenant_id: tenantA, name: 'Final' }, { onConflict: 'tenant_id,id' })
			.select()
			.single();
		expect([merged.data!.id, merged.data!.name]).toEqual([list!.id, 'Final']);
		// tenant_id has no update grant: merging on the primary key alone tries to update it, as on PostgREST.
		const refused = await c.from('playlists').upsert({ id: list!.id, tenant_id: tenantA, name: 'X' });
		expect([refused.status, refused.error?.code]).toEqual([403, '42501']);
		const deleted = await c.from('device_groups').delete().eq('id', group.data!.id).select('name');
		expect(deleted.data).toEqual([{ name: 'Bars' }]);
		const counted = await c.from('device_groups').delete({ count: 'exact' }).eq('id', group.data!.id);
		expect(counted.count).toBe(0);
		await c.from('playlists').delete().eq('id', list!.id);
	});

	it('returns PostgREST errors for constraint, type and single-row failures', async () => {
		const c = owner.client;
		const dup = await c.from('media_assets').insert({
			tenant_id: tenantA,
			sha256: sha(1),
			size_bytes: 1,
			mime: 'audio/mpeg',
			title: 'Dup',
			valid_until: '2100-01-01'
		});
		expect(dup.status).toBe(409);
		expect(dup.error!.code).toBe('23505');
		// No "Key (…) already exists" detail: PostgreSQL withholds key values on RLS tables, on Supabase too.
		const check = await c.from('media_assets').insert({
			tenant_id: tenantA,
			sha256: 'nothex',
			size_bytes: 1,
			mime: 'audio/mpeg',
			title: 'Bad',
			valid_until: '2100-01-01'
		});
		expect([check.status, check.error!.code]).toEqual([400, '23514']);
		const fk = await c
			.from('playlist_items')
			.insert({ tenant_id: tenantA, playlist_id: crypto.randomUUID(), asset_id: assets[0]!.id, position: 9 });
		expect([fk.status, fk.error!.code]).toEqual([409, '23503']);
		const uuid = await c.from('tenants').select().eq('id', 'not-a-uuid');
		expect([uuid.status, uuid.error!.code]).toEqual([400, '22P02']);
		const none = await c.from('tenants').select().eq('id', crypto.randomUUID()).single();
		expect([none.status, none.error!.code, none.error!.details]).toEqual([
			406,
			'PGRST116',
			'The result contains 0 rows'
		]);
		expect((await c.from('tenants').select().eq('id', crypto.randomUUID()).maybeSingle()).data).toBeNull();
		const grant = await c
			.from('media_assets')
			.update({ sha256: sha(9) })
			.eq('sha256', sha(1));
		expect([grant.status, grant.error!.code]).toEqual([403, '42501']);
	});

	it('answers malformed and hostile requests with PostgREST-shaped errors and runs nothing', async () => {
		const c = owner.client;
		const cases: [PromiseLike<{ status: number; error: { code: string; message: string } | null }>, number, string][] =
			[
				[c.from('no_such_table').select(), 404, 'PGRST205'],
				[c.from('tenants').select('nope'), 400, '42703'],
				[c.from('tenants').select('id').eq('nope', 'x'), 400, '42703'],
				[c.from('tenants').select('id').filter('name', 'sql', 'x'), 400, 'PGRST100'],
				[c.from('tenants').select('id; drop table public.tenants; --'), 400, '42703'],
				[c.from('tenants').select('id').eq('name"; drop table tenants; --', 'x'), 400, '42703'],
				[c.from('tenants').select('id').eq('memberships.role', 'owner'), 400, 'PGRST108'],
				[c.from('tenants').delete().eq('memberships.role', 'owner'), 400, 'PGRST100'],
				[c.from('tenants').select('id').or('name.eq.a,(('), 400, 'PGRST100'],
				[c.from('tenants').select('id').order('name.sideways'), 400, 'PGRST100'],
				[c.from('tenants').insert({ bogus: 1 }), 400, 'PGRST204'],
				[c.rpc('no_such_function'), 404, 'PGRST202'],
				[c.rpc('create_tenant', { wrong_arg: 'x' }), 404, 'PGRST202'],
				[c.from('tenants').select('id, memberships(nope)'), 400, '42703'],
				[c.from('tenants').select('id, media_assets!nope(title)'), 400, 'PGRST200']
			];
		for (const [request, status, code] of cases) {
			const result = await request;
			expect([result.status, result.error?.code]).toEqual([status, code]);
			expect(typeof result.error!.message).toBe('string');
		}
		// A value is always a bound parameter: quotes in it are just characters.
		const quoted = await c.from('tenants').select('id').eq('name', "x' or '1'='1");
		expect(quoted.data).toEqual([]);
		expect((await c.from('tenants').select('id')).data!.length).toBeGreaterThan(0);
		const otherSchema = await h.api('/rest/v1/users', { token: owner.token, headers: { 'accept-profile': 'auth' } });
		expect([otherSchema.status, (await otherSchema.json()).code]).toEqual([406, 'PGRST106']);
		const badJson = await h.api('/rest/v1/tenants', { method: 'POST', token: owner.token, body: '{"name": ' });
		expect([badJson.status, (await badJson.json()).code]).toEqual([400, 'PGRST102']);
		const limit = await h.api('/rest/v1/tenants?limit=-1', { token: owner.token });
		expect(limit.status).toBe(400);
	});

	it('refuses bad, forged and expired JWTs with 401', async () => {
		const secret = readFileSync(join(h.dataDir, 'jwt-secret'), 'utf8').trim();
		const now = Math.floor(Date.now() / 1000);
		const expired = signJwt({ sub: owner.userId, role: 'authenticated', exp: now - 10 }, secret);
		const forged = signJwt(
			{ sub: owner.userId, role: 'authenticated', exp: now + 60 },
			'another-secret-another-secret-xx'
		);
		const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: owner.userId, role: 'authenticated' })).toString('base64url')}.`;
		const service = signJwt({ role: 'service_role', exp: now + 60 }, secret);
		for (const [token, code] of [
			['garbage', 'PGRST301'],
			[forged, 'PGRST301'],
			[none, 'PGRST301'],
			[service, 'PGRST301'],
			[expired, 'PGRST303']
		] as const) {
			const res = await h.api('/rest/v1/tenants', { token });
			expect(res.status).toBe(401);
			expect((await res.json()).code).toBe(code);
			expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
		}
	});
});

describe('RLS through the API', () => {
	let tenantB: string;
	let ownerB: { client: SupabaseClient; token: string; userId: string };

	beforeAll(async () => {
		// A second, unrelated owner: created by A's owner as a dj of A, it founds tenant B, then leaves A.
		const res = await h.api('/onebox/v1/accounts', {
			method: 'POST',
			token: owner.token,
			body: JSON.stringify({ tenant_id: tenantA, email: 'b@onebox.test', role: 'dj' })
		});
		expect(res.status).toBe(201);
		const { password, user_id } = await res.json();
		ownerB = await h.signIn('b@onebox.test', password);
		tenantB = (await ownerB.client.rpc('create_tenant', { name: 'Store B' })).data;
		await owner.client.from('memberships').delete().eq('tenant_id', tenantA).eq('user_id', user_id);
		await ownerB.client.from('media_assets').insert({
			tenant_id: tenantB,
			sha256: sha(100),
			size_bytes: 5,
			mime: 'audio/mpeg',
			title: 'B only',
			valid_until: '2100-01-01'
		});
	});

	it('keeps tenants apart', async () => {
		expect((await ownerB.client.from('tenants').select('name')).data).toEqual([{ name: 'Store B' }]);
		expect((await ownerB.client.from('media_assets').select('title')).data).toEqual([{ title: 'B only' }]);
		expect((await owner.client.from('media_assets').select('title').eq('tenant_id', tenantB)).data).toEqual([]);
		const sneak = await ownerB.client.from('media_assets').insert({
			tenant_id: tenantA,
			sha256: sha(101),
			size_bytes: 5,
			mime: 'audio/mpeg',
			title: 'Sneak',
			valid_until: '2100-01-01'
		});
		expect([sneak.status, sneak.error!.code]).toEqual([403, '42501']);
		const rename = await ownerB.client.from('tenants').update({ name: 'Taken' }).eq('id', tenantA).select();
		expect(rename.data).toEqual([]);
		const enrol = await h.api('/onebox/v1/players', {
			method: 'POST',
			token: ownerB.token,
			body: JSON.stringify({ tenant_id: tenantA, name: 'Intruder' })
		});
		expect(enrol.status).toBe(403);
	});

	it('never lets one request see another caller, even when they run at the same time', async () => {
		const anon = h.client();
		const calls = Array.from({ length: 45 }, (_, i) => {
			const who = (['a', 'b', 'anon'] as const)[i % 3]!;
			const client = who === 'a' ? owner.client : who === 'b' ? ownerB.client : anon;
			return client
				.from('tenants')
				.select('name')
				.then((r) => ({ who, names: r.data?.map((t) => t.name) ?? r.error?.code }));
		});
		for (const { who, names } of await Promise.all(calls))
			expect(names).toEqual(who === 'a' ? ['My store'] : who === 'b' ? ['Store B'] : '42501');
	});

	it('lets anon see and call nothing', async () => {
		const anon = h.client();
		for (const table of ['tenants', 'memberships', 'media_assets', 'devices', 'playlists', 'schedules', 'sync_logs']) {
			const res = await anon.from(table).select();
			expect([res.status, res.error?.code]).toEqual([401, '42501']);
		}
		expect((await anon.rpc('create_tenant', { name: 'x' })).status).toBe(401);
		expect((await anon.rpc('sync_manifest', { device_id: crypto.randomUUID() })).status).toBe(401);
		expect(
			(await h.api('/onebox/v1/players', { method: 'POST', body: JSON.stringify({ tenant_id: tenantA, name: 'x' }) }))
				.status
		).toBe(401);
	});

	it('enrols a player that syncs its manifest, reports, and sees only its schedule', async () => {
		const c = owner.client;
		const res = await h.api('/onebox/v1/players', {
			method: 'POST',
			token: owner.token,
			body: JSON.stringify({ tenant_id: tenantA, name: 'Bar' })
		});
		expect(res.status).toBe(201);
		const player = await res.json();
		expect(player).toMatchObject({ tenant_id: tenantA, email: expect.stringMatching(/@players\.cratemesh\.invalid$/) });
		const { data: playlist } = await c
			.from('playlists')
			.insert({ tenant_id: tenantA, name: 'Bar music' })
			.select()
			.single();
		const { data: items } = await c
			.from('media_assets')
			.select('id')
			.in('sha256', [sha(1), sha(2)])
			.order('sha256');
		await c
			.from('playlist_items')
			.insert(items!.map((a, i) => ({ tenant_id: tenantA, playlist_id: playlist!.id, asset_id: a.id, position: i })));
		expect(
			(await c.from('schedules').insert({ tenant_id: tenantA, playlist_id: playlist!.id, device_id: player.device_id }))
				.error
		).toBeNull();

		const p = await h.signIn(player.email, player.password);
		const { data: manifest, error } = await p.client.rpc('sync_manifest', {
			device_id: player.device_id,
			last_manifest_hash: null,
			have_hashes: []
		});
		expect(error).toBeNull();
		// Two scheduled assets plus the emergency one (sha 4), nothing else.
		expect(manifest.downloads.map((d: { hash: string }) => d.hash).sort()).toEqual([sha(1), sha(2), sha(4)]);
		expect(manifest.downloads[0].url_path).toBe(
			`/storage/v1/object/authenticated/media/${tenantA}/${manifest.downloads[0].hash}`
		);
		const titles = (await p.client.from('media_assets').select('title').order('title')).data!.map((r) => r.title);
		expect(titles).toEqual(['Track 1', 'Track 2', 'Track 4']);
		expect((await p.client.from('memberships').select('role')).data).toEqual([{ role: 'player' }]);
		expect((await p.client.from('playlists').select('name')).data).toEqual([{ name: 'Bar music' }]);
		const hack = await p.client.from('devices').update({ name: 'Renamed' }).eq('id', player.device_id);
		expect([hack.status, hack.error?.code]).toEqual([403, '42501']);

		// Unchanged: tiny answer. Too soon: the SQL rate limit comes through as HTTP 429.
		await new Promise((resolve) => setTimeout(resolve, 1100));
		const again = await p.client.rpc('sync_manifest', {
			device_id: player.device_id,
			last_manifest_hash: manifest.hash,
			have_hashes: [sha(1), sha(2), sha(4)]
		});
		expect(again.data).toMatchObject({ hash: manifest.hash, unchanged: true });
		const tooSoon = await p.client.rpc('sync_manifest', {
			device_id: player.device_id,
			last_manifest_hash: manifest.hash,
			have_hashes: []
		});
		expect([tooSoon.status, tooSoon.error?.code]).toEqual([429, 'PT429']);

		const report = await p.client.rpc('report_sync', {
			device_id: player.device_id,
			manifest_hash: manifest.hash,
			downloaded: [sha(1), sha(2), sha(4)],
			cached_assets_count: 3,
			app_version: 'test'
		});
		expect(report.error).toBeNull();
		expect(report.data.log_id).toBeGreaterThan(0);
		const { data: device } = await c
			.from('devices')
			.select('cached_assets_count, last_manifest_hash, app_version')
			.eq('id', player.device_id)
			.single();
		expect(device).toEqual({ cached_assets_count: 3, last_manifest_hash: manifest.hash, app_version: 'test' });
		expect((await c.from('sync_logs').select('downloaded').eq('device_id', player.device_id)).data).toEqual([
			{ downloaded: [sha(1), sha(2), sha(4)] }
		]);

		// Another tenant's owner cannot ask for this device's manifest.
		const foreign = await ownerB.client.rpc('sync_manifest', { device_id: player.device_id });
		expect([foreign.status, foreign.error?.code]).toEqual([403, '42501']);

		// Resetting the password ends the old one; removing the player ends its access.
		const reset = await h.api(`/onebox/v1/players/${player.device_id}/password`, {
			method: 'POST',
			token: owner.token
		});
		const { password } = await reset.json();
		await expect(h.signIn(player.email, player.password)).rejects.toThrow();
		const again2 = await h.signIn(player.email, password);
		expect(
			(await h.api(`/onebox/v1/players/${player.device_id}`, { method: 'DELETE', token: ownerB.token })).status
		).toBe(404);
		expect(
			(await h.api(`/onebox/v1/players/${player.device_id}`, { method: 'DELETE', token: owner.token })).status
		).toBe(204);
		expect((await again2.client.from('media_assets').select('title')).data).toEqual([]);
		expect((await c.from('devices').select('user_id').eq('id', player.device_id).single()).data).toEqual({
			user_id: null
		});
	});
});
