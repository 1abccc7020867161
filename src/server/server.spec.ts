import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCratemeshServer } from './app.js';
import { contentSecurityPolicy, inlineScriptHashes } from './security-headers.js';

const inline = `{ __sveltekit_x = { base: "" }; import("/_app/immutable/entry/start.abc.js"); }`;
const html = `<!doctype html><html><head><script type="module" src="/x.js"></script></head><body><script>${inline}</script></body></html>`;
const js = 'export const answer = 42;'.repeat(50);

let dir: string;
let base: string;
let close: () => void;

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'cratemesh-build-'));
	mkdirSync(join(dir, '_app/immutable/entry'), { recursive: true });
	writeFileSync(join(dir, 'index.html'), html);
	writeFileSync(join(dir, '_app/immutable/entry/start.abc.js'), js);
	writeFileSync(join(dir, '_app/immutable/entry/start.abc.js.br'), brotliCompressSync(js));
	writeFileSync(join(dir, '_app/immutable/entry/start.abc.js.gz'), gzipSync(js));
	writeFileSync(join(dir, '_app/version.json'), '{"version":"1"}');
	writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
	mkdirSync(join(dir, '_app/immutable/workers'), { recursive: true });
	writeFileSync(join(dir, '_app/immutable/workers/analysis.worker-AbC_12.js'), 'self.onmessage = () => {};');
	writeFileSync(join(dir, '_app/immutable/workers/import.worker-XyZ.js'), 'self.onmessage = () => {};');
	writeFileSync(join(dir, '.build-stamp'), '1');
	const { server } = createCratemeshServer({
		buildDir: dir,
		version: 'test',
		supabaseUrl: 'https://abc.supabase.co',
		supabaseAnonKey: 'anon'
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	close = () => {
		server.closeAllConnections();
		server.close();
	};
});

afterAll(() => {
	close();
	rmSync(dir, { recursive: true, force: true });
});

describe('security headers', () => {
	it('hashes only inline scripts, exactly as the browser will', () => {
		const expected = createHash('sha256').update(inline).digest('base64');
		expect(inlineScriptHashes(html)).toEqual([`'sha256-${expected}'`]);
	});

	it('never allows inline or eval script, but allows WASM and the Supabase origin', () => {
		const csp = contentSecurityPolicy({ scriptHashes: ["'sha256-x'"], supabaseUrl: 'https://abc.supabase.co' });
		const scriptSrc = csp.split('; ').find((d) => d.startsWith('script-src '))!;
		expect(scriptSrc).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
		expect(scriptSrc).toContain("'wasm-unsafe-eval'");
		expect(csp).toContain("connect-src 'self' https://abc.supabase.co wss://abc.supabase.co");
		expect(csp).toContain("frame-ancestors 'none'");
	});
});

describe('server', () => {
	it('serves the shell with a CSP that names its boot script', async () => {
		const response = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
		expect(response.status).toBe(200);
		const csp = response.headers.get('content-security-policy')!;
		for (const hash of inlineScriptHashes(html)) expect(csp).toContain(hash);
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		expect(response.headers.get('cache-control')).toBe('no-cache');
	});

	it('falls back to the shell for client-side routes but not for missing files', async () => {
		const page = await fetch(`${base}/settings`, { headers: { accept: 'text/html' } });
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('__sveltekit_x');
		expect((await fetch(`${base}/missing.js`)).status).toBe(404);
		expect((await fetch(`${base}/_app/immutable/nope.js`, { headers: { accept: 'text/html' } })).status).toBe(404);
	});

	it('serves hashed assets precompressed and immutable', async () => {
		const br = await fetch(`${base}/_app/immutable/entry/start.abc.js`, { headers: { 'accept-encoding': 'br' } });
		expect(br.headers.get('content-encoding')).toBe('br');
		expect(br.headers.get('cache-control')).toContain('immutable');
		expect(await br.text()).toBe(js);
		const gz = await fetch(`${base}/_app/immutable/entry/start.abc.js`, { headers: { 'accept-encoding': 'gzip' } });
		expect(gz.headers.get('content-encoding')).toBe('gzip');
	});

	it('makes the service worker and version file revalidate on every load', async () => {
		for (const path of ['/sw.js', '/_app/version.json']) {
			expect((await fetch(`${base}${path}`)).headers.get('cache-control'), path).toBe('no-cache');
		}
	});

	it('allows eval only in the analysis worker (essentia.js glue), nowhere else', async () => {
		const scriptSrc = (csp: string | null) => csp!.split('; ').find((d) => d.startsWith('script-src '))!;
		const analysis = await fetch(`${base}/_app/immutable/workers/analysis.worker-AbC_12.js`);
		expect(scriptSrc(analysis.headers.get('content-security-policy'))).toContain("'unsafe-eval'");
		for (const path of ['/', '/_app/immutable/workers/import.worker-XyZ.js', '/_app/immutable/entry/start.abc.js']) {
			const response = await fetch(`${base}${path}`, { headers: { accept: 'text/html' } });
			expect(scriptSrc(response.headers.get('content-security-policy')), path).not.toContain("'unsafe-eval'");
		}
	});

	it('does not serve dotfiles', async () => {
		expect((await fetch(`${base}/.build-stamp`)).status).toBe(404);
	});

	it('reports health and runtime config', async () => {
		const health = await (await fetch(`${base}/healthz`)).json();
		expect(health).toMatchObject({ ok: true, version: 'test', backend: 'supabase', peersOnline: 0 });
		const config = await (await fetch(`${base}/config.json`)).json();
		expect(config).toMatchObject({
			backend: 'supabase',
			supabaseUrl: 'https://abc.supabase.co',
			supabaseAnonKey: 'anon',
			peerjs: { path: '/peerjs' }
		});
	});

	it('points the app at itself in one-box mode, under whatever name it was reached by', async () => {
		const servers = [false, true].map(
			(behindProxy) =>
				createCratemeshServer({
					buildDir: dir,
					version: 'test',
					behindProxy,
					onebox: { router: express.Router(), anonKey: 'onebox-anon' }
				}).server
		);
		try {
			const [direct, proxied] = await Promise.all(
				servers.map(async (server) => {
					await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
					return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
				})
			);
			const headers = { 'x-forwarded-host': 'music.example', 'x-forwarded-proto': 'https' };
			expect(await (await fetch(`${direct}/config.json`, { headers })).json()).toMatchObject({
				backend: 'onebox',
				supabaseUrl: direct,
				supabaseAnonKey: 'onebox-anon'
			});
			expect((await (await fetch(`${direct}/healthz`)).json()).backend).toBe('onebox');
			// Forwarded headers count only behind a trusted proxy.
			expect((await (await fetch(`${proxied}/config.json`, { headers })).json()).supabaseUrl).toBe(
				'https://music.example'
			);
		} finally {
			for (const server of servers) server.close();
		}
	});

	it('hosts the PeerJS signalling server under /peerjs', async () => {
		const info = await (await fetch(`${base}/peerjs/`)).json();
		expect(info.name).toBe('PeerJS Server');
		const id = await (await fetch(`${base}/peerjs/peerjs/id`)).text();
		expect(id).toMatch(/^[0-9a-f-]{36}$/);
	});
});
