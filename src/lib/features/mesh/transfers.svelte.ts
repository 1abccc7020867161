/**
 * Track transfer by content hash over authenticated sessions. The receiver asks (`want`, a byte range), the
 * sender answers with the validated metadata (`offer`), streams binary frames with backpressure on the
 * channel's bufferedAmount, then `sent`. When several devices have the track, the file is split into ranges
 * and each device sends different ones (a device asks for its next range while it sends the current one);
 * a device that goes away, answers `none` or breaks the protocol is dropped and its ranges go to the others.
 * Frames move to the transfer worker, which writes each where it belongs and runs one SHA-256 over the whole
 * file in order; the track joins the library only if it matches. On a mismatch with several senders, each
 * sender's ranges are fetched again from another device: the one whose bytes differed and whose
 * replacement makes the hash match is dropped as a bad sender. A transfer cut by a disconnect keeps its
 * bytes and hash state and resumes (the missing ranges) when a device that has it is back.
 */
import { db, type TrackRow } from '$lib/db';
import { readStoredAudio } from '$lib/storage/audio-store';
import {
	forgetFrames,
	framesBelow,
	framesPending,
	openStoredReader,
	replaceFrame,
	settleFrames,
	transferWorker,
	writeFrame
} from '$lib/workers/transfer-client';
import {
	CHUNK_BYTES,
	FIRST_CHUNK_BYTES,
	trackMetaFromRow,
	trackRowFromMeta,
	type Message,
	type TrackMeta
} from './protocol';
import type { Session } from './session';

export type TransferState = 'queued' | 'receiving' | 'paused' | 'verifying' | 'checking' | 'done' | 'failed';
/** One device's part in a transfer: asked, sending, between ranges, finished, went away, refused
 * (`none`), or dropped for sending bad data. */
export type SourceState = 'asking' | 'sending' | 'idle' | 'gone' | 'none' | 'dropped';

export interface SourceView {
	peerId: string;
	bytes: number;
	state: SourceState;
	reason: string;
}

export interface TransferView {
	hash: string;
	/** The device sending now (the first of several). */
	peerId: string;
	title: string;
	size: number;
	received: number;
	state: TransferState;
	reason: string;
	mbPerS: number;
	/** Every device asked for this transfer, with the bytes it sent. */
	sources: SourceView[];
}

/** Watches one incoming transfer's bytes as they arrive (streaming playback). Bytes are unverified until
 * `end(true)`; `end(false, reason)` means nothing was kept. A watched transfer has one sender at a time
 * (the bytes must arrive in order). */
export interface TransferTap {
	offer(size: number, offset: number, meta: TrackMeta): void;
	bytes(chunk: Uint8Array): void;
	paused(): void;
	end(ok: boolean, reason: string): void;
}

interface Span {
	start: number;
	end: number;
}

/** A range asked of one device. `end` is Infinity until the first offer gives the size (one sender). */
interface Part {
	hash: string;
	start: number;
	end: number;
	/** next byte expected */
	at: number;
	offered: boolean;
	/** fetched again after a hash mismatch: compared with the bytes held, not counted as progress */
	check: boolean;
	/** its sender was dropped: its frames are consumed and thrown away */
	discard: boolean;
	/** a raw read for someone else (a store player's download): the bytes go there, not to the library */
	sink?: PartSink;
}

/** Where a raw read's bytes go (`Transfers.read`): unverified, in order, from one device. */
export interface PartSink {
	offer(size: number, offset: number): void;
	/** May return a promise to slow the channel down (the reader is behind). */
	bytes(chunk: Uint8Array): void | Promise<void>;
	/** `ok`: every byte up to the end was delivered. */
	end(ok: boolean, reason: string): void;
}

interface Source {
	peerId: string;
	bytes: number;
	state: SourceState;
	reason: string;
	/** ranges of the file this device's bytes are in */
	delivered: Span[];
}

interface Incoming {
	hash: string;
	title: string;
	size: number;
	meta: TrackMeta | null;
	file: Promise<number> | null;
	received: number;
	/** ranges nobody has been asked for yet */
	missing: Span[];
	sources: Map<string, Source>;
	/** several senders (ranges) or one (the whole rest, in order) */
	multi: boolean;
	startedAt: number;
	startedBytes: number;
	shownAt: number;
	/** repair writes (`replaceFrame`) in flight, and the last one (they complete in order); received
	 * frames go through the frame port (`writeFrame`, `settleFrames`) */
	inFlight: number;
	writing: Promise<unknown>;
	writeError: string;
	repair: { suspect: string; differed: boolean; tried: Set<string> } | null;
	finishing: boolean;
}

/** Pause sending above this many queued bytes; resume when the channel drains below the low mark. */
export const HIGH_WATER = 4 * 1024 * 1024;
export const LOW_WATER = 1024 * 1024;
/** The sender reads the file in slices this big (each read of a stored file is a round trip to the
 * browser's storage; fewer, larger ones cost less), two ahead of the one being sent. */
