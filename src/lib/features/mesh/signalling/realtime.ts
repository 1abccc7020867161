/**
 * Signalling over Supabase Realtime, so a Supabase-hosted deployment needs no server of its own (the
 * one-box server speaks the same protocol at /realtime/v1, src/server/onebox/realtime.js).
 *
 * Topics are per device, not one room for everyone: each device joins its inbox `<prefix>:<peerId>`
 * and tracks its presence there (who is online = who is present in its own inbox). To signal device X
 * a device joins X's inbox (without tracking) and broadcasts `signal` envelopes `{v, src, dst, msgs}`.
 * So a project with thousands of devices does not fan every offer out to all of them, and presence
 * state stays one entry per topic.
 *
 * Limits respected (field notes, Supabase Free): presence is tracked once per (re)join and never more
 * than 4 times in 30 s (the limit is 5, or the channel is closed); ICE candidates are batched — every
 * message to one device within `flushMs` goes in one broadcast — and a broadcast stays under 48 KiB
 * (the payload limit is 256 KB). An offer to a device not present in its inbox fails at once with
 * EXPIRE (PeerJS: `peer-unavailable`), as the PeerJS server does.
 *
 * Nothing here is authenticated: any client of the project can join any inbox and claim any `src`.
 * That is the same trust as a signalling server: sessions authenticate end to end (session.ts), and
 * pairing resists an active man in the middle (pake.ts). See the mesh README, "Threat model".
 */
import type { RealtimeChannel, RealtimeClient } from '@supabase/supabase-js';
import * as v from 'valibot';
import { SignallingSocket, type ServerMessage, type SocketHooks } from './socket';

export interface RealtimeSocketOptions {
	client: RealtimeClient;
	/** Topic prefix: deployments sharing a project can keep their meshes apart. */
	prefix?: string;
	flushMs?: number;
	maxBatchBytes?: number;
	/** An inbox joined only to send is left after this long without use (watched ones stay). */
	idleMs?: number;
	presence?: { max: number; windowMs: number };
	/** Let media calls through (live sessions' listening mode). */
	media?: boolean;
	/**
	 * When another client is present with this id: `wait` until it leaves (a second tab of a device),
	 * `fail` with ID-TAKEN (a room address already held), `force` (take it anyway: a new room host whose
	 * vanished predecessor is still listed until the server notices).
	 */
	claim?: 'wait' | 'fail' | 'force';
}

const MAX_WATCHED = 16;
const PENDING_MAX = 200;
const PENDING_MAX_AGE_MS = 20_000;
const MAX_ENVELOPE_CHARS = 256 * 1024;

const Envelope = v.object({
	v: v.literal(1),
	src: v.pipe(v.string(), v.maxLength(64), v.regex(/^[A-Za-z0-9_-]+$/)),
	dst: v.pipe(v.string(), v.maxLength(64)),
	msgs: v.pipe(v.array(v.looseObject({ type: v.string() })), v.minLength(1), v.maxLength(64))
});

interface Outbox {
	peerId: string;
	channel: RealtimeChannel;
	joined: boolean;
	/** The presence state arrived since the last join (whether the device is there is known). */
	synced: boolean;
	present: boolean;
	pending: { message: ServerMessage; at: number }[];
	timer: ReturnType<typeof setTimeout> | undefined;
	lastUsed: number;
}

export class RealtimeSocket extends SignallingSocket {
	#client: RealtimeClient;
	#prefix: string;
	#flushMs: number;
	#maxBatch: number;
	#idleMs: number;
	#presenceLimit: { max: number; windowMs: number };
	#claim: 'wait' | 'fail' | 'force';
	#inbox: RealtimeChannel | undefined;
	#inboxSynced = false;
	#tracked = false;
	#tracking = false;
	#trackTimes: number[] = [];
	#trackTimer: ReturnType<typeof setTimeout> | undefined;
	#announced = false;
	#stopped = true;
	#joinedAt = 0;
	#outboxes = new Map<string, Outbox>();
	#watched = new Set<string>();
	#sweep: ReturnType<typeof setInterval> | undefined;
	/** Broadcasts sent (tests and diagnostics: batching keeps it low). */
	broadcasts = 0;

	constructor(options: RealtimeSocketOptions, hooks: SocketHooks = {}) {
		super(hooks);
		this.#client = options.client;
		this.#prefix = options.prefix ?? 'cratemesh-mesh';
		this.#flushMs = options.flushMs ?? 40;
		this.#maxBatch = options.maxBatchBytes ?? 48 * 1024;
		this.#idleMs = options.idleMs ?? 120_000;
		this.#presenceLimit = options.presence ?? { max: 4, windowMs: 30_000 };
		this.#claim = options.claim ?? 'wait';
		this.media = options.media ?? false;
	}

	topic(peerId: string): string {
		return `${this.#prefix}:${peerId}`;
	}

	start(id: string, token: string): void {
		this.peerId = id;
		this.token = token;
		this.#stopped = false;
		this.#joinedAt = Date.now();
		this.setState('connecting');
		this.#joinInbox();
		this.#sweep = setInterval(() => this.#sweepIdle(), Math.min(30_000, this.#idleMs));
	}

