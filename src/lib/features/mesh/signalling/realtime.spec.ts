/**
 * The Realtime transport end to end without a browser: the real `@supabase/realtime-js` client (over
 * the `ws` package, as Node 20 has no WebSocket) against the one-box Realtime endpoint (the real
 * server code). WebRTC is not involved: the sockets carry PeerJS-shaped messages.
 */
import { RealtimeClient } from '@supabase/realtime-js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { signJwt } from '../../../../server/onebox/jwt.js';
import { createRealtime } from '../../../../server/onebox/realtime.js';
import { RealtimeSocket } from './realtime';
import type { ServerMessage, SignallingState } from './socket';

const secret = 'test-secret-for-realtime-signalling';
const anon = signJwt({ iss: 'cratemesh-onebox', role: 'anon', iat: 1763856000 }, secret);

interface Box {
	server: Server;
	realtime: ReturnType<typeof createRealtime>;
	port: number;
}

async function startBox(port = 0): Promise<Box> {
	const realtime = createRealtime({ secret });
	const server = createServer((_req, res) => res.writeHead(404).end());
	server.on('upgrade', (req, socket, head) => {
		if (new URL(req.url ?? '/', 'http://x').pathname === realtime.path) realtime.handleUpgrade(req, socket, head);
		else socket.destroy();
	});
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	return { server, realtime, port: (server.address() as AddressInfo).port };
}

