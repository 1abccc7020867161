import { db } from '$lib/db';
import { catalogWorker } from '$lib/workers/catalog-client';
import { toCatalogTrack, type CatalogTrack } from './catalog';
import { playlists } from '../playlists/playlists.svelte';
import { EMPTY_QUERY, queryFromParams, type LibraryQuery } from './query';

export type SelectMode = 'single' | 'toggle' | 'range';

const FIRST_PAGE = 80;

/**
 * What the library view shows: the query (mirrored in the URL), the matching row count, rows fetched
 * on demand for the visible window, and the selection. Matching and sorting happen in the catalog worker.
 */
export class Library {
	#query = $state.raw<LibraryQuery>(EMPTY_QUERY);
	#resultId = 0;
	#total = $state(0);
	#rows = $state.raw<ReadonlyMap<number, CatalogTrack>>(new Map());
	#selection = $state.raw<ReadonlySet<string>>(new Set());
	#anchor = -1;
	#focus = $state(-1);
	#ready = $state(false);
	#searchMs = $state(0);
	#seq = $state(0);
	#runs = 0;
	#genres = $state.raw<{ genre: string; count: number }[]>([]);
	#window = { start: 0, end: 60 };
	#pending = new Set<number>();
	#started = false;

	get query(): LibraryQuery {
		return this.#query;
	}
	get total(): number {
		return this.#total;
	}
	get rows(): ReadonlyMap<number, CatalogTrack> {
		return this.#rows;
	}
	get selection(): ReadonlySet<string> {
		return this.#selection;
	}
	get focus(): number {
		return this.#focus;
	}
	/** False until the catalog worker holds the whole library; until then the newest rows show. */
	get ready(): boolean {
		return this.#ready;
	}
	get searchMs(): number {
		return this.#searchMs;
	}
	/** Counts completed queries whose rows are loaded (the bench waits on it). */
	get seq(): number {
		return this.#seq;
	}
	get genres(): { genre: string; count: number }[] {
		return this.#genres;
	}

