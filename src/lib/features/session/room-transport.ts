/**
 * How room members reach each other: one seam, so the room logic (room.svelte.ts) does not know about
 * PeerJS. Today's implementation uses the app's own PeerJS server (`/peerjs`); a Supabase Realtime
 * transport (presence + broadcast signalling when signed in) would implement the same interface with
 * plain RTCPeerConnections (see the mesh README: PeerJS has no custom-signalling hook).
 */
import type { DataConnection, MediaConnection, Peer, PeerError } from 'peerjs';

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
	close(): void;
}

export interface RoomTransport {
	/** Registers `id` on the signalling server; rejects with `Error('taken')` when another client holds it. */
	open(id: string): Promise<RoomEndpoint>;
}

export interface PeerJsOptions {
	path: string;
	key: string;
	iceServers: RTCIceServer[];
}

/** The built-in signalling server (the same one the mesh uses), reached on this page's origin. */
export class PeerJsRoomTransport implements RoomTransport {
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
		return new PeerJsEndpoint(peer, id, probe.href);
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
		readonly probe: string
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
		return this.#online && !this.#peer.disconnected;
	}

	async reachable(timeoutMs: number): Promise<boolean> {
		if (!this.online) return false;
		try {
			// PeerServer's id endpoint: a cheap request that only the signalling server itself answers.
			const response = await fetch(this.probe, { cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
			return response.ok;
		} catch {
			return false;
		}
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
