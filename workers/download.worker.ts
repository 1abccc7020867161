/// <reference lib="webworker" />
/**
 * The player's download manager: fetches the files a sync asks for, by priority (current playlist >
 * emergency > future), two at a time, resuming with HTTP Range from bytes kept in OPFS across reloads and
 * network drops, and commits a file into the content-addressed store only after its SHA-256 (or, where
 * the source vouches only for one, MD5) matches. Bytes are hashed as they arrive, so verifying costs
 * nothing once the last byte is in. See src/lib/features/sync/README.md.
 */
import { expose } from 'comlink';
import { createMD5, createSHA256 } from 'hash-wasm';
import type { FileRef, OpenedFile } from '../src/lib/features/sync/manifest';
import {
	AUDIO_DIR,
	discardPartial,
	idbHeld,
	opfsDir,
	PARTIAL_DIR,
	partialsTable,
	type PartialRow
} from '../src/lib/features/sync/partials';
import { DownloadQueue, FUTURE, type Backoff, type Priority } from '../src/lib/features/sync/queue';
import { signalFromPort, type CancelPort } from './shared/cancel';
import { installWorkerErrorTransfer, WorkerError } from './shared/errors';

installWorkerErrorTransfer();

export interface DownloadJob extends FileRef {
	priority: Priority;
	order: number;
}

export type FailureCode = 'not-found' | 'forbidden' | 'corrupt' | 'http' | 'network' | 'disk-full' | 'source';

export type Outcome =
	/** `sha256`: the content address the bytes were stored under (the job's hash unless only MD5 was known). */
	| {
			hash: string;
			status: 'stored' | 'existed';
			sha256: string;
			bytes: number;
			resumedFrom: number;
			/** Wall time per stage in the worker (ms), for diagnostics and the bench. */
			timings?: DownloadTimings;
	  }
	| { hash: string; status: 'failed'; code: FailureCode; message: string }
	/** Not attempted further in this batch: a future file stopped because the disk is full. */
	| { hash: string; status: 'stopped'; code: 'disk-full'; message: string };

/** Wall time per stage of one file's attempt in the worker (ms). */
export interface DownloadTimings {
	/** Existence check, partial file and its sync access handle, resume state. */
	prepare: number;
	/** Asking the source how to read (a round trip to the page) and waiting for the response headers. */
	request: number;
	/** Waiting for body bytes. */
	read: number;
	/** Disk writes and checkpoints. */
	write: number;
	/** Hashing the bytes as they arrive (and, on a resume without a saved hash state, the stored prefix). */
	hash: number;
	/** Finishing the digests and comparing them. */
	verify: number;
	/** Close, move to the content address, forget the partial. */
	commit: number;
}

export interface FileProgress {
	hash: string;
	bytes: number;
	size: number;
}

/** Posted at most every `progressIntervalMs`: the active files and the outcomes since the last post. */
export interface DownloadEvents {
	active: FileProgress[];
	outcomes: Outcome[];
	/** Bytes received in this batch so far. */
	received: number;
}

export interface DownloadOptions {
	parallel?: number;
	/** In-batch retries of transient failures (network, 5xx, a short body). */
	backoff?: Backoff;
	maxAttempts?: number;
	progressIntervalMs?: number;
	/** Hash state and offset are saved at most this often (bytes and ms both reached), and on any stop. */
	checkpointBytes?: number;
	checkpointMs?: number;
}

type Opener = (file: FileRef, offset: number) => Promise<OpenedFile>;

const WRITE_BYTES = 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function isFile(dir: FileSystemDirectoryHandle, name: string): Promise<boolean> {
	try {
		await dir.getFileHandle(name);
		return true;
	} catch {
		return false;
	}
}

/** Which of `hashes` the store's folder holds: one lookup per file, a few dozen at a time. */
async function opfsHeld(dir: FileSystemDirectoryHandle, hashes: string[]): Promise<string[]> {
	const found: string[] = [];
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(32, hashes.length) }, async () => {
			while (next < hashes.length) {
				const hash = hashes[next++]!;
				if (await isFile(dir, hash)) found.push(hash);
			}
		})
	);
	return found;
}

