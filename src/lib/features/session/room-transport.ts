/**
 * How room members reach each other: one seam, so the room logic (room.svelte.ts) does not know about
 * PeerJS or the signalling behind it. Two transports:
 * - `PeerJsRoomTransport`: the app's own PeerJS server (`/peerjs`).
 * - `RealtimeRoomTransport`: Supabase Realtime (a Supabase project or the one box's `/realtime/v1`):
 *   each endpoint is a PeerJS Peer signalling through the mesh's `RealtimeSocket` (offers, answers and
 *   ICE for data links and listening-mode calls go over broadcast to the callee's inbox topic), and
 *   members announce themselves on the room's presence topic, so everyone sees who is here and a
 *   newcomer finds the current host even while a vanished one is still listed at the room's address.
 */
import type { RealtimeChannel, RealtimeClient } from '@supabase/supabase-js';
import type { DataConnection, MediaConnection, Peer, PeerError } from 'peerjs';
import * as v from 'valibot';
import { createPeer } from '$lib/features/mesh/signalling/peer';
import { RealtimeSocket } from '$lib/features/mesh/signalling/realtime';

export interface RoomLink {
	/** The other side's id, as the signalling server authenticated it (its registered id). */
	readonly remote: string;
	send(frame: string): void;
	close(): void;
	onMessage(handler: (frame: unknown) => void): void;
	onClose(handler: () => void): void;
}

export interface AudioCall {
	readonly remote: string;
	close(): void;
	onClose(handler: () => void): void;
	/** The underlying connection (receivers for jitter-buffer settings and stats). */
	readonly connection: RTCPeerConnection | null;
}

export interface IncomingAudioCall extends AudioCall {
	/** Accept, receiving only; `onStream` gets the sender's stream. */
	answer(onStream: (stream: MediaStream) => void): void;
}

export type DialFailure = 'unavailable' | 'timeout' | 'offline';
export class DialError extends Error {
	constructor(readonly reason: DialFailure) {
		super(reason);
	}
}

export interface RoomEndpoint {
	readonly id: string;
	/** Opens a link to `remote`; rejects with a DialError (`unavailable`: the signalling server does not know it). */
	dial(remote: string, timeoutMs: number): Promise<RoomLink>;
	onLink(handler: (link: RoomLink) => void): void;
	call(remote: string, stream: MediaStream): AudioCall;
	onCall(handler: (call: IncomingAudioCall) => void): void;
	/** Signalling is connected (dials can work). */
	readonly online: boolean;
	/**
	 * Asks the signalling server for a fresh answer now: true when this device's own network reaches it.
	 * A silent host is declared gone only then, so a member whose own network dropped never takes over.
	 */
	reachable(timeoutMs: number): Promise<boolean>;
	/** The room's presence (transports that have it), announcing this member. */
	presence(code: string): RoomPresence | null;
	close(): void;
}

/** One member as the room's presence lists it (what it says about itself; not authenticated). */
export interface PresentMember {
	id: string;
	name: string;
	/** It says it hosts the room, since this time (ms): the latest claim wins. */
	hostSince: number | null;
}

export interface RoomPresence {
	/** Announces this member (at most a few times per 30 s: Realtime's presence limit). */
	announce(name: string, hostSince: number | null): void;
	readonly present: readonly PresentMember[];
	onChange(handler: (present: readonly PresentMember[]) => void): void;
	close(): void;
}

export type TransportKind = 'peerjs' | 'supabase';

export interface RoomTransport {
	readonly kind: TransportKind;
	/**
	 * Registers `id` on the signalling server; rejects with `Error('taken')` when another client holds it.
	 * `takeover`: a new host claims the room address while its vanished predecessor may still be listed.
	 */
	open(id: string, options?: { takeover?: boolean }): Promise<RoomEndpoint>;
}

export interface PeerJsOptions {
	path: string;
	key: string;
	iceServers: RTCIceServer[];
}

/** The built-in signalling server (the same one the mesh uses), reached on this page's origin. */
export class PeerJsRoomTransport implements RoomTransport {
	readonly kind = 'peerjs';
	constructor(readonly options: PeerJsOptions) {}

