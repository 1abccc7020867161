/**
 * A live DJ session room. Star topology: members hold one link to the host, which applies their actions
 * (`reduce`) and sends everyone the whole room after every change. The host answers on the room's
 * address (`cmroom-<code>` on the signalling server) and on its own member id.
 *
 * Host gone (left, page closed, network): members dial the room address; when the signalling server says
 * nobody holds it, they go down the deterministic successor list (`successor`) from their last snapshot —
 * the first one alive takes over (a member that is itself next takes over), the others join it. A member
 * whose own network dropped keeps trying the address, so it rejoins the real host and never splits the
 * room: only the server's "nobody holds the address" starts a takeover.
 */
import { untrack } from 'svelte';
import { db } from '$lib/db';
import { RateLimit } from '$lib/features/mesh/protocol';
import { player, type NowPlaying } from '$lib/features/player/player.svelte';
import { playback } from '$lib/features/player/playback.svelte';
import { HostTap, ListenerOutput } from './listen-audio';
import {
	encodeRoomMessage,
	MAX_ACTION_CHARS,
	MAX_SNAPSHOT_CHARS,
	MEMBER_ID,
	newRoomCode,
	parseRoomCode,
	parseRoomMessage,
	roomAddress,
	type Action,
	type NowPlayingInfo,
	type OutgoingRoomMessage,
	type Reaction,
	type RoomState
} from './room-protocol';
import { createRoom, DEFAULT_TARGET_MS, drop, join, reduce, successor, takeOver } from './room-state';
import {
	DialError,
	type AudioCall,
	type PresentMember,
	type RoomEndpoint,
	type RoomLink,
	type RoomPresence,
	type RoomTransport,
	type TransportKind
} from './room-transport';
import { exposeForTests } from '$lib/test-hooks';

export type Phase = 'idle' | 'starting' | 'joining' | 'in-room' | 'reconnecting' | 'ended';

export const HEARTBEAT_MS = 1000;
/** A link silent this long is dead (WebRTC close events are unreliable): five missed heartbeats. */
export const SILENCE_MS = 5000;
const DIAL_MS = 6000;
/**
 * How long a silent host gets to answer at the room's address and at its own id before the members go
 * down the successor list. The signalling server keeps a vanished host's registration until its own
 * heartbeat times out (60 s), so "nobody holds the address" would come that late.
 */
const PROBE_MS = 3000;
const REPLY_MS = 6000;
const GIVE_UP_MS = 3 * 60_000;
/** How long a newcomer keeps trying a room address that does not answer (its host may be handing over). */
const FIND_MS = 25_000;
/** How long a newcomer waits for the room's presence before dialling. */
const PRESENCE_WAIT_MS = 2000;
const MAX_REJECTED = 50;
const IDS_KEY = 'cratemesh.session.ids';
const NAME_KEY = 'cratemesh.session.name';

interface MemberLink {
	link: RoomLink;
	limit: RateLimit;
	reactions: RateLimit;
	rejected: number;
	lastHeard: number;
	/** The member said goodbye (a link closing without one may mean this host was cut off). */
	left: boolean;
}

export interface ReactionEvent {
	key: number;
	from: string;
	name: string;
	reaction: Reaction;
	at: number;
}

const randomHex = (bytes: number) =>
	Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');