type Hasher = Awaited<ReturnType<typeof createSHA256>>;
const freeSha: Hasher[] = [];
const freeMd5: Hasher[] = [];

/** Restores a saved hash-wasm state; false when there is none or it does not load. */
function restore(hasher: Hasher, state: Uint8Array | null | undefined): boolean {
	if (!state) return false;
	try {
		hasher.load(state);
		return true;
	} catch {
		return false;
	}
}

/**
 * Hashes the first `size` bytes already on disk (a partial kept without a usable hash state, e.g. by a
 * version that verified at the end), so the digest still covers the whole file. Yields between blocks
 * so a cancel gets through.
 */
async function rehashPrefix(access: SyncHandle, size: number, hashers: Hasher[], signal: AbortSignal): Promise<void> {
	for (const h of hashers) h.init();
	const block = new Uint8Array(WRITE_BYTES);
	for (let at = 0; at < size;) {
		const n = access.read(block.subarray(0, Math.min(WRITE_BYTES, size - at)), { at });
		if (n <= 0) throw new AttemptError('source', `Partial file shorter than its ${size} saved bytes`, true);
		for (const h of hashers) h.update(block.subarray(0, n));
		at += n;
		if (at % (16 * WRITE_BYTES) === 0) await sleep(0);
		if (signal.aborted) throw signal.reason;
	}
}

type SyncHandle = {
	read(buffer: Uint8Array, options?: { at?: number }): number;
	write(buffer: Uint8Array, options?: { at?: number }): number;
	truncate(size: number): void;
	getSize(): number;
	flush(): void;
	close(): void;
};

/** Why one attempt ended without a file. */
class AttemptError extends Error {
	constructor(
		readonly code: FailureCode,
		message: string,
		readonly transient: boolean
	) {
		super(message);
	}
}

const STOP_DISK_FULL = 'disk-full';

/** OPFS throws a DOMException; Dexie wraps IndexedDB's in its own error with the same name. */
function isQuota(error: unknown): boolean {
	const e = error as { name?: unknown; inner?: { name?: unknown } } | null;
	return !!e && (e.name === 'QuotaExceededError' || e.inner?.name === 'QuotaExceededError');
}

function classifyStatus(status: number): AttemptError {
	if (status === 404 || status === 410) return new AttemptError('not-found', `HTTP ${status}`, false);
	// 401: the bearer expired mid-batch; the retry opens the file again and gets a fresh one.
	if (status === 401) return new AttemptError('forbidden', 'HTTP 401', true);
	if (status === 403) return new AttemptError('forbidden', 'HTTP 403', false);
	return new AttemptError('http', `HTTP ${status}`, status >= 500 || status === 408 || status === 429);
}

/** `bytes 100-199/1000` → 100, or null. */
function rangeStart(header: string | null): number | null {
	const match = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
	return match ? Number(match[1]) : null;
}

interface AttemptContext {
	job: DownloadJob;
	open: Opener;
	signal: AbortSignal;
	options: Required<DownloadOptions>;
	onBytes: (hash: string, bytes: number, delta: number) => void;
	/** Every byte is in: the transfer slot may go to the next file while this one is verified and committed. */
	onReceived: () => void;
	/** The partial and store folders, opened once per batch. */
	dirs: Promise<[FileSystemDirectoryHandle | null, FileSystemDirectoryHandle | null]>;
	/** The batch's partial rows, read once at its start and kept current (no IndexedDB read per file). */
	rows: Map<string, PartialRow>;
	/** Hashes the store holds (OPFS or its IndexedDB fallback), looked up once, in parallel, at the batch's start. */
	held: ReadonlySet<string>;
}

/** A response body and the file offset its first byte belongs at. */
interface Body {
	stream: ReadableStream<Uint8Array>;
	start: number;
}

/** Thrown when the source's answer contradicts the bytes we hold: they are dropped and the try repeated. */
class ResetError extends AttemptError {}

