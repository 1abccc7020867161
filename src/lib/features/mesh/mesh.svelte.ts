import type { DataConnection, Peer, PeerError } from 'peerjs';
import type { RuntimeConfig } from '$lib/config';
import { supabaseClient } from '$lib/supabase/client';
import { db } from '$lib/db';
import { library } from '$lib/features/library/library.svelte';
import { playlists } from '$lib/features/playlists/playlists.svelte';
import { channelBinding } from './channel-binding';
import { belowOn } from './channel-low';
import { defaultDeviceName, sanitizeName } from './hello';
import { fingerprint, loadIdentity, pairingCode, type Identity } from './identity';
import { ShownCode } from './pake';
import { cleanText, MAX_CATALOG, type Message, type TrackSummary } from './protocol';
import { Session, type PeerInfo, type Trust } from './session';
import { LibrarySync } from './sync.svelte';
import { prepareServe, ServeQueue, Transfers } from './transfers.svelte';
import { servable } from './servable';
import { StreamPlayer } from './stream.svelte';
import { createPeer } from './signalling/peer';
import { PeerServerSocket, peerServerUrl } from './signalling/peerserver';
import { RealtimeSocket } from './signalling/realtime';
import { Backoff, type SignallingSocket, type SignallingState, type SocketHooks } from './signalling/socket';
import { getTrusted, listTrusted, putTrusted, revokeTrusted, touchTrusted, type TrustedDeviceRow } from './trust';
import { exposeForTests } from '$lib/test-hooks';

export type SignallingStatus = 'idle' | 'connecting' | 'online' | 'offline' | 'error';

export interface PeerLink {
	peerId: string;
	name: string;
	/** The channel is open (authentication may still be running). */
	open: boolean;
	/** Authenticated and trusted: ready for sync and transfers. */
	ready: boolean;
	trust: Trust | null;
}

export interface Notice {
	peerId: string;
	reason: string;
}

/** A feature that speaks its own messages over the mesh (collaborative playlists…): told when a device is
 * ready or gone, offered the messages the mesh does not handle itself, asked before a track is served to
 * a device that is not one of this user's own. */
export interface MeshExtension {
	ready?(session: Session): void;
	closed?(peerId: string): void;
	/** True when the message was this extension's (it counts its own refusals). */
	handle?(session: Session, message: Message): boolean | Promise<boolean>;
	mayServe?(peerId: string, hash: string): boolean;
}

const DEVICE_NAME_KEY = 'deviceName';
export const MAX_CONNECTIONS = 8;
const PAIRING_TTL_MS = 2 * 60_000;
/** PAKE runs a shown code allows (each reveals at most whether one guess was right: 5 in 10^6). */
const PAIRING_MAX_ATTEMPTS = 5;
/** How often trusted devices that are not connected are considered for a dial (each has its own backoff). */
const REDIAL_TICK_MS = 2000;
const DIAL_TIMEOUT_MS = 15_000;
/** After the Peer itself gave up (id taken by a stale registration, server refused): start it again. */
const RESTART_MS = 15_000;

/**
 * This device on the mesh: presence on the signalling server, authenticated sessions with up to eight
 * other devices, pairing, the trusted-device list and track transfers. PeerJS is loaded on demand.
 */
export class Mesh {
	#status = $state<SignallingStatus>('idle');
	#error = $state<string | null>(null);
	#peerId = $state<string | null>(null);
	#deviceName = $state('');
	#links = $state<PeerLink[]>([]);
	#rejected = $state(0);
	#trusted = $state<TrustedDeviceRow[]>([]);
	#fingerprint = $state('');
	#fingerprints = $state<Record<string, string>>({});
	#pairing = $state.raw<ShownCode | null>(null);
	#notice = $state<Notice | null>(null);
	#catalogs = $state<Record<string, { total: number; tracks: TrackSummary[] }>>({});
	readonly transfers = new Transfers({
		stored: (hashes) => void library.changed(hashes).catch(() => undefined),
		holders: () => this.holders(),
		session: (peerId) => this.#ready(peerId),
		dropped: (peerId, reason) => {
			this.#reject(peerId, `transfer: ${reason}`);
			this.#notice = { peerId, reason };
		}
	});
	/** Plays a remote track while it transfers (`play`, `playFromAny`). */
	readonly stream = new StreamPlayer(this.transfers);
	readonly sync = new LibrarySync(
		(tracks, tables) => {
			if (tracks.length) void library.changed(tracks).catch(() => undefined);
			if (tables.has('playlists') || tables.has('playlistItems')) void playlists.reload().catch(() => undefined);
		},
		(peerId, reason) => this.#reject(peerId, reason)
	);
	#identity: Identity | undefined;
	#peer: Peer | undefined;
	#socket: SignallingSocket | undefined;
	#transport = $state<'peerjs' | 'supabase'>('peerjs');
	#sessions = new Map<string, { session: Session; connection: DataConnection }>();
	#config: RuntimeConfig | undefined;
	#restartTimer: ReturnType<typeof setTimeout> | undefined;
	#redialTimer: ReturnType<typeof setInterval> | undefined;
	/** Per trusted device: when the next dial may go out (exponential backoff while it stays away). */
	#dials = new Map<string, { backoff: Backoff; next: number }>();
	#lifecycle = false;
	#generation = 0;
	#serving = new WeakMap<Session, ServeQueue>();
	#extensions: MeshExtension[] = [];

