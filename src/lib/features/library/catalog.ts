import type { TrackRow } from '../../db/schema';
import { camelotNeighbours, toCamelot } from './keys';
import { fold, type LibraryQuery, type SortKey } from './query';
import { WordIndex } from './word-index';

/** What the catalog keeps per track: everything the table shows, filters and sorts on. */
export type CatalogTrack = Pick<
	TrackRow,
	| 'hash'
	| 'title'
	| 'artist'
	| 'album'
	| 'albumArtist'
	| 'genre'
	| 'comment'
	| 'label'
	| 'bpm'
	| 'key'
	| 'duration'
	| 'rating'
	| 'dateAdded'
	| 'playCount'
	| 'artwork'
	| 'color'
	| 'freeTags'
	| 'fileName'
	| 'pinned'
	| 'storage'
>;

export function toCatalogTrack(row: TrackRow): CatalogTrack {
	return {
		hash: row.hash,
		title: row.title,
		artist: row.artist,
		album: row.album,
		albumArtist: row.albumArtist,
		genre: row.genre,
		comment: row.comment,
		label: row.label,
		bpm: row.bpm,
		key: row.key,
		duration: row.duration,
		rating: row.rating,
		dateAdded: row.dateAdded,
		playCount: row.playCount,
		artwork: row.artwork,
		color: row.color,
		freeTags: row.freeTags,
		fileName: row.fileName,
		pinned: row.pinned,
		storage: row.storage
	};
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * The library's in-memory index: full-text search (word prefixes, accent-folded, ranked by field
 * weight), filters and sort over every track. It runs in the catalog worker so typing never waits on it.
 */
export class Catalog {
	#tracks: (CatalogTrack | undefined)[] = [];
	#camelot: (string | null)[] = [];
	#byHash = new Map<string, number>();
	#free: number[] = [];
	#sorted = new Map<string, { order: Int32Array; firstEmpty: number }>();
	#words = new WordIndex();

	get size(): number {
		return this.#byHash.size;
	}

	get(hash: string): CatalogTrack | undefined {
		const index = this.#byHash.get(hash);
		return index === undefined ? undefined : this.#tracks[index];
	}

	at(index: number): CatalogTrack | undefined {
		return this.#tracks[index];
	}