	async open(id: string): Promise<RoomEndpoint> {
		const { Peer } = await import('peerjs');
		const secure = location.protocol === 'https:';
		const peer = new Peer(id, {
			host: location.hostname,
			port: Number(location.port) || (secure ? 443 : 80),
			path: this.options.path,
			key: this.options.key,
			secure,
			debug: 0,
			config: { iceServers: this.options.iceServers }
		});
		await new Promise<void>((resolve, reject) => {
			const fail = (error: PeerError<string>) => {
				peer.destroy();
				reject(new Error(error.type === 'unavailable-id' ? 'taken' : error.type));
			};
			peer.once('open', () => {
				peer.off('error', fail);
				resolve();
			});
			peer.once('error', fail);
		});
		const probe = new URL(`${this.options.path.replace(/\/?$/, '/')}${this.options.key}/id`, location.origin);
		return new PeerJsEndpoint(peer, id, async (timeoutMs) => {
			// PeerServer's id endpoint: a cheap request that only the signalling server itself answers.
			try {
				const response = await fetch(probe.href, { cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
				return response.ok;
			} catch {
				return false;
			}
		});
	}
}

export interface RealtimeRoomOptions {
	/** The Supabase project's URL (or the one box's origin) and its anon key. */
	url: string;
	anonKey: string;
	/** The signed-in user's access token (null: the anon key). */
	accessToken: () => Promise<string | null>;
	iceServers: RTCIceServer[];
	peerjs: { path: string; key: string };
}

const ROOM_PREFIX = 'cratemesh-room';

/**
 * Rooms over Supabase Realtime. Each endpoint has a Realtime connection of its own (realtime-js keeps
 * one channel per topic per client, and a member that becomes host joins, as the room's address, the
 * inbox topic it was dialling as a member). Closing an endpoint closes its connection, which takes its
 * presence off at once.
 */
export class RealtimeRoomTransport implements RoomTransport {
	readonly kind = 'supabase';
	constructor(readonly options: RealtimeRoomOptions) {}

	async open(id: string, options: { takeover?: boolean } = {}): Promise<RoomEndpoint> {
		const { RealtimeClient } = await import('@supabase/supabase-js');
		const endpoint = new URL('realtime/v1', this.options.url.replace(/\/?$/, '/'));
		endpoint.protocol = endpoint.protocol.replace('http', 'ws');
		const client = new RealtimeClient(endpoint.href, {
			params: { apikey: this.options.anonKey },
			accessToken: async () => (await this.options.accessToken()) ?? this.options.anonKey
		});
		// A room address is exclusive (a second room with the same code must not start), except for a new
		// host taking it over; a member id is this browser's own, and a reload's stale presence must not block it.
		const claim = id.startsWith('cms-') || options.takeover ? 'force' : 'fail';
		const socket = new RealtimeSocket({ client, prefix: ROOM_PREFIX, media: true, claim });
		const secure = location.protocol === 'https:';
		const peer = await createPeer(
			id,
			{
				// Used by PeerJS only for its HTTP API (id allocation), which a given id never needs.
				host: location.hostname,
				port: Number(location.port) || (secure ? 443 : 80),
				path: this.options.peerjs.path,
				key: this.options.peerjs.key,
				secure,
				debug: 0,
				config: { iceServers: this.options.iceServers }
			},
			socket
		);
		try {
			await new Promise<void>((resolve, reject) => {
				const timer = setTimeout(() => fail({ type: 'network' } as PeerError<string>), 15_000);
				const fail = (error: PeerError<string>) => {
					clearTimeout(timer);
					reject(new Error(error.type === 'unavailable-id' ? 'taken' : error.type));
				};
				peer.once('open', () => {
					clearTimeout(timer);
					peer.off('error', fail);
					resolve();
				});
				peer.once('error', fail);
			});
		} catch (error) {
			peer.destroy();
			void client.disconnect();
			throw error;
		}
		return new PeerJsEndpoint(
			peer,
			id,
			(timeoutMs) => socket.probe(timeoutMs),
			() => socket.state === 'online',
			() => void client.disconnect(),
			(code) => new RealtimePresence(client, `${ROOM_PREFIX}-presence:${code}`, id)
		);
	}
}

const PresentMeta = v.object({
	name: v.pipe(v.string(), v.maxLength(48)),
	hostSince: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0)))
});
const MEMBER_KEY = /^cms-[0-9a-f]{24}$/;

