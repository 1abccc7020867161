/**
 * Resumable downloads: the bytes so far live in OPFS under `sync-partial/<hash>` (not `incoming/`, which
 * the library clears at start-up), and the Dexie row `syncPartials` (v7) records how many of them are
 * hashed together with the saved hash state (hash-wasm `save()`). The row is written only after the file
 * is flushed, so the file is never shorter than the row says; a resume truncates it to the row's offset.
 * Used from the download worker; relative imports only (the worker build has no `$lib` alias).
 */
import type { Table } from 'dexie';
import { openDb, type CratemeshDb } from '../../db/schema';

export const PARTIAL_DIR = 'sync-partial';
/** The content-addressed store's folder (src/lib/storage/audio-store.ts). */
export const AUDIO_DIR = 'audio';

export interface PartialRow {
	hash: string;
	size: number;
	/** Bytes written, flushed and hashed. */
	offset: number;
	/** Saved SHA-256 state for files hashed as they arrive (null: verified natively at the end). */
	sha256: Uint8Array | null;
	/** Saved MD5 state when the source vouches only for an MD5. */
	md5: Uint8Array | null;
	updatedAt: number;
}

let database: CratemeshDb | undefined;
export function partialsTable(): Table<PartialRow, string> {
	database ??= openDb();
	return database.table('syncPartials');
}

/** Which of `hashes` the store holds in its IndexedDB fallback (browsers that had no OPFS at import). */
export async function idbHeld(hashes: string[]): Promise<Set<string>> {
	database ??= openDb();
	const keys = await database.audioBlobs.where('hash').anyOf(hashes).primaryKeys();
	return new Set(keys as string[]);
}

let root: Promise<FileSystemDirectoryHandle | null> | undefined;
export function opfsDir(name: string): Promise<FileSystemDirectoryHandle | null> {
	root ??= (async () => {
		try {
			return navigator.storage?.getDirectory ? await navigator.storage.getDirectory() : null;
		} catch {
			return null;
		}
	})();
	return root.then((r) => (r ? r.getDirectoryHandle(name, { create: true }) : null));
}

/** Drops a partial download (bytes and row), e.g. when the manifest no longer lists the file. */
export async function discardPartial(hash: string): Promise<void> {
	const dir = await opfsDir(PARTIAL_DIR);
	await dir?.removeEntry(hash).catch(() => undefined);
	await partialsTable().delete(hash);
}

/** Bytes held in partial downloads, by hash. */
export async function partialOffsets(): Promise<Map<string, number>> {
	const rows = await partialsTable().toArray();
	return new Map(rows.map((r) => [r.hash, r.offset]));
}
