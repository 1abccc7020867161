/**
 * The seam between PeerJS and a signalling transport. PeerJS 1.5.5 (pinned) talks to its server through
 * an internal `Socket`: an event emitter with `start(id, token)`, `send(message)` and `close()`, that
 * emits `message` with the PeerServer's JSON messages (`OPEN`, `OFFER`, `ANSWER`, `CANDIDATE`, `LEAVE`,
 * `EXPIRE`, `ID-TAKEN`, …) and `error`. `SignallingSocket` is that contract; `createPeer` (peer.ts) makes
 * a Peer talk to one instead of its own WebSocket. Two transports implement it: the PeerJS server
 * (`PeerServerSocket`) and Supabase Realtime (`RealtimeSocket`).
 *
 * What the base class adds for both: reconnection is the transport's job (the Peer never sees a
 * disconnect, so its DataConnections survive a signalling outage), every message from the network is
 * validated before PeerJS sees it (PeerJS indexes objects with peer-chosen strings), and a per-sender
 * rate limit; refused messages are counted. Only data connections pass, unless a subclass turns `media`
 * on (live sessions' listening mode sends calls).
 */
import * as v from 'valibot';
import { RateLimit } from '../protocol';

export interface ServerMessage {
	type: string;
	src?: string;
	dst?: string;
	payload?: unknown;
}

export type SignallingState = 'connecting' | 'online' | 'offline' | 'error';

type Listener = (...args: unknown[]) => void;

/** Exponential backoff with jitter (each delay is 50–100 % of the nominal one). */
export class Backoff {
	#attempt = 0;
	constructor(
		readonly minMs = 500,
		readonly maxMs = 30_000,
		readonly random: () => number = Math.random
	) {}
	next(): number {
		const nominal = Math.min(this.maxMs, this.minMs * 2 ** this.#attempt);
		this.#attempt = Math.min(this.#attempt + 1, 30);
		return Math.round(nominal * (0.5 + 0.5 * this.random()));
	}
	reset(): void {
		this.#attempt = 0;
	}
	get attempts(): number {
		return this.#attempt;
	}
}

const id = v.pipe(v.string(), v.maxLength(64), v.regex(/^[A-Za-z0-9_-]+$/));
const connectionId = v.pipe(v.string(), v.maxLength(64), v.regex(/^[A-Za-z0-9_-]+$/));
const Sdp = v.object({ type: v.picklist(['offer', 'answer']), sdp: v.pipe(v.string(), v.maxLength(64 * 1024)) });
/** Data connections with a serializer PeerJS has: a peer-chosen name indexes PeerJS's serializer table. */
const DataOffer = v.object({
	type: v.literal('data'),
	connectionId,
	sdp: v.object({ ...Sdp.entries, type: v.literal('offer') }),
	serialization: v.picklist(['raw', 'json', 'binary', 'binary-utf8', 'default']),
	reliable: v.optional(v.boolean()),
	label: v.optional(v.pipe(v.string(), v.maxLength(128))),
	metadata: v.optional(v.unknown())
});
/** Media calls (a live session's listening mode); refused unless the socket was made with `media`. */
const MediaOffer = v.object({
	type: v.literal('media'),
	connectionId,
	sdp: v.object({ ...Sdp.entries, type: v.literal('offer') }),
	metadata: v.optional(v.unknown())
});
const OfferPayload = v.variant('type', [DataOffer, MediaOffer]);
const kind = v.picklist(['data', 'media']);
const AnswerPayload = v.object({
	type: kind,
	connectionId,
	sdp: v.object({ ...Sdp.entries, type: v.literal('answer') })
});
const CandidatePayload = v.object({
	type: kind,
	connectionId,
	candidate: v.object({
		candidate: v.pipe(v.string(), v.maxLength(2048)),
		sdpMid: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
		sdpMLineIndex: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64)))),
		usernameFragment: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(256))))
	})
});
const PeerMessage = v.variant('type', [
	v.object({ type: v.literal('OFFER'), src: id, payload: OfferPayload }),
	v.object({ type: v.literal('ANSWER'), src: id, payload: AnswerPayload }),
	v.object({ type: v.literal('CANDIDATE'), src: id, payload: CandidatePayload }),
	v.object({ type: v.literal('LEAVE'), src: id }),
	v.object({ type: v.literal('EXPIRE'), src: id })
]);
/** Messages from the signalling server itself (no peer content). */
const SERVER_TYPES = new Set(['OPEN', 'ID-TAKEN', 'INVALID-KEY', 'ERROR', 'HEARTBEAT']);

