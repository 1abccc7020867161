/**
 * One connection to another device, independent of PeerJS (tests drive it over an in-memory pipe):
 * mutual authentication (each side signs the other's fresh challenge with the key its peer id is derived
 * from), trust (an already trusted key, or a pairing code proven by both sides), heartbeats that drop a
 * silent connection, a per-peer rate limit, and rejection (counted) of anything invalid.
 */
import type { ChannelBinding } from './channel-binding';
import { authTranscript, randomNonce, sameProof, sign, verify, type Identity } from './identity';
import { confirmation, PakeRun } from './pake';
import { sanitizeName } from './hello';
import {
	encodeMessage,
	parseMessage,
	RateLimit,
	type Message,
	type OutgoingMessage,
	type RejectReason
} from './protocol';

/** How long a session waits for the connection's descriptions to carry both DTLS fingerprints. */
const BINDING_WAIT_MS = 3000;
const BINDING_POLL_MS = 50;

export type Trust = 'own' | 'collaborator';

export interface Wire {
	send(frame: string | ArrayBuffer | ArrayBufferView<ArrayBuffer>): void;
	close(): void;
	/** Bytes queued in the channel, for backpressure. */
	bufferedAmount(): number;
	/** The channel's DTLS fingerprints (this side's, the other side's) once it is open; signed in `auth`. */
	binding(): ChannelBinding | null;
	/** The largest message the other side accepts (SCTP `maxMessageSize`); 0 when unknown. */
	maxMessageSize?(): number;
	/** Resolves once `bufferedAmount()` is at most `bytes` (the channel's `bufferedamountlow` event), or
	 * the channel closes. Without it the sender polls. */
	whenBelow?(bytes: number): Promise<void>;
	/** Frames held back by the connection's own queue, not yet handed to the channel (PeerJS queues when the
	 * channel is very full): their buffers are still referenced. */
	held?(): number;
}

export interface PeerInfo {
	peerId: string;
	name: string;
	spki: string;
	trust: Trust;
	/** True when this connection paired the device (it was not trusted before). */
	paired: boolean;
}

export interface SessionHooks {
	/** The stored trust for a key, or null when the key is not trusted. */
	trusted(peerId: string, spki: string): Promise<Trust | null>;
	/**
	 * An unknown device wants to pair: the code this device is showing (host), if any. Each call is one
	 * pairing attempt (the host limits how many a code gets).
	 */
	hostCode(): string | null;
	/** The trust level the shown code grants ('own' when absent). */
	hostTrust?(): Trust;
	/** Records a newly paired device. */
	pair(peer: PeerInfo): Promise<void>;
	ready(peer: PeerInfo): void;
	message(message: Message): void | Promise<void>;
	binary(frame: ArrayBuffer): void | Promise<void>;
	rejected(reason: RejectReason | 'rate' | 'unexpected'): void;
	closed(reason: string): void;
}

export interface SessionOptions {
	identity: Identity;
	name: string;
	/** The id the signalling layer says the other side has; its key must hash to it. */
	remoteId: string;
	/** When this side dialled to pair with a code the other side shows. */
	joinCode?: string;
	/** The trust level this side pairs at with `joinCode` ('own' when absent); the host's code must agree. */
	joinTrust?: Trust;
	/**
	 * This side accepted the connection (the other side dialled): it says hello only once the dialler's
	 * first frame is in. Chromium can drop a frame the accepting side sends as soon as its channel opens,
	 * when it reaches the dialler before the dialler's own channel has opened (seen in CI and in 1 of 40
	 * local runs: the dialler got `auth` without `hello`, and the handshake stalled until its timeout).
	 * The dialler's channel is open once it has sent something, so waiting for its first frame is safe.
	 */
	incoming?: boolean;
	heartbeatMs?: number;
	timeoutMs?: number;
	handshakeMs?: number;
	rate?: number;
	burst?: number;
	/** Rejected frames after which the connection is dropped. */
	maxRejected?: number;
}

const role = (side: 'joiner' | 'host', trust: Trust) =>
	trust === 'collaborator' ? (`${side}:collaborator` as const) : side;

const HANDSHAKE_TYPES = new Set(['hello', 'auth', 'welcome', 'bye', 'ping', 'pong', 'pake', 'pake-confirm']);

