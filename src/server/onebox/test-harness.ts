/**
 * Test harness: the real server (createCratemeshServer with the one-box backend) on a free port, a
 * throwaway data directory, and supabase-js clients against it — the client is the compatibility test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { createCratemeshServer } from '../app.js';
import { createOneBox, type OneBoxOptions } from './index.js';

export const OWNER = { email: 'owner@onebox.test', password: 'owner-password-1' };

export interface Harness {
	url: string;
	box: Awaited<ReturnType<typeof createOneBox>>;
	dataDir: string;
	client(): SupabaseClient;
	signIn(email: string, password: string): Promise<{ client: SupabaseClient; token: string; userId: string }>;
	api(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
	stop(options?: { keepData?: boolean }): Promise<void>;
}

/** A build directory with just what the app server needs to start. */
function fakeBuild(): string {
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-onebox-build-'));
	mkdirSync(join(dir, '_app'), { recursive: true });
	writeFileSync(join(dir, 'index.html'), '<!doctype html><html><body>app</body></html>');
	writeFileSync(join(dir, '_app/version.json'), '{"version":"1"}');
	return dir;
}

// supabase-js builds a Realtime client eagerly and Node 20 has no WebSocket; nothing here uses Realtime.
class NoWebSocket {}

export async function startHarness(options: Partial<OneBoxOptions> & { dataDir?: string } = {}): Promise<Harness> {
	const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cratemesh-onebox-'));
	const buildDir = fakeBuild();
	const box = await createOneBox({
		ownerEmail: OWNER.email,
		ownerPassword: OWNER.password,
		log: () => {},
		...options,
		dataDir
	});
	const { server } = createCratemeshServer({ buildDir, version: 'test', onebox: box });
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const client = () =>
		createClient(url, box.anonKey, {
			auth: { persistSession: false, autoRefreshToken: false },
			realtime: { transport: NoWebSocket as never }
		});
	return {
		url,
		box,
		dataDir,
		client,
		async signIn(email, password) {
			const c = client();
			const { data, error } = await c.auth.signInWithPassword({ email, password });
			if (error) throw error;
			return { client: c, token: data.session!.access_token, userId: data.user!.id };
		},
		api(path, init = {}) {
			const { token, ...rest } = init;
			const headers = new Headers(rest.headers);
			if (token) headers.set('authorization', `Bearer ${token}`);
			if (rest.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
			return fetch(url + path, { ...rest, headers });
		},
		async stop({ keepData = false } = {}) {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
			await box.close();
			rmSync(buildDir, { recursive: true, force: true });
			if (!keepData) rmSync(dataDir, { recursive: true, force: true });
		}
	};
}