	upsert(rows: readonly CatalogTrack[]): void {
		for (const row of rows) {
			const existing = this.#byHash.get(row.hash);
			const index = existing ?? this.#free.pop() ?? this.#tracks.length;
			this.#tracks[index] = row;
			this.#camelot[index] = row.key ? toCamelot(row.key) : null;
			this.#byHash.set(row.hash, index);
			this.#words.set(index, {
				title: row.title,
				artist: row.artist,
				album: row.album,
				albumArtist: row.albumArtist,
				genre: row.genre,
				comment: row.comment,
				label: row.label,
				// Rows written by older code, a restore or a peer may lack the list: search them anyway.
				tags: (row.freeTags ?? []).join(' ')
			});
		}
		this.#sorted.clear();
	}

	remove(hashes: readonly string[]): void {
		for (const hash of hashes) {
			const index = this.#byHash.get(hash);
			if (index === undefined) continue;
			this.#words.delete(index);
			this.#tracks[index] = undefined;
			this.#camelot[index] = null;
			this.#byHash.delete(hash);
			this.#free.push(index);
		}
		this.#sorted.clear();
	}

	/** Distinct genres with counts, most common first (for the genre filter). */
	genres(): { genre: string; count: number }[] {
		const counts = new Map<string, number>();
		for (const track of this.#tracks) if (track?.genre) counts.set(track.genre, (counts.get(track.genre) ?? 0) + 1);
		return [...counts]
			.map(([genre, count]) => ({ genre, count }))
			.sort((a, b) => b.count - a.count || collator.compare(a.genre, b.genre));
	}

	/**
	 * Track indices matching the query, in display order. `within` restricts the result to those tracks
	 * (a playlist), and gives the order for the 'position' sort.
	 */
	query(query: LibraryQuery, within: readonly string[] | null = null, now = Date.now()): Int32Array {
		const filter = this.#filter(query, now);
		let keep: ((index: number) => boolean) | null = filter;
		let withinOrder: Int32Array | null = null;
		if (within) {
			const member = new Uint8Array(this.#tracks.length);
			const indices: number[] = [];
			for (const hash of within) {
				const index = this.#byHash.get(hash);
				if (index !== undefined && !member[index]) {
					member[index] = 1;
					indices.push(index);
				}
			}
			withinOrder = Int32Array.from(indices);
			keep = (index) => member[index] === 1 && filter(index);
		}
		const scores = this.#words.search(query.text, this.#tracks.length);
		const relevance = scores !== null && query.sort === 'relevance';
		// Walk the tracks in column order (newest first for relevance ties), keeping matches.
		const { order, firstEmpty } =
			query.sort === 'position'
				? {
						order: withinOrder ?? this.#order('dateAdded').order,
						firstEmpty: (withinOrder ?? this.#order('dateAdded').order).length
					}
				: this.#order(query.sort === 'relevance' ? 'dateAdded' : query.sort);
		const desc = query.dir === 'desc' || query.sort === 'relevance';
		// The column orders hold live tracks only: with no filter there is nothing to check per track.
		if (keep === filter && filter === this.#everything) keep = null;
		const out = new Int32Array(order.length);
		let n = 0;
		// Tracks without a value for the column come last in both directions. This loop runs over the whole
		// library per keystroke: plain indexed reads, no closure call unless a filter asks for one.
		for (let i = 0; i < order.length; i++) {
			const index = order[desc && i < firstEmpty ? firstEmpty - 1 - i : i]!;
			if (scores !== null && scores[index] === 0) continue;
			if (keep === null || keep(index)) out[n++] = index;
		}
		if (!relevance) return out.subarray(0, n);
		// Stable counting sort by score, highest first: O(n), no comparisons.
		const score = scores!;
		let max = 0;
		for (let i = 0; i < n; i++) if (score[out[i]!]! > max) max = score[out[i]!]!;
		const counts = new Int32Array(max + 2);
		for (let i = 0; i < n; i++) counts[max - score[out[i]!]! + 1]!++;
		for (let s = 1; s < counts.length; s++) counts[s]! += counts[s - 1]!;
		const ranked = new Int32Array(n);
		for (let i = 0; i < n; i++) {
			const index = out[i]!;
			ranked[counts[max - score[index]!]!++] = index;
		}
		return ranked;
	}

	/** The filter with no conditions (any live track). */
	readonly #everything = (index: number): boolean => this.#tracks[index] !== undefined;

	#filter(query: LibraryQuery, now: number): (index: number) => boolean {
		const keys = query.key ? new Set(query.compatible ? camelotNeighbours(query.key) : [query.key]) : null;
		const genre = query.genre ? fold(query.genre) : null;
		const since = query.addedWithinDays ? now - query.addedWithinDays * 86_400_000 : null;
		const { bpmMin, bpmMax, ratingMin } = query;
		if (!keys && !genre && since === null && bpmMin === null && bpmMax === null && ratingMin <= 0)
			return this.#everything;
		return (index) => {
			const track = this.#tracks[index];
			if (!track) return false;
			if (bpmMin !== null && (track.bpm === null || track.bpm < bpmMin)) return false;
			if (bpmMax !== null && (track.bpm === null || track.bpm > bpmMax)) return false;
			if (keys && !keys.has(this.#camelot[index] ?? '')) return false;
			if (
				genre &&
				!fold(track.genre)
					.split(/\s*;\s*/)
					.includes(genre)
			)
				return false;
			if (ratingMin > 0 && track.rating < ratingMin) return false;
			if (since !== null && track.dateAdded < since) return false;
			return true;
		};
	}

	/** Ascending order of all live tracks by one column, computed once per change. */
	#order(key: Exclude<SortKey, 'relevance' | 'position'>): { order: Int32Array; firstEmpty: number } {
		const cached = this.#sorted.get(key);
		if (cached) return cached;
		const indices: number[] = [];
		this.#tracks.forEach((track, index) => track && indices.push(index));
		const tracks = this.#tracks as CatalogTrack[];
		const camelot = this.#camelot;
		const byText = (field: 'title' | 'artist' | 'album' | 'genre') => {
			// Empty values sort last, like DJ software does.
			const keys = new Map(indices.map((i) => [i, fold(tracks[i]![field])]));
			return (a: number, b: number) => {
				const x = keys.get(a)!;
				const y = keys.get(b)!;
				return x === y ? 0 : !x ? 1 : !y ? -1 : x < y ? -1 : 1;
			};
		};
		const byNumber = (value: (t: CatalogTrack) => number | null) => (a: number, b: number) => {
			const x = value(tracks[a]!);
			const y = value(tracks[b]!);
			return x === y ? 0 : x === null ? 1 : y === null ? -1 : x - y;
		};
		const compare =
			key === 'title' || key === 'artist' || key === 'album' || key === 'genre'
				? byText(key)
				: key === 'key'
					? (a: number, b: number) => camelotRank(camelot[a] ?? null) - camelotRank(camelot[b] ?? null)
					: byNumber((t) => t[key]);
		const order = Int32Array.from(indices.sort((a, b) => compare(a, b) || a - b));
		const isEmpty = (i: number) => {
			const track = tracks[i]!;
			if (key === 'key') return !camelot[i];
			const value = track[key];
			return value === null || value === '';
		};
		let firstEmpty = order.length;
		while (firstEmpty > 0 && isEmpty(order[firstEmpty - 1]!)) firstEmpty--;
		const sorted = { order, firstEmpty };
		this.#sorted.set(key, sorted);
		return sorted;
	}
}

function camelotRank(code: string | null): number {
	if (!code) return 1000;
	return Number.parseInt(code, 10) * 2 + (code.endsWith('B') ? 1 : 0);
}
