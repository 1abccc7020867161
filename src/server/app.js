import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import express from 'express';
import { ExpressPeerServer } from 'peer';
import { WebSocketServer } from 'ws';
import sirv from 'sirv';
import { contentSecurityPolicy, inlineScriptHashes, securityHeaders } from './security-headers.js';

/**
 * @typedef {object} ServerOptions
 * @property {string} buildDir  the adapter-static output
 * @property {string} version
 * @property {string | null} [supabaseUrl]
 * @property {string | null} [supabaseAnonKey]
 * @property {RTCIceServer[]} [iceServers]
 * @property {boolean} [behindProxy]  trust X-Forwarded-* from a reverse proxy
 * @property {{ cert: Buffer, key: Buffer }} [tls]  serve HTTPS directly (service workers need a secure origin off localhost)
 * @property {{ router: import('express').Router, anonKey: string, realtime?: { path: string, handleUpgrade: (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void } }} [onebox]
 *   the built-in backend (src/server/onebox): Supabase's APIs on this origin, used when no Supabase project is configured
 * @property {'peerjs' | 'supabase'} [signalling]  mesh signalling transport the app is told to use
 *   (`supabase` = Realtime of the Supabase project, or of the one box); default the PeerJS server
 */

/** Files whose URL never changes but whose content does: always revalidate. */
const REVALIDATE =
	/^\/($|[^/]*\.html$|sw\.js|workbox-[\w-]+\.js|manifest\.webmanifest|index\.html|_app\/version\.json)$/;

/** A room address whose holder sent no PeerJS heartbeat (every 5 s) for this long may be claimed by another. */
const ROOM_STALE_MS = 12_000;

/**
 * The whole server: the app's static build, the PeerJS signalling server under /peerjs, runtime
 * config and a health check, on one origin.
 * @param {ServerOptions} options
 */
