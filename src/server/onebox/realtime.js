import { WebSocketServer } from 'ws';
import { JwtError, verifyJwt } from './jwt.js';

/**
 * The part of Supabase Realtime that the mesh's signalling uses — broadcast and presence on public
 * channels — over the Phoenix channel protocol that `@supabase/realtime-js` speaks, at
 * /realtime/v1/websocket. So the same client code signals through a one-box install as through a
 * Supabase project, and the e2e tests run it for real.
 *
 * Protocol, as read from realtime-js 2.109 / @supabase/phoenix 0.4.4 and Supabase's protocol page:
 * - `vsn=2.0.0` text frames are arrays `[join_ref, ref, topic, event, payload]`; `1.0.0` frames are
 *   objects `{join_ref, ref, topic, event, payload}` (both accepted, answered in kind).
 * - A client broadcast with a JSON payload arrives as a binary frame: kind 3 (user broadcast push),
 *   then lengths of join_ref, ref, topic, user event, metadata, an encoding byte (1 = JSON), the strings,
 *   and the payload. Broadcasts go out as text `[null, null, topic, "broadcast", {type, event, payload}]`.
 * - `phx_join` {config: {broadcast: {self, ack}, presence: {key, enabled}, postgres_changes, private},
 *   access_token?} → `phx_reply` {status: "ok", response: {}}; then `presence_state` {key: {metas:
 *   [{phx_ref, ...meta}]}} to the joiner; `presence` {type: "presence", event: "track" | "untrack",
 *   payload} → `presence_diff` {joins, leaves} to every member; `phx_leave`; `access_token`;
 *   heartbeats on topic "phoenix" answered with ok.
 * Not emulated: private channels (RLS on realtime.messages), postgres_changes, the REST broadcast
 * endpoint — joins asking for them are refused with a reason.
 *
 * Limits, as Supabase's Free plan: a broadcast payload up to 256 KB, 5 presence updates per 30 s per
 * client and channel (over that the update is refused), 100 channels per connection, 100 messages/s
 * per connection; a client silent for 60 s (no heartbeat) is dropped, which clears its presence.
 */

const MAX_PAYLOAD = 256 * 1024;
// Frames up to 1 MiB are read so that an oversized broadcast gets a reason; larger ones close the connection.
const MAX_FRAME = 1024 * 1024;
const MAX_CHANNELS = 100;
const PRESENCE_MAX = 5;
const PRESENCE_WINDOW_MS = 30_000;
const MESSAGES_PER_S = 100;
const IDLE_MS = 60_000;

/**
 * @typedef {{ join_ref: string | null, ref: string | null, topic: string, event: string, payload: any }} PhxMessage
 * @typedef {{ joinRef: string, key: string, self: boolean, ack: boolean, meta: Record<string, unknown> | null, phxRef: string | null, presenceTimes: number[] }} Membership
 * @typedef {{ ws: import('ws').WebSocket, vsn: string, channels: Map<string, Membership>, lastSeen: number, tokens: number, last: number, id: number }} Client
 */

/**
 * @param {{ secret: Buffer | string, log?: (line: string) => void }} options
 */