const READ_BYTES = 4 * 1024 * 1024;
/** Sent read buffers kept for the next reads: the two reads ahead of the next range, and one more. */
const SPARE_BUFFERS = 3;
/** With several senders: the size of the ranges handed out, and how many each device has asked for ahead. */
export const RANGE_BYTES = 8 * 1024 * 1024;
const PIPELINE = 2;
/** Receiver: wait for the worker when this many frames are on their way to it (bounds memory). */
const MAX_IN_FLIGHT = 32;
const PROGRESS_MS = 250;
/** The first bytes of a track go out in small reads on a nearly empty channel, so a receiver that
 * streams gets its first frames in milliseconds instead of behind megabytes of queued data. */
const FIRST_READ_BYTES = 256 * 1024;
const FIRST_HIGH_WATER = 256 * 1024;
const MAX_TRACK_BYTES = 2 * 1024 ** 3;

/** Waits until the session's channel has room: on its `bufferedamountlow` event where the wire has one,
 * else by polling. */
async function drain(session: Session): Promise<void> {
	let wait = 1;
	while (session.bufferedAmount() > LOW_WATER && !session.closed) {
		const below = session.whenBelow(LOW_WATER);
		if (below) await below;
		// No event (or a channel that closed under a session still open): poll, without spinning.
		if (session.bufferedAmount() > LOW_WATER && !session.closed) {
			await new Promise((resolve) => setTimeout(resolve, wait));
			wait = Math.min(wait * 2, 8);
		}
	}
}

/** What a device can send: a library track, or (a store player) a scheduled file with its title. */
export interface Servable {
	blob: Blob;
	meta: TrackMeta;
	/** `blob` is the OPFS file `audio/<hash>`: the transfer worker can read it instead (cheaper). */
	stored?: boolean;
}

/** The bytes and metadata of a held track. */
export async function servableTrack(hash: string): Promise<Servable | null> {
	const [row, held] = await Promise.all([db().tracks.get(hash), readStoredAudio(hash)]);
	return row && held ? { blob: held.blob, meta: trackMetaFromRow(row), stored: held.opfs } : null;
}

/** Streams one track's bytes from `offset` to `end` (default: the end); answers `none` when not held. */
export function serveTrack(
	session: Session,
	hash: string,
	offset: number,
	end?: number,
	find: (hash: string) => Promise<Servable | null> = servableTrack
): Promise<void> {
	return prepareServe(session, hash, offset, end, find).send();
}

/** A `want` being answered: `send()` puts its answer and bytes on the wire (one serve at a time per device). */
export interface PreparedServe {
	send(): Promise<void>;
}

type StoredReader = NonNullable<Awaited<ReturnType<typeof openStoredReader>>>;

/** A held track open for sending: looked up once, its stored file open in the transfer worker. */
interface OpenTrack {
	found: Promise<Servable | null>;
	reader: Promise<StoredReader | null> | null;
	/** The stored file is open in the worker. */
	open: boolean;
	users: number;
	/** Sent read buffers, read into again by the next slices of any range of this track. */
	spare: ArrayBuffer[];
}

/**
 * The tracks a device is sending to one peer. A transfer asks for a track in 8 MiB ranges, two ahead:
 * each range's answer is prepared while the one before is sent, so they share one lookup and one open
 * file (closed when the last of them is done) instead of a database lookup, a file open and a `Blob`
 * read per range.
 */
export class ServeSources {
	#open = new Map<string, OpenTrack>();