	#joinInbox(): void {
		if (this.#stopped || !this.peerId) return;
		const channel = this.#client.channel(this.topic(this.peerId), {
			// ack: `probe` waits for the server's reply to a broadcast (nothing else is sent on the inbox).
			config: { broadcast: { self: false, ack: true }, presence: { key: this.peerId } }
		});
		this.#inbox = channel;
		channel.on('broadcast', { event: 'signal' }, (message: { payload?: unknown }) => this.#receive(message.payload));
		channel.on('presence', { event: 'sync' }, () => {
			if (this.#inbox !== channel) return;
			this.#inboxSynced = true;
			this.#maybeTrack();
		});
		channel.subscribe((status) => {
			if (this.#inbox !== channel || this.#stopped) return;
			if (status === 'SUBSCRIBED') {
				// A (re)join starts without our presence: the server forgot it with the old connection.
				this.#inboxSynced = false;
				this.#tracked = false;
			} else if (status === 'CLOSED') {
				// Closed by the server (not by us): join again; realtime-js only rejoins errored channels.
				this.#offline('closed');
				this.#inbox = undefined;
				void this.#client.removeChannel(channel);
				setTimeout(() => this.#joinInbox(), 1000);
			} else this.#offline(status === 'TIMED_OUT' ? 'timed out' : 'channel error');
		});
	}

	#offline(detail: string): void {
		this.#tracked = false;
		this.#inboxSynced = false;
		for (const outbox of this.#outboxes.values()) outbox.synced = false;
		this.setState('offline', detail);
	}

	/** Other tabs of this install (same id, another token) present before us: wait until they leave. */
	#otherTab(): boolean {
		const metas = (this.#inbox?.presenceState()[this.peerId!] ?? []) as { token?: unknown; at?: unknown }[];
		return metas.some(
			(meta) =>
				meta.token !== this.token &&
				typeof meta.at === 'number' &&
				(meta.at < this.#joinedAt || (meta.at === this.#joinedAt && String(meta.token) < this.token))
		);
	}

	#othersPresent(): boolean {
		const metas = (this.#inbox?.presenceState()[this.peerId!] ?? []) as { token?: unknown }[];
		return metas.some((meta) => meta.token !== this.token);
	}

	/** A fresh round trip to the server: true when it acknowledged a broadcast within `timeoutMs`. */
	async probe(timeoutMs: number): Promise<boolean> {
		const inbox = this.#inbox;
		if (!inbox || this.#stopped || !this.#tracked || !this.#client.isConnected()) return false;
		try {
			return (await inbox.send({ type: 'broadcast', event: 'probe', payload: {} }, { timeout: timeoutMs })) === 'ok';
		} catch {
			return false;
		}
	}

	#maybeTrack(): void {
		const inbox = this.#inbox;
		if (!inbox || this.#stopped || !this.#inboxSynced) return;
		if (this.#claim === 'fail' && !this.#tracked && this.#othersPresent()) {
			this.#stopped = true;
			this.setState('error', 'ID-TAKEN');
			this.emit('message', { type: 'ID-TAKEN', payload: { msg: 'ID is taken' } });
			return;
		}
		if (this.#claim !== 'force' && this.#otherTab()) {
			// Our own stale presence from a dropped connection also looks like this until the server
			// times it out; waiting (not failing) covers both.
			if (this.#tracked) void inbox.untrack();
			this.#tracked = false;
			this.setState('connecting', 'another tab of this device is online');
			return;
		}
		if (this.#tracked || this.#tracking) return;
		const now = Date.now();
		this.#trackTimes = this.#trackTimes.filter((t) => now - t < this.#presenceLimit.windowMs);
		if (this.#trackTimes.length >= this.#presenceLimit.max) {
			clearTimeout(this.#trackTimer);
			const wait = this.#presenceLimit.windowMs - (now - this.#trackTimes[0]!) + 50;
			this.#trackTimer = setTimeout(() => this.#maybeTrack(), wait);
			return;
		}
		this.#trackTimes.push(now);
		this.#tracking = true;
		void inbox
			.track({ token: this.token, at: this.#joinedAt })
			.then((result) => {
				this.#tracking = false;
				if (this.#inbox !== inbox || this.#stopped) return;
				if (result !== 'ok') return this.#offline(`presence ${result}`);
				this.#tracked = true;
				this.setState('online');
				if (!this.#announced) {
					this.#announced = true;
					this.emit('message', { type: 'OPEN' });
				}
				for (const outbox of this.#outboxes.values()) this.#flush(outbox);
			})
			.catch(() => {
				this.#tracking = false;
				this.#offline('presence failed');
			});
	}

	#receive(raw: unknown): void {
		let size: number;
		try {
			size = JSON.stringify(raw).length;
		} catch {
			return this.reject('malformed');
		}
		if (size > MAX_ENVELOPE_CHARS) return this.reject('oversized');
		const parsed = v.safeParse(Envelope, raw);
		if (!parsed.success) return this.reject('malformed');
		const { src, dst, msgs } = parsed.output;
		if (dst !== this.peerId) return; // someone else's signal in a shared inbox topic: not ours to count
		for (const message of msgs) this.deliver({ ...message, src });
	}

	#outbox(peerId: string): Outbox {
		const existing = this.#outboxes.get(peerId);
		if (existing) return existing;
		const channel = this.#client.channel(this.topic(peerId), {
			config: { broadcast: { self: false, ack: true }, presence: { key: '' } }
		});
		const box: Outbox = {
			peerId,
			channel,
			joined: false,
			synced: false,
			present: false,
			pending: [],
			timer: undefined,
			lastUsed: Date.now()
		};
		const update = () => {
			const was = box.present;
			box.present = (channel.presenceState()[peerId]?.length ?? 0) > 0;
			box.synced = true;
			if (box.present && !was && this.#watched.has(peerId)) this.hooks.online?.(peerId);
			this.#flush(box);
		};
		channel.on('presence', { event: 'sync' }, update);
		channel.subscribe((status) => {
			if (this.#outboxes.get(peerId) !== box) return;
			box.joined = status === 'SUBSCRIBED';
			if (!box.joined) box.synced = false;
			if (status === 'CLOSED') this.#drop(box);
		});
		this.#outboxes.set(peerId, box);
		return box;
	}

	#drop(outbox: Outbox): void {
		clearTimeout(outbox.timer);
		if (this.#outboxes.get(outbox.peerId) === outbox) this.#outboxes.delete(outbox.peerId);
		void this.#client.removeChannel(outbox.channel);
	}

	send(message: ServerMessage): void {
		if (this.#stopped || !message.dst || !message.type) return;
		const outbox = this.#outbox(message.dst);
		outbox.lastUsed = Date.now();
		if (outbox.pending.length >= PENDING_MAX) return this.reject('queue full');
		outbox.pending.push({ message, at: Date.now() });
		// Everything for this device within flushMs (an offer and its first candidates) goes in one broadcast.
		outbox.timer ??= setTimeout(() => {
			outbox.timer = undefined;
			this.#flush(outbox);
		}, this.#flushMs);
	}

	#flush(outbox: Outbox): void {
		if (outbox.timer || !outbox.pending.length) return;
		const now = Date.now();
		outbox.pending = outbox.pending.filter((entry) => now - entry.at < PENDING_MAX_AGE_MS);
		if (!outbox.joined || !outbox.synced || !this.#tracked || this.#stopped) return;
		const entries = outbox.pending;
		outbox.pending = [];
		if (!outbox.present) {
			// As the PeerJS server does for an unknown id: the dial fails now instead of timing out.
			if (entries.some((entry) => entry.message.type === 'OFFER')) this.deliver({ type: 'EXPIRE', src: outbox.peerId });
			return;
		}
		let batch: unknown[] = [];
		let size = 0;
		const post = () => {
			if (!batch.length) return;
			this.broadcasts++;
			const msgs = batch;
			batch = [];
			size = 0;
			void outbox.channel
				.send({ type: 'broadcast', event: 'signal', payload: { v: 1, src: this.peerId, dst: outbox.peerId, msgs } })
				.then((result) => {
					if (result !== 'ok') this.reject(`send ${result}`);
				});
		};
		for (const { message } of entries) {
			const item = { type: message.type, payload: message.payload };
			const length = JSON.stringify(item).length;
			if (length > this.#maxBatch) {
				this.reject('oversized');
				continue;
			}
			if (size + length > this.#maxBatch || batch.length >= 64) post();
			batch.push(item);
			size += length;
		}
		post();
	}

	override watch(peerIds: readonly string[]): void {
		this.#watched = new Set(peerIds.filter((id) => id !== this.peerId).slice(0, MAX_WATCHED));
		if (this.#stopped) return;
		for (const id of this.#watched) this.#outbox(id).lastUsed = Date.now();
	}

	/** Is a device present in its inbox (as far as this socket knows)? */
	isOnline(peerId: string): boolean {
		return this.#outboxes.get(peerId)?.present ?? false;
	}

	#sweepIdle(): void {
		const now = Date.now();
		for (const outbox of [...this.#outboxes.values()])
			if (!this.#watched.has(outbox.peerId) && !outbox.pending.length && now - outbox.lastUsed > this.#idleMs)
				this.#drop(outbox);
	}

	reconnectNow(): void {
		if (this.#stopped) return;
		if (!this.#client.isConnected()) this.#client.connect();
	}

	close(): void {
		if (this.#stopped) return;
		this.#stopped = true;
		clearInterval(this.#sweep);
		clearTimeout(this.#trackTimer);
		for (const outbox of [...this.#outboxes.values()]) this.#drop(outbox);
		if (this.#inbox) void this.#client.removeChannel(this.#inbox);
		this.#inbox = undefined;
		if (this.state !== 'error') this.setState('offline', 'closed');
	}
}