/** The room's presence topic: every member tracks `{name, hostSince}` under its member id. */
class RealtimePresence implements RoomPresence {
	#channel: RealtimeChannel;
	#present: PresentMember[] = [];
	#handlers: ((present: readonly PresentMember[]) => void)[] = [];
	#meta: { name: string; hostSince: number | null } | null = null;
	#subscribed = false;
	#times: number[] = [];
	#timer: ReturnType<typeof setTimeout> | undefined;

	constructor(
		readonly client: RealtimeClient,
		topic: string,
		readonly me: string
	) {
		this.#channel = client.channel(topic, { config: { presence: { key: me } } });
		this.#channel.on('presence', { event: 'sync' }, () => {
			const state = this.#channel.presenceState();
			const present: PresentMember[] = [];
			for (const [id, metas] of Object.entries(state)) {
				if (!MEMBER_KEY.test(id) || present.length >= 64) continue;
				// The newest meta of a key (a reload's stale one may linger until the server drops it).
				const parsed = (metas as unknown[])
					.map((meta) => v.safeParse(PresentMeta, meta))
					.filter((result) => result.success)
					.map((result) => result.output);
				const last = parsed.at(-1);
				if (last) present.push({ id, name: last.name, hostSince: last.hostSince });
			}
			this.#present = present;
			for (const handler of this.#handlers) handler(present);
		});
		this.#channel.subscribe((status) => {
			this.#subscribed = status === 'SUBSCRIBED';
			if (this.#subscribed) this.#track();
		});
	}

	get present(): readonly PresentMember[] {
		return this.#present;
	}

	onChange(handler: (present: readonly PresentMember[]) => void): void {
		this.#handlers.push(handler);
	}

	announce(name: string, hostSince: number | null): void {
		this.#meta = { name: name.slice(0, 48), hostSince };
		this.#track();
	}

	/** Realtime closes a channel after 5 presence updates in 30 s: stay at 4, the latest meta wins. */
	#track(): void {
		if (!this.#subscribed || !this.#meta || this.#timer) return;
		const now = Date.now();
		this.#times = this.#times.filter((t) => now - t < 30_000);
		if (this.#times.length >= 4) {
			this.#timer = setTimeout(
				() => {
					this.#timer = undefined;
					this.#track();
				},
				30_050 - (now - this.#times[0]!)
			);
			return;
		}
		this.#times.push(now);
		void this.#channel.track(this.#meta);
	}

	close(): void {
		clearTimeout(this.#timer);
		this.#handlers = [];
		void this.client.removeChannel(this.#channel);
	}
}

class PeerJsEndpoint implements RoomEndpoint {
	#peer: Peer;
	#pending = new Map<string, (error: DialError) => void>();
	#linkHandler: (link: RoomLink) => void = (link) => link.close();
	#callHandler: (call: IncomingAudioCall) => void = (call) => call.close();
	#closed = false;
	#online = true;
	#retry: ReturnType<typeof setTimeout> | undefined;

	constructor(
		peer: Peer,
		readonly id: string,
		readonly probe: (timeoutMs: number) => Promise<boolean>,
		readonly signalling: () => boolean = () => true,
		readonly onClosed: () => void = () => undefined,
		readonly makePresence: ((code: string) => RoomPresence) | null = null
	) {
		this.#peer = peer;
		peer.on('connection', (connection) => {
			if (connection.serialization !== 'raw') return void connection.on('open', () => connection.close());
			connection.on('open', () => this.#linkHandler(wrapLink(connection)));
		});
		peer.on('call', (call) => this.#callHandler(wrapIncoming(call)));
		peer.on('error', (error: PeerError<string>) => {
			if (error.type !== 'peer-unavailable') return;
			// PeerJS reports an unknown peer on the Peer, not on the connection: match it by id.
			for (const [remote, fail] of this.#pending)
				if (error.message.includes(remote)) {
					this.#pending.delete(remote);
					fail(new DialError('unavailable'));
				}
		});
		peer.on('disconnected', () => {
			this.#online = false;
			this.#reconnect();
		});
		peer.on('open', () => {
			this.#online = true;
		});
	}

	get online(): boolean {
		return this.#online && !this.#peer.disconnected && this.signalling();
	}

	async reachable(timeoutMs: number): Promise<boolean> {
		if (!this.online) return false;
		return this.probe(timeoutMs);
	}

	presence(code: string): RoomPresence | null {
		return this.makePresence?.(code) ?? null;
	}

	/** Signalling dropped (network): keep trying; existing WebRTC links are independent of it. */
	#reconnect(): void {
		if (this.#closed || this.#retry) return;
		this.#retry = setTimeout(() => {
			this.#retry = undefined;
			if (this.#closed || !this.#peer.disconnected) return;
			try {
				this.#peer.reconnect();
			} catch {
				// reconnect() throws when the peer was destroyed; nothing to do then
			}
			this.#reconnect();
		}, 2000);
	}

	dial(remote: string, timeoutMs: number): Promise<RoomLink> {
		if (this.#peer.disconnected) return Promise.reject(new DialError('offline'));
		return new Promise((resolve, reject) => {
			const connection = this.#peer.connect(remote, { reliable: true, serialization: 'raw' });
			const timer = setTimeout(() => {
				this.#pending.delete(remote);
				connection.close();
				reject(new DialError('timeout'));
			}, timeoutMs);
			this.#pending.set(remote, (error) => {
				clearTimeout(timer);
				connection.close();
				reject(error);
			});
			connection.on('open', () => {
				clearTimeout(timer);
				this.#pending.delete(remote);
				resolve(wrapLink(connection));
			});
		});
	}

	onLink(handler: (link: RoomLink) => void): void {
		this.#linkHandler = handler;
	}

	call(remote: string, stream: MediaStream): AudioCall {
		return wrapCall(this.#peer.call(remote, stream));
	}

	onCall(handler: (call: IncomingAudioCall) => void): void {
		this.#callHandler = handler;
	}

	close(): void {
		this.#closed = true;
		clearTimeout(this.#retry);
		this.#peer.destroy();
		this.onClosed();
	}
}

function wrapLink(connection: DataConnection): RoomLink {
	let closed = false;
	const closeHandlers: (() => void)[] = [];
	const fire = () => {
		if (closed) return;
		closed = true;
		for (const handler of closeHandlers) handler();
	};
	connection.on('close', fire);
	connection.on('error', fire);
	// PeerJS `close` events are unreliable (field notes): watch the connection state too; heartbeats
	// in the room catch the rest.
	connection.peerConnection?.addEventListener?.('connectionstatechange', () => {
		const state = connection.peerConnection?.connectionState;
		if (state === 'failed' || state === 'closed') fire();
	});
	return {
		remote: connection.peer,
		send: (frame) => {
			if (!closed && connection.open) void connection.send(frame);
		},
		close: () => {
			connection.close();
			fire();
		},
		onMessage: (handler) => void connection.on('data', handler),
		onClose: (handler) => void closeHandlers.push(handler)
	};
}

function wrapCall(call: MediaConnection): AudioCall {
	return {
		remote: call.peer,
		close: () => call.close(),
		onClose: (handler) => {
			call.on('close', handler);
			call.on('error', handler);
		},
		get connection() {
			return call.peerConnection ?? null;
		}
	};
}

function wrapIncoming(call: MediaConnection): IncomingAudioCall {
	return {
		...wrapCall(call),
		get connection() {
			return call.peerConnection ?? null;
		},
		answer: (onStream) => {
			call.on('stream', onStream);
			call.answer();
		}
	};
}