async function stopBox(box: Box): Promise<void> {
	box.realtime.close();
	await new Promise<void>((resolve) => box.server.close(() => resolve()));
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(port: number): RealtimeClient {
	const realtime = new RealtimeClient(`ws://127.0.0.1:${port}/realtime/v1`, {
		params: { apikey: anon },
		transport: WebSocket as unknown as typeof globalThis.WebSocket
	});
	cleanups.push(() => realtime.disconnect());
	return realtime;
}

interface Device {
	socket: RealtimeSocket;
	messages: ServerMessage[];
	states: SignallingState[];
	online: string[];
}

function device(
	port: number,
	id: string,
	options: {
		flushMs?: number;
		presence?: { max: number; windowMs: number };
		media?: boolean;
		claim?: 'wait' | 'fail' | 'force';
		token?: string;
	} = {}
): Device {
	const messages: ServerMessage[] = [];
	const states: SignallingState[] = [];
	const online: string[] = [];
	const socket = new RealtimeSocket(
		{
			client: client(port),
			flushMs: options.flushMs,
			presence: options.presence,
			media: options.media,
			claim: options.claim
		},
		{ state: (state) => states.push(state), online: (peerId) => online.push(peerId) }
	);
	socket.on('message', (message) => messages.push(message as ServerMessage));
	socket.start(id, options.token ?? `token-${id}`);
	cleanups.push(() => socket.close());
	return { socket, messages, states, online };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
	const started = Date.now();
	while (!condition()) {
		if (Date.now() - started > ms) throw new Error('condition not met in time');
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

const A = 'cm-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'cm-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const C = 'cm-cccccccccccccccccccccccccccccccc';

const offer = (dst: string): ServerMessage => ({
	type: 'OFFER',
	dst,
	payload: {
		type: 'data',
		connectionId: 'dc_1',
		sdp: { type: 'offer', sdp: 'v=0\r\n' },
		serialization: 'raw',
		reliable: true
	}
});
const candidate = (dst: string, n: number): ServerMessage => ({
	type: 'CANDIDATE',
	dst,
	payload: {
		type: 'data',
		connectionId: 'dc_1',
		candidate: {
			candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 5000${n} typ host`,
			sdpMid: '0',
			sdpMLineIndex: 0
		}
	}
});

describe('Realtime signalling (realtime-js ↔ one-box endpoint)', () => {
	it('comes online through presence and delivers an offer with its candidates in one broadcast', async () => {
		const box = await startBox();
		cleanups.push(() => stopBox(box));
		const a = device(box.port, A);
		const b = device(box.port, B);
		await until(() => a.socket.state === 'online' && b.socket.state === 'online');
		expect(a.messages).toEqual([{ type: 'OPEN' }]);

		const before = box.realtime.stats.broadcasts;
		a.socket.send(offer(B));
		for (let n = 0; n < 6; n++) a.socket.send(candidate(B, n));
		await until(() => b.messages.length === 8);
		expect(b.messages.slice(1).map((m) => m.type)).toEqual(['OFFER', ...Array(6).fill('CANDIDATE')]);
		expect(b.messages.slice(1).every((m) => m.src === A)).toBe(true);
		expect(box.realtime.stats.broadcasts - before).toBe(1);
		expect(a.socket.broadcasts).toBe(1);
		// The answer goes back the same way.
		b.socket.send({
			type: 'ANSWER',
			dst: A,
			payload: { type: 'data', connectionId: 'dc_1', sdp: { type: 'answer', sdp: 'v=0\r\n' } }
		});
		await until(() => a.messages.some((m) => m.type === 'ANSWER' && m.src === B));
	});

	it('fails an offer to a device that is not online at once (EXPIRE), and reports a watched one coming online', async () => {
		const box = await startBox();
		cleanups.push(() => stopBox(box));
		const a = device(box.port, A);
		await until(() => a.socket.state === 'online');
		a.socket.send(offer(C));
		await until(() => a.messages.some((m) => m.type === 'EXPIRE'));
		expect(a.messages.find((m) => m.type === 'EXPIRE')?.src).toBe(C);

		a.socket.watch([C]);
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(a.online).toEqual([]);
		const c = device(box.port, C);
		await until(() => c.socket.state === 'online' && a.online.includes(C));
		expect(a.socket.isOnline(C)).toBe(true);
	});

	it('refuses and counts malformed envelopes sent by any client of the project', async () => {
		const box = await startBox();
		cleanups.push(() => stopBox(box));
		const b = device(box.port, B);
		await until(() => b.socket.state === 'online');
		const hostile = client(box.port).channel(b.socket.topic(B), { config: { broadcast: { self: false, ack: true } } });
		await new Promise<void>((resolve) => hostile.subscribe((status) => status === 'SUBSCRIBED' && resolve()));
		const sends = [
			{ v: 1, src: A, dst: B, msgs: [{ type: 'OFFER', payload: { serialization: '__proto__' } }] },
			{ v: 2, src: A, dst: B, msgs: [{ type: 'OFFER' }] },
			{ v: 1, src: '../etc', dst: B, msgs: [{ type: 'LEAVE' }] },
			{ v: 1, src: A, dst: B, msgs: 'nope' },
			{
				v: 1,
				src: A,
				dst: B,
				msgs: [
					{
						type: 'CANDIDATE',
						payload: { type: 'data', connectionId: 'dc', candidate: { candidate: 'x'.repeat(5000) } }
					}
				]
			}
		];
		for (const payload of sends) expect(await hostile.send({ type: 'broadcast', event: 'signal', payload })).toBe('ok');
		// Someone else's signal in this inbox (another dst) is ignored, not counted.
		await hostile.send({
			type: 'broadcast',
			event: 'signal',
			payload: { v: 1, src: A, dst: C, msgs: [{ type: 'LEAVE' }] }
		});
		await until(() => b.socket.rejected === 5);
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(b.socket.rejected).toBe(5);
		expect(b.messages).toEqual([{ type: 'OPEN' }]);
	});

	it('comes back by itself after the server restarts, and signals again', async () => {
		const first = await startBox();
		const port = first.port;
		const a = device(port, A);
		const b = device(port, B);
		await until(() => a.socket.state === 'online' && b.socket.state === 'online');
		await stopBox(first);
		await until(() => a.socket.state === 'offline' && b.socket.state === 'offline');
		const second = await startBox(port);
		cleanups.push(() => stopBox(second));
		await until(() => a.socket.state === 'online' && b.socket.state === 'online', 20_000);
		// OPEN is announced once: PeerJS's Peer stays open across the outage.
		expect(a.messages.filter((m) => m.type === 'OPEN')).toHaveLength(1);
		a.socket.send(offer(B));
		await until(() => b.messages.some((m) => m.type === 'OFFER'));
	});

	it('keeps presence updates under the limit however often the channel rejoins', async () => {
		const box = await startBox();
		cleanups.push(() => stopBox(box));
		// A tight client-side window (2 per 2 s) to see the limiter act within a test.
		const a = device(box.port, A, { presence: { max: 2, windowMs: 2000 } });
		await until(() => a.socket.state === 'online');
		const started = Date.now();
		for (let i = 0; i < 3; i++) {
			box.realtime.dropAll();
			await until(() => a.socket.state === 'offline');
			await until(() => a.socket.state === 'online', 10_000);
		}
		// 4 tracks in all with at most 2 per 2 s: the last waited for the window.
		expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
		expect(box.realtime.stats.presenceRefused).toBe(0);
	});

	it('refuses a sixth presence update within 30 s, an oversized broadcast and a bad api key', async () => {
		const box = await startBox();
		cleanups.push(() => stopBox(box));
		const channel = client(box.port).channel('probe', { config: { presence: { key: 'k' } } });
		await new Promise<void>((resolve) => channel.subscribe((status) => status === 'SUBSCRIBED' && resolve()));
		const results = [];
		for (let i = 0; i < 6; i++) results.push(await channel.track({ i }));
		expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'error']);
		const acked = client(box.port).channel('big', { config: { broadcast: { ack: true } } });
		await new Promise<void>((resolve) => acked.subscribe((status) => status === 'SUBSCRIBED' && resolve()));
		expect(await acked.send({ type: 'broadcast', event: 'x', payload: { blob: 'x'.repeat(300 * 1024) } })).toBe(
			'error'
		);

		const refused = await new Promise<number>((resolve) => {
			const ws = new WebSocket(`ws://127.0.0.1:${box.port}/realtime/v1/websocket?apikey=forged&vsn=2.0.0`);
			ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
			ws.on('open', () => resolve(101));
			ws.on('error', () => undefined);
		});
		expect(refused).toBe(401);
	});

	it('lets media calls through only to a socket made for them (rooms), not to the mesh', async () => {
		const box = await startBox();
		cleanups.push(() => stopBox(box));
		const a = device(box.port, A, { media: true });
		const mesh = device(box.port, B);
		const room = device(box.port, C, { media: true });
		await until(() => [a, mesh, room].every((d) => d.socket.state === 'online'));
		const call = (dst: string): ServerMessage => ({
			type: 'OFFER',
			dst,
			payload: { type: 'media', connectionId: 'mc_1', sdp: { type: 'offer', sdp: 'v=0\r\n' }, metadata: null }
		});
		const media = (type: 'ANSWER' | 'CANDIDATE', dst: string): ServerMessage =>
			type === 'ANSWER'
				? { type, dst, payload: { type: 'media', connectionId: 'mc_1', sdp: { type: 'answer', sdp: 'v=0\r\n' } } }
				: { ...candidate(dst, 1), payload: { ...(candidate(dst, 1).payload as object), type: 'media' } };
		for (const dst of [B, C]) {
			a.socket.send(call(dst));
			a.socket.send(media('CANDIDATE', dst));
		}
		await until(() => room.messages.length === 3 && mesh.socket.rejected === 2);
		expect(room.messages.slice(1).map((m) => (m.payload as { type: string }).type)).toEqual(['media', 'media']);
		expect(mesh.messages).toEqual([{ type: 'OPEN' }]);
		room.socket.send(media('ANSWER', A));
		await until(() => a.messages.some((m) => m.type === 'ANSWER'));
		expect(a.socket.rejected).toBe(0);
	});

	it('claims an id: `fail` when someone holds it (a room address), `force` to take over, and probes the server', async () => {
		const box = await startBox();
		cleanups.push(() => stopBox(box));
		const holder = device(box.port, A, { claim: 'fail' });
		await until(() => holder.socket.state === 'online');
		expect(await holder.socket.probe(2000)).toBe(true);
		const second = device(box.port, A, { claim: 'fail', token: 'other' });
		await until(() => second.messages.some((m) => m.type === 'ID-TAKEN'));
		expect(second.socket.state).toBe('error');
		expect(await second.socket.probe(500)).toBe(false);
		const successor = device(box.port, A, { claim: 'force', token: 'successor' });
		await until(() => successor.socket.state === 'online');
		expect(successor.messages).toEqual([{ type: 'OPEN' }]);
		// Both are listed: an offer reaches the successor (a vanished holder would just not answer).
		const b = device(box.port, B);
		await until(() => b.socket.state === 'online');
		b.socket.send(offer(A));
		await until(() => successor.messages.some((m) => m.type === 'OFFER'));
	});
});
