/**
 * Audio bytes, content-addressed by SHA-256: OPFS where the browser has it (one file per hash under
 * `audio/`), IndexedDB blobs otherwise. Used from the UI thread and from workers; nothing outside this
 * module knows which backend holds the bytes.
 */
import { openDb, type CratemeshDb, type StorageKind } from '../db/schema';

const AUDIO_DIR = 'audio';
const TEMP_DIR = 'incoming';

let dbInstance: CratemeshDb | undefined;
const database = () => (dbInstance ??= openDb());

let rootPromise: Promise<FileSystemDirectoryHandle | null> | undefined;
function opfsRoot(): Promise<FileSystemDirectoryHandle | null> {
	rootPromise ??= (async () => {
		try {
			if (!navigator.storage?.getDirectory) return null;
			return await navigator.storage.getDirectory();
		} catch {
			return null;
		}
	})();
	return rootPromise;
}

const dirs = new Map<string, Promise<FileSystemDirectoryHandle | null>>();
function dir(name: string): Promise<FileSystemDirectoryHandle | null> {
	let handle = dirs.get(name);
	if (!handle) {
		handle = opfsRoot().then((root) => (root ? root.getDirectoryHandle(name, { create: true }) : null));
		dirs.set(name, handle);
	}
	return handle;
}

export async function storageBackend(): Promise<Exclude<StorageKind, 'none'>> {
	return (await opfsRoot()) ? 'opfs' : 'idb';
}

export function isValidHash(hash: string): boolean {
	return /^[0-9a-f]{64}$/.test(hash);
}

export async function readAudio(hash: string): Promise<File | Blob | null> {
	return (await readStoredAudio(hash))?.blob ?? null;
}

/** A held file's bytes and whether they are the OPFS file `audio/<hash>` (which `openAudioReader` can read). */
export async function readStoredAudio(hash: string): Promise<{ blob: File | Blob; opfs: boolean } | null> {
	if (!isValidHash(hash)) return null;
	const audio = await dir(AUDIO_DIR);
	if (audio) {
		try {
			return { blob: await (await audio.getFileHandle(hash)).getFile(), opfs: true };
		} catch {
			// fall through: the bytes may be in IndexedDB from a browser without OPFS at the time
		}
	}
	const blob = (await database().audioBlobs.get(hash))?.blob;
	return blob ? { blob, opfs: false } : null;
}

/** Reads a stored OPFS file at any offset (workers only). */
export interface AudioReader {
	readonly size: number;
	/** `length` bytes from `at`, read into `into` when it is big enough (a recycled buffer), else a new one. */
	readAt(at: number, length: number, into?: Uint8Array): Uint8Array;
	close(): void;
}

type ReadOnlySyncHandle = {
	readonly mode?: string;
	read(buffer: Uint8Array, options?: { at?: number }): number;
	getSize(): number;
	close(): void;
};

/**
 * Opens `audio/<hash>` through a sync access handle in read-only mode (a shared lock: other readers and
 * `getFile()` keep working): reads are plain file reads in this worker, where a `Blob` read goes through
 * the browser process to the UI thread. Null when this browser has no read-only mode (a default handle
 * would lock the file against everyone else) or the file is not there.
 */
export async function openAudioReader(hash: string): Promise<AudioReader | null> {
	const Handle = (globalThis as unknown as { FileSystemSyncAccessHandle?: { prototype: object } })
		.FileSystemSyncAccessHandle;
	if (!isValidHash(hash) || !Handle || !('mode' in Handle.prototype)) return null;
	const audio = await dir(AUDIO_DIR);
	if (!audio) return null;
	let sync: ReadOnlySyncHandle;
	try {
		const handle = (await audio.getFileHandle(hash)) as unknown as {
			createSyncAccessHandle(options: { mode: 'read-only' }): Promise<ReadOnlySyncHandle>;
		};
		sync = await handle.createSyncAccessHandle({ mode: 'read-only' });
	} catch {
		return null;
	}
	if (sync.mode !== 'read-only') {
		sync.close();
		return null;
	}
	return {
		size: sync.getSize(),
		readAt(at, length, into) {
			const out = into && into.byteLength >= length ? into.subarray(0, length) : new Uint8Array(length);
			const read = sync.read(out, { at });
			return read === length ? out : out.subarray(0, read);
		},
		close() {
			sync.close();
		}
	};
}

export async function hasAudio(hash: string): Promise<boolean> {
	return (await audioLocation(hash)) !== null;
}

