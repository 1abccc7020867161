/**
 * Library sync between own devices over authenticated sessions. Pull-based: each side asks the other for
 * its changes after a stored watermark (`sync-hello`), the other streams them in frames under 256 KiB
 * (`sync-batch`) with at most two unacknowledged (`sync-ack` after each batch is stored), and the
 * watermark moves only once a batch is applied. A sync starts when an own device connects, when a peer
 * says it has new changes (`sync-poke`, sent after local edits, debounced) and after applying changes
 * that other devices may lack. Collaborators get nothing. Tombstones are collected by the rules in
 * `sync-gc.ts`: each side records how far the other acknowledged its change order; a device that missed
 * collected tombstones gets a full resync (and is not pulled from until it has).
 */
import { db } from '$lib/db';
import { maxHlc, type Hlc } from '$lib/db/hlc';
import { onLocalEdit, stampId, type SyncTable } from '$lib/db/stamps';
import type { Message } from './protocol';
import type { Session } from './session';
import { needsFullResync } from './sync-gc';
import {
	applyChanges,
	collectTombstones,
	countAfter,
	getCollected,
	getPeer,
	listPeers,
	readPage,
	sweepAfterFullResync,
	updatePeer,
	type Incoming
} from './sync-store';
import { listTrusted } from './trust';
import {
	decodeChange,
	MAX_BATCH_CHANGES,
	MAX_BATCH_CHARS,
	SYNC_SCHEMA,
	SYNC_VERSION,
	type WireChange
} from './sync-wire';

export interface PeerSyncView {
	lastSync: number | null;
	/** changes sent to / received from this device, all time */
	sent: number;
	received: number;
	/** changes from it that were refused (invalid) */
	refused: number;
	/** values from it this build does not know (a newer build's fields or tables), set aside */
	unknown: number;
	/** a pull in progress: changes received of the total it announced */
	pulling: { received: number; total: number } | null;
	/** a push in progress: changes sent of the total */
	serving: { sent: number; total: number } | null;
	error: string;
}

type Batch = Extract<Message, { type: 'sync-batch' }>;

const PAGE = 500;
const WINDOW = 2;
const POKE_MS = 800;
const REFRESH_MS = 1000;
const PAUSED_KEY = 'meshSyncPaused';
/** Tombstone collection runs at most this often (a scan of the stamps), and this long after start. */
const COLLECT_MS = 60_000;
const FIRST_COLLECT_MS = 10_000;

interface Pull {
	session: Session;
	/** the watermark this pull started from */
	since: Hlc;
	received: number;
	total: number;
	again: boolean;
	/** batches are applied one after another, in order */
	chain: Promise<void>;
	/** a full resync: the ids of every record the peer sent, and whether any was refused (then no sweep) */
	held: Set<string> | null;
	refusedAny: boolean;
	/** names of unknown fields and tables already logged */
	unknown: Set<string>;
}

interface Serve {
	inFlight: number;
	wake: (() => void) | null;
}

export class LibrarySync {
	#views = $state<Record<string, PeerSyncView>>({});
	#paused = $state(false);
	#sessions = new Map<string, Session>();
	#pulls = new Map<string, Pull>();
	#serves = new Map<string, Serve>();
	/** the last batch number sent to each peer (a late ack for a finished stream is fine, others are not) */
	#lastSent = new Map<string, number>();
	#pokeTimer: ReturnType<typeof setTimeout> | undefined;
	#onApplied: (tracks: string[], tables: Set<SyncTable>) => void;
	#onRefused: (peerId: string, reason: string) => void;
	#listening = false;
	#changedTracks = new Set<string>();
	#changedTables = new Set<SyncTable>();
	#refreshTimer: ReturnType<typeof setTimeout> | undefined;
	/** the `upTo` of each batch sent and not yet acknowledged, per peer (an ack moves its `theyHave`) */
	#sentUpTo = new Map<string, Map<number, Hlc>>();
	/** own devices not pulled from until they finished a full resync from here */
	#deferred = new Set<string>();
	#collectedAt = 0;
	#collectTimer: ReturnType<typeof setTimeout> | undefined;

	constructor(
		onApplied: (tracks: string[], tables: Set<SyncTable>) => void,
		onRefused: (peerId: string, reason: string) => void
	) {
		this.#onApplied = onApplied;
		this.#onRefused = onRefused;
	}

	get paused(): boolean {
		return this.#paused;
	}
	get peers(): Readonly<Record<string, PeerSyncView>> {
		return this.#views;
	}