	extend(extension: MeshExtension): void {
		this.#extensions.push(extension);
	}

	get status(): SignallingStatus {
		return this.#status;
	}
	get error(): string | null {
		return this.#error;
	}
	/** Which signalling transport this device uses (runtime config `signalling`). */
	get transport(): 'peerjs' | 'supabase' {
		return this.#transport;
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
	/** Frames from peers that were rejected (malformed, unknown, oversized, over the rate limit, unexpected). */
	get rejected(): number {
		return this.#rejected;
	}
	get trusted(): readonly TrustedDeviceRow[] {
		return this.#trusted;
	}
	/** This device's key fingerprint, to compare with what a paired device shows for it. */
	get fingerprint(): string {
		return this.#fingerprint;
	}
	/** Key fingerprints of the trusted devices, by peer id. */
	get fingerprints(): Readonly<Record<string, string>> {
		return this.#fingerprints;
	}
	/** The pairing code this device shows, while it is valid. */
	get pairing(): { code: string; expires: number; trust: Trust } | null {
		return this.#pairing;
	}
	/** The last connection that was refused or dropped, and why. */
	get notice(): Notice | null {
		return this.#notice;
	}
	get catalogs(): Readonly<Record<string, { total: number; tracks: TrackSummary[] }>> {
		return this.#catalogs;
	}
	/** A device's catalog, by own key only (a link's id is network text until the peer is authenticated). */
	catalogOf(peerId: string): { total: number; tracks: TrackSummary[] } | undefined {
		return Object.hasOwn(this.#catalogs, peerId) ? this.#catalogs[peerId] : undefined;
	}

	async start(config: RuntimeConfig): Promise<void> {
		if (this.#peer || this.#status === 'connecting') return;
		this.#config = config;
		this.#status = 'connecting';
		const [identity, stored] = await Promise.all([
			loadIdentity(),
			db()
				.settings.get(DEVICE_NAME_KEY)
				.catch(() => undefined)
		]);
		this.#identity = identity;
		this.#deviceName = sanitizeName(
			typeof stored?.value === 'string' ? stored.value : defaultDeviceName(navigator.userAgent)
		);
		this.#peerId = identity.peerId;
		this.#fingerprint = await fingerprint(identity.spki);
		await this.sync.start();
		await this.refreshTrusted();
		await this.#open(identity.peerId, config);
		if (!this.#redialTimer) this.#redialTimer = setInterval(() => this.#dialTrusted(), REDIAL_TICK_MS);
		this.#watchLifecycle();
	}

	async refreshTrusted(): Promise<void> {
		this.#trusted = await listTrusted().catch(() => []);
		this.#socket?.watch(this.#trusted.map((device) => device.peerId));
		const prints: Record<string, string> = {};
		for (const device of this.#trusted) prints[device.peerId] = await fingerprint(device.spki);
		this.#fingerprints = prints;
	}

	#socketHooks(): SocketHooks {
		// A socket replaced after a restart may still report its close: only the current one counts.
		const generation = ++this.#generation;
		const current = () => generation === this.#generation;
		return {
			state: (state, detail) => current() && this.#onSignalling(state, detail),
			rejected: (reason) => this.#reject('signalling', reason),
			// A trusted device appeared in presence (Realtime): dial it now, not at its next backoff slot.
			online: (peerId) => {
				if (!current()) return;
				this.#dials.delete(peerId);
				this.#dialTrusted();
			}
		};
	}

	async #makeSocket(config: RuntimeConfig): Promise<SignallingSocket> {
		if (config.signalling === 'supabase' && config.supabaseUrl && config.supabaseAnonKey) {
			this.#transport = 'supabase';
			const client = await supabaseClient(config.supabaseUrl, config.supabaseAnonKey);
			return new RealtimeSocket({ client: client.realtime }, this.#socketHooks());
		}
		this.#transport = 'peerjs';
		return new PeerServerSocket(
			{ baseUrl: peerServerUrl(location, config.peerjs.path), key: config.peerjs.key },
			this.#socketHooks()
		);
	}

	async #open(id: string, config: RuntimeConfig): Promise<void> {
		const socket = await this.#makeSocket(config);
		const secure = location.protocol === 'https:';
		const peer = await createPeer(
			id,
			{
				// Used by PeerJS only for its HTTP API (id allocation), which a given id never needs.
				host: location.hostname,
				port: Number(location.port) || (secure ? 443 : 80),
				path: config.peerjs.path,
				key: config.peerjs.key,
				secure,
				debug: 0,
				config: { iceServers: config.iceServers }
			},
			socket
		);
		this.#socket = socket;
		this.#peer = peer;
		socket.watch(this.#trusted.map((device) => device.peerId));
		peer.on('connection', (connection) => this.#incoming(connection));
		// The socket reconnects on its own; the Peer only stops after a fatal answer (id taken, bad key).
		const gaveUp = () => {
			if (this.#peer === peer) this.#scheduleRestart();
		};
		peer.on('disconnected', gaveUp);
		peer.on('close', gaveUp);
		peer.on('error', (error: PeerError<string>) => {
			if (error.type === 'peer-unavailable') {
				// Not a signalling failure: the device we dialled is not online. Free the slot now.
				const away = /cm-[0-9a-f]{32}/.exec(error.message)?.[0];
				const entry = away ? this.#sessions.get(away) : undefined;
				if (entry && !entry.connection.open) entry.session.close('unavailable', false);
				return;
			}
			if (error.type === 'unavailable-id') this.#error = 'another-tab';
			else this.#error = error.message;
			if (['unavailable-id', 'invalid-key', 'server-error', 'socket-error', 'socket-closed'].includes(error.type))
				this.#status = 'error';
		});
	}

	#onSignalling(state: SignallingState, detail?: string): void {
		this.#status = state;
		if (state === 'online') {
			this.#error = null;
			// Signalling is back (a restart, a network change): every trusted device gets a dial now.
			this.#dials.clear();
			this.#dialTrusted();
		} else if (state === 'error') this.#error = detail ?? 'error';
	}

	#scheduleRestart(): void {
		if (this.#restartTimer || !this.#config || !this.#peerId) return;
		this.#restartTimer = setTimeout(() => {
			this.#restartTimer = undefined;
			const old = this.#peer;
			this.#peer = undefined;
			this.#socket = undefined;
			old?.destroy();
			this.#status = 'connecting';
			void this.#open(this.#peerId!, this.#config!).catch(() => this.#scheduleRestart());
		}, RESTART_MS);
	}

	/**
	 * Network back, page resumed from freeze or sleep, tab visible again: check every session's heartbeat
	 * now (a long-silent one is dropped instead of waiting for its timer), reconnect signalling if it is
	 * not up, and dial the trusted devices without waiting for their backoff.
	 */
	wake(reason: 'online' | 'resume' | 'visible'): void {
		for (const { session } of this.#sessions.values()) session.checkAlive();
		if (reason === 'online' || this.#socket?.state !== 'online') this.#socket?.reconnectNow();
		this.#dials.clear();
		this.#dialTrusted();
	}

	#watchLifecycle(): void {
		if (this.#lifecycle || typeof window === 'undefined') return;
		this.#lifecycle = true;
		window.addEventListener('online', () => this.wake('online'));
		document.addEventListener('resume', () => this.wake('resume'));
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'visible') this.wake('visible');
		});
	}

	/** Dials trusted devices that are not connected and whose backoff has passed (they may be away). */
	#dialTrusted(): void {
		if (this.#status !== 'online') return;
		const now = Date.now();
		for (const device of this.#trusted) {
			if (this.#sessions.size >= MAX_CONNECTIONS) break;
			if (this.#sessions.has(device.peerId)) continue;
			let entry = this.#dials.get(device.peerId);
			if (entry && entry.next > now) continue;
			entry ??= { backoff: new Backoff(2000, 60_000), next: 0 };
			entry.next = now + entry.backoff.next();
			this.#dials.set(device.peerId, entry);
			this.connect(device.peerId);
		}
	}

	/** Connects to a device; it must already be trusted (or trust us) or the session is refused. */
	connect(remoteId: string, joinCode?: string, joinTrust?: Trust): void {
		const id = remoteId.trim();
		if (!this.#peer || !this.#identity || !id || id === this.#peerId) return;
		if (this.#sessions.has(id)) {
			if (!joinCode) return;
			this.#sessions.get(id)!.session.close('re-pairing');
		}
		if (this.#sessions.size >= MAX_CONNECTIONS) {
			this.#notice = { peerId: id, reason: 'too-many-connections' };
			return;
		}
		const connection = this.#peer.connect(id, { reliable: true, serialization: 'raw' });
		this.#adopt(connection, { joinCode, joinTrust });
	}

	/** Pairs with a device showing a code: dials it and proves the code; both then trust each other's key
	 * at `trust` (a collaborator's code only pairs as a collaborator, and the other way round). */
	pair(remoteId: string, code: string, trust: Trust = 'own'): void {
		const digits = code.replace(/\D/g, '');
		if (digits.length !== 6) return;
		this.connect(remoteId, digits, trust);
	}

	/** Shows a fresh six-digit code another device can pair with, for two minutes: one of this user's own
	 * devices, or (`'collaborator'`) another user invited to shares. */
	showPairingCode(trust: Trust = 'own'): string {
		const code = pairingCode();
		this.#pairing = new ShownCode(code, PAIRING_TTL_MS, PAIRING_MAX_ATTEMPTS, trust);
		return code;
	}

	cancelPairing(): void {
		this.#pairing = null;
	}

	async revoke(peerId: string): Promise<void> {
		await revokeTrusted(peerId);
		this.#sessions.get(peerId)?.session.close('revoked');
		await this.refreshTrusted();
	}

	async setTrust(peerId: string, trust: Trust): Promise<void> {
		await touchTrusted(peerId, { trust });
		this.#sessions.get(peerId)?.session.close('trust-changed');
		await this.refreshTrusted();
	}

	/** Asks a connected device for (a page of) its track list. */
	browse(peerId: string, offset = 0): void {
		this.#ready(peerId)?.send({ type: 'index', offset });
	}

	/** Fetches a track from a connected device by content hash; other connected own devices that have it
	 * send parts too. */
	fetch(peerId: string, hash: string, title?: string): void {
		const session = this.#ready(peerId);
		if (!session) return;
		const size = this.catalogOf(peerId)?.tracks.find((track) => track.hash === hash)?.size;
		const others = session.trust === 'own' ? this.holders().filter((s) => s !== session) : [];
		this.transfers.request([session, ...others], hash, { title, size });
	}

	/** Plays a track from a connected device while it transfers; it is kept when the transfer verifies. */
	play(peerId: string, hash: string, title: string, duration = 0): boolean {
		return this.stream.start(hash, title, duration, () => {
			const session = this.#ready(peerId);
			// A stream needs the bytes in order: one device sends.
			if (session) this.transfers.request(session, hash, { title, single: true });
			return !!session;
		});
	}

	/** `play` from whichever connected own device has the track (tracks synced without their audio). */
	playFromAny(hash: string, title: string, duration = 0): boolean {
		return this.stream.start(hash, title, duration, () => this.fetchFromAny(hash, title, true));
	}

	/** Fetches a track from the connected own devices (for tracks that arrived by sync without their audio):
	 * every device that has it sends parts (`single`: one after another until one has it). */
	fetchFromAny(hash: string, title?: string, single = false): boolean {
		const holders = this.holders();
		if (holders.length === 0) return false;
		if (single) {
			this.transfers.request(holders, hash, { title, single });
			return true;
		}
		void db()
			.tracks.get(hash)
			.catch(() => undefined)
			.then((row) => this.transfers.request(this.holders(), hash, { title, size: row?.size }));
		return true;
	}

	/** Ready sessions of own devices: the ones that may send us tracks (and store players' files). */
	holders(): Session[] {
		return [...this.#sessions.values()]
			.map(({ session }) => session)
			.filter((session) => session.ready && !session.closed && session.trust === 'own');
	}

	/**
	 * A device went away mid-transfer: the other devices sending it take its ranges (Transfers); a transfer
	 * it was sending alone continues from another connected own device, from the bytes held so far.
	 */
	#resumeElsewhere(peerId: string): void {
		const others = this.holders().filter((session) => session.remoteId !== peerId);
		if (others.length) for (const hash of this.transfers.paused(peerId)) this.transfers.request(others, hash);
	}

	#ready(peerId: string): Session | undefined {
		const entry = this.#sessions.get(peerId);
		return entry?.session.ready && !entry.session.closed ? entry.session : undefined;
	}

	#incoming(connection: DataConnection): void {
		const id = connection.peer;
		const existing = this.#sessions.get(id);
		// Both sides dialled at once: keep the connection the smaller id opened, on both sides. A device we
		// hold a ready session with only dials again when it restarted (reload, sleep): our session is dead
		// and would block it until heartbeats notice, so the new connection replaces it.
		const keepIncoming =
			existing && (existing.session.ready || id < (this.#peerId ?? '')) && existing.connection !== connection;
		if (
			connection.serialization !== 'raw' ||
			(existing && !keepIncoming) ||
			(!existing && this.#sessions.size >= MAX_CONNECTIONS)
		) {
			connection.on('open', () => connection.close());
			return;
		}
		if (existing) existing.session.close('duplicate', false);
		this.#adopt(connection, { incoming: true });
	}

	#adopt(
		connection: DataConnection,
		{ joinCode, joinTrust, incoming = false }: { joinCode?: string; joinTrust?: Trust; incoming?: boolean } = {}
	): void {
		const id = connection.peer;
		const identity = this.#identity!;
		const wire = {
			send: (frame: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>) => void connection.send(frame),
			close: () => connection.close(),
			bufferedAmount: () => connection.dataChannel?.bufferedAmount ?? 0,
			whenBelow: (bytes: number) => belowOn(connection.dataChannel, bytes),
			maxMessageSize: () => connection.peerConnection?.sctp?.maxMessageSize ?? 0,
			// PeerJS's raw connection (a BufferedConnection) says how many frames it holds back.
			held: () => (connection as unknown as { bufferSize?: number }).bufferSize ?? 0,
			binding: () => channelBinding(connection.peerConnection)
		};
		const session: Session = new Session(
			wire,
			{
				trusted: async (peerId, spki) => {
					const row = await getTrusted(peerId);
					return row && row.spki === spki ? row.trust : null;
				},
				hostCode: () => {
					const code = this.#pairing?.claim() ?? null;
					if (!code) this.#pairing = null;
					return code;
				},
				hostTrust: () => this.#pairing?.trust ?? 'own',
				pair: async (peer) => {
					this.#pairing = null;
					await putTrusted({
						peerId: peer.peerId,
						name: peer.name,
						spki: peer.spki,
						trust: peer.trust,
						pairedAt: Date.now(),
						lastSeen: Date.now()
					});
				},
				ready: (peer) => void this.#onReady(session, peer),
				message: (message) => this.#onMessage(session, message),
				binary: async (frame) => {
					if (!(await this.transfers.binary(session, frame))) this.#reject(id, 'unexpected binary frame');
				},
				rejected: (reason) => this.#reject(id, reason),
				closed: (reason) => {
					// Its last attempt failed: the code is spent, stop showing it.
					if (reason === 'bad-code' && this.#pairing?.exhausted) this.#pairing = null;
					if (this.#sessions.get(id)?.session === session) {
						this.#sessions.delete(id);
						this.#links = this.#links.filter((link) => link.peerId !== id);
					}
					this.transfers.disconnected(id);
					if (!this.#sessions.has(id)) {
						this.sync.disconnected(id);
						this.#resumeElsewhere(id);
						for (const extension of this.#extensions) extension.closed?.(id);
					}
					if (reason !== 'duplicate') this.#notice = { peerId: id, reason };
				}
			},
			{ identity, name: this.#deviceName, remoteId: id, joinCode, joinTrust, incoming }
		);
		this.#sessions.set(id, { session, connection });
		this.#upsert({ peerId: id, name: id, open: false, ready: false, trust: null });
		// A dial to a device that was restarting can stay unopened for good (PeerJS reports it as a
		// peer-unavailable error on the Peer, not on the connection); it would block every later dial.
		const dialTimer = setTimeout(() => {
			if (!connection.open) session.close('dial-timeout', false);
		}, DIAL_TIMEOUT_MS);
		connection.on('open', () => {
			clearTimeout(dialTimer);
			this.#upsert({ peerId: id, open: true });
			session.start();
		});
		connection.on('data', (data) => session.receive(data));
		connection.on('close', () => session.close('closed', false));
		connection.on('error', () => session.close('error', false));
		// PeerJS `close` events are unreliable: watch the ICE connection too (heartbeats catch the rest).
		connection.peerConnection?.addEventListener?.('connectionstatechange', () => {
			const state = connection.peerConnection?.connectionState;
			if (state === 'failed' || state === 'closed') session.close('connection-lost', false);
		});
	}

	async #onReady(session: Session, peer: PeerInfo): Promise<void> {
		if (session.closed) return;
		this.#upsert({ peerId: peer.peerId, name: peer.name, ready: true, trust: peer.trust });
		this.#dials.delete(peer.peerId);
		this.#notice = null;
		const now = Date.now();
		await touchTrusted(peer.peerId, { name: peer.name, lastSeen: now }).catch(() => undefined);
		await db()
			.devices.put({ peerId: peer.peerId, name: peer.name, lastSeen: now })
			.catch(() => undefined);
		await this.refreshTrusted();
		// Resume transfers this device was sending when it went away.
		for (const hash of this.transfers.paused(peer.peerId)) this.transfers.request(session, hash);
		for (const extension of this.#extensions) extension.ready?.(session);
		await this.sync.connected(session);
	}

	async #onMessage(session: Session, message: Message): Promise<void> {
		const own = session.trust === 'own';
		switch (message.type) {
			case 'index': {
				if (!own) return session.send({ type: 'catalog', offset: message.offset, total: 0, tracks: [] });
				const total = await db().tracks.count();
				const rows = await db().tracks.orderBy('dateAdded').offset(message.offset).limit(MAX_CATALOG).toArray();
				const tracks = rows
					.filter((row) => row.storage !== 'none')
					.map((row) => ({
						hash: row.hash,
						title: String(row.title ?? '').slice(0, 1024),
						artist: String(row.artist ?? '').slice(0, 1024),
						size: row.size
					}));
				return session.send({ type: 'catalog', offset: message.offset, total, tracks });
			}
			case 'catalog': {
				const tracks = message.tracks.map((track) => ({
					...track,
					title: cleanText(track.title),
					artist: cleanText(track.artist)
				}));
				this.#catalogs = { ...this.#catalogs, [session.remoteId]: { total: message.total, tracks } };
				return;
			}
			case 'want':
				// Own devices get any track; a collaborator only one of a share that lets it ask.
				if (!own && !this.#extensions.some((extension) => extension.mayServe?.(session.remoteId, message.hash)))
					return session.send({ type: 'none', hash: message.hash, reason: 'forbidden' });
				{
					// One answer at a time per peer, in order, without holding up the peer's other messages; the
					// next one is looked up and read while the current one is sent.
					const { hash, offset, end } = message;
					const queue = this.#serving.get(session) ?? new ServeQueue();
					this.#serving.set(session, queue);
					queue.push(
						() => prepareServe(session, hash, offset, end, servable, queue.sources),
						() => session.send({ type: 'none', hash, reason: 'read-failed' })
					);
				}
				return;
			case 'sync-hello':
			case 'sync-batch':
			case 'sync-ack':
			case 'sync-poke':
				if (!(await this.sync.handle(session, message))) this.#reject(session.remoteId, `unexpected ${message.type}`);
				return;
			case 'offer':
			case 'sent':
			case 'none':
				if (!(await this.transfers.handle(session, message)))
					this.#reject(session.remoteId, `unexpected ${message.type}`);
				return;
			default:
				for (const extension of this.#extensions) if (await extension.handle?.(session, message)) return;
				this.#reject(session.remoteId, `unexpected ${message.type}`);
		}
	}

	/** A ready session (authenticated and trusted) with this device, for features that talk to it directly. */
	session(peerId: string): Session | undefined {
		return this.#ready(peerId);
	}

	/** Counts a refused frame; the reason (never the content) goes to the console for diagnosis. */
	#reject(peerId: string, reason: string): void {
		this.#rejected++;
		console.warn(`mesh: refused a frame from ${peerId}: ${reason}`);
	}

	#upsert(patch: Partial<PeerLink> & { peerId: string }): void {
		const index = this.#links.findIndex((link) => link.peerId === patch.peerId);
		if (index === -1)
			this.#links = [...this.#links, { name: patch.peerId, open: false, ready: false, trust: null, ...patch }];
		else this.#links = this.#links.map((link, i) => (i === index ? { ...link, ...patch } : link));
	}
}

export const mesh = new Mesh();

// Streamed playback's media element and timings.
exposeForTests('__cratemeshStream', mesh.stream);