/** This browser's member id and rejoin secret for a room (kept so a reload rejoins as the same member). */
function identityFor(code: string): { id: string; secret: string } {
	let all: Record<string, { id: string; secret: string }>;
	try {
		all = JSON.parse(localStorage.getItem(IDS_KEY) ?? '{}');
	} catch {
		all = {};
	}
	const known = all[code];
	if (known && MEMBER_ID.test(known.id) && /^[0-9a-f]{32}$/.test(known.secret)) return known;
	const fresh = { id: `cms-${randomHex(12)}`, secret: randomHex(16) };
	// Only the last few rooms are remembered.
	const kept = Object.entries(all).slice(-9);
	localStorage.setItem(IDS_KEY, JSON.stringify(Object.fromEntries([...kept, [code, fresh]])));
	return fresh;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type JoinResult = 'joined' | 'unavailable' | 'timeout' | 'offline' | 'not-host' | 'refused';

export class LiveSession {
	#phase = $state<Phase>('idle');
	#error = $state<string | null>(null);
	#state = $state.raw<RoomState | null>(null);
	#me = $state<string | null>(null);
	#rejected = $state(0);
	#reactions = $state.raw<ReactionEvent[]>([]);
	#listening = $state(false);
	#receiving = $state(false);
	#delayMs = $state<number | null>(null);
	#clockOffset = $state<number | null>(null);
	#name = $state('');

	#transports: (() => Promise<RoomTransport[]>) | null = null;
	/** The transport this room was created or found on (handover and rejoin stay on it). */
	#transport: RoomTransport | null = null;
	#kind = $state<TransportKind | null>(null);
	#presence: RoomPresence | null = null;
	#present = $state.raw<readonly PresentMember[]>([]);
	#hostSince = 0;
	#endpoint: RoomEndpoint | null = null;
	#address: RoomEndpoint | null = null;
	#addressRetry: ReturnType<typeof setTimeout> | undefined;
	#secret = '';
	#links = new Map<string, MemberLink>();
	#secrets = new Map<string, string>();
	#host: { link: RoomLink; lastHeard: number } | null = null;
	#calls = new Map<string, AudioCall>();
	#tap: HostTap | null = null;
	#output: ListenerOutput | null = null;
	#incoming: AudioCall | null = null;
	#timer: ReturnType<typeof setInterval> | undefined;
	#stopNow: (() => void) | null = null;
	#handoverTo: string | null = null;
	#reconnecting = false;
	#reactionKey = 0;
	#bestRtt = Infinity;
	#generation = 0;

	/**
	 * Where room links come from, in order of preference: a new room uses the first; joining tries each
	 * until one finds the room (a room made over Supabase Realtime is not on the built-in server).
	 */
	useTransports(factory: () => Promise<RoomTransport[]>): void {
		this.#transports = factory;
	}

	/** Which signalling the room uses. */
	get transport(): TransportKind | null {
		return this.#kind;
	}
	/** Who the room's presence lists (Supabase Realtime only; empty otherwise). */
	get present(): readonly PresentMember[] {
		return this.#present;
	}

	get phase(): Phase {
		return this.#phase;
	}
	get error(): string | null {
		return this.#error;
	}
	get state(): RoomState | null {
		return this.#state;
	}
	get me(): string | null {
		return this.#me;
	}
	get isHost(): boolean {
		return !!this.#state && this.#state.host === this.#me;
	}
	get myRole(): 'host' | 'dj' | 'listener' | null {
		return this.#state?.members.find((m) => m.id === this.#me)?.role ?? null;
	}
	/** Frames refused from peers (malformed, unknown, oversized, over the rate limit, not allowed). */
	get rejected(): number {
		return this.#rejected;
	}
	get reactions(): readonly ReactionEvent[] {
		return this.#reactions;
	}
	/** This member wants the host's audio. */
	get listening(): boolean {
		return this.#listening;
	}
	/** The host's audio is arriving and playing here. */
	get receiving(): boolean {
		return this.#receiving;
	}
	get delayMs(): number | null {
		return this.#delayMs;
	}
	/** Host clock minus this clock (ms), from the best heartbeat round trip. */
	get clockOffset(): number | null {
		return this.#clockOffset;
	}
	get name(): string {
		return this.#name;
	}
	/** The listener's audio graph (the bench detects onsets on it). */
	get listenerOutput(): ListenerOutput | null {
		return this.#output;
	}
	get hostTap(): HostTap | null {
		return this.#tap;
	}

	defaultName(fallback: string): string {
		return localStorage.getItem(NAME_KEY) || fallback;
	}

	/** Starts a new room with this member as host. */
	async create(name: string): Promise<void> {
		if (this.#phase !== 'idle' && this.#phase !== 'ended') return;
		this.#reset('starting', name);
		const generation = this.#generation;
		try {
			const transport = (await this.#getTransports())[0];
			if (!transport) throw new Error('no transport');
			this.#transport = transport;
			this.#kind = transport.kind;
			for (let attempt = 0; attempt < 5; attempt++) {
				const code = newRoomCode();
				const identity = identityFor(code);
				let address: RoomEndpoint;
				try {
					address = await transport.open(roomAddress(code));
				} catch (error) {
					if (error instanceof Error && error.message === 'taken') continue;
					throw error;
				}
				this.#address = address;
				address.onLink((link) => this.#incomingLink(link));
				this.#endpoint = await transport.open(identity.id);
				this.#wireEndpoint(this.#endpoint);
				if (generation !== this.#generation) return;
				this.#me = identity.id;
				this.#secret = identity.secret;
				this.#state = createRoom(code, { id: identity.id, name: this.#name }, Date.now());
				this.#hostSince = Date.now();
				this.#phase = 'in-room';
				this.#watchPresence(code)?.announce(this.#name, this.#hostSince);
				this.#started();
				return;
			}
			throw new Error('no free room code');
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Joins a room by its code or link. */
	async join(input: string, name: string): Promise<boolean> {
		const code = parseRoomCode(input);
		if (!code) {
			this.#error = 'bad-code';
			return false;
		}
		if (this.#phase !== 'idle' && this.#phase !== 'ended') {
			if (this.#state?.code === code) return true;
			this.leave();
		}
		this.#reset('joining', name);
		const generation = this.#generation;
		try {
			const identity = identityFor(code);
			this.#me = identity.id;
			this.#secret = identity.secret;
			let result: JoinResult = 'unavailable';
			for (const transport of await this.#getTransports()) {
				this.#transport = transport;
				this.#kind = transport.kind;
				this.#endpoint = await transport.open(identity.id);
				this.#wireEndpoint(this.#endpoint);
				result = await this.#findRoom(code);
				if (generation !== this.#generation) return false;
				if (result === 'joined') break;
				this.#presence?.close();
				this.#presence = null;
				this.#endpoint.close();
				this.#endpoint = null;
			}
			if (result !== 'joined') {
				this.#transport = null;
				this.#kind = null;
				this.#phase = 'idle';
				this.#error = result === 'unavailable' ? 'no-room' : 'unreachable';
				return false;
			}
			this.#started();
			return true;
		} catch (error) {
			this.#fail(error);
			return false;
		}
	}

	/** Leaves the room; a host hands it to its successor first. */
	leave(): void {
		if (this.#phase === 'idle') return;
		if (this.isHost && this.#state) {
			const to = successor(this.#state, this.#me!);
			this.#broadcast({ type: 'handover', to });
			this.#broadcast({ type: 'leave', reason: 'left' });
		} else this.#host?.link.send(encodeRoomMessage({ type: 'leave', reason: 'left' }));
		// Give the goodbye frames a moment to leave before the connections close (closing a PeerJS
		// connection tears the peer connection down at once).
		const links = [...this.#links.values()].map((entry) => entry.link);
		const doomed = [...links, this.#host?.link, this.#address, this.#presence, this.#endpoint];
		this.#presence = null;
		this.#present = [];
		this.#links.clear();
		this.#host = null;
		this.#address = null;
		this.#endpoint = null;
		this.#teardown();
		this.#generation++;
		this.#phase = 'ended';
		setTimeout(() => {
			for (const item of doomed) item?.close();
		}, 300);
	}

	/** Does something in the room (the host checks it is allowed). */
	act(action: Action): void {
		if (!this.#state || !this.#me) return;
		if (this.isHost) this.#apply(this.#me, action);
		else this.#host?.link.send(encodeRoomMessage({ type: 'act', action }));
	}

	react(reaction: Reaction): void {
		if (!this.#me) return;
		if (this.isHost) this.#showReaction(this.#me, reaction, true);
		else this.#host?.link.send(encodeRoomMessage({ type: 'react', reaction }));
	}

	/** Listener: receive the host's audio (pauses the local player, which would play over it). */
	setListening(on: boolean): void {
		this.#listening = on;
		if (on) {
			if (player.isPlaying) playback.pause();
		} else this.#stopListening();
		this.act({ type: 'listen', on });
	}

	/** Host: send this device's output to listeners, with a common jitter-buffer target. */
	setListenMode(on: boolean, targetMs = this.#state?.listen.targetMs ?? DEFAULT_TARGET_MS): void {
		if (!this.isHost) return;
		if (on) {
			// Pauses must not stop the clock while the output is sent (see AudioEngine.keepRunning).
			playback.engine.keepRunning = true;
			void playback.engine.unlock().catch(() => undefined);
		}
		this.act({ type: 'listen-mode', on, targetMs });
	}

	set volume(value: number) {
		if (this.#output) this.#output.volume = value;
	}

	/** Starts listener audio after the autoplay policy blocked it (call from a click). */
	resumeAudio(): void {
		void this.#output?.resume().catch(() => undefined);
	}

	/** For tests only: sends a raw frame to the host as if it came from this member. */
	debugSend(frame: string): void {
		this.#host?.link.send(frame);
	}

	/** For tests only: cuts every link without a goodbye, as a network failure would. */
	debugCut(): void {
		this.#host?.link.close();
		for (const entry of this.#links.values()) entry.link.close();
	}

	// ——— setup ———

	async #getTransports(): Promise<RoomTransport[]> {
		if (!this.#transports) throw new Error('no transport');
		return this.#transports();
	}

	#watchPresence(code: string): RoomPresence | null {
		this.#presence?.close();
		const presence = this.#endpoint?.presence(code) ?? null;
		this.#presence = presence;
		presence?.onChange((present) => {
			if (this.#presence === presence) this.#present = present;
		});
		return presence;
	}

	/**
	 * A newcomer looks for the room: with presence (Realtime), at the member that says it hosts the room
	 * (the latest claim), then at the room's address. A host that vanished may still hold the address for
	 * a while (until the signalling server notices), so a timeout there is retried for up to FIND_MS while
	 * the room hands itself over.
	 */
	async #findRoom(code: string): Promise<JoinResult> {
		const presence = this.#watchPresence(code);
		if (presence) {
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, PRESENCE_WAIT_MS);
				presence.onChange(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
		const deadline = performance.now() + FIND_MS;
		let result: JoinResult;
		for (;;) {
			const hosts = (presence?.present ?? [])
				.filter((m) => m.hostSince !== null && m.id !== this.#me)
				.sort((a, b) => b.hostSince! - a.hostSince!);
			if (hosts[0]) {
				result = await this.#tryJoin(hosts[0].id, code);
				if (result === 'joined') break;
			}
			result = await this.#tryJoin(roomAddress(code), code);
			if (result === 'joined' || result === 'unavailable' || result === 'refused') break;
			if (performance.now() > deadline) break;
			await sleep(1000);
		}
		if (result === 'joined') presence?.announce(this.#name, null);
		return result;
	}

	#reset(phase: Phase, name: string): void {
		this.#teardown();
		this.#generation++;
		this.#phase = phase;
		this.#error = null;
		this.#state = null;
		this.#rejected = 0;
		this.#reactions = [];
		this.#delayMs = null;
		this.#clockOffset = null;
		this.#bestRtt = Infinity;
		this.#handoverTo = null;
		this.#name = name.trim().slice(0, 48) || 'Guest';
		localStorage.setItem(NAME_KEY, this.#name);
	}

	#fail(error: unknown): void {
		this.#teardown();
		this.#phase = 'idle';
		this.#error = error instanceof Error ? error.message : String(error);
	}

	#wireEndpoint(endpoint: RoomEndpoint): void {
		endpoint.onLink((link) => this.#incomingLink(link));
		endpoint.onCall((call) => {
			const state = this.#state;
			if (!state || call.remote !== state.host || !this.#listening || this.isHost) return call.close();
			this.#incoming?.close();
			this.#incoming = call;
			call.answer((stream) => {
				if (this.#incoming !== call) return;
				this.#output?.close();
				this.#output = new ListenerOutput(stream, call.connection);
				this.#output.setTarget(this.#state?.listen.targetMs ?? DEFAULT_TARGET_MS);
				this.#receiving = true;
			});
			call.onClose(() => {
				if (this.#incoming !== call) return;
				this.#stopListening();
			});
		});
	}

	#started(): void {
		clearInterval(this.#timer);
		this.#timer = setInterval(() => this.#tick(), HEARTBEAT_MS);
		this.#stopNow?.();
		this.#stopNow = $effect.root(() => {
			$effect(() => {
				const current = player.current;
				const playing = player.isPlaying;
				untrack(() => void this.#reportNow(current, playing));
			});
		});
		this.#pagehide ??= () => this.leave();
		window.addEventListener('pagehide', this.#pagehide);
	}
	#pagehide: (() => void) | null = null;

	#teardown(): void {
		clearInterval(this.#timer);
		clearTimeout(this.#addressRetry);
		this.#stopNow?.();
		this.#stopNow = null;
		if (this.#pagehide) window.removeEventListener('pagehide', this.#pagehide);
		for (const call of this.#calls.values()) call.close();
		this.#calls.clear();
		this.#stopListening();
		this.#tap?.close();
		this.#tap = null;
		if (playback.engine.keepRunning) playback.engine.keepRunning = false;
		for (const entry of this.#links.values()) entry.link.close();
		this.#links.clear();
		this.#secrets.clear();
		this.#host?.link.close();
		this.#host = null;
		this.#presence?.close();
		this.#presence = null;
		this.#present = [];
		this.#address?.close();
		this.#address = null;
		this.#endpoint?.close();
		this.#endpoint = null;
		this.#reconnecting = false;
	}

	#stopListening(): void {
		this.#incoming?.close();
		this.#incoming = null;
		this.#output?.close();
		this.#output = null;
		this.#receiving = false;
	}

	// ——— now playing ———

	#lastNow: NowPlaying | null = null;
	#since = 0;

	async #reportNow(current: NowPlaying | null, playing: boolean): Promise<void> {
		if (current !== this.#lastNow) this.#since = Date.now();
		this.#lastNow = current;
		if (!current) return this.act({ type: 'now', now: null });
		const row = await db()
			.tracks.get(current.hash)
			.catch(() => undefined);
		const now: NowPlayingInfo = {
			hash: /^[0-9a-f]{64}$/.test(current.hash) ? current.hash : '',
			title: String(current.title ?? '').slice(0, 120),
			artist: String(current.artist ?? '').slice(0, 120),
			duration: typeof row?.duration === 'number' && Number.isFinite(row.duration) ? row.duration : 0,
			bpm: typeof row?.bpm === 'number' && Number.isFinite(row.bpm) && row.bpm <= 1000 ? row.bpm : null,
			key: typeof row?.key === 'string' ? row.key.slice(0, 8) : '',
			since: this.#since,
			playing
		};
		this.act({ type: 'now', now });
	}

	// ——— host side ———

	#incomingLink(link: RoomLink): void {
		let joined = false;
		const timer = setTimeout(() => {
			if (!joined) link.close();
		}, REPLY_MS);
		link.onMessage((frame) => {
			if (joined) return this.#fromMember(link.remote, frame);
			const parsed = parseRoomMessage(frame);
			if (!parsed.ok || parsed.message.type !== 'join') {
				this.#reject(link.remote, parsed.ok ? 'unexpected' : parsed.reason);
				return link.close();
			}
			if (!this.isHost || !this.#state) {
				// Not (or no longer) the host: say where it is, if known.
				// While this member is itself looking for the room, the host it knew is the one that vanished.
				const known = this.#reconnecting ? null : (this.#state?.host ?? null);
				link.send(encodeRoomMessage({ type: 'not-host', host: known }));
				setTimeout(() => link.close(), 500);
				return;
			}
			const message = parsed.message;
			const known = this.#secrets.get(link.remote);
			if (!MEMBER_ID.test(link.remote) || message.code !== this.#state.code || (known && known !== message.secret)) {
				this.#reject(link.remote, 'refused join');
				return link.close();
			}
			const result = join(this.#state, link.remote, message.name, Date.now());
			if (!result.ok) {
				link.send(encodeRoomMessage({ type: 'leave', reason: result.error }));
				return void setTimeout(() => link.close(), 500);
			}
			joined = true;
			clearTimeout(timer);
			this.#secrets.set(link.remote, message.secret);
			// The same member on a new link (reload, network change): the old link is dead.
			const old = this.#links.get(link.remote);
			this.#links.set(link.remote, {
				link,
				limit: new RateLimit(20, 40),
				reactions: new RateLimit(3, 6),
				rejected: 0,
				lastHeard: performance.now(),
				left: false
			});
			old?.link.close();
			this.#calls.get(link.remote)?.close();
			this.#calls.delete(link.remote);
			link.onClose(() => {
				const entry = this.#links.get(link.remote);
				if (entry?.link !== link) return;
				if (!entry.left) this.#suspectReplaced();
				this.#links.delete(link.remote);
				this.#calls.get(link.remote)?.close();
				this.#calls.delete(link.remote);
				if (this.#state && this.isHost) this.#commit(drop(this.#state, link.remote, Date.now()));
			});
			link.send(encodeRoomMessage({ type: 'welcome', you: link.remote, state: result.state }));
			this.#commit(result.state);
		});
	}

	#fromMember(id: string, frame: unknown): void {
		const entry = this.#links.get(id);
		if (!entry) return;
		entry.lastHeard = performance.now();
		if (!entry.limit.take()) return this.#rejectMember(entry, id, 'rate');
		const parsed = parseRoomMessage(frame, MAX_ACTION_CHARS);
		if (!parsed.ok) return this.#rejectMember(entry, id, parsed.reason);
		const message = parsed.message;
		switch (message.type) {
			case 'ping':
				return entry.link.send(
					encodeRoomMessage({ type: 'pong', t: message.t, hostNow: performance.timeOrigin + performance.now() })
				);
			case 'act':
				if (!this.#apply(id, message.action)) this.#rejectMember(entry, id, `refused ${message.action.type}`);
				return;
			case 'react':
				if (!entry.reactions.take()) return this.#rejectMember(entry, id, 'reaction rate');
				return this.#showReaction(id, message.reaction, true);
			case 'leave':
				entry.left = true;
				return entry.link.close();
			default:
				return this.#rejectMember(entry, id, `unexpected ${message.type}`);
		}
	}

	#rejectMember(entry: MemberLink, id: string, reason: string): void {
		this.#reject(id, reason);
		if (++entry.rejected > MAX_REJECTED) {
			entry.link.send(encodeRoomMessage({ type: 'leave', reason: 'too-many-invalid' }));
			entry.link.close();
		}
	}

	#apply(from: string, action: Action): boolean {
		if (!this.#state) return false;
		const result = reduce(this.#state, from, action, Date.now());
		if (!result.ok) return false;
		this.#commit(result.state);
		return true;
	}

	#commit(state: RoomState): void {
		this.#state = state;
		this.#broadcast({ type: 'state', state });
		this.#syncCalls();
	}

	#broadcast(message: OutgoingRoomMessage): void {
		const frame = encodeRoomMessage(message);
		for (const entry of this.#links.values()) entry.link.send(frame);
	}

	#showReaction(from: string, reaction: Reaction, relay: boolean): void {
		const name = this.#state?.members.find((m) => m.id === from)?.name ?? '?';
		const event = { key: ++this.#reactionKey, from, name, reaction, at: Date.now() };
		this.#reactions = [...this.#reactions.slice(-11), event];
		if (relay) this.#broadcast({ type: 'react', reaction, from });
	}

	/** Host: one call per listening member while listening mode is on. */
	#syncCalls(): void {
		const state = this.#state;
		const endpoint = this.#endpoint;
		const sending = !!state && !!endpoint && this.isHost && state.listen.on;
		if (playback.engine.keepRunning !== sending) playback.engine.keepRunning = sending;
		if (!sending || !state || !endpoint) {
			for (const call of this.#calls.values()) call.close();
			this.#calls.clear();
			return;
		}
		const wanted = new Set(
			state.members.filter((m) => m.online && m.listening && this.#links.has(m.id)).map((m) => m.id)
		);
		for (const [id, call] of this.#calls)
			if (!wanted.has(id)) {
				call.close();
				this.#calls.delete(id);
			}
		for (const id of wanted) {
			if (this.#calls.has(id)) continue;
			this.#tap ??= new HostTap(() => playback.engine.output);
			const call = endpoint.call(id, this.#tap.stream);
			this.#calls.set(id, call);
			call.onClose(() => {
				if (this.#calls.get(id) !== call) return;
				this.#calls.delete(id);
				// Still wanted (the media path failed, not the member): call again shortly.
				setTimeout(() => this.#syncCalls(), 2000);
			});
		}
	}

	// ——— member side ———

	/** Dials `remote`, sends `join`, waits for the answer. */
	async #tryJoin(remote: string, code: string, timeoutMs = DIAL_MS): Promise<JoinResult> {
		const endpoint = this.#endpoint;
		if (!endpoint) return 'offline';
		let link: RoomLink;
		try {
			link = await endpoint.dial(remote, timeoutMs);
		} catch (error) {
			return error instanceof DialError ? error.reason : 'timeout';
		}
		return new Promise((resolve) => {
			let settled = false;
			const settle = (result: 'joined' | 'timeout' | 'not-host' | 'refused') => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				if (result !== 'joined') link.close();
				resolve(result);
			};
			const timer = setTimeout(() => settle('timeout'), REPLY_MS);
			link.onClose(() => settle('refused'));
			link.onMessage((frame) => {
				if (settled) return this.#fromHost(link, frame);
				const parsed = parseRoomMessage(frame, MAX_SNAPSHOT_CHARS);
				if (!parsed.ok) return this.#reject(link.remote, parsed.reason);
				const message = parsed.message;
				if (message.type === 'not-host') {
					if (message.host && MEMBER_ID.test(message.host)) this.#handoverTo = message.host;
					return settle('not-host');
				}
				if (message.type === 'leave') {
					this.#error = message.reason;
					return settle('refused');
				}
				// Whoever holds the room's address is its host; a member id answers only for itself.
				const hostOk =
					message.type === 'welcome' &&
					message.state.code === code &&
					(link.remote === message.state.host || link.remote === roomAddress(code));
				if (message.type !== 'welcome' || message.you !== this.#me || !hostOk) {
					this.#reject(link.remote, `unexpected ${message.type}`);
					return settle('refused');
				}
				this.#host?.link.close();
				this.#host = { link, lastHeard: performance.now() };
				this.#state = message.state;
				this.#handoverTo = null;
				this.#phase = 'in-room';
				link.onClose(() => {
					if (this.#host?.link === link) this.#hostLost();
				});
				settle('joined');
				// Tell the (maybe new) host what this member is doing.
				if (this.#listening) this.act({ type: 'listen', on: true });
				void this.#reportNow(player.current, player.isPlaying);
			});
			link.send(encodeRoomMessage({ type: 'join', code, name: this.#name, secret: this.#secret }));
		});
	}

	#fromHost(link: RoomLink, frame: unknown): void {
		if (this.#host?.link !== link) return;
		this.#host.lastHeard = performance.now();
		const parsed = parseRoomMessage(frame, MAX_SNAPSHOT_CHARS);
		if (!parsed.ok) return this.#reject(link.remote, parsed.reason);
		const message = parsed.message;
		switch (message.type) {
			case 'state':
				if (message.state.host !== this.#state?.host || message.state.code !== this.#state.code)
					return this.#reject(link.remote, 'foreign state');
				this.#state = message.state;
				if (this.#output) this.#output.setTarget(message.state.listen.targetMs);
				if (!message.state.listen.on && this.#receiving) this.#stopListening();
				return;
			case 'react':
				if (!message.from) return this.#reject(link.remote, 'reaction without sender');
				return this.#showReaction(message.from, message.reaction, false);
			case 'handover':
				this.#handoverTo = message.to;
				return;
			case 'pong': {
				const now = performance.timeOrigin + performance.now();
				const rtt = now - message.t;
				// The estimate from the fastest round trip is the least skewed by queueing.
				if (rtt >= 0 && rtt <= this.#bestRtt * 1.2) {
					this.#bestRtt = Math.min(this.#bestRtt, rtt);
					this.#clockOffset = Math.round(message.hostNow - (message.t + rtt / 2));
				}
				return;
			}
			case 'leave':
				if (message.reason !== 'left') this.#error = message.reason;
				return;
			case 'ping':
				return;
			default:
				return this.#reject(link.remote, `unexpected ${message.type}`);
		}
	}

	#hostLost(): void {
		const link = this.#host?.link;
		this.#host = null;
		link?.close();
		this.#stopListening();
		if (this.#phase !== 'in-room' || this.#reconnecting) return;
		void this.#reconnect();
	}

	/**
	 * Finds the room again: the address first (whoever holds it is the host). The host is gone when the
	 * signalling server says nobody holds the address, or when neither the address nor the host's own id
	 * answers within PROBE_MS while this device reaches the signalling server (a host that lost its network
	 * without closing its socket). Then the successor list from the last snapshot: dial each earlier
	 * candidate, and take the room over when this member is the first one left.
	 */
	async #reconnect(): Promise<void> {
		this.#reconnecting = true;
		this.#phase = 'reconnecting';
		const generation = this.#generation;
		const deadline = performance.now() + GIVE_UP_MS;
		const snapshot = this.#state!;
		const code = snapshot.code;
		let hostGone = false;
		for (let attempt = 0; performance.now() < deadline; attempt++) {
			if (generation !== this.#generation) return;
			const hinted = this.#handoverTo;
			if (hinted === this.#me) return this.#becomeHost(snapshot);
			if (hinted && (await this.#tryJoin(hinted, code)) === 'joined') return this.#rejoined();
			if (generation !== this.#generation) return;
			if (!hostGone) {
				const [atAddress, atHost] = await Promise.all([
					this.#tryJoin(roomAddress(code), code, PROBE_MS),
					this.#tryJoin(snapshot.host, code, PROBE_MS)
				]);
				if (generation !== this.#generation) return;
				if (atAddress === 'joined' || atHost === 'joined') return this.#rejoined();
				hostGone =
					atAddress === 'unavailable' ||
					(atAddress === 'timeout' &&
						(atHost === 'timeout' || atHost === 'unavailable') &&
						(await this.#endpoint?.reachable(PROBE_MS)) === true);
			}
			if (hostGone) {
				let state = snapshot;
				for (let next = successor(state, state.host); next; next = successor(state, state.host)) {
					if (next === this.#me) return this.#becomeHost(state);
					const result = await this.#tryJoin(next, code);
					if (generation !== this.#generation) return;
					if (result === 'joined') return this.#rejoined();
					// Alive but not the host yet (it is still finding out): ask again shortly.
					if (result !== 'unavailable' && result !== 'timeout') break;
					// That member is gone too: the next one.
					state = { ...state, members: state.members.map((m) => (m.id === next ? { ...m, online: false } : m)) };
				}
				// A candidate that took over holds the address once the server lets go of the old one.
				if (attempt % 4 === 3 && (await this.#tryJoin(roomAddress(code), code)) === 'joined') return this.#rejoined();
			}
			await sleep(Math.min(500 * 2 ** attempt, hostGone ? 1000 : 4000));
		}
		this.#reconnecting = false;
		this.#teardown();
		this.#phase = 'ended';
		this.#error = 'room-lost';
	}

	#rejoined(): void {
		this.#reconnecting = false;
	}

	#becomeHost(snapshot: RoomState): void {
		this.#reconnecting = false;
		this.#handoverTo = null;
		this.#state = takeOver(snapshot, this.#me!, Date.now());
		this.#hostSince = Date.now();
		this.#presence?.announce(this.#name, this.#hostSince);
		this.#phase = 'in-room';
		this.#listening = false;
		this.#claimAddress();
		void this.#reportNow(player.current, player.isPlaying);
	}

	/** The new host takes the room address; the old holder may linger on the server for a while. */
	#claimAddress(): void {
		const state = this.#state;
		if (!state || !this.isHost || this.#address) return;
		const generation = this.#generation;
		const transport = this.#transport;
		if (!transport) return;
		void transport
			.open(roomAddress(state.code), { takeover: true })
			.then((address) => {
				if (generation !== this.#generation || !this.isHost) return address.close();
				this.#address = address;
				address.onLink((link) => this.#incomingLink(link));
			})
			.catch(() => {
				if (generation === this.#generation) this.#addressRetry = setTimeout(() => this.#claimAddress(), 1000);
			});
	}

	#tick(): void {
		const now = performance.now();
		const gap = now - this.#lastTick;
		this.#lastTick = now;
		if (this.isHost) {
			for (const entry of this.#links.values()) if (now - entry.lastHeard > SILENCE_MS) entry.link.close();
			// This page did not run for a while (stopped, frozen, asleep): the room may have moved on without it.
			if (gap > SILENCE_MS) this.#suspectReplaced();
			return;
		}
		const host = this.#host;
		if (host) {
			if (now - host.lastHeard > SILENCE_MS) return this.#hostLost();
			host.link.send(encodeRoomMessage({ type: 'ping', t: performance.timeOrigin + now }));
		}
		if (this.#output) {
			void this.#output.estimateDelayMs().then((ms) => {
				if (ms === null || (this.#delayMs !== null && Math.abs(ms - this.#delayMs) < 5)) return;
				this.#delayMs = ms;
				this.act({ type: 'delay', ms });
			});
		}
	}

	#lastTick = performance.now();
	#verifying = false;

	/**
	 * A host whose members went silent all at once may have been the one cut off (its network, its page
	 * stopped): the members then handed the room to a successor. Once it has no member left it asks the
	 * members of its last snapshot (successor order first); one that is the room's host now welcomes it,
	 * one that is a member there names the host (`not-host`). It then rejoins as a member and adopts the
	 * current room, letting go of the room's address. A host that still has members of its own keeps the
	 * room (a split after a network partition stays split; see the README). Backs off to 15 s between
	 * rounds, for up to GIVE_UP_MS.
	 */
	#suspectReplaced(): void {
		if (this.#verifying || !this.isHost) return;
		this.#verifying = true;
		const generation = this.#generation;
		void (async () => {
			try {
				await sleep(200);
				const deadline = performance.now() + GIVE_UP_MS;
				for (let round = 0; performance.now() < deadline; round++) {
					if (generation !== this.#generation || !this.isHost || this.#links.size > 0) return;
					const state = this.#state!;
					const ranked: string[] = [];
					for (let s = state, next = successor(s, this.#me!); next; next = successor(s, this.#me!)) {
						ranked.push(next);
						s = { ...s, members: s.members.map((m) => (m.id === next ? { ...m, online: false } : m)) };
					}
					const others = state.members.filter((m) => m.id !== this.#me && !ranked.includes(m.id)).map((m) => m.id);
					for (const id of [...ranked, ...others].slice(0, 8)) {
						if (generation !== this.#generation || !this.isHost || this.#links.size > 0) return;
						this.#handoverTo = null;
						let result = await this.#tryJoin(id, state.code, PROBE_MS);
						const named = this.#handoverTo as string | null;
						this.#handoverTo = null;
						if (result === 'not-host' && named && named !== this.#me && this.#links.size === 0 && this.isHost)
							result = await this.#tryJoin(named, state.code, PROBE_MS);
						if (result === 'joined') return this.#stepDown();
					}
					await sleep(Math.min(15_000, 1000 * 2 ** round));
				}
			} finally {
				this.#verifying = false;
			}
		})();
	}

	/** Replaced while away: now a member of the room as it is (the welcome set the state and the host link). */
	#stepDown(): void {
		const host = this.#state?.host;
		console.info(`session: this room moved on to host ${host}; rejoined as a member`);
		for (const entry of this.#links.values()) {
			if (host) entry.link.send(encodeRoomMessage({ type: 'handover', to: host }));
			entry.link.close();
		}
		this.#links.clear();
		this.#secrets.clear();
		for (const call of this.#calls.values()) call.close();
		this.#calls.clear();
		this.#tap?.close();
		this.#tap = null;
		if (playback.engine.keepRunning) playback.engine.keepRunning = false;
		clearTimeout(this.#addressRetry);
		const address = this.#address;
		this.#address = null;
		address?.close();
		this.#presence?.announce(this.#name, null);
	}

	#reject(from: string, reason: string): void {
		this.#rejected++;
		console.warn(`session: refused a frame from ${from}: ${reason}`);
	}
}

export const session = new LiveSession();

// The listener's audio graph and the host's tap.
exposeForTests('__cratemeshSession', session);