	/** Loads the pause switch and starts listening for local edits. */
	async start(): Promise<void> {
		const stored = await db()
			.settings.get(PAUSED_KEY)
			.catch(() => undefined);
		this.#paused = stored?.value === true;
		for (const peer of await listPeers().catch(() => []))
			this.#view(peer.peerId, { lastSync: peer.lastSync, sent: peer.sent, received: peer.received });
		if (!this.#listening) onLocalEdit(() => this.#schedulePoke());
		this.#listening = true;
		clearTimeout(this.#collectTimer);
		this.#collectTimer = setTimeout(() => void this.collect(), FIRST_COLLECT_MS);
	}

	/**
	 * Collects the tombstones every own device acknowledged, and those past the horizon (`sync-gc.ts`).
	 * Throttled unless `force`; returns how many went.
	 */
	async collect(force = false): Promise<number> {
		const now = Date.now();
		if (!force && now - this.#collectedAt < COLLECT_MS) return 0;
		this.#collectedAt = now;
		try {
			const own = (await listTrusted()).filter((device) => device.trust === 'own').map((device) => device.peerId);
			return (await collectTombstones(own, now)).collected;
		} catch (error) {
			console.warn('mesh: collecting tombstones failed:', error);
			return 0;
		}
	}

	/** Records how far a peer acknowledged our change order; a deferred pull from it may go ahead. */
	async #acknowledged(session: Session, upTo: Hlc): Promise<void> {
		const peerId = session.remoteId;
		const row = await updatePeer(peerId, (old) => ({ theyHave: maxHlc(old.theyHave ?? '', upTo) }));
		if (this.#deferred.has(peerId) && !needsFullResync(row.theyHave ?? '', await getCollected())) {
			this.#deferred.delete(peerId);
			void this.pull(session);
		}
	}

	async setPaused(paused: boolean): Promise<void> {
		this.#paused = paused;
		await db().settings.put({ key: PAUSED_KEY, value: paused });
		if (!paused) for (const session of this.#sessions.values()) void this.pull(session);
	}

	/** A device's view; own keys only (a peer id is text from the network until it is authenticated). */
	#known(peerId: string): PeerSyncView | undefined {
		return Object.hasOwn(this.#views, peerId) ? this.#views[peerId] : undefined;
	}

	#view(peerId: string, patch: Partial<PeerSyncView>): void {
		const old = this.#known(peerId) ?? {
			lastSync: null,
			sent: 0,
			received: 0,
			refused: 0,
			unknown: 0,
			pulling: null,
			serving: null,
			error: ''
		};
		this.#views = { ...this.#views, [peerId]: { ...old, ...patch } };
	}

	/** An own device is ready: sync with it. */
	async connected(session: Session): Promise<void> {
		if (session.trust !== 'own') return;
		this.#sessions.set(session.remoteId, session);
		if (!this.#known(session.remoteId)) {
			const peer = await getPeer(session.remoteId);
			this.#view(session.remoteId, { lastSync: peer.lastSync, sent: peer.sent, received: peer.received });
		}
		await this.pull(session);
	}

	disconnected(peerId: string): void {
		this.#sessions.delete(peerId);
		this.#pulls.delete(peerId);
		this.#deferred.delete(peerId);
		this.#sentUpTo.delete(peerId);
		const serve = this.#serves.get(peerId);
		this.#serves.delete(peerId);
		serve?.wake?.();
		if (this.#known(peerId)) this.#view(peerId, { pulling: null, serving: null });
	}

	/** Asks a device for its changes since the last exchange. */
	async pull(session: Session): Promise<void> {
		if (this.#paused || session.closed || session.trust !== 'own') return;
		const existing = this.#pulls.get(session.remoteId);
		if (existing) {
			existing.again = true;
			return;
		}
		const pull: Pull = {
			session,
			since: '',
			received: 0,
			total: 0,
			again: false,
			chain: Promise.resolve(),
			held: null,
			refusedAny: false,
			unknown: new Set()
		};
		this.#pulls.set(session.remoteId, pull);
		this.#view(session.remoteId, { pulling: { received: 0, total: 0 }, error: '' });
		const [peer, collected] = await Promise.all([getPeer(session.remoteId), getCollected()]);
		// It may hold rows whose delete it missed (collected here): not before it has resynced from us.
		if (needsFullResync(peer.theyHave ?? '', collected)) {
			this.#deferred.add(session.remoteId);
			if (this.#pulls.get(session.remoteId) === pull) this.#pulls.delete(session.remoteId);
			this.#view(session.remoteId, { pulling: null });
			return;
		}
		// Its changes up to `since` were read by a build that synced fewer fields: ask for everything once.
		pull.since = peer.schema === SYNC_SCHEMA ? peer.since : '';
		session.send({ type: 'sync-hello', sv: SYNC_VERSION, since: pull.since });
	}

	/** Tells the views what sync changed: at most every REFRESH_MS during a long pull (each refresh re-runs
	 * the library query), and at its end. */
	#refresh(): void {
		clearTimeout(this.#refreshTimer);
		this.#refreshTimer = undefined;
		if (!this.#changedTracks.size && !this.#changedTables.size) return;
		const tracks = [...this.#changedTracks];
		const tables = new Set(this.#changedTables);
		this.#changedTracks.clear();
		this.#changedTables.clear();
		try {
			this.#onApplied(tracks, tables);
		} catch (error) {
			console.warn('mesh: refreshing views after sync failed:', error);
		}
	}

	#schedulePoke(): void {
		if (this.#paused) return;
		clearTimeout(this.#pokeTimer);
		this.#pokeTimer = setTimeout(() => this.#poke(), POKE_MS);
	}

	#poke(except?: string): void {
		if (this.#paused) return;
		for (const [peerId, session] of this.#sessions)
			if (peerId !== except && !session.closed) session.send({ type: 'sync-poke' });
	}

	/** Sync messages; returns false when the message was not expected (counted as rejected). */
	async handle(session: Session, message: Message): Promise<boolean> {
		const peerId = session.remoteId;
		switch (message.type) {
			case 'sync-hello':
				if (session.trust !== 'own' || this.#paused) {
					// Nothing for collaborators, nothing while paused: an empty, finished pull.
					session.send({ type: 'sync-batch', n: 0, changes: [], upTo: '', total: 0, done: true });
					return true;
				}
				void this.#serve(session, message.since);
				return true;
			case 'sync-ack': {
				const upTo = this.#sentUpTo.get(peerId)?.get(message.n);
				if (upTo !== undefined) {
					this.#sentUpTo.get(peerId)!.delete(message.n);
					void this.#acknowledged(session, upTo);
				}
				const serve = this.#serves.get(peerId);
				if (!serve) return message.n <= (this.#lastSent.get(peerId) ?? 0);
				serve.inFlight = Math.max(0, serve.inFlight - 1);
				serve.wake?.();
				return true;
			}
			case 'sync-poke':
				if (session.trust !== 'own') return false;
				void this.pull(session);
				return true;
			case 'sync-batch': {
				const pull = this.#pulls.get(peerId);
				if (!pull || pull.session !== session) return false;
				// Applied in order, without holding up the session's other messages (pings, transfers).
				pull.chain = pull.chain.then(() => this.#receive(pull, message));
				return true;
			}
			default:
				return false;
		}
	}

	async #receive(pull: Pull, batch: Batch): Promise<void> {
		const { session } = pull;
		const peerId = session.remoteId;
		if (this.#pulls.get(peerId) !== pull) return;
		const incoming: Incoming[] = [];
		let refused = 0;
		let unknown = 0;
		if (batch.full) pull.held ??= new Set();
		for (const change of batch.changes) {
			const decoded = decodeChange(change);
			for (const name of decoded.unknown ?? []) {
				unknown++;
				if (!pull.unknown.has(name) && pull.unknown.size < 20) {
					pull.unknown.add(name);
					console.info(`mesh: ${name} from ${peerId} is not known to this build: set aside`);
				}
			}
			if (decoded.ok) {
				incoming.push({ table: decoded.table, key: decoded.key, state: decoded.state });
				pull.held?.add(stampId(decoded.table, decoded.key));
			} else if (!decoded.unknown) {
				pull.refusedAny = true;
				refused++;
				this.#onRefused(peerId, `sync change: ${decoded.reason}`);
			}
		}
		try {
			const applied = await applyChanges(peerId, incoming);
			if (applied.changed) {
				for (const hash of applied.tracks) this.#changedTracks.add(hash);
				for (const table of applied.tables) this.#changedTables.add(table);
				this.#refreshTimer ??= setTimeout(() => this.#refresh(), REFRESH_MS);
				// Other devices may not have these yet.
				if (this.#sessions.size > 1) this.#poke(peerId);
			}
		} catch (error) {
			this.#view(peerId, { error: error instanceof Error ? error.message : String(error), pulling: null });
			this.#pulls.delete(peerId);
			return;
		}
		pull.received += batch.changes.length;
		pull.total = Math.max(batch.total, pull.received);
		if (batch.done && pull.held) await this.#sweep(pull);
		const row = await updatePeer(peerId, (old) => ({
			since: maxHlc(old.since, batch.upTo),
			received: old.received + batch.changes.length,
			// Done: every change since the pull's start was read with this build's fields.
			...(batch.done ? { lastSync: Date.now(), schema: SYNC_SCHEMA } : {})
		}));
		// After the sweep: the last ack of a full resync lets the peer pull from us again.
		session.send({ type: 'sync-ack', n: batch.n });
		const refusedTotal = (this.#known(peerId)?.refused ?? 0) + refused;
		const unknownTotal = (this.#known(peerId)?.unknown ?? 0) + unknown;
		if (!batch.done) {
			this.#view(peerId, {
				received: row.received,
				refused: refusedTotal,
				unknown: unknownTotal,
				pulling: { received: pull.received, total: pull.total }
			});
			return;
		}
		this.#pulls.delete(peerId);
		this.#refresh();
		this.#view(peerId, {
			received: row.received,
			refused: refusedTotal,
			unknown: unknownTotal,
			lastSync: row.lastSync,
			pulling: null
		});
		if (pull.again) void this.pull(session);
		void this.collect();
	}

	/**
	 * The end of a full resync: rows here that the peer had seen and no longer holds were deleted there
	 * and their tombstones collected; delete them here too (not when a change was refused: its row would
	 * look missing).
	 */
	async #sweep(pull: Pull): Promise<void> {
		const peerId = pull.session.remoteId;
		if (pull.refusedAny || !pull.held) return;
		try {
			const peer = await getPeer(peerId);
			const applied = await sweepAfterFullResync(pull.held, peer.theyHave ?? '');
			if (applied.changed) {
				for (const hash of applied.tracks) this.#changedTracks.add(hash);
				for (const table of applied.tables) this.#changedTables.add(table);
				if (this.#sessions.size > 1) this.#poke(peerId);
			}
		} catch (error) {
			console.warn('mesh: sweeping after a full resync failed:', error);
		}
	}

	/** Streams this device's changes after `since` to a peer, in batches, at most WINDOW unacknowledged. */
	async #serve(session: Session, since: Hlc): Promise<void> {
		const peerId = session.remoteId;
		if (this.#serves.has(peerId)) {
			// A second hello while serving: the peer restarted its pull; the old stream is abandoned.
			const old = this.#serves.get(peerId)!;
			this.#serves.delete(peerId);
			old.wake?.();
		}
		const serve: Serve = { inFlight: 0, wake: null };
		this.#serves.set(peerId, serve);
		const active = () => this.#serves.get(peerId) === serve && !session.closed;
		try {
			// What it asks from is what it has stored of ours.
			await this.#acknowledged(session, since);
			const collected = await getCollected();
			// It missed tombstones collected here: everything we hold, so it can tell what was deleted.
			const full = needsFullResync(since, collected);
			if (full) since = '';
			const total = await countAfter(since);
			let sent = 0;
			let n = 0;
			this.#view(peerId, { serving: { sent: 0, total } });
			const send = async (changes: WireChange[], upTo: Hlc, done: boolean) => {
				while (serve.inFlight >= WINDOW && active()) await new Promise<void>((resolve) => (serve.wake = resolve));
				if (!active()) return;
				serve.inFlight++;
				// A full stream ends at least at the collected mark (the last change may have been collected).
				if (full && done) upTo = maxHlc(upTo, collected.seq);
				session.send({ type: 'sync-batch', n: ++n, changes, upTo, total, done, ...(full ? { full: true } : {}) });
				this.#lastSent.set(peerId, n);
				const acks = this.#sentUpTo.get(peerId) ?? this.#sentUpTo.set(peerId, new Map()).get(peerId)!;
				acks.set(n, upTo);
				sent += changes.length;
				this.#view(peerId, { serving: { sent, total } });
			};
			let cursor: [Hlc, string] | null = [since, '\uffff'];
			let batch: WireChange[] = [];
			let chars = 0;
			let upTo: Hlc = '';
			while (cursor && active()) {
				const page = await readPage(cursor, PAGE, full ? '' : peerId);
				for (const change of page.changes) {
					const size = JSON.stringify(change).length + 1;
					if (batch.length && (chars + size > MAX_BATCH_CHARS || batch.length >= MAX_BATCH_CHANGES)) {
						await send(batch, upTo, false);
						batch = [];
						chars = 0;
					}
					batch.push(change);
					chars += size;
				}
				if (page.last) upTo = page.last[0];
				cursor = page.more ? page.last : null;
			}
			if (!active()) return;
			await send(batch, upTo, true);
			const row = await updatePeer(peerId, (old) => ({ sent: old.sent + sent }));
			this.#view(peerId, { sent: row.sent, serving: null });
		} catch (error) {
			this.#view(peerId, { error: error instanceof Error ? error.message : String(error), serving: null });
		} finally {
			if (this.#serves.get(peerId) === serve) this.#serves.delete(peerId);
		}
	}
}