export class Session {
	readonly remoteId: string;
	#wire: Wire;
	#hooks: SessionHooks;
	#options: SessionOptions;
	#nonce = randomNonce();
	#theirNonce: string | null = null;
	#theirSpki: string | null = null;
	#theirName = '';
	#accepted: Trust | null = null;
	#paired = false;
	#welcomed = false;
	#awaitingHostProof = false;
	/** Pairing (PAKE): this side's run, the shared key once both shares are in, and (host) whether the
	 * joiner's confirmation is awaited. */
	#pake: PakeRun | null = null;
	#pakeKey: CryptoKey | null = null;
	#awaitingConfirm = false;
	/** Host: the trust level the shown code grants, fixed when the run started. */
	#hostTrust: Trust = 'own';
	#ready = false;
	#closed = false;
	/** `hello` is sent once started and, for an accepting side, once the dialler's first frame is in. */
	#started = false;
	#heardFirst = false;
	#saidHello = false;
	#lastHeard = performance.now();
	#timer: ReturnType<typeof setInterval> | undefined;
	#handshakeTimer: ReturnType<typeof setTimeout> | undefined;
	#limit: RateLimit;
	#rejected = 0;
	// Frames are handled one after another even though verification is async.
	#queue: Promise<void> = Promise.resolve();

	constructor(wire: Wire, hooks: SessionHooks, options: SessionOptions) {
		this.#wire = wire;
		this.#hooks = hooks;
		this.#options = options;
		this.remoteId = options.remoteId;
		this.#limit = new RateLimit(options.rate ?? 200, options.burst ?? 400);
	}

	get ready(): boolean {
		return this.#ready;
	}
	get trust(): Trust | null {
		return this.#ready ? this.#accepted : null;
	}
	get closed(): boolean {
		return this.#closed;
	}

	/** Call once the channel is open. */
	start(): void {
		if (this.#started) return;
		this.#started = true;
		this.#sayHello();
		const heartbeat = this.#options.heartbeatMs ?? 4000;
		const timeout = this.#options.timeoutMs ?? 15_000;
		this.#timer = setInterval(() => {
			if (performance.now() - this.#lastHeard > timeout) this.close('timeout');
			else this.send({ type: 'ping', t: Date.now() });
		}, heartbeat);
		this.#handshakeTimer = setTimeout(() => {
			if (!this.#ready) this.close('handshake-timeout');
		}, this.#options.handshakeMs ?? 15_000);
	}