/** Whether OPFS holds this content (one lookup; false without OPFS). */
export async function hasOpfsAudio(hash: string): Promise<boolean> {
	const audio = isValidHash(hash) ? await dir(AUDIO_DIR) : null;
	if (!audio) return false;
	try {
		await audio.getFileHandle(hash);
		return true;
	} catch {
		return false;
	}
}

/** Where a file's bytes are held, if anywhere. */
export async function audioLocation(hash: string): Promise<Exclude<StorageKind, 'none'> | null> {
	if (!isValidHash(hash)) return null;
	if (await hasOpfsAudio(hash)) return 'opfs';
	return (await database().audioBlobs.where('hash').equals(hash).count()) > 0 ? 'idb' : null;
}

export async function deleteAudio(hash: string): Promise<void> {
	if (!isValidHash(hash)) return;
	const audio = await dir(AUDIO_DIR);
	if (audio) await audio.removeEntry(hash).catch(() => undefined);
	await database().audioBlobs.delete(hash);
}

/** Bytes of audio held, and how many files. */
export async function audioUsage(): Promise<{ bytes: number; files: number }> {
	let bytes = 0;
	let files = 0;
	const audio = await dir(AUDIO_DIR);
	if (audio) {
		for await (const handle of (audio as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
			if (handle.kind !== 'file') continue;
			bytes += (await (handle as FileSystemFileHandle).getFile()).size;
			files++;
		}
	}
	await database().audioBlobs.each((row) => {
		bytes += row.blob.size;
		files++;
	});
	return { bytes, files };
}

/** Hashes of all audio held in OPFS (the IndexedDB fallback is keyed in the database already). */
export async function* storedHashes(): AsyncGenerator<string> {
	const audio = await dir(AUDIO_DIR);
	if (!audio) return;
	for await (const name of (audio as unknown as { keys(): AsyncIterable<string> }).keys())
		if (isValidHash(name)) yield name;
}

/** Removes temp files left by an import that a reload interrupted: never a half-written track. */
export async function clearIncoming(): Promise<number> {
	const root = await opfsRoot();
	if (!root) return 0;
	let removed = 0;
	try {
		const incoming = await root.getDirectoryHandle(TEMP_DIR);
		for await (const name of (incoming as unknown as { keys(): AsyncIterable<string> }).keys()) {
			await incoming.removeEntry(name).catch(() => undefined);
			removed++;
		}
	} catch {
		// no incoming folder yet
	}
	return removed;
}

/**
 * Writes one file's bytes under a temporary name while they are hashed; `commit(hash)` then moves the
 * file to its content address in one step, so a crash leaves only a temp file (cleared at next start).
 */
export interface AudioWriter {
	readonly kind: Exclude<StorageKind, 'none'>;
	write(chunk: Uint8Array): Promise<void>;
	/**
	 * 'stored' for new bytes, 'existed' when the same content was already held. `checked`: the caller has
	 * just found the content not held (saves a lookup).
	 */
	commit(hash: string, options?: { checked?: boolean }): Promise<'stored' | 'existed'>;
	abort(): Promise<void>;
}

type SyncHandle = {
	write(buffer: Uint8Array, options?: { at?: number }): number;
	flush(): void;
	close(): void;
};

export async function createAudioWriter(): Promise<AudioWriter> {
	const incoming = await dir(TEMP_DIR);
	const audio = await dir(AUDIO_DIR);
	if (incoming && audio) {
		const name = crypto.randomUUID();
		const handle = await incoming.getFileHandle(name, { create: true });
		const createSync = (handle as unknown as { createSyncAccessHandle?: () => Promise<SyncHandle> })
			.createSyncAccessHandle;
		// Workers get the fast synchronous handle; the UI thread falls back to a writable stream.
		const sync = createSync ? await createSync.call(handle) : null;
		const stream = sync ? null : await handle.createWritable();
		let offset = 0;
		let closed = false;
		const close = async () => {
			if (closed) return;
			closed = true;
			if (sync) {
				// No flush(): it forces an fsync per file (a third of a small file's store time), and the
				// row that makes the file count is an IndexedDB write with relaxed durability anyway.
				sync.close();
			} else await stream!.close();
		};
		return {
			kind: 'opfs',
			async write(chunk) {
				if (sync) offset += sync.write(chunk, { at: offset });
				else await stream!.write(chunk as Uint8Array<ArrayBuffer>);
			},
			async commit(hash, options) {
				await close();
				// Never replace held content: a File the player has open on it would stop reading (Chromium
				// checks the file's modification time on every read). A caller that has just looked skips this
				// round trip; a file that appeared since makes the move fail, and that is checked then.
				if (!options?.checked && (await hasOpfsAudio(hash))) {
					await incoming.removeEntry(name);
					return 'existed';
				}
				const movable = handle as unknown as { move?: (dir: FileSystemDirectoryHandle, name: string) => Promise<void> };
				if (movable.move) {
					try {
						await movable.move(audio, hash);
					} catch (error) {
						if (!(await hasOpfsAudio(hash))) throw error;
						await incoming.removeEntry(name).catch(() => undefined);
						return 'existed';
					}
				} else {
					// Older browsers without move(): copy, then drop the temp file.
					const target = await (await audio.getFileHandle(hash, { create: true })).createWritable();
					await (await handle.getFile()).stream().pipeTo(target);
					await incoming.removeEntry(name);
				}
				return 'stored';
			},
			async abort() {
				await close().catch(() => undefined);
				await incoming.removeEntry(name).catch(() => undefined);
			}
		};
	}
	const chunks: Uint8Array[] = [];
	return {
		kind: 'idb',
		async write(chunk) {
			chunks.push(chunk.slice());
		},
		async commit(hash) {
			const db = database();
			return db.transaction('rw', db.audioBlobs, async () => {
				if (await db.audioBlobs.get(hash)) return 'existed' as const;
				await db.audioBlobs.add({ hash, blob: new Blob(chunks as BlobPart[]) });
				return 'stored' as const;
			});
		},
		async abort() {
			chunks.length = 0;
		}
	};
}

/**
 * A temp file written at any offset and read back (a transfer whose parts arrive from several devices out
 * of order, hashed in order by reading back what is already on disk). Workers only: it needs OPFS's
 * synchronous access handle; without one the bytes are held in memory and committed as an IndexedDB blob.
 */
export interface PositionalWriter {
	readonly kind: Exclude<StorageKind, 'none'>;
	writeAt(at: number, bytes: Uint8Array): void;
	readAt(at: number, length: number): Uint8Array;
	commit(hash: string): Promise<'stored' | 'existed'>;
	abort(): Promise<void>;
}

type ReadableSyncHandle = SyncHandle & {
	read(buffer: Uint8Array, options?: { at?: number }): number;
	truncate(size: number): void;
};

export async function createPositionalWriter(size: number): Promise<PositionalWriter> {
	const incoming = await dir(TEMP_DIR);
	const audio = await dir(AUDIO_DIR);
	const name = crypto.randomUUID();
	const handle = incoming && audio ? await incoming.getFileHandle(name, { create: true }) : null;
	const createSync = (handle as unknown as { createSyncAccessHandle?: () => Promise<ReadableSyncHandle> } | null)
		?.createSyncAccessHandle;
	if (handle && createSync && incoming && audio) {
		const sync = await createSync.call(handle);
		// The whole size at once: one quota request (and a full disk found) up front instead of the file
		// growing with every frame written at its end (in an off-the-record profile each growth is a round
		// trip to the browser process: 64 KiB writes ran at 10 MB/s growing, 17 MB/s preallocated).
		try {
			sync.truncate(size);
		} catch (error) {
			sync.close();
			await incoming.removeEntry(name).catch(() => undefined);
			throw error;
		}
		let closed = false;
		const close = () => {
			if (!closed) sync.close();
			closed = true;
		};
		return {
			kind: 'opfs',
			writeAt(at, bytes) {
				sync.write(bytes, { at });
			},
			readAt(at, length) {
				const out = new Uint8Array(length);
				const read = sync.read(out, { at });
				return read === length ? out : out.subarray(0, read);
			},
			async commit(hash) {
				sync.truncate(size);
				close();
				try {
					await audio.getFileHandle(hash);
					await incoming.removeEntry(name);
					return 'existed';
				} catch {
					// not held yet
				}
				await (handle as unknown as { move(dir: FileSystemDirectoryHandle, name: string): Promise<void> }).move(
					audio,
					hash
				);
				return 'stored';
			},
			async abort() {
				close();
				await incoming.removeEntry(name).catch(() => undefined);
			}
		};
	}
	if (handle && incoming) await incoming.removeEntry(name).catch(() => undefined);
	const bytes = new Uint8Array(size);
	return {
		kind: 'idb',
		writeAt(at, chunk) {
			bytes.set(chunk, at);
		},
		readAt(at, length) {
			return bytes.slice(at, at + length);
		},
		async commit(hash) {
			const db = database();
			return db.transaction('rw', db.audioBlobs, async () => {
				if (await db.audioBlobs.get(hash)) return 'existed' as const;
				await db.audioBlobs.add({ hash, blob: new Blob([bytes]) });
				return 'stored' as const;
			});
		},
		async abort() {}
	};
}