export function createCratemeshServer(options) {
	const started = Date.now();
	const indexHtml = readFileSync(join(options.buildDir, 'index.html'), 'utf8');
	const csp = contentSecurityPolicy({ scriptHashes: inlineScriptHashes(indexHtml), supabaseUrl: options.supabaseUrl });
	const headers = securityHeaders(csp);
	const onebox = options.supabaseUrl ? undefined : options.onebox;
	const backend = options.supabaseUrl && options.supabaseAnonKey ? 'supabase' : onebox ? 'onebox' : 'none';
	/** @param {string | null} supabaseUrl */
	const runtimeConfig = (supabaseUrl) =>
		JSON.stringify({
			version: options.version,
			backend,
			supabaseUrl,
			supabaseAnonKey: onebox ? onebox.anonKey : (options.supabaseAnonKey ?? null),
			peerjs: { path: '/peerjs', key: 'peerjs' },
			signalling: options.signalling === 'supabase' && backend !== 'none' ? 'supabase' : 'peerjs',
			iceServers: options.iceServers ?? []
		});
	const fixedConfig = runtimeConfig(options.supabaseUrl ?? null);

	const app = express();
	app.disable('x-powered-by');
	if (options.behindProxy) app.set('trust proxy', true);
	const server = options.tls ? createTlsServer(options.tls, app) : createServer(app);

	// The analysis worker runs essentia.js, whose Emscripten/embind glue builds functions with
	// `new Function`: only that worker's script gets 'unsafe-eval' (a worker's CSP comes from its own
	// response); the page and every other worker keep the strict policy.
	const analysisWorkerHeaders = {
		...headers,
		'Content-Security-Policy': csp.replace("'wasm-unsafe-eval'", "'wasm-unsafe-eval' 'unsafe-eval'")
	};
	app.use((req, res, next) => {
		res.set(
			/^\/_app\/immutable\/workers\/analysis\.worker-[\w-]+\.js$/.test(req.path) ? analysisWorkerHeaders : headers
		);
		next();
	});

	let peersOnline = 0;
	// WebSocket servers share the HTTP server's upgrade event: each one created with `server` would
	// answer 400 to the other's paths, so PeerServer gets a no-server one and upgrades are routed here.
	/** @type {WebSocketServer | undefined} */
	let peerSockets;
	const peerServer = ExpressPeerServer(server, {
		path: '/',
		proxied: Boolean(options.behindProxy),
		allow_discovery: false,
		// Dead sockets are dropped by PeerServer after this long without a heartbeat.
		alive_timeout: 60_000,
		concurrent_limit: 5000,
		createWebSocketServer: (wsOptions) => (peerSockets = new WebSocketServer({ noServer: true, path: wsOptions.path }))
	});
	const realtime = onebox?.realtime;
	/** @type {Map<string, any>} PeerServer clients holding a live session's room address (`cmroom-…`). */
	const roomAddresses = new Map();
	server.on('upgrade', (req, socket, head) => {
		const url = new URL(req.url ?? '/', 'http://cratemesh');
		const path = url.pathname;
		if (peerSockets?.shouldHandle(req)) {
			const upgrade = () =>
				peerSockets?.handleUpgrade(req, socket, head, (ws) => peerSockets?.emit('connection', ws, req));
			// A room's address held by a host that has sent no heartbeat for ROOM_STALE_MS (its page stopped, its
			// network gone) is handed to whoever claims it next — in practice the member that took the room
			// over. PeerServer alone would keep it for alive_timeout (60 s), and newcomers typing the code would
			// reach nobody for that long. A live host heartbeats every 5 s, so it cannot be displaced this way.
			const id = url.searchParams.get('id') ?? '';
			const holder = roomAddresses.get(id);
			if (
				holder &&
				holder.getToken() !== url.searchParams.get('token') &&
				Date.now() - holder.getLastPing() > ROOM_STALE_MS
			) {
				const old = holder.getSocket();
				roomAddresses.delete(id);
				if (!old) return upgrade();
				// PeerServer forgets the client on its socket's close; claim the id after that.
				const timer = setTimeout(upgrade, 1000);
				old.once('close', () => {
					clearTimeout(timer);
					setImmediate(upgrade);
				});
				old.terminate();
				return;
			}
			upgrade();
		} else if (realtime && path === realtime.path) realtime.handleUpgrade(req, socket, head);
		else socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
	});
	peerServer.on('connection', (client) => {
		peersOnline++;
		if (client.getId().startsWith('cmroom-')) roomAddresses.set(client.getId(), client);
	});
	peerServer.on('disconnect', (client) => {
		peersOnline = Math.max(0, peersOnline - 1);
		if (roomAddresses.get(client.getId()) === client) roomAddresses.delete(client.getId());
	});
	app.use('/peerjs', peerServer);

	app.get('/healthz', (_req, res) => {
		res.set('Cache-Control', 'no-store');
		res.json({
			ok: true,
			version: options.version,
			backend,
			uptimeSeconds: Math.round((Date.now() - started) / 1000),
			peersOnline
		});
	});

	app.get('/config.json', (req, res) => {
		res.set('Cache-Control', 'no-cache');
		// One box: the Supabase URL is this server, as the browser reached it (LAN address, host name
		// or proxy), so the same install works under every name it is known by.
		const host = (options.behindProxy && req.get('x-forwarded-host')?.split(',')[0]?.trim()) || req.get('host');
		res.type('application/json').send(onebox ? runtimeConfig(`${req.protocol}://${host}`) : fixedConfig);
	});

	if (onebox) app.use(onebox.router);

	const assets = sirv(options.buildDir, {
		brotli: true,
		gzip: true,
		etag: true,
		dotfiles: false,
		// Hashed file names change with their content, so they can be cached forever.
		immutable: true,
		maxAge: 31_536_000,
		single: false,
		setHeaders(res, pathname) {
			if (!pathname.startsWith('/_app/immutable/'))
				res.setHeader('Cache-Control', REVALIDATE.test(pathname) ? 'no-cache' : 'public, max-age=3600');
			if (pathname === '/sw.js') res.setHeader('Service-Worker-Allowed', '/');
		}
	});
	app.use(assets);

	// Client-side routes (/devices, /settings, …) all boot from the SPA shell.
	app.get(/.*/, (req, res, next) => {
		if (req.path.startsWith('/_app/') || /\.[a-z0-9]+$/i.test(req.path) || /\/\./.test(req.path)) return next();
		if (!req.accepts('html')) return next();
		req.url = '/index.html';
		assets(req, res, next);
	});

	app.use((_req, res) => {
		res.status(404).type('text/plain').send('Not found');
	});

	return { app, server, peerServer, csp, realtime };
}
