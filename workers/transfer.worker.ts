/// <reference lib="webworker" />
/**
 * The receiving end of mesh transfers, off the UI thread: each frame is written where it belongs in a temp
 * file (parts from several devices arrive out of order) and SHA-256 runs over the whole file in order —
 * bytes at the hashing frontier are hashed as they arrive, bytes beyond it are hashed when the frontier
 * reaches them, read back from disk. `replace` + a second `digest` serve the repair after a hash mismatch (which
 * device sent the bad part). The UI thread only moves frames here (transferred, not copied), over the frame
 * port (`connectFrames`).
 *
 * Frames that continue one another are gathered into 4 MiB writes: a 64 KiB sync-access-handle write costs
 * about as much as a 1 MiB one in an off-the-record profile, where OPFS lives in the browser process behind
 * an IPC per call (64 KiB writes: 25 MB/s there, 4 MiB: 63 MB/s; on disk both are hundreds of MB/s).
 */
import { expose, transfer } from 'comlink';
import { createSHA256 } from 'hash-wasm';
import {
	createPositionalWriter,
	openAudioReader,
	type AudioReader,
	type PositionalWriter
} from '../src/lib/storage/audio-store';
import { installWorkerErrorTransfer, toWorkerError, WorkerError } from './shared/errors';
import type { FramePortMessage, FramePortReply } from './shared/frame-port';

installWorkerErrorTransfer();

type Hasher = Awaited<ReturnType<typeof createSHA256>>;

interface Span {
	start: number;
	end: number;
}

/** Received bytes not yet written: `bytes[0, length)` belongs at `at`. */
interface Pending {
	at: number;
	bytes: Uint8Array;
	length: number;
}

interface File {
	size: number;
	writer: PositionalWriter;
	/** one gathering buffer per run of contiguous frames (one per sender in flight) */
	pending: Pending[];
	hasher: Hasher;
	/** every byte before this offset is hashed (and written) */
	hashed: number;
	/** written ranges beyond `hashed`, sorted, not overlapping */
	ahead: Span[];
	/** bytes before `hashed` were rewritten (a repair): the digest needs a pass over the file */
	dirty: boolean;
}

const READ_BYTES = 4 * 1024 * 1024;
const GATHER_BYTES = 4 * 1024 * 1024;
/** Contiguous runs gathered at once (several devices send different ranges); more: the oldest is written. */
const MAX_PENDING = 4;
const files = new Map<number, File>();
/** Frames of each file handled through the frame port (`connectFrames`). */
const framesHandled = new Map<number, number>();
/** The frame port reports progress every this many frames of a file (and at once on an error). */
const ACK_FRAMES = 8;
/** stored files open for sending (`openStored`) */
const readers = new Map<number, AudioReader>();
let nextId = 1;

function file(id: number): File {
	const found = files.get(id);
	if (!found) throw new WorkerError('invalid-input', `No transfer file ${id}`);
	return found;
}

/** Adds [start, end) to the sorted, merged list of written ranges ahead of the frontier. */
function addSpan(spans: Span[], start: number, end: number): void {
	let i = 0;
	while (i < spans.length && spans[i]!.end < start) i++;
	let merged: Span = { start, end };
	let j = i;
	while (j < spans.length && spans[j]!.start <= end) {
		merged = { start: Math.min(merged.start, spans[j]!.start), end: Math.max(merged.end, spans[j]!.end) };
		j++;
	}
	spans.splice(i, j - i, merged);
}

/** Gathering buffers written out and free again (a fresh 4 MiB buffer costs a thousand page faults). */
const spare: Uint8Array[] = [];

function gatherBuffer(length: number): Uint8Array {
	const reused = length === GATHER_BYTES ? spare.pop() : undefined;
	return reused ?? new Uint8Array(length);
}

/** Writes a gathered run out (a sync access handle write copies the bytes: the buffer is free after). */
function writeRun(f: File, run: Pending): void {
	f.writer.writeAt(run.at, run.bytes.subarray(0, run.length));
	if (run.bytes.byteLength === GATHER_BYTES && spare.length < MAX_PENDING) spare.push(run.bytes);
}

/** Writes every gathered run (before anything is read back, and at the end). */
function flush(f: File): void {
	for (const run of f.pending) writeRun(f, run);
	f.pending = [];
}

/** Writes `bytes` at `at`, gathered with the frames before it when they continue a run. */
function gather(f: File, at: number, bytes: Uint8Array): void {
	const end = at + bytes.byteLength;
	// Bytes written again over a gathered run (a repair): keep the order of writes.
	if (f.pending.some((p) => at < p.at + p.length && end > p.at)) flush(f);
	const run = f.pending.find((p) => p.at + p.length === at);
	if (run && run.length + bytes.byteLength <= run.bytes.byteLength) {
		run.bytes.set(bytes, run.length);
		run.length += bytes.byteLength;
		if (run.length === run.bytes.byteLength) {
			f.pending.splice(f.pending.indexOf(run), 1);
			writeRun(f, run);
		}
		return;
	}
	if (run) {
		f.pending.splice(f.pending.indexOf(run), 1);
		writeRun(f, run);
	}
	if (bytes.byteLength >= GATHER_BYTES) return f.writer.writeAt(at, bytes);
	if (f.pending.length >= MAX_PENDING) writeRun(f, f.pending.shift()!);
	const buffer = gatherBuffer(Math.min(GATHER_BYTES, f.size - at));
	buffer.set(bytes);
	f.pending.push({ at, bytes: buffer, length: bytes.byteLength });
}