export interface SocketHooks {
	/** The transport's state changed (`detail`: why, for the UI and logs). */
	state?(state: SignallingState, detail?: string): void;
	/** A message was refused (malformed, over the per-sender rate, oversized). */
	rejected?(reason: string): void;
	/** A device this socket watches came online (transports with presence only). */
	online?(peerId: string): void;
}

export abstract class SignallingSocket {
	#listeners = new Map<string, Set<Listener>>();
	#limits = new Map<string, RateLimit>();
	#state: SignallingState = 'connecting';
	protected hooks: SocketHooks;
	protected peerId: string | null = null;
	protected token = '';
	/** Messages refused before PeerJS saw them. */
	rejected = 0;
	/** Media calls are let through (rooms' listening mode); the mesh has no use for them. */
	protected media = false;

	constructor(hooks: SocketHooks = {}) {
		this.hooks = hooks;
	}

	get state(): SignallingState {
		return this.#state;
	}

	// The emitter half of the contract (PeerJS uses on / removeAllListeners).
	on(event: string, listener: Listener): this {
		let set = this.#listeners.get(event);
		if (!set) this.#listeners.set(event, (set = new Set()));
		set.add(listener);
		return this;
	}
	off(event: string, listener: Listener): this {
		this.#listeners.get(event)?.delete(listener);
		return this;
	}
	removeAllListeners(): this {
		this.#listeners.clear();
		return this;
	}
	emit(event: string, ...args: unknown[]): boolean {
		const set = this.#listeners.get(event);
		for (const listener of [...(set ?? [])]) listener(...args);
		return !!set?.size;
	}

	abstract start(id: string, token: string): void;
	/** A message from PeerJS for the server or another peer (`dst`). */
	abstract send(message: ServerMessage): void;
	/** Stops for good (PeerJS calls it on disconnect/destroy). */
	abstract close(): void;
	/** Reconnect now instead of waiting for the backoff (the network came back, the page resumed). */
	abstract reconnectNow(): void;
	/** Devices whose coming online should be reported (`hooks.online`); no-op without presence. */
	watch(_peerIds: readonly string[]): void {}

	protected setState(state: SignallingState, detail?: string): void {
		if (state === this.#state && state !== 'error') return;
		this.#state = state;
		this.hooks.state?.(state, detail);
	}

	protected reject(reason: string): void {
		this.rejected++;
		this.hooks.rejected?.(reason);
	}

	/**
	 * Hands a message from the network to PeerJS if it is well formed, addressed to this device and
	 * within its sender's rate (20 messages/s, bursts of 60: an ICE exchange is a few dozen).
	 */
	protected deliver(raw: unknown): void {
		if (typeof raw !== 'object' || raw === null) return this.reject('malformed');
		const type = (raw as { type?: unknown }).type;
		if (typeof type === 'string' && SERVER_TYPES.has(type)) {
			if (type !== 'HEARTBEAT') this.emit('message', { type, payload: sanitizeServerPayload(raw) });
			return;
		}
		const parsed = v.safeParse(PeerMessage, raw);
		if (!parsed.success) return this.reject('malformed');
		const message = parsed.output;
		if (message.src === this.peerId) return this.reject('unexpected');
		if ('payload' in message && message.payload.type === 'media' && !this.media) return this.reject('media');
		let limit = this.#limits.get(message.src);
		if (!limit) {
			if (this.#limits.size > 256) this.#limits.clear();
			this.#limits.set(message.src, (limit = new RateLimit(20, 60)));
		}
		if (!limit.take()) return this.reject('rate');
		this.emit('message', message);
	}
}

function sanitizeServerPayload(raw: object): { msg: string } {
	const payload = (raw as { payload?: { msg?: unknown } }).payload;
	return { msg: typeof payload?.msg === 'string' ? payload.msg.slice(0, 200) : '' };
}
