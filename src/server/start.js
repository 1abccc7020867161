#!/usr/bin/env node
// `npm start`: build the app if the build is missing or older than its sources, then serve it
// together with the PeerJS signalling server on one port.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCratemeshServer } from './app.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = resolve(process.env.CRATEMESH_BUILD_DIR ?? join(root, 'build'));
const stampFile = join(buildDir, '.build-stamp');
const sources = ['src', 'static', 'workers', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'];

/** @param {string} path @returns {number} */
function newestMtime(path) {
	if (!existsSync(path)) return 0;
	const stats = statSync(path);
	if (!stats.isDirectory()) return stats.mtimeMs;
	let newest = stats.mtimeMs;
	for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
	return newest;
}

function buildIfNeeded() {
	if (process.argv.includes('--no-build')) return;
	const stamp = existsSync(stampFile) ? Number(readFileSync(stampFile, 'utf8')) : 0;
	const newestSource = Math.max(...sources.map((source) => newestMtime(join(root, source))));
	if (existsSync(join(buildDir, 'index.html')) && stamp >= newestSource) return;
	const vite = join(root, 'node_modules', '.bin', 'vite');
	if (!existsSync(vite)) {
		if (existsSync(join(buildDir, 'index.html'))) return;
		console.error('No build found and Vite is not installed. Run `npm install` first.');
		process.exit(1);
	}
	console.log('Building Cratemesh…');
	const result = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
	writeFileSync(stampFile, String(Date.now()));
}

/** @returns {RTCIceServer[]} */
function iceServersFromEnv() {
	const raw = process.env.ICE_SERVERS;
	if (!raw) return [];
	try {
		const parsed = JSON.parse(raw);
		if (Array.isArray(parsed)) return parsed;
	} catch {
		// Also accept a plain comma-separated list of URLs.
		return raw
			.split(',')
			.map((urls) => ({ urls: urls.trim() }))
			.filter((server) => server.urls);
	}
	console.warn('ICE_SERVERS is not a JSON array or a comma-separated list of URLs; ignoring it.');
	return [];
}

function version() {
	const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
	try {
		const kit = JSON.parse(readFileSync(join(buildDir, '_app', 'version.json'), 'utf8'));
		return `${pkg.version}+${kit.version}`;
	} catch {
		return pkg.version;
	}
}

buildIfNeeded();

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '0.0.0.0';
const supabaseUrl = process.env.PUBLIC_SUPABASE_URL || process.env.SUPABASE_URL || null;
const supabaseAnonKey = process.env.PUBLIC_SUPABASE_ANON_KEY || process.env.SUPABASE_ANON_KEY || null;
const tls =
	process.env.TLS_CERT && process.env.TLS_KEY
		? { cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) }
		: undefined;

// One box: with no Supabase project configured, this process is the backend too (src/server/onebox).
const oneboxWanted = !supabaseUrl && !/^(0|false|off|no)$/i.test(process.env.ONEBOX ?? '');
const onebox = oneboxWanted
	? await import('./onebox/index.js')
			.then(({ createOneBox }) =>
				createOneBox({
					dataDir: resolve(process.env.CRATEMESH_DATA_DIR || join(root, 'data')),
					ownerEmail: process.env.CRATEMESH_OWNER_EMAIL,
					ownerPassword: process.env.CRATEMESH_OWNER_PASSWORD,
					tenantName: process.env.CRATEMESH_TENANT_NAME,
					uploadLimit: process.env.CRATEMESH_UPLOAD_LIMIT_MB
						? Number(process.env.CRATEMESH_UPLOAD_LIMIT_MB) * 1024 * 1024
						: undefined,
					version: version(),
					// Without its database the backend is useless: exit, so a supervisor (systemd) restarts it.
					onCrash: (error) => {
						console.error(`One box: the database stopped (${error.message}); exiting.`);
						process.exit(1);
					}
				})
			)
			.catch((error) => {
				console.error(`One box: cannot start: ${error.message}`);
				process.exit(1);
			})
	: undefined;

const { server } = createCratemeshServer({
	buildDir,
	version: version(),
	supabaseUrl,
	supabaseAnonKey,
	iceServers: iceServersFromEnv(),
	behindProxy: process.env.BEHIND_PROXY === '1' || process.env.BEHIND_PROXY === 'true',
	tls,
	onebox,
	signalling: /^(supabase|realtime)$/i.test(process.env.MESH_SIGNALLING ?? '') ? 'supabase' : 'peerjs'
});

server.on('error', (error) => {
	console.error(`Cannot listen on ${host}:${port}: ${error.message}`);
	process.exit(1);
});

server.listen(port, host, () => {
	const address = server.address();
	const actualPort = typeof address === 'object' && address ? address.port : port;
	const scheme = tls ? 'https' : 'http';
	const urls = [`${scheme}://localhost:${actualPort}`];
	if (host === '0.0.0.0' || host === '::') {
		for (const addresses of Object.values(networkInterfaces())) {
			for (const a of addresses ?? [])
				if (a.family === 'IPv4' && !a.internal) urls.push(`${scheme}://${a.address}:${actualPort}`);
		}
	} else if (host !== 'localhost' && host !== '127.0.0.1') {
		urls[0] = `${scheme}://${host}:${actualPort}`;
	}
	console.log(`Cratemesh is running at ${urls.join('  ')}`);
	if (/^(supabase|realtime)$/i.test(process.env.MESH_SIGNALLING ?? '') && (onebox || (supabaseUrl && supabaseAnonKey)))
		console.log(
			`Mesh signalling: Supabase Realtime (${onebox ? `${urls[0]}/realtime/v1` : supabaseUrl}); PeerJS server also at ${urls[0]}/peerjs · health at ${urls[0]}/healthz`
		);
	else console.log(`PeerJS signalling at ${urls[0]}/peerjs · health at ${urls[0]}/healthz`);
	if (supabaseUrl && supabaseAnonKey) console.log(`Supabase: ${supabaseUrl}`);
	else if (onebox) {
		console.log(
			`One box: built-in backend (accounts, database, media) in ${onebox.dataDir}, ready in ${onebox.startMs} ms` +
				(onebox.applied.length
					? ` (applied ${onebox.applied.filter((name) => name !== 'supabase-shim').length} migration(s))`
					: '') +
				`; owner ${onebox.owner.email ?? '?'}. Set ONEBOX=0 for local-only mode.`
		);
	} else
		console.log(
			'Local-only mode: no Supabase configured (set PUBLIC_SUPABASE_URL and PUBLIC_SUPABASE_ANON_KEY to connect one).'
		);
	if (!tls && urls.length > 1) {
		console.log('Note: other devices need HTTPS (TLS_CERT/TLS_KEY or a reverse proxy) for offline mode and the mesh.');
	}
});

for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => {
		server.close();
		server.closeAllConnections?.();
		// The embedded database flushes and releases the data directory before the process ends.
		Promise.resolve(onebox?.close())
			.catch((error) => console.error(`One box: ${error.message}`))
			.finally(() => process.exit(0));
	});
}