	/** The track `hash` (looked up with `find` unless open already); `release()` when done with it. */
	acquire(hash: string, find: (hash: string) => Promise<Servable | null>) {
		let track = this.#open.get(hash);
		if (!track) {
			track = { found: find(hash), reader: null, open: false, users: 0, spare: [] };
			this.#open.set(hash, track);
		}
		const held = track;
		// Later answers are sent after this one: the file is open by their turn.
		const first = held.users++ === 0;
		let released = false;
		return {
			found: held.found,
			/** The stored file opened in the transfer worker (once), or null: read the `Blob`. */
			reader(found: Servable): Promise<StoredReader | null> {
				held.reader ??= found.stored
					? openStoredReader(hash, found.blob.size).then(
							(reader) => ((held.open = reader !== null), reader),
							() => null
						)
					: Promise.resolve(null);
				return held.reader;
			},
			spare: held.spare,
			/** Read the first slice from the `Blob`: the first answer, the file not open yet. */
			blobFirst: () => first && !held.open,
			release: () => {
				if (released) return;
				released = true;
				if (--held.users > 0) return;
				if (this.#open.get(hash) === held) this.#open.delete(hash);
				void held.reader?.then((reader) => reader?.close());
			}
		};
	}
}

/**
 * Starts answering a `want` at once: looks the track up, opens its stored file in the transfer worker and
 * reads its first slices, while the device may still be sending an earlier range (it serves one at a time,
 * in order). By the time `send()` runs, the bytes are there: no gap on the channel between ranges (a
 * transfer from one device asks for 8 MiB ranges, two ahead). Nothing goes on the wire before `send()`.
 * `sources` shares the lookup and the open file with the other answers to the same peer.
 */
export function prepareServe(
	session: Session,
	hash: string,
	offset: number,
	end?: number,
	find: (hash: string) => Promise<Servable | null> = servableTrack,
	sources: ServeSources = new ServeSources()
): PreparedServe {
	// Wants queued before the peer went away: nothing to look up or read.
	if (session.closed) return { send: async () => undefined };
	const track = sources.acquire(hash, find);
	const prepared = track.found.then((found) => {
		if (!found) return { none: 'not-found' } as const;
		const { blob } = found;
		const stop = end ?? blob.size;
		if (offset > stop || stop > blob.size) return { none: 'bad-offset' } as const;
		// A stored file is read in the transfer worker (plain file reads, moved here without a copy); a
		// `Blob` read goes through the browser process and lands on this thread: about twice the CPU on disk.
		// The first answer reads its first slice from the `Blob` while the worker opens the file, so the
		// first frame (a stream's first audio) does not wait for the worker to start.
		const opening = track.reader(found);
		const blobSlice = async (start: number, length: number) =>
			new Uint8Array(await blob.slice(start, start + length).arrayBuffer());
		const slices = new SliceReader(offset, stop, track.spare, async (start, length, into) => {
			if (start === offset && track.blobFirst()) return blobSlice(start, length);
			const reader = await opening;
			return reader ? reader.read(start, length, into) : blobSlice(start, length);
		});
		return { found, slices };
	});
	// Failures surface in `send()`; until then they are not "unhandled".
	prepared.catch(() => undefined);
	return {
		async send() {
			try {
				const ready = await prepared;
				if (ready.none !== undefined) return session.send({ type: 'none', hash, reason: ready.none });
				const { found, slices } = ready;
				session.send({
					type: 'offer',
					hash,
					size: found.blob.size,
					offset,
					...(end !== undefined ? { end } : {}),
					track: found.meta
				});
				try {
					await sendRange(session, offset, slices);
				} finally {
					slices.cancel();
				}
				session.send({ type: 'sent', hash });
			} finally {
				track.release();
			}
		}
	};
}

/**
 * A device's answers to one peer: sent one at a time, in order, and the next `ahead` of them prepared
 * (looked up, first slices read) while the current one is sent — no more, so a peer that sends many wants
 * at once does not make this device read ahead megabytes for each of them.
 */
export class ServeQueue {
	/** The tracks being sent, shared by consecutive answers. */
	readonly sources = new ServeSources();
	#waiting: { prepare: () => PreparedServe; prepared: PreparedServe | null; failed: () => void }[] = [];
	#running = false;
	readonly #ahead: number;

	constructor(ahead = 1) {
		this.#ahead = ahead;
	}

	/** Queues an answer; `failed` runs when preparing or sending it throws (say so to the peer). */
	push(prepare: () => PreparedServe, failed: () => void): void {
		this.#waiting.push({ prepare, prepared: null, failed });
		if (this.#running) this.#prepareAhead();
		else void this.#run();
	}

	#prepareAhead(): void {
		for (const item of this.#waiting.slice(0, this.#ahead)) item.prepared ??= item.prepare();
	}

	async #run(): Promise<void> {
		this.#running = true;
		for (let item = this.#waiting.shift(); item; item = this.#waiting.shift()) {
			try {
				const serve = item.prepared ?? item.prepare();
				this.#prepareAhead();
				await serve.send();
			} catch {
				item.failed();
			}
		}
		this.#running = false;
	}
}

/** Reads [offset, stop) in slices (a small first one, then `READ_BYTES`), keeping two reads ahead of the
 * slice being sent, so the channel does not wait for storage. A slice that is sent is handed back
 * (`recycle`) to `spare`, shared by the ranges of one track, and read into again: a fresh 4 MiB buffer
 * costs a thousand page faults (~8 ms on the bench machine). */
class SliceReader {
	#next: number;
	#queue: { start: number; bytes: Promise<Uint8Array<ArrayBuffer>> }[] = [];
	#stop: number;
	#read: (start: number, length: number, into?: ArrayBuffer) => Promise<Uint8Array<ArrayBuffer>>;
	#spare: ArrayBuffer[];

	constructor(
		offset: number,
		stop: number,
		spare: ArrayBuffer[],
		read: (start: number, length: number, into?: ArrayBuffer) => Promise<Uint8Array<ArrayBuffer>>
	) {
		this.#next = offset;
		this.#stop = stop;
		this.#spare = spare;
		this.#read = read;
		this.#push(FIRST_READ_BYTES);
		this.#fill();
	}

