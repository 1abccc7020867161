import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OWNER, startHarness, type Harness } from './test-harness';

// Each file starts a real server on PGlite; on a loaded 2-core machine that and the requests take seconds.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

function bytes(size: number, seed: number): Buffer {
	const out = Buffer.alloc(size);
	for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 255;
	return out;
}

let h: Harness;
let owner: { client: SupabaseClient; token: string; userId: string };
let tenant: string;
const UPLOAD_LIMIT = 2 * 1024 * 1024;
const big = bytes(1_500_000, 1);
const bigPath = () => `${tenant}/${sha256(big)}`;

beforeAll(async () => {
	h = await startHarness({ uploadLimit: UPLOAD_LIMIT });
	owner = await h.signIn(OWNER.email, OWNER.password);
	tenant = (await owner.client.from('tenants').select('id').single()).data!.id;
}, 60_000);

afterAll(() => h?.stop());

describe('storage', () => {
	it('uploads raw bodies and multipart Blobs, hashing and storing them whole', async () => {
		const media = owner.client.storage.from('media');
		const raw = await media.upload(bigPath(), big, { contentType: 'audio/mpeg', cacheControl: '31536000' });
		expect(raw.error).toBeNull();
		expect(raw.data).toMatchObject({ path: bigPath(), fullPath: `media/${bigPath()}` });
		const small = bytes(70_000, 2);
		const blob = await media.upload(
			`${tenant}/${sha256(small)}`,
			new Blob([new Uint8Array(small)], { type: 'audio/ogg' }),
			{
				cacheControl: '600'
			}
		);
		expect(blob.error).toBeNull();
		const info = await media.info(`${tenant}/${sha256(small)}`);
		expect(info.data).toMatchObject({
			size: small.length,
			contentType: 'audio/ogg',
			etag: `"${md5(small)}"`,
			cacheControl: 'max-age=600'
		});
		const back = await media.download(`${tenant}/${sha256(small)}`);
		expect(sha256(new Uint8Array(await back.data!.arrayBuffer()))).toBe(sha256(small));
		expect(readdirSync(join(h.dataDir, 'tmp'))).toEqual([]);
		expect(readdirSync(join(h.dataDir, 'storage', 'media', tenant)).sort()).toEqual(
			[sha256(big), sha256(small)].sort()
		);
	});

	it('lets the bucket policies decide uploads: duplicates, names, MIME types, size', async () => {
		const media = owner.client.storage.from('media');
		const dup = await media.upload(bigPath(), big, { contentType: 'audio/mpeg' });
		expect([dup.error?.status, (dup.error as { statusCode?: string })?.statusCode]).toEqual([409, '409']);
		// Objects are immutable: there is no update policy, so an upsert over an existing object is refused.
		const upsert = await media.upload(bigPath(), big, { contentType: 'audio/mpeg', upsert: true });
		expect(upsert.error?.status).toBe(403);
		expect(
			(await media.upload(`${tenant}/not-a-hash`, Buffer.from('x'), { contentType: 'audio/mpeg' })).error?.status
		).toBe(403);
		expect(
			(await media.upload(`${crypto.randomUUID()}/${'a'.repeat(64)}`, Buffer.from('x'), { contentType: 'audio/mpeg' }))
				.error?.status
		).toBe(403);
		expect(
			(await media.upload(`${tenant}/${'b'.repeat(64)}`, Buffer.from('<html>'), { contentType: 'text/html' })).error
				?.status
		).toBe(415);
		const tooBig = bytes(UPLOAD_LIMIT + 1, 3);
		const over = await media.upload(`${tenant}/${sha256(tooBig)}`, tooBig, { contentType: 'audio/mpeg' });
		expect(over.error?.status).toBe(413);
		// Streamed without a Content-Length: the limit is enforced while reading.
		const chunked = await h.api(`/storage/v1/object/media/${tenant}/${sha256(tooBig)}`, {
			method: 'POST',
			token: owner.token,
			headers: { 'content-type': 'audio/mpeg' },
			body: new ReadableStream({
				start(controller) {
					for (let i = 0; i < tooBig.length; i += 65536) controller.enqueue(tooBig.subarray(i, i + 65536));
					controller.close();
				}
			}),
			duplex: 'half'
		} as RequestInit);
		expect(chunked.status).toBe(413);
		expect(await media.exists(`${tenant}/${sha256(tooBig)}`)).toMatchObject({ data: false });
		expect(readdirSync(join(h.dataDir, 'tmp'))).toEqual([]);
		const traversal = await h.api(`/storage/v1/object/media/${tenant}/..%2F..%2Fjwt-secret`, { token: owner.token });
		expect(traversal.status).toBe(400);
	});

	it('serves byte ranges so a download can resume, with strong validators', async () => {
		const url = `/storage/v1/object/authenticated/media/${bigPath()}`;
		const full = await h.api(url, { token: owner.token });
		expect(full.status).toBe(200);
		expect(full.headers.get('accept-ranges')).toBe('bytes');
		expect(full.headers.get('cache-control')).toBe('max-age=31536000');
		expect(full.headers.get('content-length')).toBe(String(big.length));
		const etag = full.headers.get('etag')!;
		expect(etag).toBe(`"${md5(big)}"`);
		await full.arrayBuffer();

		// An interrupted download: the first 600,000 bytes, then the rest from there.
		const first = await h.api(url, { token: owner.token, headers: { range: 'bytes=0-599999' } });
		expect(first.status).toBe(206);
		expect(first.headers.get('content-range')).toBe(`bytes 0-599999/${big.length}`);
		const head = Buffer.from(await first.arrayBuffer());
		const rest = await h.api(url, {
			token: owner.token,
			headers: { range: `bytes=${head.length}-`, 'if-range': etag }
		});
		expect(rest.status).toBe(206);
		const tail = Buffer.from(await rest.arrayBuffer());
		expect(sha256(Buffer.concat([head, tail]))).toBe(sha256(big));

		const suffix = await h.api(url, { token: owner.token, headers: { range: 'bytes=-10' } });
		expect([suffix.status, suffix.headers.get('content-range')]).toEqual([
			206,
			`bytes ${big.length - 10}-${big.length - 1}/${big.length}`
		]);
		expect(Buffer.from(await suffix.arrayBuffer()).equals(big.subarray(-10))).toBe(true);
		const stale = await h.api(url, {
			token: owner.token,
			headers: { range: 'bytes=10-', 'if-range': '"something-else"' }
		});
		expect(stale.status).toBe(200);
		await stale.arrayBuffer();
		const past = await h.api(url, { token: owner.token, headers: { range: `bytes=${big.length}-` } });
		expect([past.status, past.headers.get('content-range')]).toEqual([416, `bytes */${big.length}`]);
		const cached = await h.api(url, { token: owner.token, headers: { 'if-none-match': etag } });
		expect(cached.status).toBe(304);
		const headOnly = await h.api(url, { token: owner.token, method: 'HEAD' });
		expect([headOnly.status, headOnly.headers.get('content-length')]).toEqual([200, String(big.length)]);
	});

	it('refuses downloads the policies do not allow, the same way as a missing file', async () => {
		const url = `/storage/v1/object/authenticated/media/${bigPath()}`;
		const anon = await h.api(url);
		expect(anon.status).toBe(404);
		expect(await anon.json()).toEqual({ statusCode: '404', error: 'not_found', message: 'Object not found' });
		const enrol = await h.api('/onebox/v1/players', {
			method: 'POST',
			token: owner.token,
			body: JSON.stringify({ tenant_id: tenant, name: 'Lobby' })
		});
		const player = await enrol.json();
		const p = await h.signIn(player.email, player.password);
		// Not scheduled for this player: invisible.
		expect((await h.api(url, { token: p.token })).status).toBe(404);
		const denied = await p.client.storage.from('media').download(bigPath());
		expect(denied.error?.status).toBe(404);
		// Once scheduled (here: in the emergency pool), the same player may fetch it.
		await owner.client.from('media_assets').insert({
			tenant_id: tenant,
			sha256: sha256(big),
			size_bytes: big.length,
			mime: 'audio/mpeg',
			title: 'Big',
			valid_until: '2100-01-01',
			emergency_eligible: true
		});
		const allowed = await h.api(url, { token: p.token, headers: { range: 'bytes=0-99' } });
		expect(allowed.status).toBe(206);
		expect(Buffer.from(await allowed.arrayBuffer()).equals(big.subarray(0, 100))).toBe(true);
		expect(
			(
				await p.client.storage
					.from('media')
					.upload(`${tenant}/${'c'.repeat(64)}`, Buffer.from('x'), { contentType: 'audio/mpeg' })
			).error?.status
		).toBe(403);
		expect((await p.client.storage.from('media').remove([bigPath()])).data).toEqual([]);
	});

	it('issues signed URLs that work without a session and only for their object', async () => {
		const media = owner.client.storage.from('media');
		const { data, error } = await media.createSignedUrl(bigPath(), 60);
		expect(error).toBeNull();
		const res = await fetch(data!.signedUrl, { headers: { range: 'bytes=100-199' } });
		expect(res.status).toBe(206);
		expect(Buffer.from(await res.arrayBuffer()).equals(big.subarray(100, 200))).toBe(true);
		const token = new URL(data!.signedUrl).searchParams.get('token')!;
		const other = await h.api(`/storage/v1/object/sign/media/${tenant}/${'d'.repeat(64)}?token=${token}`);
		expect(other.status).toBe(400);
		const tampered = await h.api(`/storage/v1/object/sign/media/${bigPath()}?token=${token.slice(0, -2)}xx`);
		expect(tampered.status).toBe(400);
		// An access token is not a signed URL.
		expect((await h.api(`/storage/v1/object/sign/media/${bigPath()}?token=${owner.token}`)).status).toBe(400);
		const many = await media.createSignedUrls([bigPath(), `${tenant}/${'e'.repeat(64)}`], 60);
		expect(many.data!.map((d) => d.error)).toEqual([
			null,
			'Either the object does not exist or you do not have access to it'
		]);
		const anonSign = await h.client().storage.from('media').createSignedUrl(bigPath(), 60);
		expect(anonSign.error?.status).toBe(404);
	});

	it('keeps serving while the database is busy: it runs in its own thread', async () => {
		const order: string[] = [];
		const slow = h.box.db.query(`select pg_sleep(1.5)`).then(() => order.push('query'));
		// Let the query reach the database thread first.
		await new Promise((resolve) => setTimeout(resolve, 100));
		const health = h.api('/healthz').then(async (res) => {
			await res.json();
			order.push('health');
		});
		await Promise.all([slow, health]);
		expect(order).toEqual(['health', 'query']);
	});

	it('lists folders and files, and deletes objects with their bytes', async () => {
		const media = owner.client.storage.from('media');
		const root = await media.list();
		expect(root.data!.map((e) => [e.name, e.id])).toEqual([[tenant, null]]);
		const files = await media.list(tenant, { sortBy: { column: 'name', order: 'desc' } });
		expect(files.data!.length).toBe(2);
		expect(files.data![0]!.name > files.data![1]!.name).toBe(true);
		const removed = await media.remove([bigPath()]);
		expect(removed.data!.map((r) => r.name)).toEqual([bigPath()]);
		expect(readdirSync(join(h.dataDir, 'storage', 'media', tenant))).not.toContain(sha256(big));
		expect((await h.api(`/storage/v1/object/authenticated/media/${bigPath()}`, { token: owner.token })).status).toBe(
			404
		);
	});
});