	#sayHello(): void {
		if (this.#saidHello || !this.#started || (this.#options.incoming && !this.#heardFirst)) return;
		this.#saidHello = true;
		this.send({
			type: 'hello',
			name: sanitizeName(this.#options.name),
			spki: this.#options.identity.spki,
			nonce: this.#nonce,
			bind: 'dtls'
		});
	}

	/**
	 * Checks the heartbeat now rather than at the next tick (the page resumed from a freeze or sleep,
	 * the network came back): a connection silent for longer than the timeout is dropped at once.
	 */
	checkAlive(): void {
		if (this.#closed || !this.#timer) return;
		if (performance.now() - this.#lastHeard > (this.#options.timeoutMs ?? 15_000)) this.close('timeout');
		else this.send({ type: 'ping', t: Date.now() });
	}

	send(message: OutgoingMessage): void {
		if (this.#closed) return;
		try {
			this.#wire.send(encodeMessage(message));
		} catch {
			this.close('send-failed');
		}
	}

	/** A view is sent as its bytes only (no copy of the buffer it is part of). */
	sendBinary(frame: ArrayBuffer | ArrayBufferView<ArrayBuffer>): void {
		if (this.#closed) return;
		this.#wire.send(frame);
	}

	bufferedAmount(): number {
		return this.#wire.bufferedAmount();
	}

	/** Resolves once at most `bytes` are queued in the channel (or it closes); undefined when the wire
	 * cannot say, and the caller polls `bufferedAmount()`. */
	whenBelow(bytes: number): Promise<void> | undefined {
		return this.#wire.whenBelow?.(bytes);
	}

	/** Whether every frame sent so far is in the channel (which copies it): their buffers may be reused. */
	sentAll(): boolean {
		return (this.#wire.held?.() ?? 0) === 0;
	}

	/** The largest binary frame the other side accepts; 0 when the channel does not say. */
	maxMessageSize(): number {
		return this.#wire.maxMessageSize?.() ?? 0;
	}

	close(reason: string, tell = true): void {
		if (this.#closed) return;
		if (tell) this.send({ type: 'bye', reason });
		this.#closed = true;
		clearInterval(this.#timer);
		clearTimeout(this.#handshakeTimer);
		try {
			this.#wire.close();
		} catch {
			// already gone
		}
		this.#hooks.closed(reason);
	}

	#reject(reason: RejectReason | 'rate' | 'unexpected'): void {
		this.#rejected++;
		this.#hooks.rejected(reason);
		if (this.#rejected > (this.#options.maxRejected ?? 50)) this.close('too-many-invalid');
	}

	/** Feed every frame the channel delivers. */
	receive(frame: unknown): void {
		if (this.#closed) return;
		this.#lastHeard = performance.now();
		if (!this.#heardFirst) {
			this.#heardFirst = true;
			this.#sayHello();
		}
		if (frame instanceof ArrayBuffer || ArrayBuffer.isView(frame)) {
			const buffer =
				frame instanceof ArrayBuffer
					? frame
					: (frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) as ArrayBuffer);
			if (!this.#ready) return this.#reject('unexpected');
			this.#queue = this.#queue.then(() => this.#hooks.binary(buffer));
			return;
		}
		if (typeof frame !== 'string') return this.#reject('malformed');
		if (!this.#limit.take()) return this.#reject('rate');
		const parsed = parseMessage(frame);
		if (!parsed.ok) return this.#reject(parsed.reason);
		const message = parsed.message;
		if (!this.#ready && !HANDSHAKE_TYPES.has(message.type)) return this.#reject('unexpected');
		// A goodbye is final: act on it now, before the channel's close event (which can overtake the
		// queue) records a reasonless close.
		if (message.type === 'bye') return this.close(`peer:${message.reason.slice(0, 32)}`, false);
		this.#queue = this.#queue
			.then(() => this.#handle(message))
			.catch((error) => {
				console.warn(
					`mesh: refused a frame: handling ${message.type} failed:`,
					error instanceof Error ? error.message : error
				);
				this.#reject('malformed');
			});
	}

	async #handle(message: Message): Promise<void> {
		if (this.#closed) return;
		switch (message.type) {
			case 'ping':
				return this.send({ type: 'pong', t: message.t });
			case 'pong':
				return;
			case 'bye':
				return this.close(`peer:${message.reason.slice(0, 32)}`, false);
			case 'hello':
				return this.#onHello(message);
			case 'auth':
				return this.#onAuth(message);
			case 'welcome':
				return this.#onWelcome(message);
			case 'pake':
				return this.#onPake(message);
			case 'pake-confirm':
				return this.#onPakeConfirm(message);
			default:
				return this.#hooks.message(message);
		}
	}

	#transcript(joinerIsMe: boolean) {
		const me = { spki: this.#options.identity.spki, nonce: this.#nonce };
		const them = { spki: this.#theirSpki!, nonce: this.#theirNonce! };
		const [joiner, host] = joinerIsMe ? [me, them] : [them, me];
		return { joinerSpki: joiner.spki, hostSpki: host.spki, joinerNonce: joiner.nonce, hostNonce: host.nonce };
	}

	/**
	 * Both DTLS fingerprints, this side's first; null when the channel cannot say (then nothing is signed).
	 * A description can lag the channel's first message (CI saw `no-channel-binding` once in a pairing), so
	 * this waits for it briefly before giving up.
	 */
	async #binding(): Promise<{ mine: string; theirs: string } | null> {
		for (let waited = 0; ; waited += BINDING_POLL_MS) {
			const binding = this.#wire.binding();
			if (binding) return { mine: binding.local, theirs: binding.remote };
			if (waited >= BINDING_WAIT_MS) return null;
			await new Promise((resolve) => setTimeout(resolve, BINDING_POLL_MS));
		}
	}

	async #onHello(message: Extract<Message, { type: 'hello' }>): Promise<void> {
		if (this.#theirNonce) return this.#reject('unexpected');
		// An older build signs without the channel: accepting it would let a relay strip the binding.
		if (message.bind !== 'dtls') return this.close('version');
		const binding = await this.#binding();
		if (!binding) return this.close('no-channel-binding');
		if (this.#theirNonce) return this.#reject('unexpected');
		this.#theirNonce = message.nonce;
		this.#theirSpki = message.spki;
		this.#theirName = sanitizeName(message.name);
		const { identity, remoteId, joinCode } = this.#options;
		const sig = await sign(identity, authTranscript(message.nonce, this.#nonce, identity.peerId, remoteId, binding));
		if (joinCode) this.#pake = new PakeRun(joinCode, this.#transcript(true));
		this.send({ type: 'auth', sig, pake: this.#pake?.share });
	}

	async #onAuth(message: Extract<Message, { type: 'auth' }>): Promise<void> {
		if (!this.#theirNonce || !this.#theirSpki || this.#accepted || this.#awaitingHostProof || this.#awaitingConfirm)
			return this.#reject('unexpected');
		const { identity, remoteId, joinCode } = this.#options;
		const binding = await this.#binding();
		if (!binding) return this.close('no-channel-binding');
		// The other side signed its fingerprint (our `theirs`) and ours as it sees them: a relay terminating
		// DTLS in the middle shows each side other fingerprints, so its signature cannot match.
		const theirView = { mine: binding.theirs, theirs: binding.mine };
		const transcript = authTranscript(this.#nonce, this.#theirNonce, remoteId, identity.peerId, theirView);
		if (!(await verify(remoteId, this.#theirSpki, transcript, message.sig))) return this.close('forged');
		const known = await this.#hooks.trusted(remoteId, this.#theirSpki);
		if (known) {
			this.#accepted = known;
			this.send({ type: 'welcome', trust: known });
			return this.#maybeReady();
		}
		const code = message.pake ? this.#hooks.hostCode() : null;
		if (message.pake && code) {
			// Host side of the PAKE: answer with our share; trust only after the joiner proves the key.
			this.#hostTrust = this.#hooks.hostTrust?.() ?? 'own';
			const run = new PakeRun(code, this.#transcript(false));
			const key = await run.finish(message.pake, 'host');
			if (!key) return this.close('bad-code');
			this.#pakeKey = key;
			this.#awaitingConfirm = true;
			this.send({ type: 'pake', share: run.share });
			return;
		}
		if (joinCode) {
			// The host proves it knew the code (its PAKE confirmation in welcome) before this side trusts it.
			this.#awaitingHostProof = true;
			return;
		}
		this.close('untrusted');
	}

	/** Joiner: the host's share. Prove the shared key (joiner first). */
	async #onPake(message: Extract<Message, { type: 'pake' }>): Promise<void> {
		if (!this.#pake || this.#pakeKey) return this.#reject('unexpected');
		const key = await this.#pake.finish(message.share, 'joiner');
		if (!key) return this.close('bad-code');
		this.#pakeKey = key;
		const trust = this.#options.joinTrust ?? 'own';
		this.send({ type: 'pake-confirm', mac: await confirmation(key, role('joiner', trust), this.#transcript(true)) });
	}

	/**
	 * Host: the joiner's proof, bound to the trust level it pairs at. Right → trusted (and prove ours in
	 * welcome); the right code for the other trust level → `trust-mismatch`; anything else → the code failed.
	 */
	async #onPakeConfirm(message: Extract<Message, { type: 'pake-confirm' }>): Promise<void> {
		if (!this.#awaitingConfirm || !this.#pakeKey) return this.#reject('unexpected');
		this.#awaitingConfirm = false;
		const transcript = this.#transcript(false);
		const trust = this.#hostTrust;
		if (!sameProof(await confirmation(this.#pakeKey, role('joiner', trust), transcript), message.mac)) {
			const other = role('joiner', trust === 'own' ? 'collaborator' : 'own');
			const mismatch = sameProof(await confirmation(this.#pakeKey, other, transcript), message.mac);
			return this.close(mismatch ? 'trust-mismatch' : 'bad-code');
		}
		this.#accepted = trust;
		this.#paired = true;
		await this.#hooks.pair(this.#peer());
		this.send({ type: 'welcome', trust, pair: await confirmation(this.#pakeKey, role('host', trust), transcript) });
		this.#maybeReady();
	}

	async #onWelcome(message: Extract<Message, { type: 'welcome' }>): Promise<void> {
		if (this.#welcomed) return this.#reject('unexpected');
		if (this.#awaitingHostProof) {
			const trust = this.#options.joinTrust ?? 'own';
			if (!this.#pakeKey || !message.pair || message.trust !== trust) return this.close('bad-code');
			const expected = await confirmation(this.#pakeKey, role('host', trust), this.#transcript(true));
			if (!sameProof(expected, message.pair)) return this.close('bad-code');
			this.#awaitingHostProof = false;
			this.#accepted = trust;
			this.#paired = true;
			await this.#hooks.pair(this.#peer());
			this.send({ type: 'welcome', trust });
		}
		this.#welcomed = true;
		this.#maybeReady();
	}

	#peer(): PeerInfo {
		return {
			peerId: this.remoteId,
			name: this.#theirName,
			spki: this.#theirSpki!,
			trust: this.#accepted!,
			paired: this.#paired
		};
	}

	#maybeReady(): void {
		if (this.#ready || !this.#accepted || !this.#welcomed || this.#closed) return;
		this.#ready = true;
		clearTimeout(this.#handshakeTimer);
		this.#hooks.ready(this.#peer());
	}
}