	#push(length: number): void {
		if (this.#next >= this.#stop) return;
		const start = this.#next;
		const bytes = this.#read(start, Math.min(length, this.#stop - start), this.#spare.pop());
		// Read ahead: a failure surfaces when the slice is taken (or never, after `cancel`).
		bytes.catch(() => undefined);
		this.#queue.push({ start, bytes });
		this.#next = Math.min(this.#stop, start + length);
	}

	#fill(): void {
		while (this.#queue.length < 2 && this.#next < this.#stop) this.#push(READ_BYTES);
	}

	/** The next slice and where it starts; null after the last. */
	async take(): Promise<{ start: number; bytes: Uint8Array<ArrayBuffer> } | null> {
		const head = this.#queue.shift();
		if (!head) return null;
		this.#fill();
		return { start: head.start, bytes: await head.bytes };
	}

	/** A slice that is on the wire (a channel's `send` copies it): its buffer can be read into again. */
	recycle(bytes: Uint8Array<ArrayBuffer>): void {
		if (bytes.buffer.byteLength === READ_BYTES && this.#spare.length < SPARE_BUFFERS) this.#spare.push(bytes.buffer);
	}

	/** Stops reading ahead (the session closed, or the range is sent). */
	cancel(): void {
		this.#queue = [];
		this.#next = this.#stop;
	}
}

/** Sends the slices of [offset, …) as binary frames with backpressure on the channel's buffer. */
async function sendRange(session: Session, offset: number, slices: SliceReader): Promise<void> {
	// The largest frame the receiver takes (64 KiB when its stack does not say).
	const limit = session.maxMessageSize();
	const bulk = limit >= FIRST_CHUNK_BYTES ? Math.min(CHUNK_BYTES, limit) : FIRST_CHUNK_BYTES;
	// On an idle channel the first slice goes in small frames with a low mark, so its first frame leaves at
	// once (a stream's first audio waits for it). Behind bytes already queued (the next range of a
	// transfer) that would only keep the channel short of data.
	const idle = session.bufferedAmount() <= FIRST_HIGH_WATER;
	for (let slice = await slices.take(); slice && !session.closed; slice = await slices.take()) {
		const { start, bytes } = slice;
		const first = idle && start === offset;
		const high = first ? FIRST_HIGH_WATER : HIGH_WATER;
		const chunk = first ? FIRST_CHUNK_BYTES : bulk;
		for (let at = 0; at < bytes.byteLength && !session.closed; at += chunk) {
			if (session.bufferedAmount() > high) await drain(session);
			session.sendBinary(bytes.subarray(at, Math.min(at + chunk, bytes.byteLength)));
		}
		// Only when the channel has taken every frame: one held back in a queue still points into the buffer.
		if (session.sentAll()) slices.recycle(bytes);
	}
}

/** Removes [start, end) from sorted spans. */
function subtract(spans: Span[], start: number, end: number): Span[] {
	return spans.flatMap((span) =>
		span.end <= start || span.start >= end
			? [span]
			: [
					...(span.start < start ? [{ start: span.start, end: start }] : []),
					...(span.end > end ? [{ start: end, end: span.end }] : [])
				]
	);
}

/** Adds [start, end) to sorted spans, merging neighbours. */
function add(spans: Span[], start: number, end: number): Span[] {
	if (end <= start) return spans;
	const out: Span[] = [];
	let merged = { start, end };
	for (const span of spans) {
		if (span.end < merged.start) out.push(span);
		else if (span.start > merged.end) out.push(span);
		else merged = { start: Math.min(span.start, merged.start), end: Math.max(span.end, merged.end) };
	}
	out.push(merged);
	return out.sort((a, b) => a.start - b.start);
}

export interface TransfersHooks {
	/** A verified track joined the library. */
	stored(hashes: string[]): void;
	/** The ready sessions of own devices that may hold tracks (asked when a transfer needs another sender). */
	holders(): Session[];
	/** The ready session with a device (own or collaborator), if any. */
	session(peerId: string): Session | undefined;
	/** A device was dropped from a transfer for sending bad data (counted and shown like a refused frame). */
	dropped(peerId: string, reason: string): void;
}

export class Transfers {
	#views = $state<TransferView[]>([]);
	#incoming = new Map<string, Incoming>();
	/** what each device has been asked for, in the order it answers */
	#parts = new Map<string, Part[]>();
	#hooks: TransfersHooks;
	#taps = new Map<string, TransferTap>();

	constructor(hooks: TransfersHooks) {
		this.#hooks = hooks;
	}

	get list(): readonly TransferView[] {
		return this.#views;
	}