/** Asks the source for the file from `offset` and waits for the answer's head. */
async function requestBody(ctx: AttemptContext, offset: number, signal: AbortSignal): Promise<Body> {
	const opened = await ctx.open(ctx.job, offset);
	if (opened.kind !== 'http') {
		if (opened.offset !== offset && opened.offset !== 0)
			throw new ResetError('source', 'Stream does not start where asked', true);
		return { stream: opened.stream, start: opened.offset };
	}
	const headers: Record<string, string> = { ...opened.headers };
	if (offset > 0) headers.Range = `bytes=${offset}-`;
	let response: Response;
	try {
		response = await fetch(opened.url, { headers, signal, cache: 'no-store' });
	} catch (error) {
		if (signal.aborted) throw signal.reason;
		throw new AttemptError('network', error instanceof Error ? error.message : String(error), true);
	}
	// Our bytes disagree with the server's idea of the file: start over.
	if (response.status === 416 && offset > 0) throw new ResetError('http', 'HTTP 416 on resume', true);
	if (!response.ok) throw classifyStatus(response.status);
	let start = 0; // 200: the server ignored Range (if any); the whole file follows.
	if (response.status === 206) {
		start = rangeStart(response.headers.get('Content-Range')) ?? -1;
		if (start !== offset) {
			void response.body?.cancel().catch(() => undefined);
			throw new ResetError('http', `Range answered from ${start}, asked ${offset}`, true);
		}
	}
	if (!response.body) throw new AttemptError('http', 'Empty response body', true);
	return { stream: response.body, start };
}

/** The partial file and its synchronous access handle (exclusive: another tab downloading it makes this throw). */
async function openPartial(dir: FileSystemDirectoryHandle, hash: string) {
	const handle = await dir.getFileHandle(hash, { create: true });
	const access = await (
		handle as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }
	).createSyncAccessHandle();
	return { handle, access };
}

