import type { DataConnection, Peer, PeerError } from 'peerjs';
import type { RuntimeConfig } from '$lib/config';
import { db } from '$lib/db';
import { defaultDeviceName, helloMessage, parseHello, sanitizeName } from './hello';

export type SignallingStatus = 'idle' | 'connecting' | 'online' | 'offline' | 'error';

export interface PeerLink {
	peerId: string;
	name: string;
	open: boolean;
}

const PEER_ID_KEY = 'peerId';
const DEVICE_NAME_KEY = 'deviceName';
const RETRY_MAX_MS = 30_000;

/**
 * This device's presence on the signalling server and its open connections to other devices.
 * PeerJS is loaded on demand so it costs nothing before the mesh starts.
 */
export class Mesh {
	#status = $state<SignallingStatus>('idle');
	#error = $state<string | null>(null);
	#peerId = $state<string | null>(null);
	#deviceName = $state('');
	#links = $state<PeerLink[]>([]);
	#rejected = $state(0);
	#peer: Peer | undefined;
	// Connection objects are plumbing, not UI state: `links` is what the UI reads.
	#connections = new Map<string, DataConnection>();
	#config: RuntimeConfig | undefined;
	#retryMs = 1000;
	#retryTimer: ReturnType<typeof setTimeout> | undefined;

	get status(): SignallingStatus {
		return this.#status;
	}
	get error(): string | null {
		return this.#error;
	}
	get peerId(): string | null {
		return this.#peerId;
	}
	get deviceName(): string {
		return this.#deviceName;
	}
	get links(): readonly PeerLink[] {
		return this.#links;
	}
	/** Messages from peers that failed validation. */
	get rejected(): number {
		return this.#rejected;
	}

	async start(config: RuntimeConfig): Promise<void> {
		if (this.#peer || this.#status === 'connecting') return;
		this.#config = config;
		this.#status = 'connecting';
		const stored = await db()
			.settings.bulkGet([PEER_ID_KEY, DEVICE_NAME_KEY])
			.catch(() => []);
		let id = typeof stored[0]?.value === 'string' ? stored[0].value : null;
		if (!id) {
			id = `cm-${crypto.randomUUID()}`;
			await db()
				.settings.put({ key: PEER_ID_KEY, value: id })
				.catch(() => undefined);
		}
		this.#deviceName = sanitizeName(
			typeof stored[1]?.value === 'string' ? stored[1].value : defaultDeviceName(navigator.userAgent)
		);
		this.#peerId = id;
		await this.#open(id, config);
	}

	async #open(id: string, config: RuntimeConfig): Promise<void> {
		const { Peer } = await import('peerjs');
		const secure = location.protocol === 'https:';
		const peer = new Peer(id, {
			host: location.hostname,
			port: Number(location.port) || (secure ? 443 : 80),
			path: config.peerjs.path,
			key: config.peerjs.key,
			secure,
			debug: 0,
			config: { iceServers: config.iceServers }
		});
		this.#peer = peer;
		peer.on('open', () => {
			this.#status = 'online';
			this.#error = null;
			this.#retryMs = 1000;
		});
		peer.on('connection', (connection) => this.#adopt(connection));
		peer.on('disconnected', () => {
			if (this.#peer !== peer) return;
			this.#status = 'offline';
			this.#scheduleRetry();
		});
		peer.on('error', (error: PeerError<string>) => {
			// A peer we dialled being unreachable is not a signalling failure.
			if (error.type === 'peer-unavailable') {
				this.#error = error.message;
				return;
			}
			if (
				error.type === 'network' ||
				error.type === 'server-error' ||
				error.type === 'socket-error' ||
				error.type === 'socket-closed'
			) {
				this.#status = 'offline';
				this.#scheduleRetry();
				return;
			}
			this.#status = 'error';
			this.#error = error.message;
		});
	}

	#scheduleRetry(): void {
		if (this.#retryTimer || !this.#config || !this.#peerId) return;
		const jitter = Math.random() * 0.3 * this.#retryMs;
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = undefined;
			const old = this.#peer;
			this.#peer = undefined;
			old?.destroy();
			this.#status = 'connecting';
			void this.#open(this.#peerId!, this.#config!);
		}, this.#retryMs + jitter);
		this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
	}

	connect(remoteId: string): void {
		const id = remoteId.trim();
		if (!this.#peer || !id || id === this.#peerId || this.#connections.has(id)) return;
		this.#adopt(this.#peer.connect(id, { reliable: true, serialization: 'json' }));
	}

	#adopt(connection: DataConnection): void {
		const id = connection.peer;
		this.#connections.get(id)?.close();
		this.#connections.set(id, connection);
		this.#upsert({ peerId: id, name: id, open: false });
		connection.on('open', () => {
			this.#upsert({ peerId: id, open: true });
			void connection.send(helloMessage(this.#deviceName));
		});
		connection.on('data', (data) => {
			const hello = parseHello(data);
			if (!hello) {
				this.#rejected++;
				return;
			}
			this.#upsert({ peerId: id, name: hello.name });
			void db()
				.devices.put({ peerId: id, name: hello.name, lastSeen: Date.now() })
				.catch(() => undefined);
		});
		const drop = () => {
			if (this.#connections.get(id) !== connection) return;
			this.#connections.delete(id);
			this.#links = this.#links.filter((link) => link.peerId !== id);
		};
		connection.on('close', drop);
		connection.on('error', drop);
	}

	#upsert(patch: Partial<PeerLink> & { peerId: string }): void {
		const index = this.#links.findIndex((link) => link.peerId === patch.peerId);
		if (index === -1) this.#links = [...this.#links, { name: patch.peerId, open: false, ...patch }];
		else this.#links = this.#links.map((link, i) => (i === index ? { ...link, ...patch } : link));
	}
}

export const mesh = new Mesh();