	#show(transfer: Incoming, patch: Partial<TransferView> = {}): void {
		const sources = [...transfer.sources.values()].map(({ peerId, bytes, state, reason }) => ({
			peerId,
			bytes,
			state,
			reason
		}));
		const sending = sources.find((s) => s.state === 'sending') ?? sources.find((s) => s.state === 'asking');
		const view: TransferView = {
			hash: transfer.hash,
			peerId: sending?.peerId ?? sources.at(-1)?.peerId ?? '',
			title: transfer.title,
			size: transfer.size,
			received: transfer.received,
			state: 'queued',
			reason: '',
			mbPerS: 0,
			sources
		};
		const index = this.#views.findIndex((v) => v.hash === transfer.hash);
		if (index === -1) this.#views = [...this.#views, { ...view, ...patch }];
		else {
			const { state, reason, mbPerS } = this.#views[index]!;
			const next = { ...view, state, reason, mbPerS, ...patch };
			this.#views = this.#views.map((v, i) => (i === index ? next : v));
		}
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

	/**
	 * Asks devices for a track (or resumes one already partly here). With its size known and more than one
	 * device, each sends different ranges; otherwise (or when `single`, for a watched stream) one device
	 * sends the rest in order and the next is asked if it cannot.
	 */
	request(
		sessions: Session | Session[],
		hash: string,
		options: { title?: string; size?: number; single?: boolean } = {}
	): void {
		const list = (Array.isArray(sessions) ? sessions : [sessions]).filter((s) => s.ready && !s.closed);
		if (list.length === 0) return;
		// The receiving worker starts loading now, while the request goes out and the offer comes back.
		transferWorker();
		let transfer = this.#incoming.get(hash);
		if (!transfer) {
			const size = options.size && options.size > 0 && options.size <= MAX_TRACK_BYTES ? options.size : 0;
			transfer = {
				hash,
				title: options.title || hash.slice(0, 12),
				size,
				meta: null,
				file: null,
				received: 0,
				missing: [{ start: 0, end: size || Infinity }],
				sources: new Map(),
				multi: !options.single && size > 0 && !this.#taps.has(hash),
				startedAt: performance.now(),
				startedBytes: 0,
				shownAt: 0,
				inFlight: 0,
				writing: Promise.resolve(),
				writeError: '',
				repair: null,
				finishing: false
			};
			this.#incoming.set(hash, transfer);
			this.#openFile(transfer);
		} else if (options.title) transfer.title = options.title;
		const senders = transfer.multi ? list : list.slice(0, 1);
		for (const session of senders) {
			const source = transfer.sources.get(session.remoteId);
			if (source && (source.state === 'dropped' || this.#busy(source))) continue;
			transfer.sources.set(session.remoteId, {
				peerId: session.remoteId,
				bytes: source?.bytes ?? 0,
				state: 'idle',
				reason: '',
				delivered: source?.delivered ?? []
			});
		}
		this.#show(transfer, { state: transfer.received ? 'receiving' : 'queued', reason: '' });
		this.#dispatch(transfer);
	}

	/**
	 * Reads a held file's bytes from `offset` from one device, straight to `sink` (a store player's download:
	 * the download worker verifies and stores them). Not a library transfer: nothing is written here.
	 */
	read(session: Session, hash: string, offset: number, sink: PartSink): void {
		const queue = this.#parts.get(session.remoteId) ?? [];
		this.#parts.set(session.remoteId, queue);
		queue.push({ hash, start: offset, end: Infinity, at: offset, offered: false, check: false, discard: false, sink });
		session.send({ type: 'want', hash, offset });
	}

	/** Stops a raw read: its remaining frames are thrown away. */
	cancelRead(sink: PartSink): void {
		for (const queue of this.#parts.values()) for (const part of queue) if (part.sink === sink) part.discard = true;
	}

	/** Raw reads: control messages and frames go to the sink. */
	async #sinkMessage(queue: Part[], part: Part & { sink: PartSink }, message: Message): Promise<boolean> {
		if (message.type === 'offer') {
			if (part.offered) return false;
			part.offered = true;
			if (message.offset !== part.start || (message.end !== undefined && message.end !== message.size)) {
				part.discard = true;
				part.sink.end(false, 'bad-offer');
				return false;
			}
			part.end = message.size;
			if (!part.discard) part.sink.offer(message.size, message.offset);
			return true;
		}
		if (message.type === 'sent') {
			if (!part.offered) return false;
			queue.shift();
			if (!part.discard) part.sink.end(part.at === part.end, part.at === part.end ? '' : 'incomplete');
			return true;
		}
		if (message.type !== 'none' || part.offered) return false;
		queue.shift();
		if (!part.discard) part.sink.end(false, message.reason);
		return true;
	}

	#busy(source: Source): boolean {
		return source.state === 'asking' || source.state === 'sending' || source.state === 'idle';
	}

	/** Transfers with bytes still missing and no device sending them (optionally: that `peerId` was sending). */
	paused(peerId?: string): string[] {
		return [...this.#incoming.values()]
			.filter(
				(t) =>
					!t.finishing &&
					![...t.sources.values()].some((s) => this.#busy(s)) &&
					(peerId === undefined || t.sources.has(peerId))
			)
			.map((t) => t.hash);
	}

	/** Hands missing ranges to the transfer's devices, up to PIPELINE asked ahead per device. */
	#dispatch(transfer: Incoming): void {
		if (transfer.finishing) return;
		for (const source of transfer.sources.values()) {
			if (!this.#busy(source) || transfer.repair?.suspect === source.peerId) continue;
			const session = this.#hooks.session(source.peerId);
			if (!session) continue;
			const queue = this.#parts.get(source.peerId) ?? [];
			this.#parts.set(source.peerId, queue);
			while (transfer.missing.length && queue.filter((p) => p.hash === transfer.hash && !p.discard).length < PIPELINE) {
				const span = transfer.missing[0]!;
				const end = transfer.multi ? Math.min(span.end, span.start + RANGE_BYTES) : span.end;
				transfer.missing = subtract(transfer.missing, span.start, end);
				const part: Part = {
					hash: transfer.hash,
					start: span.start,
					end,
					at: span.start,
					offered: false,
					check: !!transfer.repair,
					discard: false
				};
				queue.push(part);
				if (source.state === 'idle') source.state = 'asking';
				session.send({
					type: 'want',
					hash: transfer.hash,
					offset: part.start,
					...(Number.isFinite(end) && (transfer.multi || end !== transfer.size) ? { end } : {})
				});
				if (!transfer.multi) break;
			}
		}
		this.#show(transfer);
		this.#maybeFinish(transfer);
	}

	/** Control messages about transfers: returns false when the message was not expected (counted as rejected). */
	async handle(session: Session, message: Message): Promise<boolean> {
		const peerId = session.remoteId;
		if (message.type !== 'offer' && message.type !== 'sent' && message.type !== 'none') return false;
		const queue = this.#parts.get(peerId) ?? [];
		const part = queue[0];
		if (!part || part.hash !== message.hash) return false;
		if (part.sink) return this.#sinkMessage(queue, part as Part & { sink: PartSink }, message);
		const transfer = this.#incoming.get(message.hash);
		const source = transfer?.sources.get(peerId);
		if (message.type === 'offer') {
			if (part.offered) return false;
			part.offered = true;
			if (part.discard || !transfer || !source) return true;
			const end = message.end ?? message.size;
			const sizeChanged = transfer.size > 0 && message.size !== transfer.size;
			if (message.offset !== part.start || message.size > MAX_TRACK_BYTES || sizeChanged) {
				this.#drop(transfer, source, sizeChanged ? 'size-changed' : 'bad-offer');
				return false;
			}
			if (!transfer.size) {
				transfer.size = message.size;
				transfer.missing = transfer.missing
					.map((s) => ({ start: s.start, end: Math.min(s.end, message.size) }))
					.filter((s) => s.end > s.start);
				for (const p of this.#allParts(transfer.hash)) if (!Number.isFinite(p.end)) p.end = message.size;
			}
			if (end !== part.end) {
				this.#drop(transfer, source, 'bad-offer');
				return false;
			}
			transfer.meta ??= message.track;
			if (transfer.title === transfer.hash.slice(0, 12)) transfer.title = message.track.title || transfer.title;
			// Not awaited: frames reach a watching stream at once and wait for the file only to be written.
			this.#openFile(transfer);
			source.state = 'sending';
			transfer.startedAt = performance.now();
			transfer.startedBytes = transfer.received;
			this.#show(transfer, { state: transfer.repair ? 'checking' : 'receiving' });
			if (!transfer.multi) this.#taps.get(message.hash)?.offer(message.size, message.offset, message.track);
			return true;
		}
		if (message.type === 'sent') {
			if (!part.offered) return false;
			queue.shift();
			if (part.discard || !transfer || !source) return true;
			if (part.at !== part.end) {
				this.#drop(transfer, source, 'incomplete');
				return false;
			}
			this.#delivered(transfer, source, part);
			if (!queue.some((p) => p.hash === transfer.hash)) source.state = 'idle';
			this.#dispatch(transfer);
			return true;
		}
		// none: this device cannot send it (any more).
		if (part.offered) return false;
		queue.shift();
		if (part.discard || !transfer || !source) return true;
		transfer.missing = add(transfer.missing, part.at, part.end);
		this.#retire(transfer, source, 'none', message.reason);
		return true;
	}

	*#allParts(hash: string): Generator<Part> {
		for (const queue of this.#parts.values())
			for (const part of queue) if (part.hash === hash && !part.sink) yield part;
	}

	/** The temp file the bytes are written to, once the size is known: at the request when the catalog
	 * gave it (the worker opens it while the request goes out), else at the first offer. */
	#openFile(transfer: Incoming): void {
		if (transfer.file || !transfer.size) return;
		const file = transferWorker().open(transfer.size);
		transfer.file = file;
		file.catch(() => {
			if (this.#incoming.get(transfer.hash) === transfer) this.#fail(transfer, 'write-failed');
		});
	}

	/** A binary frame from a peer: bytes of the range it is sending us, or rejected. */
	async binary(session: Session, frame: ArrayBuffer): Promise<boolean> {
		// Frames queued before the connection closed: their ranges were already handed to other devices.
		if (session.closed) return true;
		const part = this.#parts.get(session.remoteId)?.[0];
		if (!part?.offered) return false;
		if (part.sink) {
			if (part.at + frame.byteLength > part.end) {
				if (!part.discard) part.sink.end(false, 'too-many-bytes');
				part.discard = true;
				return false;
			}
			part.at += frame.byteLength;
			if (!part.discard) await part.sink.bytes(new Uint8Array(frame));
			return true;
		}
		const transfer = this.#incoming.get(part.hash);
		const source = transfer?.sources.get(session.remoteId);
		const length = frame.byteLength;
		if (part.discard || !transfer || !source) {
			part.at += length;
			return true;
		}
		if (!transfer.file) return false;
		if (part.at + length > part.end) {
			this.#drop(transfer, source, 'too-many-bytes');
			return false;
		}
		const bytes = new Uint8Array(frame);
		const at = part.at;
		part.at += length;
		source.bytes += length;
		// A watching stream gets the bytes before they wait for the worker's file (a copy: the worker takes
		// the frame's buffer).
		const tap = part.check || transfer.multi ? undefined : this.#taps.get(transfer.hash);
		if (tap) tap.bytes(bytes.slice());
		const file = await transfer.file.catch(() => null);
		if (file === null || part.discard) return true;
		if (part.check) {
			const check = transfer.repair;
			this.#track(
				transfer,
				replaceFrame(file, at, bytes).then((differed) => {
					if (differed && check) check.differed = true;
				})
			);
			if (transfer.inFlight >= MAX_IN_FLIGHT) await transfer.writing;
		} else {
			transfer.received += length;
			writeFrame(file, at, bytes);
			if (framesPending(file) >= MAX_IN_FLIGHT) await framesBelow(file, MAX_IN_FLIGHT / 2);
		}
		// Progress a few times a second: every UI update costs the CPU the channel needs.
		const now = performance.now();
		if (now - transfer.shownAt >= PROGRESS_MS || transfer.received === transfer.size) {
			transfer.shownAt = now;
			const seconds = (now - transfer.startedAt) / 1000;
			this.#show(transfer, {
				mbPerS: seconds > 0 ? Math.round(((transfer.received - transfer.startedBytes) / 1e6 / seconds) * 10) / 10 : 0
			});
		}
		return true;
	}

	#track(transfer: Incoming, write: Promise<unknown>): void {
		transfer.inFlight++;
		transfer.writing = write
			.catch((error: unknown) => {
				transfer.writeError ||= error instanceof Error ? error.message : String(error);
			})
			.finally(() => {
				transfer.inFlight--;
			});
	}

