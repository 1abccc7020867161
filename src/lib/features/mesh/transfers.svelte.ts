/**
 * Track transfer by content hash over an authenticated session: the receiver asks (`want`), the sender
 * answers with the validated metadata (`offer`), streams 64 KiB binary frames with backpressure on the
 * channel's bufferedAmount, then `sent`. The receiver hashes each frame (hash-wasm, streaming) and writes
 * them coalesced into 4 MiB writes chained behind the channel (receiving never waits on the disk); the
 * track joins the library only if SHA-256 matches. A transfer cut by a disconnect keeps its bytes and
 * hasher state and resumes from the same offset on the next connection to a device that has it.
 */
import { createSHA256 } from 'hash-wasm';
import { db, type TrackRow } from '$lib/db';
import { createAudioWriter, readAudio, type AudioWriter } from '$lib/storage/audio-store';
import { CHUNK_BYTES, trackMetaFromRow, trackRowFromMeta, type Message, type TrackMeta } from './protocol';
import type { Session } from './session';

export type TransferState = 'queued' | 'receiving' | 'paused' | 'verifying' | 'done' | 'failed';

export interface TransferView {
	hash: string;
	peerId: string;
	title: string;
	size: number;
	received: number;
	state: TransferState;
	reason: string;
	mbPerS: number;
}

type Hasher = Awaited<ReturnType<typeof createSHA256>>;

/** Watches one incoming transfer's bytes as they arrive (streaming playback). Bytes are unverified until
 * `end(true)`; `end(false, reason)` means nothing was kept. */
export interface TransferTap {
	offer(size: number, offset: number, meta: TrackMeta): void;
	bytes(chunk: Uint8Array): void;
	paused(): void;
	end(ok: boolean, reason: string): void;
}

interface Incoming {
	hash: string;
	peerId: string;
	size: number;
	received: number;
	meta: TrackMeta | null;
	writer: AudioWriter | null;
	hasher: Hasher | null;
	startedAt: number;
	startedBytes: number;
	/** received chunks not yet handed to the writer (coalesced into one write of up to FLUSH_BYTES) */
	pending: Uint8Array[];
	pendingBytes: number;
	/** the chain of writes in flight: frames keep arriving (and hashing) while the disk catches up */
	writing: Promise<void>;
	inFlight: number;
	writeError: string;
	/** when progress was last shown */
	shownAt: number;
}

/** Pause sending above this many queued bytes; resume when the channel drains below the low mark. */
export const HIGH_WATER = 4 * 1024 * 1024;
export const LOW_WATER = 1024 * 1024;
const READ_BYTES = 1024 * 1024;
/** Receiver: one storage write per this many bytes (a write per 64 KiB frame was the bottleneck). */
const FLUSH_BYTES = 4 * 1024 * 1024;
/** Receiver: wait for the disk when this many coalesced writes are queued (bounds memory). */
const MAX_IN_FLIGHT = 4;
const PROGRESS_MS = 100;
/** The first bytes of a track go out in small reads on a nearly empty channel, so a receiver that
 * streams gets its first frames in milliseconds instead of behind megabytes of queued data. */
const FIRST_READ_BYTES = 256 * 1024;
const FIRST_HIGH_WATER = 256 * 1024;
const MAX_TRACK_BYTES = 2 * 1024 ** 3;

/** Waits until the session's channel has room (polls: `bufferedamountlow` is not reliable through PeerJS). */
async function drain(session: Session): Promise<void> {
	let wait = 1;
	while (session.bufferedAmount() > LOW_WATER && !session.closed) {
		await new Promise((resolve) => setTimeout(resolve, wait));
		wait = Math.min(wait * 2, 8);
	}
}

/** Streams one track's bytes from `offset`; answers `none` when it is not held. */
export async function serveTrack(session: Session, hash: string, offset: number): Promise<void> {
	const [row, blob] = await Promise.all([db().tracks.get(hash), readAudio(hash)]);
	if (!row || !blob) return session.send({ type: 'none', hash, reason: 'not-found' });
	if (offset > blob.size) return session.send({ type: 'none', hash, reason: 'bad-offset' });
	session.send({ type: 'offer', hash, size: blob.size, offset, track: trackMetaFromRow(row) });
	// The next read is in flight while this one is sent.
	const read = (start: number, bytes: number) =>
		start < blob.size ? blob.slice(start, Math.min(blob.size, start + bytes)).arrayBuffer() : null;
	// The next read is in flight while this one is sent; the first one is small so the first frame leaves at once.
	let next = read(offset, FIRST_READ_BYTES);
	for (let start = offset, length = FIRST_READ_BYTES; next && !session.closed; start += length, length = READ_BYTES) {
		const buffer = await next;
		next = read(start + length, READ_BYTES);
		const high = start === offset ? FIRST_HIGH_WATER : HIGH_WATER;
		for (let at = 0; at < buffer.byteLength && !session.closed; at += CHUNK_BYTES) {
			if (session.bufferedAmount() > high) await drain(session);
			session.sendBinary(buffer.slice(at, Math.min(buffer.byteLength, at + CHUNK_BYTES)));
		}
	}
	session.send({ type: 'sent', hash });
}