/** Writes `bytes` at `at` and hashes what it can; returns how many bytes from the start are hashed. */
function write(f: File, at: number, bytes: Uint8Array): number {
	const end = at + bytes.byteLength;
	if (at < 0 || end > f.size) throw new WorkerError('invalid-input', 'Write outside the file');
	gather(f, at, bytes);
	if (at === f.hashed) {
		f.hasher.update(bytes);
		f.hashed = end;
		advance(f);
	} else if (at > f.hashed) addSpan(f.ahead, at, end);
	else {
		f.dirty = true;
		if (end > f.hashed) addSpan(f.ahead, f.hashed, end);
		advance(f);
	}
	return f.hashed;
}

/** Hashes what is already on disk from the frontier on, as far as it is contiguous. */
function advance(f: File): void {
	if (f.ahead.length && f.ahead[0]!.start <= f.hashed) flush(f);
	while (f.ahead.length && f.ahead[0]!.start <= f.hashed) {
		const span = f.ahead.shift()!;
		for (let at = f.hashed; at < span.end;) {
			const bytes = f.writer.readAt(at, Math.min(READ_BYTES, span.end - at));
			if (bytes.byteLength === 0) throw new WorkerError('unreadable', 'Short read from the temp file');
			f.hasher.update(bytes);
			at += bytes.byteLength;
		}
		f.hashed = Math.max(f.hashed, span.end);
	}
}

const api = {
	/** A temp file for a transfer of `size` bytes; returns its id. */
	async open(size: number): Promise<number> {
		try {
			const writer = await createPositionalWriter(size);
			const hasher = await createSHA256();
			hasher.init();
			const id = nextId++;
			files.set(id, { size, writer, pending: [], hasher, hashed: 0, ahead: [], dirty: false });
			return id;
		} catch (error) {
			throw toWorkerError(error);
		}
	},

	/**
	 * The port received frames come through (`FramePortMessage`): one message per frame and no answer to
	 * each (a comlink call is answered every time, a second message and a task on the UI thread per frame).
	 */
	connectFrames(port: MessagePort): void {
		port.onmessage = (event: MessageEvent<FramePortMessage>) => {
			const message = event.data;
			if (message[0] === 'settle') return port.postMessage(['settled', message[1]] satisfies FramePortReply);
			const [, id, at, bytes] = message;
			let error: string | null = null;
			try {
				write(file(id), at, bytes);
			} catch (caught) {
				error = toWorkerError(caught).message;
			}
			const handled = (framesHandled.get(id) ?? 0) + 1;
			framesHandled.set(id, handled);
			if (error !== null || handled % ACK_FRAMES === 0)
				port.postMessage(['handled', id, handled, error] satisfies FramePortReply);
		};
	},

	/**
	 * A part fetched again from another device after a hash mismatch: writes it where it differs from the
	 * bytes on disk and says whether it did (the device that sent those bytes first sent something else).
	 */
	replace(id: number, at: number, bytes: Uint8Array): boolean {
		const f = file(id);
		flush(f);
		const held = f.writer.readAt(at, bytes.byteLength);
		let same = held.byteLength === bytes.byteLength;
		for (let i = 0; same && i < held.byteLength; i++) same = held[i] === bytes[i];
		if (same) return false;
		f.writer.writeAt(at, bytes);
		f.dirty = true;
		return true;
	},

	/** The hex SHA-256 of the whole file, or null while parts are missing. */
	digest(id: number): string | null {
		const f = file(id);
		if (f.hashed < f.size) return null;
		flush(f);
		// A digest finishes the hasher: any later digest (after a repair) reads the file again.
		const wasDirty = f.dirty;
		f.dirty = true;
		if (!wasDirty) return f.hasher.digest('hex');
		f.hasher.init();
		for (let at = 0; at < f.size;) {
			const bytes = f.writer.readAt(at, Math.min(READ_BYTES, f.size - at));
			if (bytes.byteLength === 0) throw new WorkerError('unreadable', 'Short read from the temp file');
			f.hasher.update(bytes);
			at += bytes.byteLength;
		}
		return f.hasher.digest('hex');
	},

	/** Moves a verified file to its content address. */
	async commit(id: number, hash: string): Promise<{ kind: PositionalWriter['kind']; outcome: 'stored' | 'existed' }> {
		const f = file(id);
		files.delete(id);
		framesHandled.delete(id);
		try {
			flush(f);
			return { kind: f.writer.kind, outcome: await f.writer.commit(hash) };
		} catch (error) {
			throw toWorkerError(error);
		}
	},

	async abort(id: number): Promise<void> {
		const f = files.get(id);
		files.delete(id);
		framesHandled.delete(id);
		await f?.writer.abort();
	},

	/**
	 * The sending side: opens the stored file of `hash` for reading here (see `openAudioReader`) when it is
	 * `size` bytes; returns its id, or null (the caller reads the `Blob` instead).
	 */
	async openStored(hash: string, size: number): Promise<number | null> {
		const reader = await openAudioReader(hash);
		if (!reader) return null;
		if (reader.size !== size) {
			reader.close();
			return null;
		}
		const id = nextId++;
		readers.set(id, reader);
		return id;
	},

	/** `length` bytes of an open stored file from `at`, moved (not copied) to the caller; read into `into`
	 * (a buffer the caller is done with, moved here) when given. */
	readStored(id: number, at: number, length: number, into?: Uint8Array): Uint8Array {
		const reader = readers.get(id);
		if (!reader) throw new WorkerError('invalid-input', `No stored file ${id}`);
		const bytes = reader.readAt(at, length, into);
		if (bytes.byteLength !== length) throw new WorkerError('unreadable', 'Short read from a stored file');
		return transfer(bytes, [bytes.buffer]);
	},

	closeStored(id: number): void {
		readers.get(id)?.close();
		readers.delete(id);
	}
};

expose(api);
export type TransferApi = typeof api;