export function createRealtime(options) {
	const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
	/** @type {Map<string, Set<Client>>} topic → members */
	const topics = new Map();
	/** @type {Set<Client>} */
	const clients = new Set();
	let nextRef = 1;
	let nextClient = 1;
	const stats = { broadcasts: 0, presenceRefused: 0, refused: 0 };

	/** @param {string | undefined | null} token */
	const validToken = (token) => {
		if (!token) return false;
		try {
			verifyJwt(token, options.secret);
			return true;
		} catch (error) {
			if (error instanceof JwtError) return false;
			throw error;
		}
	};

	/** @param {Client} client @param {PhxMessage} message */
	const send = (client, message) => {
		if (client.ws.readyState !== 1) return;
		const { join_ref, ref, topic, event, payload } = message;
		client.ws.send(
			JSON.stringify(client.vsn === '1.0.0' ? message : [join_ref ?? null, ref ?? null, topic, event, payload])
		);
	};

	/** @param {Client} client @param {PhxMessage} message @param {'ok' | 'error'} status @param {object} response */
	const reply = (client, message, status, response = {}) => {
		if (message.ref == null) return;
		send(client, {
			join_ref: message.join_ref,
			ref: message.ref,
			topic: message.topic,
			event: 'phx_reply',
			payload: { status, response }
		});
	};

	/** @param {string} topic @returns {Record<string, { metas: object[] }>} */
	const presenceState = (topic) => {
		/** @type {Record<string, { metas: object[] }>} */
		const state = {};
		for (const member of topics.get(topic) ?? []) {
			const membership = member.channels.get(topic);
			if (!membership?.meta) continue;
			(state[membership.key] ??= { metas: [] }).metas.push({ ...membership.meta, phx_ref: membership.phxRef });
		}
		return state;
	};

	/** @param {string} topic @param {object} joins @param {object} leaves */
	const presenceDiff = (topic, joins, leaves) => {
		for (const member of topics.get(topic) ?? []) {
			const membership = member.channels.get(topic);
			if (membership)
				send(member, {
					join_ref: membership.joinRef,
					ref: null,
					topic,
					event: 'presence_diff',
					payload: { joins, leaves }
				});
		}
	};

	/** @param {Client} client @param {string} topic */
	const leave = (client, topic) => {
		const membership = client.channels.get(topic);
		if (!membership) return;
		client.channels.delete(topic);
		const members = topics.get(topic);
		members?.delete(client);
		if (members && !members.size) topics.delete(topic);
		if (membership.meta)
			presenceDiff(topic, {}, { [membership.key]: { metas: [{ ...membership.meta, phx_ref: membership.phxRef }] } });
	};

	/** @param {Client} client @param {PhxMessage} message */
	const join = (client, message) => {
		const { topic } = message;
		const payload = message.payload ?? {};
		const config = typeof payload.config === 'object' && payload.config ? payload.config : {};
		if (typeof topic !== 'string' || !topic.startsWith('realtime:') || topic.length > 255)
			return reply(client, message, 'error', { reason: 'Invalid topic' });
		if (payload.access_token !== undefined && !validToken(payload.access_token))
			return reply(client, message, 'error', { reason: 'Invalid JWT' });
		if (config.private)
			return reply(client, message, 'error', { reason: 'Private channels are not supported by the one box' });
		if (Array.isArray(config.postgres_changes) && config.postgres_changes.length)
			return reply(client, message, 'error', { reason: 'postgres_changes is not supported by the one box' });
		if (!client.channels.has(topic) && client.channels.size >= MAX_CHANNELS)
			return reply(client, message, 'error', { reason: 'Too many channels' });
		// A rejoin of the same topic (after a lost join reply, a token change) replaces the old one.
		leave(client, topic);
		const presenceKey =
			typeof config.presence?.key === 'string' && config.presence.key ? config.presence.key : crypto.randomUUID();
		/** @type {Membership} */
		const membership = {
			joinRef: String(message.join_ref ?? message.ref ?? ''),
			key: presenceKey.slice(0, 255),
			self: config.broadcast?.self === true,
			ack: config.broadcast?.ack === true,
			meta: null,
			phxRef: null,
			presenceTimes: []
		};
		client.channels.set(topic, membership);
		let members = topics.get(topic);
		if (!members) topics.set(topic, (members = new Set()));
		members.add(client);
		reply(client, message, 'ok', {});
		send(client, {
			join_ref: membership.joinRef,
			ref: null,
			topic,
			event: 'presence_state',
			payload: presenceState(topic)
		});
	};

	/** @param {Client} client @param {PhxMessage} message */
	const presence = (client, message) => {
		const membership = client.channels.get(message.topic);
		if (!membership) return reply(client, message, 'error', { reason: 'Not joined' });
		const now = Date.now();
		membership.presenceTimes = membership.presenceTimes.filter((t) => now - t < PRESENCE_WINDOW_MS);
		if (membership.presenceTimes.length >= PRESENCE_MAX) {
			stats.presenceRefused++;
			return reply(client, message, 'error', { reason: 'Too many presence messages' });
		}
		membership.presenceTimes.push(now);
		const kind = message.payload?.event;
		const old = membership.meta
			? { [membership.key]: { metas: [{ ...membership.meta, phx_ref: membership.phxRef }] } }
			: {};
		if (kind === 'track') {
			const meta = message.payload.payload;
			if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || JSON.stringify(meta).length > 4096)
				return reply(client, message, 'error', { reason: 'Invalid presence payload' });
			membership.meta = { ...meta };
			membership.phxRef = `p${nextRef++}`;
			reply(client, message, 'ok', {});
			presenceDiff(
				message.topic,
				{ [membership.key]: { metas: [{ ...membership.meta, phx_ref: membership.phxRef }] } },
				old
			);
		} else if (kind === 'untrack') {
			membership.meta = null;
			membership.phxRef = null;
			reply(client, message, 'ok', {});
			if (Object.keys(old).length) presenceDiff(message.topic, {}, old);
		} else reply(client, message, 'error', { reason: 'Unknown presence event' });
	};

	/** @param {Client} client @param {PhxMessage} message */
	const broadcast = (client, message) => {
		const membership = client.channels.get(message.topic);
		if (!membership) return reply(client, message, 'error', { reason: 'Not joined' });
		const body = message.payload;
		if (typeof body !== 'object' || body === null || typeof body.event !== 'string')
			return reply(client, message, 'error', { reason: 'Invalid broadcast' });
		const out = { type: 'broadcast', event: body.event, payload: body.payload ?? {} };
		if (JSON.stringify(out.payload).length > MAX_PAYLOAD) {
			stats.refused++;
			return reply(client, message, 'error', { reason: 'Payload too large' });
		}
		stats.broadcasts++;
		for (const member of topics.get(message.topic) ?? []) {
			if (member === client && !membership.self) continue;
			send(member, { join_ref: null, ref: null, topic: message.topic, event: 'broadcast', payload: out });
		}
		reply(client, message, 'ok', {});
	};

	/**
	 * @param {Buffer} data
	 * @returns {PhxMessage | null}
	 */
	const decodeBinary = (data) => {
		if (data.length < 7 || data[0] !== 3) return null;
		const [joinRefLen = 0, refLen = 0, topicLen = 0, eventLen = 0, metaLen = 0, encoding = 0] = data.subarray(1, 7);
		let offset = 7;
		const take = (/** @type {number} */ n) => {
			const text = data.subarray(offset, offset + n).toString('utf8');
			offset += n;
			return text;
		};
		const join_ref = take(joinRefLen);
		const ref = take(refLen);
		const topic = take(topicLen);
		const userEvent = take(eventLen);
		const meta = metaLen ? JSON.parse(take(metaLen)) : {};
		if (offset > data.length) return null;
		const raw = data.subarray(offset);
		const payload = encoding === 1 ? JSON.parse(raw.toString('utf8')) : { binary: raw.length };
		return {
			join_ref: join_ref || null,
			ref: ref || null,
			topic,
			event: 'broadcast',
			payload: { ...meta, type: 'broadcast', event: userEvent, payload }
		};
	};

	/** @param {Client} client @param {import('ws').RawData} data @param {boolean} isBinary */
	const onMessage = (client, data, isBinary) => {
		client.lastSeen = Date.now();
		// Token bucket per connection.
		const now = Date.now();
		client.tokens = Math.min(MESSAGES_PER_S, client.tokens + ((now - client.last) / 1000) * MESSAGES_PER_S);
		client.last = now;
		if (client.tokens < 1) {
			stats.refused++;
			return;
		}
		client.tokens--;
		/** @type {PhxMessage | null} */
		let message = null;
		try {
			const buffer = Buffer.isBuffer(data) ? data : Buffer.concat(/** @type {Buffer[]} */ ([data].flat()));
			if (isBinary) message = decodeBinary(buffer);
			else {
				const parsed = JSON.parse(buffer.toString('utf8'));
				if (Array.isArray(parsed)) {
					const [join_ref, ref, topic, event, payload] = parsed;
					message = { join_ref, ref, topic, event, payload };
				} else if (parsed && typeof parsed === 'object') {
					client.vsn = '1.0.0';
					message = parsed;
				}
			}
		} catch {
			message = null;
		}
		if (!message || typeof message.topic !== 'string' || typeof message.event !== 'string') {
			stats.refused++;
			return;
		}
		if (message.topic === 'phoenix') {
			if (message.event === 'heartbeat') reply(client, message, 'ok', {});
			return;
		}
		switch (message.event) {
			case 'phx_join':
				return join(client, message);
			case 'phx_leave':
				leave(client, message.topic);
				return reply(client, message, 'ok', {});
			case 'presence':
				return presence(client, message);
			case 'broadcast':
				return broadcast(client, message);
			case 'access_token':
				return reply(client, message, validToken(message.payload?.access_token) ? 'ok' : 'error', {});
			default:
				return reply(client, message, 'error', { reason: `Unsupported event ${message.event.slice(0, 40)}` });
		}
	};

	const sweep = setInterval(() => {
		const now = Date.now();
		for (const client of clients) if (now - client.lastSeen > IDLE_MS) client.ws.terminate();
	}, 15_000);
	sweep.unref?.();

	wss.on('connection', (ws, req) => {
		const url = new URL(req.url ?? '/', 'http://onebox');
		/** @type {Client} */
		const client = {
			ws,
			vsn: url.searchParams.get('vsn') === '1.0.0' ? '1.0.0' : '2.0.0',
			channels: new Map(),
			lastSeen: Date.now(),
			tokens: MESSAGES_PER_S,
			last: Date.now(),
			id: nextClient++
		};
		clients.add(client);
		ws.on('message', (data, isBinary) => onMessage(client, data, isBinary));
		ws.on('error', () => ws.terminate());
		ws.on('close', () => {
			clients.delete(client);
			for (const topic of [...client.channels.keys()]) leave(client, topic);
		});
	});

	return {
		path: '/realtime/v1/websocket',
		stats,
		/**
		 * @param {import('node:http').IncomingMessage} req
		 * @param {import('node:stream').Duplex} socket
		 * @param {Buffer} head
		 */
		handleUpgrade(req, socket, head) {
			const url = new URL(req.url ?? '/', 'http://onebox');
			if (!validToken(url.searchParams.get('apikey'))) {
				socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
				return;
			}
			wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
		},
		/** Cuts every connection (as a network drop would); clients reconnect on their own. */
		dropAll() {
			for (const client of clients) client.ws.terminate();
		},
		close() {
			clearInterval(sweep);
			for (const client of clients) client.ws.terminate();
			wss.close();
		}
	};
}