export class Transfers {
	#views = $state<TransferView[]>([]);
	#incoming = new Map<string, Incoming>();
	/** hash of the transfer each peer is currently sending to us */
	#active = new Map<string, string>();
	#onStored: (hashes: string[]) => void;
	#taps = new Map<string, TransferTap>();

	constructor(onStored: (hashes: string[]) => void) {
		this.#onStored = onStored;
	}

	get list(): readonly TransferView[] {
		return this.#views;
	}

	#view(hash: string, patch: Partial<TransferView>): void {
		const index = this.#views.findIndex((view) => view.hash === hash);
		if (index === -1)
			this.#views = [
				...this.#views,
				{
					hash,
					peerId: '',
					title: hash.slice(0, 12),
					size: 0,
					received: 0,
					state: 'queued',
					reason: '',
					mbPerS: 0,
					...patch
				}
			];
		else this.#views = this.#views.map((view, i) => (i === index ? { ...view, ...patch } : view));
	}

	/** Watches a transfer's bytes from the next `offer` on (null stops watching). */
	tap(hash: string, tap: TransferTap | null): void {
		if (tap) this.#taps.set(hash, tap);
		else this.#taps.delete(hash);
	}

	/** Bytes of this track already received by a transfer in progress (a tap would miss them). */
	receivedOf(hash: string): number {
		return this.#incoming.get(hash)?.received ?? 0;
	}

	/** Asks a peer for a track (or resumes one we already hold part of). */
	request(session: Session, hash: string, title?: string): void {
		const existing = this.#incoming.get(hash);
		if (existing && this.#active.get(existing.peerId) === hash && existing.peerId !== session.remoteId) return;
		const transfer: Incoming = existing ?? {
			hash,
			peerId: session.remoteId,
			size: 0,
			received: 0,
			meta: null,
			writer: null,
			hasher: null,
			startedAt: 0,
			startedBytes: 0,
			pending: [],
			pendingBytes: 0,
			writing: Promise.resolve(),
			inFlight: 0,
			writeError: '',
			shownAt: 0
		};
		transfer.peerId = session.remoteId;
		this.#incoming.set(hash, transfer);
		this.#view(hash, { peerId: session.remoteId, state: 'queued', reason: '', ...(title ? { title } : {}) });
		session.send({ type: 'want', hash, offset: transfer.received });
	}

	/** Transfers that stopped when their peer went away, to resume when it (or another holder) is back. */
	paused(peerId?: string): string[] {
		return [...this.#incoming.values()]
			.filter((t) => (peerId === undefined || t.peerId === peerId) && this.#active.get(t.peerId) !== t.hash)
			.map((t) => t.hash);
	}

	/** Control messages about transfers: returns false when the message was not expected (counted as rejected). */
	async handle(session: Session, message: Message): Promise<boolean> {
		const peerId = session.remoteId;
		if (message.type === 'offer') {
			const transfer = this.#incoming.get(message.hash);
			if (!transfer || transfer.peerId !== peerId || this.#active.has(peerId)) return false;
			if (message.offset !== transfer.received || message.size > MAX_TRACK_BYTES) {
				this.#fail(transfer, 'bad-offer');
				return false;
			}
			if (transfer.size && transfer.size !== message.size) {
				this.#fail(transfer, 'size-changed');
				return false;
			}
			transfer.size = message.size;
			transfer.meta = message.track;
			transfer.writer ??= await createAudioWriter();
			if (!transfer.hasher) {
				transfer.hasher = await createSHA256();
				transfer.hasher.init();
			}
			transfer.startedAt = performance.now();
			transfer.startedBytes = transfer.received;
			this.#active.set(peerId, message.hash);
			this.#view(message.hash, {
				title: message.track.title || message.hash.slice(0, 12),
				size: message.size,
				received: transfer.received,
				state: 'receiving'
			});
			this.#taps.get(message.hash)?.offer(message.size, message.offset, message.track);
			return true;
		}
		if (message.type === 'sent') {
			const transfer = this.#incoming.get(message.hash);
			if (!transfer || this.#active.get(peerId) !== message.hash) return false;
			this.#active.delete(peerId);
			await this.#finish(transfer);
			return true;
		}
		if (message.type === 'none') {
			const transfer = this.#incoming.get(message.hash);
			if (!transfer || transfer.peerId !== peerId) return false;
			this.#fail(transfer, message.reason);
			return true;
		}
		return false;
	}

	/** A binary frame from a peer: bytes of the transfer it is sending us, or rejected. */
	async binary(session: Session, frame: ArrayBuffer): Promise<boolean> {
		const hash = this.#active.get(session.remoteId);
		const transfer = hash ? this.#incoming.get(hash) : undefined;
		if (!transfer?.writer || !transfer.hasher) return false;
		if (transfer.received + frame.byteLength > transfer.size) {
			this.#active.delete(session.remoteId);
			this.#fail(transfer, 'too-many-bytes');
			return false;
		}
		const bytes = new Uint8Array(frame);
		transfer.hasher.update(bytes);
		this.#taps.get(transfer.hash)?.bytes(bytes);
		transfer.pending.push(bytes);
		transfer.pendingBytes += bytes.byteLength;
		if (transfer.pendingBytes >= FLUSH_BYTES) this.#flush(transfer);
		if (transfer.inFlight >= MAX_IN_FLIGHT) await transfer.writing;
		transfer.received += frame.byteLength;
		// Progress at most every 100 ms: every UI update costs the CPU the channel needs.
		const now = performance.now();
		if (now - transfer.shownAt >= PROGRESS_MS || transfer.received === transfer.size) {
			transfer.shownAt = now;
			const seconds = (now - transfer.startedAt) / 1000;
			this.#view(transfer.hash, {
				received: transfer.received,
				mbPerS: seconds > 0 ? Math.round(((transfer.received - transfer.startedBytes) / 1e6 / seconds) * 10) / 10 : 0
			});
		}
		return true;
	}

	/** The peer went away mid-transfer: keep what arrived so far, to resume. */
	disconnected(peerId: string): void {
		const hash = this.#active.get(peerId);
		this.#active.delete(peerId);
		const cut = hash ? this.#incoming.get(hash) : undefined;
		if (cut) this.#flush(cut);
		for (const transfer of this.#incoming.values())
			if (
				transfer.peerId === peerId &&
				(transfer.hash === hash || transfer.received < transfer.size || !transfer.size)
			) {
				this.#view(transfer.hash, { state: 'paused', received: transfer.received });
				this.#taps.get(transfer.hash)?.paused();
			}
	}

	/** Hands the coalesced chunks to the writer as one write, chained after the ones in flight. */
	#flush(transfer: Incoming): void {
		const { writer, pending, pendingBytes } = transfer;
		if (!writer || pendingBytes === 0) return;
		const joined = pending.length === 1 ? pending[0]! : new Uint8Array(pendingBytes);
		if (pending.length > 1) {
			let at = 0;
			for (const chunk of pending) {
				joined.set(chunk, at);
				at += chunk.byteLength;
			}
		}
		transfer.pending = [];
		transfer.pendingBytes = 0;
		transfer.inFlight++;
		transfer.writing = transfer.writing
			.then(() => (transfer.writeError ? undefined : writer.write(joined)))
			.catch((error: unknown) => {
				transfer.writeError = error instanceof Error ? error.message : String(error);
			})
			.finally(() => {
				transfer.inFlight--;
			});
	}

	async #finish(transfer: Incoming): Promise<void> {
		const { hash, writer, hasher, meta, size } = transfer;
		if (!writer || !hasher || !meta) return this.#fail(transfer, 'incomplete');
		this.#view(hash, { state: 'verifying', received: transfer.received });
		this.#flush(transfer);
		await transfer.writing;
		if (transfer.writeError) return this.#fail(transfer, 'write-failed');
		if (transfer.received !== size) return this.#fail(transfer, 'incomplete');
		const digest = hasher.digest('hex');
		if (digest !== hash) return this.#fail(transfer, 'hash-mismatch');
		await writer.commit(hash);
		const row: TrackRow = { ...trackRowFromMeta(hash, size, meta), storage: writer.kind };
		await db().transaction('rw', db().tracks, async () => {
			const existing = await db().tracks.get(hash);
			if (existing) await db().tracks.update(hash, { storage: writer.kind });
			else await db().tracks.add(row);
		});
		this.#incoming.delete(hash);
		this.#view(hash, { state: 'done', received: size });
		this.#onStored([hash]);
		this.#taps.get(hash)?.end(true, '');
	}

	#fail(transfer: Incoming, reason: string): void {
		transfer.pending = [];
		transfer.pendingBytes = 0;
		void transfer.writing.then(() => transfer.writer?.abort());
		this.#incoming.delete(transfer.hash);
		this.#view(transfer.hash, { state: 'failed', reason });
		this.#taps.get(transfer.hash)?.end(false, reason);
	}
}