/** One try at one file: resume, fetch, hash, verify, commit. Throws AttemptError or the abort reason. */
async function attempt(ctx: AttemptContext): Promise<Outcome> {
	const timings: DownloadTimings = { prepare: 0, request: 0, read: 0, write: 0, hash: 0, verify: 0, commit: 0 };
	let mark = performance.now();
	const lap = (stage: keyof DownloadTimings) => {
		const now = performance.now();
		timings[stage] += now - mark;
		mark = now;
	};
	const { job, signal, options } = ctx;
	const [partialDir, audioDir] = await ctx.dirs;
	if (!partialDir || !audioDir)
		throw new AttemptError('source', 'This browser has no private file system (OPFS)', false);
	const table = partialsTable();
	/** Drops the partial row if there is one (most fast downloads never write one). */
	const forget = async () => {
		if (ctx.rows.delete(job.hash)) await table.delete(job.hash);
	};
	if (ctx.held.has(job.hash)) {
		await partialDir.removeEntry(job.hash).catch(() => undefined);
		await forget();
		return { hash: job.hash, status: 'existed', sha256: job.hash, bytes: 0, resumedFrom: 0 };
	}
	// Nothing kept for this file: ask for it from 0 while its partial file is being opened (two round trips
	// to the browser process that used to sit in the transfer slot before the request went out). A kept
	// partial is checked against its row first, as the Range request depends on it.
	const row = ctx.rows.get(job.hash);
	const fresh = !row || row.size !== job.size;
	const requestAbort = new AbortController();
	const onAbort = () => requestAbort.abort(signal.reason);
	signal.addEventListener('abort', onAbort, { once: true });
	const early = fresh ? requestBody(ctx, 0, requestAbort.signal) : null;
	early?.catch(() => undefined); // awaited below; not unhandled if opening the file throws first
	let file: Awaited<ReturnType<typeof openPartial>>;
	try {
		file = await openPartial(partialDir, job.hash);
	} catch (error) {
		requestAbort.abort();
		void early?.then((body) => body.stream.cancel()).catch(() => undefined);
		signal.removeEventListener('abort', onAbort);
		throw error;
	}
	const { handle: fileHandle, access } = file;
	// Every byte is hashed (hash-wasm) as it arrives and the state is saved with each checkpoint: the digest
	// is ready when the last byte is, and a resume never re-reads the file. A native digest at the end
	// (WebCrypto over the bytes read back) cost as much CPU in this Chromium (its SHA-256 does not use the
	// CPU's SHA extensions) and sat on the critical path after the transfer; see the README's speed section.
	const sha = freeSha.pop() ?? (await createSHA256());
	const md5 = job.md5 ? (freeMd5.pop() ?? (await createMD5())) : null;
	const hashers = md5 ? [sha, md5] : [sha];
	let closed = false;
	const close = () => {
		if (closed) return;
		closed = true;
		access.flush();
		access.close();
	};
	let offset = 0;
	let resumedFrom = 0;
	let saved = 0;
	let savedAt = performance.now();
	// Network chunks (≤ 64 KiB) are coalesced into 1 MiB writes and hash updates: one call per chunk to the
	// disk and to WASM cost more than the copy (see the bench's sync.download_ratio_to_fetch).
	let buffer = new Uint8Array(WRITE_BYTES);
	let buffered = 0;
	/** Written before hashing: a failed write (disk full) leaves the hash state at the last good byte. */
	const flush = () => {
		// A read cut off by an abort keeps the block (detached): its bytes are lost, the offset stays right.
		if (buffer.byteLength === 0) buffered = 0;
		if (buffered === 0) return;
		const view = buffer.subarray(0, buffered);
		access.write(view, { at: offset });
		lap('write');
		sha.update(view);
		md5?.update(view);
		lap('hash');
		offset += buffered;
		buffered = 0;
	};
	const restart = () => {
		buffered = 0;
		offset = 0;
		saved = -1;
		access.truncate(0);
		sha.init();
		md5?.init();
	};
	const checkpoint = async () => {
		if (offset === saved) return;
		access.flush();
		const row: PartialRow = {
			hash: job.hash,
			size: job.size,
			offset,
			sha256: sha.save(),
			md5: md5 ? md5.save() : null,
			updatedAt: Date.now()
		};
		await table.put(row);
		ctx.rows.set(job.hash, row);
		saved = offset;
		savedAt = performance.now();
	};
	try {
		if (!fresh && row.offset <= access.getSize()) {
			access.truncate(row.offset);
			lap('prepare');
			// The saved state covers exactly the row's offset; without one (or one that does not load), the
			// bytes on disk are hashed again, so the final digest is always over the whole file.
			if (!restore(sha, row.sha256) || (md5 && !restore(md5, row.md5)))
				await rehashPrefix(access, row.offset, hashers, signal);
			lap('hash');
			offset = saved = resumedFrom = row.offset;
		} else restart();
		lap('prepare');

		if (offset < job.size || job.size === 0) {
			let body: Body;
			try {
				body = await (early ?? requestBody(ctx, offset, requestAbort.signal));
			} catch (error) {
				if (error instanceof ResetError) {
					restart();
					await forget();
				}
				throw error;
			}
			if (body.start !== offset) {
				// The whole file follows (a 200 to a Range request, a stream from the start).
				restart();
				resumedFrom = 0;
			}
			lap('request');
			// A BYOB reader fills our 1 MiB block directly (fewer, larger reads, no copy); streams that are
			// not byte streams (a peer's) are read chunk by chunk and copied in.
			let byob: ReadableStreamBYOBReader | null = null;
			let chunks: ReadableStreamDefaultReader<Uint8Array> | null = null;
			try {
				byob = body.stream.getReader({ mode: 'byob' });
			} catch {
				chunks = body.stream.getReader();
			}
			const cancelRead = () => void (byob ?? chunks)!.cancel().catch(() => undefined);
			signal.addEventListener('abort', cancelRead, { once: true });
			try {
				for (;;) {
					let bytes: Uint8Array | undefined;
					let done: boolean;
					try {
						if (byob) {
							const read = await byob.read(new Uint8Array(buffer.buffer, buffered, WRITE_BYTES - buffered));
							// The block was transferred into the stream and comes back in the result.
							if (read.value) buffer = new Uint8Array(read.value.buffer as ArrayBuffer);
							done = read.done;
							bytes = read.value;
						} else {
							const read = await chunks!.read();
							done = read.done;
							bytes = read.value;
						}
					} catch (error) {
						if (signal.aborted) throw signal.reason;
						throw new AttemptError('network', error instanceof Error ? error.message : String(error), true);
					}
					lap('read');
					if (signal.aborted) throw signal.reason;
					if (done) break;
					if (!bytes || bytes.byteLength === 0) continue;
					if (offset + buffered + bytes.byteLength > job.size) {
						throw new AttemptError('corrupt', `More bytes than the ${job.size} announced`, false);
					}
					if (byob) {
						buffered += bytes.byteLength;
						if (buffered === WRITE_BYTES) {
							flush();
							if (offset - saved >= options.checkpointBytes && performance.now() - savedAt >= options.checkpointMs)
								await checkpoint();
						}
					} else {
						let rest = bytes;
						while (rest.byteLength > 0) {
							const take = Math.min(rest.byteLength, WRITE_BYTES - buffered);
							buffer.set(rest.subarray(0, take), buffered);
							buffered += take;
							rest = rest.subarray(take);
							if (buffered === WRITE_BYTES) {
								flush();
								if (offset - saved >= options.checkpointBytes && performance.now() - savedAt >= options.checkpointMs)
									await checkpoint();
							}
						}
					}
					ctx.onBytes(job.hash, offset + buffered, bytes.byteLength);
					// On a slow link the buffer fills slowly: write and checkpoint on time too, so a reload or a
					// crash loses at most one checkpoint interval.
					if (
						buffered > 0 &&
						offset + buffered - saved >= options.checkpointBytes &&
						performance.now() - savedAt >= options.checkpointMs
					) {
						flush();
						await checkpoint();
					}
					lap('write');
				}
				flush();
				lap('write');
			} finally {
				signal.removeEventListener('abort', cancelRead);
			}
			if (offset < job.size)
				throw new AttemptError('network', `Connection closed at ${offset} of ${job.size} bytes`, true);
		} else if (early) {
			// An empty file needs no bytes; a request made ahead is not read.
			requestAbort.abort();
		}

		ctx.onReceived();
		lap('read');
		const digest = sha.digest('hex');
		const verified = md5 ? md5.digest('hex') === job.md5 : digest === job.hash;
		lap('verify');
		if (!verified) {
			// Bytes that do not match are worthless: start from zero next time.
			close();
			await partialDir.removeEntry(job.hash).catch(() => undefined);
			await forget();
			throw new AttemptError(
				'corrupt',
				md5 ? 'MD5 does not match' : `SHA-256 does not match (got ${digest.slice(0, 12)}…)`,
				false
			);
		}
		// The content address is always the SHA-256 of the bytes, also when MD5 was what we could verify. A file
		// already there (e.g. held under its SHA-256 when the job named an MD5) is left alone: it may be playing.
		// The lookup goes out before the flush to disk, which blocks this thread.
		const existing = isFile(audioDir, digest);
		close();
		if (await existing) {
			await partialDir.removeEntry(job.hash).catch(() => undefined);
			await forget();
			lap('commit');
			return { hash: job.hash, status: 'existed', sha256: digest, bytes: offset - resumedFrom, resumedFrom, timings };
		}
		const movable = fileHandle as unknown as { move?(dir: FileSystemDirectoryHandle, name: string): Promise<void> };
		if (movable.move) await movable.move(audioDir, digest);
		else {
			// Browsers without move(): copy under the final name (a writable stream lands on close, atomically,
			// from its swap file), then drop the partial, as audio-store does.
			const target = await (await audioDir.getFileHandle(digest, { create: true })).createWritable();
			await (await fileHandle.getFile()).stream().pipeTo(target);
			await partialDir.removeEntry(job.hash).catch(() => undefined);
		}
		await forget();
		lap('commit');
		return { hash: job.hash, status: 'stored', sha256: digest, bytes: offset - resumedFrom, resumedFrom, timings };
	} catch (error) {
		// Whatever stopped us, keep what was received and hashed, so the next try resumes from here.
		if (!closed) {
			try {
				flush();
				await checkpoint();
			} catch {
				// the disk may be full: the older checkpoint stands
			}
		}
		throw error;
	} finally {
		requestAbort.abort();
		signal.removeEventListener('abort', onAbort);
		close();
		sha.init();
		freeSha.push(sha);
		if (md5) {
			md5.init();
			freeMd5.push(md5);
		}
	}
}