	/** Shows the newest tracks straight from IndexedDB, then hands over to the catalog worker. */
	async start(query: LibraryQuery): Promise<void> {
		this.#query = query;
		if (this.#started) return this.run();
		this.#started = true;
		// The table has not measured itself yet (its window may still be empty): a screenful or two.
		const first = await db().tracks.orderBy('dateAdded').reverse().limit(FIRST_PAGE).toArray();
		if (!this.#ready && first.length) {
			this.#rows = new Map(first.map((row, i) => [i, toCatalogTrack(row)]));
			this.#total = first.length;
		}
		await catalogWorker().load();
		this.#ready = true;
		await this.run();
		void this.refreshGenres();
	}

	setQuery(patch: Partial<LibraryQuery>): void {
		this.#query = { ...this.#query, ...patch };
		void this.run();
	}

	async run(): Promise<void> {
		if (!this.#ready) return;
		// A newer run (the next keystroke) wins even if its playlist resolved sooner.
		const runId = ++this.#runs;
		const { query, within } = await this.#resolve(this.#query);
		if (runId !== this.#runs) return;
		// The visible rows come with the result, so the table updates rows in place in one render instead
		// of emptying and rebuilding itself, after one round trip.
		const start = Math.max(0, this.#window.start);
		const result = await catalogWorker().query(query, within, { start, end: this.#window.end });
		if (runId !== this.#runs) return;
		const { id, rows } = result;
		this.#resultId = id;
		this.#searchMs = result.ms;
		this.#total = result.total;
		this.#pending.clear();
		this.#rows = new Map(rows.map((row, i) => [start + i, row]));
		this.#seq++;
		// The window may have moved meanwhile.
		await this.show(this.#window.start, this.#window.end);
	}

	/**
	 * Turns a playlist selection into what the catalog runs: a playlist's tracks in its order, a smart
	 * playlist's saved rules (narrowed by what the user types), a crate's playlists together.
	 */
	async #resolve(query: LibraryQuery): Promise<{ query: LibraryQuery; within: string[] | null }> {
		if (!query.playlist) return { query, within: null };
		await playlists.load();
		const row = playlists.get(query.playlist);
		if (!row) return { query: { ...query, playlist: null }, within: null };
		if (row.kind === 'smart') {
			const rules = queryFromParams(new URLSearchParams(row.rules ?? ''));
			const text = [rules.text, query.text].filter(Boolean).join(' ');
			const sort = query.sort === 'position' ? rules.sort : query.sort;
			return { query: { ...rules, text, sort, dir: query.sort === 'position' ? rules.dir : query.dir }, within: null };
		}
		if (row.kind === 'crate') {
			const children = playlists.all.filter((child) => child.parentId === row.id && child.kind === 'playlist');
			const hashes = (await Promise.all(children.map((child) => playlists.hashes(child.id)))).flat();
			return { query, within: hashes };
		}
		return { query, within: await playlists.hashes(row.id) };
	}

	/** Re-runs the current query (after playlist edits). */
	refresh(): Promise<void> {
		return this.run();
	}

	/** Ensures rows [start, end) are loaded; called as the table scrolls. */
	async show(start: number, end: number): Promise<void> {
		this.#window = { start, end };
		if (!this.#ready) return;
		const from = Math.max(0, start);
		const to = Math.min(end, this.#total);
		let missingFrom = -1;
		for (let i = from; i < to; i++) {
			if (!this.#rows.has(i) && !this.#pending.has(i)) {
				missingFrom = i;
				break;
			}
		}
		if (missingFrom === -1) return;
		const id = this.#resultId;
		for (let i = missingFrom; i < to; i++) this.#pending.add(i);
		const rows = await catalogWorker().rows(id, missingFrom, to);
		for (let i = missingFrom; i < to; i++) this.#pending.delete(i);
		if (!rows || id !== this.#resultId) return;
		const next = new Map(this.#rows);
		// Keep memory flat while scrolling through 100k rows: drop rows far from the window.
		if (next.size > 2000) for (const key of next.keys()) if (key < start - 500 || key > end + 500) next.delete(key);
		rows.forEach((row, i) => next.set(missingFrom + i, row));
		this.#rows = next;
	}

	/** Applies changed rows from IndexedDB to the catalog and re-runs the query. */
	async changed(hashes: readonly string[]): Promise<void> {
		const rows = await db().tracks.bulkGet([...hashes]);
		const present = rows.filter((row) => row !== undefined);
		const gone = hashes.filter((_, i) => rows[i] === undefined);
		if (present.length) await catalogWorker().upsert(present.map(toCatalogTrack));
		if (gone.length) {
			await catalogWorker().remove(gone);
			const selection = new Set(this.#selection);
			for (const hash of gone) selection.delete(hash);
			this.#selection = selection;
		}
		await this.run();
		void this.refreshGenres();
	}

	async refreshGenres(): Promise<void> {
		this.#genres = await catalogWorker().genres();
	}

	async select(position: number, mode: SelectMode): Promise<void> {
		const hash = this.#rows.get(position)?.hash;
		if (!hash) return;
		this.#focus = position;
		if (mode === 'range' && this.#anchor >= 0) {
			const [a, b] = this.#anchor < position ? [this.#anchor, position] : [position, this.#anchor];
			const hashes = await catalogWorker().hashes(this.#resultId, a, b + 1);
			if (hashes) this.#selection = new Set(hashes);
			return;
		}
		this.#anchor = position;
		if (mode === 'toggle') {
			const next = new Set(this.#selection);
			if (next.has(hash)) next.delete(hash);
			else next.add(hash);
			this.#selection = next;
		} else this.#selection = new Set([hash]);
	}

	async selectAll(): Promise<void> {
		const hashes = await catalogWorker().hashes(this.#resultId);
		if (hashes) this.#selection = new Set(hashes);
	}

	clearSelection(): void {
		this.#selection = new Set();
		this.#anchor = -1;
	}

	setFocus(position: number): void {
		this.#focus = Math.max(0, Math.min(position, this.#total - 1));
	}
}

export const library = new Library();
