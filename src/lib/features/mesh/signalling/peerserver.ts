/**
 * Signalling over the PeerJS server that `npm start` hosts at /peerjs (the default transport): the
 * same wire protocol PeerJS's own socket speaks, plus what it lacks — reconnection with backoff that
 * the Peer never notices (so open DataConnections survive a server restart) and a reconnect on demand.
 */
import { Backoff, SignallingSocket, type ServerMessage, type SocketHooks } from './socket';

const PEERJS_VERSION = '1.5.5';
/** PeerServer drops a client after 60 s without a heartbeat (src/server/app.js `alive_timeout`). */
const HEARTBEAT_MS = 5000;
/**
 * A client that reconnects with its token while the server still holds its old socket is re-attached
 * without an OPEN message: with no ID-TAKEN/ERROR after this long, the socket is taken as online.
 */
const REATTACH_MS = 1500;
const QUEUE_MAX = 100;

export interface PeerServerOptions {
	/** e.g. `wss://host:443/peerjs/` (the PeerJS path, with its trailing slash). */
	baseUrl: string;
	key: string;
	backoff?: Backoff;
	/** For tests: a WebSocket constructor. */
	WebSocket?: typeof WebSocket;
}

export function peerServerUrl(location: Pick<Location, 'protocol' | 'host'>, path: string): string {
	const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
	return `${scheme}://${location.host}${path.endsWith('/') ? path : `${path}/`}`;
}

export class PeerServerSocket extends SignallingSocket {
	#options: PeerServerOptions;
	#backoff: Backoff;
	#ws: WebSocket | undefined;
	#stopped = true;
	#retry: ReturnType<typeof setTimeout> | undefined;
	#heartbeat: ReturnType<typeof setInterval> | undefined;
	#reattach: ReturnType<typeof setTimeout> | undefined;
	#queue: string[] = [];

	constructor(options: PeerServerOptions, hooks: SocketHooks = {}) {
		super(hooks);
		this.#options = options;
		this.#backoff = options.backoff ?? new Backoff(500, 30_000);
	}

	start(id: string, token: string): void {
		this.peerId = id;
		this.token = token;
		this.#stopped = false;
		this.#connect();
	}

	#connect(): void {
		if (this.#stopped || !this.peerId) return;
		this.#teardown();
		this.setState('connecting');
		const { baseUrl, key } = this.#options;
		const url =
			`${baseUrl}peerjs?key=${encodeURIComponent(key)}&id=${encodeURIComponent(this.peerId)}` +
			`&token=${encodeURIComponent(this.token)}&version=${PEERJS_VERSION}`;
		const Socket = this.#options.WebSocket ?? WebSocket;
		let ws: WebSocket;
		try {
			ws = new Socket(url);
		} catch {
			return this.#lost('cannot open');
		}
		this.#ws = ws;
		ws.onopen = () => {
			this.#heartbeat = setInterval(() => this.#raw(JSON.stringify({ type: 'HEARTBEAT' })), HEARTBEAT_MS);
			this.#reattach = setTimeout(() => this.#online(), REATTACH_MS);
		};
		ws.onmessage = (event) => {
			if (typeof event.data !== 'string' || event.data.length > 128 * 1024) return this.reject('oversized');
			let data: unknown;
			try {
				data = JSON.parse(event.data);
			} catch {
				return this.reject('malformed');
			}
			const type = (data as { type?: unknown } | null)?.type;
			if (type === 'OPEN') this.#online();
			else if (type === 'ID-TAKEN' || type === 'INVALID-KEY' || type === 'ERROR') {
				// Fatal for this id: PeerJS reports it and stops; so do we (no retry loop against it).
				this.#stopped = true;
				this.setState('error', String(type));
			}
			this.deliver(data);
		};
		ws.onclose = () => {
			if (this.#ws !== ws) return;
			this.#lost('closed');
		};
		ws.onerror = () => undefined; // followed by close
	}

	#online(): void {
		clearTimeout(this.#reattach);
		if (this.state === 'online') return;
		this.#backoff.reset();
		this.setState('online');
		const queued = this.#queue;
		this.#queue = [];
		for (const frame of queued) this.#raw(frame);
	}

	#lost(detail: string): void {
		this.#teardown();
		if (this.#stopped) return;
		this.setState('offline', detail);
		clearTimeout(this.#retry);
		this.#retry = setTimeout(() => this.#connect(), this.#backoff.next());
	}

	#teardown(): void {
		clearInterval(this.#heartbeat);
		clearTimeout(this.#reattach);
		const ws = this.#ws;
		this.#ws = undefined;
		if (ws) {
			ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
			try {
				ws.close();
			} catch {
				// already closed
			}
		}
	}

	#raw(frame: string): boolean {
		if (this.#ws?.readyState !== 1) return false;
		this.#ws.send(frame);
		return true;
	}

	send(message: ServerMessage): void {
		if (this.#stopped || !message.type) return;
		const frame = JSON.stringify(message);
		// While reconnecting, keep a little (an answer or candidates of a connection being set up).
		if (this.state !== 'online' || !this.#raw(frame)) {
			if (this.#queue.length < QUEUE_MAX) this.#queue.push(frame);
		}
	}

	reconnectNow(): void {
		if (this.#stopped) return;
		clearTimeout(this.#retry);
		this.#backoff.reset();
		this.#connect();
	}

	close(): void {
		this.#stopped = true;
		clearTimeout(this.#retry);
		this.#teardown();
		this.#queue = [];
		if (this.state !== 'error') this.setState('offline', 'closed');
	}
}