	/** Records which device's bytes a range holds (a part fetched again during a repair now belongs to the
	 * device that sent it again, so a later suspect's check covers it too). */
	#delivered(transfer: Incoming, source: Source, part: Part): void {
		if (part.at <= part.start) return;
		source.delivered = add(source.delivered, part.start, part.at);
		if (part.check)
			for (const other of transfer.sources.values())
				if (other !== source) other.delivered = subtract(other.delivered, part.start, part.at);
	}

	/** A device stops taking part: its unfinished ranges go back to the others (or wait for a device). */
	#retire(transfer: Incoming, source: Source, state: SourceState, reason: string): void {
		const queue = this.#parts.get(source.peerId) ?? [];
		for (const part of queue) {
			if (part.hash !== transfer.hash || part.discard) continue;
			this.#delivered(transfer, source, part);
			transfer.missing = add(transfer.missing, part.at, part.end);
			part.discard = true;
		}
		source.state = state;
		source.reason = reason;
		this.#recruit(transfer);
		this.#dispatch(transfer);
		if (transfer.finishing || [...transfer.sources.values()].some((s) => this.#busy(s))) return;
		// Nobody sends any more: wait for a device that went away, or fail when every device refused.
		if ([...transfer.sources.values()].some((s) => s.state === 'gone')) {
			this.#show(transfer, { state: 'paused' });
			this.#taps.get(transfer.hash)?.paused();
		} else this.#fail(transfer, reason || state);
	}

	/** With no device sending, asks another connected own device that has not refused or failed it. */
	#recruit(transfer: Incoming): void {
		if ([...transfer.sources.values()].some((s) => this.#busy(s) && s.peerId !== transfer.repair?.suspect)) return;
		const fresh = this.#hooks
			.holders()
			.filter((s) => {
				const known = transfer.sources.get(s.remoteId);
				return !known || known.state === 'gone';
			})
			.filter((s) => s.remoteId !== transfer.repair?.suspect);
		if (fresh.length) this.request(transfer.multi ? fresh : fresh.slice(0, 1), transfer.hash);
	}

	/** A device broke the protocol or sent bad data: dropped from this transfer, its ranges reassigned. */
	#drop(transfer: Incoming, source: Source, reason: string): void {
		this.#hooks.dropped(source.peerId, reason);
		this.#retire(transfer, source, 'dropped', reason);
	}

	/** The peer went away mid-transfer: keep what arrived so far; its ranges go to the others or wait. */
	disconnected(peerId: string): void {
		for (const part of this.#parts.get(peerId) ?? []) if (part.sink && !part.discard) part.sink.end(false, 'gone');
		for (const transfer of [...this.#incoming.values()]) {
			const source = transfer.sources.get(peerId);
			if (source && this.#busy(source)) this.#retire(transfer, source, 'gone', '');
		}
		this.#parts.delete(peerId);
	}

	#outstanding(transfer: Incoming): boolean {
		for (const part of this.#allParts(transfer.hash)) if (!part.discard) return true;
		return false;
	}

	#maybeFinish(transfer: Incoming): void {
		if (transfer.finishing || !transfer.size || transfer.missing.length || this.#outstanding(transfer)) return;
		transfer.finishing = true;
		void this.#finish(transfer);
	}

	async #finish(transfer: Incoming): Promise<void> {
		const { hash } = transfer;
		this.#show(transfer, { state: 'verifying' });
		try {
			const file = await transfer.file;
			if (file === null || !transfer.meta) return this.#fail(transfer, 'incomplete');
			await transfer.writing;
			const frameError = await settleFrames(file);
			if (transfer.writeError || frameError) return this.#fail(transfer, 'write-failed');
			const digest = await transferWorker().digest(file);
			if (digest === null) return this.#fail(transfer, 'incomplete');
			if (digest !== hash) return this.#repair(transfer);
			if (transfer.repair) {
				const { suspect, differed } = transfer.repair;
				const source = transfer.sources.get(suspect);
				if (differed && source) {
					source.state = 'dropped';
					source.reason = 'bad-data';
					this.#hooks.dropped(suspect, 'bad-data');
				}
				transfer.repair = null;
			}
			const { kind } = await transferWorker().commit(file, hash);
			forgetFrames(file);
			const row: TrackRow = { ...trackRowFromMeta(hash, transfer.size, transfer.meta), storage: kind };
			await db().transaction('rw', db().tracks, async () => {
				const existing = await db().tracks.get(hash);
				if (existing) await db().tracks.update(hash, { storage: kind });
				else await db().tracks.add(row);
			});
			this.#incoming.delete(hash);
			for (const source of transfer.sources.values()) if (this.#busy(source)) source.state = 'idle';
			this.#show(transfer, { state: 'done', received: transfer.size });
			this.#hooks.stored([hash]);
			this.#taps.get(hash)?.end(true, '');
		} catch (error) {
			this.#fail(transfer, error instanceof Error ? error.message.slice(0, 64) : 'write-failed');
		}
	}

	/**
	 * The whole file does not match its hash. With bytes from several devices, the ranges one device sent
	 * are fetched again from the others (the one with the fewest bytes first): if they differ and the hash
	 * then matches, that device sent bad data. One device, or every suspect tried: the transfer fails.
	 */
	#repair(transfer: Incoming): void {
		const tried = transfer.repair?.tried ?? new Set<string>();
		if (transfer.repair) tried.add(transfer.repair.suspect);
		const contributors = [...transfer.sources.values()].filter((s) => s.delivered.length && !tried.has(s.peerId));
		const ready = new Set([...transfer.sources.keys()].filter((peerId) => this.#hooks.session(peerId)));
		const suspect = contributors
			.sort((a, b) => a.bytes - b.bytes)
			.find((s) =>
				[...transfer.sources.values()].some(
					(other) =>
						other.peerId !== s.peerId && ready.has(other.peerId) && other.state !== 'dropped' && other.state !== 'none'
				)
			);
		if (!suspect || transfer.sources.size < 2) return this.#fail(transfer, 'hash-mismatch');
		transfer.repair = { suspect: suspect.peerId, differed: false, tried };
		transfer.missing = suspect.delivered.map((s) => ({ ...s }));
		transfer.finishing = false;
		transfer.multi = true;
		for (const source of transfer.sources.values())
			if (source.peerId !== suspect.peerId && source.state !== 'dropped' && source.state !== 'none')
				if (ready.has(source.peerId)) source.state = 'idle';
		this.#show(transfer, { state: 'checking', reason: suspect.peerId });
		this.#dispatch(transfer);
	}

	#fail(transfer: Incoming, reason: string): void {
		const { hash } = transfer;
		for (const part of this.#allParts(hash)) part.discard = true;
		this.#incoming.delete(hash);
		void transfer.writing.then(async () => {
			const file = await transfer.file?.catch(() => null);
			if (file === null || file === undefined) return;
			await settleFrames(file);
			forgetFrames(file);
			await transferWorker().abort(file);
		});
		this.#show(transfer, { state: 'failed', reason });
		this.#taps.get(hash)?.end(false, reason);
	}
}
