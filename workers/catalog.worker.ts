/// <reference lib="webworker" />
import { expose } from 'comlink';
import { openDb } from '../src/lib/db/schema';
import { Catalog, toCatalogTrack, type CatalogTrack } from '../src/lib/features/library/catalog';
import type { LibraryQuery } from '../src/lib/features/library/query';
import { installWorkerErrorTransfer } from './shared/errors';

installWorkerErrorTransfer();

const catalog = new Catalog();
const LOAD_BATCH = 5000;
let loaded: Promise<number> | undefined;
/** The latest query's result; older ids are answered with null so a slow page never shows stale rows. */
let current: { id: number; indices: Int32Array } = { id: 0, indices: new Int32Array(0) };

export interface QueryResult {
	id: number;
	total: number;
	ms: number;
	/** Rows [start, end) of the result when a window was asked for: one round trip per keystroke. */
	rows: CatalogTrack[];
}

const api = {
	/** Reads the whole library from IndexedDB into the in-memory catalog, once. */
	load(): Promise<number> {
		loaded ??= (async () => {
			const db = openDb();
			// Batches by primary key keep peak memory (and each transaction) small; key ranges, unlike
			// offset(), do not rescan what was already read.
			let after = '';
			for (;;) {
				const rows = await db.tracks.where('hash').above(after).limit(LOAD_BATCH).toArray();
				catalog.upsert(rows.map(toCatalogTrack));
				if (rows.length < LOAD_BATCH) break;
				after = rows[rows.length - 1]!.hash;
			}
			db.close();
			return catalog.size;
		})();
		return loaded;
	},

	async upsert(rows: CatalogTrack[]): Promise<void> {
		await api.load();
		catalog.upsert(rows);
	},

	async remove(hashes: string[]): Promise<void> {
		await api.load();
		catalog.remove(hashes);
	},

	/**
	 * `within`: the tracks of a playlist, in its order (or null for the whole library); `window`: the
	 * rows the table shows, returned with the result.
	 */
	async query(
		query: LibraryQuery,
		within: string[] | null = null,
		window: { start: number; end: number } | null = null
	): Promise<QueryResult> {
		await api.load();
		const started = performance.now();
		current = { id: current.id + 1, indices: catalog.query(query, within) };
		const ms = performance.now() - started;
		const rows = window ? (api.rows(current.id, window.start, window.end) ?? []) : [];
		return { id: current.id, total: current.indices.length, ms, rows };
	},

	rows(id: number, start: number, end: number): CatalogTrack[] | null {
		if (id !== current.id) return null;
		const out: CatalogTrack[] = [];
		for (let i = Math.max(0, start); i < Math.min(end, current.indices.length); i++) {
			const track = catalog.at(current.indices[i]!);
			if (track) out.push(track);
		}
		return out;
	},

	/** Hashes of result rows [start, end): for range selection and "select all". */
	hashes(id: number, start = 0, end = Number.MAX_SAFE_INTEGER): string[] | null {
		if (id !== current.id) return null;
		const out: string[] = [];
		for (let i = Math.max(0, start); i < Math.min(end, current.indices.length); i++) {
			const track = catalog.at(current.indices[i]!);
			if (track) out.push(track.hash);
		}
		return out;
	},

	get(hashes: string[]): (CatalogTrack | null)[] {
		return hashes.map((hash) => catalog.get(hash) ?? null);
	},

	async genres(): Promise<{ genre: string; count: number }[]> {
		await api.load();
		return catalog.genres();
	}
};

expose(api);
export type CatalogApi = typeof api;