const DEFAULTS: Required<DownloadOptions> = {
	parallel: 2,
	backoff: { baseMs: 1000, capMs: 30_000 },
	maxAttempts: 6,
	progressIntervalMs: 250,
	checkpointBytes: 2 * 1024 * 1024,
	checkpointMs: 1000
};

const api = {
	/**
	 * Downloads `jobs` (one batch) and resolves with one outcome per job. A file that fails for good
	 * (404/403, corrupt) or keeps failing is reported, never blocks the others; the caller retries it at
	 * a later sync. `open` (a comlink proxy) says how to read a file from an offset; `cancel` from
	 * cancelPortFor(signal) stops the batch, keeping every partial download for the next one.
	 */
	async download(
		jobs: DownloadJob[],
		options: DownloadOptions,
		onEvents: (events: DownloadEvents) => void,
		open: Opener,
		cancel?: CancelPort
	): Promise<Outcome[]> {
		const opts: Required<DownloadOptions> = { ...DEFAULTS, ...options };
		const hashes = jobs.map((j) => j.hash);
		const dirs = Promise.all([opfsDir(PARTIAL_DIR), opfsDir(AUDIO_DIR)]);
		const [known, held] = await Promise.all([
			partialsTable().bulkGet(hashes),
			dirs.then(async ([, audio]) => {
				const [inIdb, inOpfs] = await Promise.all([idbHeld(hashes), audio ? opfsHeld(audio, hashes) : []]);
				return new Set([...inIdb, ...inOpfs]);
			})
		]);
		const rows = new Map(known.filter((r): r is PartialRow => !!r).map((r) => [r.hash, r]));
		const batchSignal = signalFromPort(cancel);
		const byHash = new Map(jobs.map((j) => [j.hash, j]));
		const queue = new DownloadQueue(jobs, opts.parallel);
		const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
		const outcomes = new Map<string, Outcome>();
		const progress = new Map<string, FileProgress>();
		let pending: Outcome[] = [];
		let received = 0;
		let lastPost = 0;

		const post = (force = false) => {
			const now = performance.now();
			if (!force && now - lastPost < opts.progressIntervalMs) return;
			lastPost = now;
			const events: DownloadEvents = { active: [...progress.values()], outcomes: pending, received };
			pending = [];
			try {
				onEvents(events);
			} catch {
				// the page went away; the batch ends with the cancel port
			}
		};
		const settle = (outcome: Outcome) => {
			outcomes.set(outcome.hash, outcome);
			progress.delete(outcome.hash);
			pending.push(outcome);
			post(true);
		};

		// Bumped when future files are dropped to make room: a file that hit the full disk before that may retry.
		let roomMade = 0;
		let makingRoom: Promise<void> | null = null;
		/** The disk is full: stop future files (their partial bytes go, to make room), keep the rest. */
		const stopFuture = async () => {
			const { active, waiting } = queue.stopFuture();
			for (const job of active) running.get(job.hash)?.controller.abort(STOP_DISK_FULL);
			await Promise.all(active.map((job) => running.get(job.hash)?.done));
			for (const job of [...active, ...waiting]) {
				await discardPartial(job.hash).catch(() => undefined);
				rows.delete(job.hash);
				settle({ hash: job.hash, status: 'stopped', code: 'disk-full', message: 'Disk full: future files wait' });
			}
			roomMade++;
		};

		const start = (job: DownloadJob) => {
			const startedAfterRoom = roomMade;
			const controller = new AbortController();
			const onBatchAbort = () => controller.abort(batchSignal.reason);
			batchSignal.addEventListener('abort', onBatchAbort, { once: true });
			progress.set(job.hash, { hash: job.hash, bytes: 0, size: job.size });
			const done = (async () => {
				try {
					const outcome = await attempt({
						job,
						open,
						signal: controller.signal,
						options: opts,
						rows,
						held,
						dirs,
						onReceived: () => {
							// Hashing and the move into the store overlap the next transfer.
							if (queue.release(job.hash)) {
								progress.delete(job.hash);
								nudge();
							}
						},
						onBytes: (hash, bytes, delta) => {
							received += delta;
							const row = progress.get(hash);
							if (row) row.bytes = bytes;
							post();
						}
					});
					queue.finish(job.hash);
					settle(outcome);
				} catch (error) {
					if (controller.signal.aborted) {
						// Stopped by the batch or by stopFuture; the partial was checkpointed.
						if (controller.signal.reason !== STOP_DISK_FULL) queue.requeue(job.hash);
						progress.delete(job.hash);
						return;
					}
					if (isQuota(error)) {
						if (!queue.diskFull) makingRoom ??= stopFuture().finally(() => (makingRoom = null));
						if (job.priority === FUTURE) {
							// stopFuture settles it as stopped (it is waiting again, not active: no one waits on it).
							queue.requeue(job.hash);
							return;
						}
						if (makingRoom || startedAfterRoom < roomMade) {
							// Room is being (or was just) made by dropping future downloads: try this one again.
							await makingRoom;
							queue.requeue(job.hash);
							return;
						}
						queue.finish(job.hash);
						settle({ hash: job.hash, status: 'failed', code: 'disk-full', message: 'The disk is full' });
						return;
					}
					const failure =
						error instanceof AttemptError
							? error
							: new AttemptError('source', error instanceof Error ? error.message : String(error), true);
					if (failure.transient && queue.attempts(job.hash) + 1 < opts.maxAttempts) {
						queue.retryLater(job.hash, Date.now(), opts.backoff);
						progress.delete(job.hash);
					} else {
						queue.finish(job.hash);
						settle({ hash: job.hash, status: 'failed', code: failure.code, message: failure.message });
					}
				} finally {
					batchSignal.removeEventListener('abort', onBatchAbort);
					running.delete(job.hash);
				}
			})();
			running.set(job.hash, { controller, done });
		};

		let wake: (() => void) | null = null;
		const nudge = () => wake?.();
		batchSignal.addEventListener('abort', nudge);
		// Back online: transient failures need not wait out their backoff.
		const onOnline = () => {
			for (const job of queue.waiting) queue.requeue(job.hash);
			nudge();
		};
		addEventListener('online', onOnline);
		try {
			for (;;) {
				if (batchSignal.aborted) break;
				let job: DownloadJob | null;
				while ((job = queue.next(Date.now()) as DownloadJob | null)) start(byHash.get(job.hash)!);
				if (queue.settled && running.size === 0 && !makingRoom) break;
				const wakeIn = queue.nextWakeAt() - Date.now();
				await Promise.race([
					...[...running.values()].map((r) => r.done),
					...(makingRoom ? [makingRoom] : []),
					new Promise<void>((resolve) => (wake = resolve)),
					...(Number.isFinite(wakeIn) ? [sleep(Math.max(0, wakeIn))] : [])
				]);
				wake = null;
			}
			await Promise.all([...running.values()].map((r) => r.done));
			await makingRoom;
			post(true);
			if (batchSignal.aborted) throw new WorkerError('aborted', 'Cancelled');
			return jobs.map(
				(j) =>
					outcomes.get(j.hash) ?? {
						hash: j.hash,
						status: 'failed',
						code: 'network',
						message: 'Not attempted'
					}
			);
		} finally {
			removeEventListener('online', onOnline);
			batchSignal.removeEventListener('abort', nudge);
		}
	},

	/** Drops partial downloads the manifest no longer lists. */
	async discard(hashes: string[]): Promise<void> {
		for (const hash of hashes) await discardPartial(hash);
	},

	/** Partial downloads held, with their offsets (for the status view). */
	async partials(): Promise<{ hash: string; offset: number; size: number }[]> {
		const rows = await partialsTable().toArray();
		return rows.map((r) => ({ hash: r.hash, offset: r.offset, size: r.size }));
	}
};

expose(api);
export type DownloadApi = typeof api;
