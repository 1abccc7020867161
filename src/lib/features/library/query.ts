/**
 * A library query: free text, filters and sort. It lives in the URL (so it survives reloads and can
 * be shared), hence the compact, validated (de)serialisation here.
 */
export const SORT_KEYS = [
	'relevance',
	'title',
	'artist',
	'album',
	'genre',
	'bpm',
	'key',
	'duration',
	'rating',
	'dateAdded',
	'playCount',
	// A playlist's own order.
	'position'
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

export interface LibraryQuery {
	text: string;
	sort: SortKey;
	dir: SortDir;
	bpmMin: number | null;
	bpmMax: number | null;
	/** A Camelot code; with `compatible`, its harmonic neighbours match too. */
	key: string | null;
	compatible: boolean;
	genre: string | null;
	ratingMin: number;
	/** Only tracks added in the last N days. */
	addedWithinDays: number | null;
	/** Only tracks of this playlist (or smart playlist), by id. */
	playlist: string | null;
}

export const EMPTY_QUERY: LibraryQuery = {
	text: '',
	sort: 'dateAdded',
	dir: 'desc',
	bpmMin: null,
	bpmMax: null,
	key: null,
	compatible: false,
	genre: null,
	ratingMin: 0,
	addedWithinDays: null,
	playlist: null
};

const num = (v: string | null, min: number, max: number) => {
	if (v === null || v.trim() === '') return null;
	const n = Number(v);
	return Number.isFinite(n) && n >= min && n <= max ? n : null;
};

export function queryFromParams(params: URLSearchParams): LibraryQuery {
	const sort = params.get('sort');
	const text = (params.get('q') ?? '').slice(0, 200);
	const [bpmMin, bpmMax] = (params.get('bpm') ?? '').split('-');
	const key = params.get('key');
	return {
		text,
		sort: SORT_KEYS.includes(sort as SortKey) ? (sort as SortKey) : text ? 'relevance' : EMPTY_QUERY.sort,
		dir: params.get('dir') === 'asc' ? 'asc' : params.get('dir') === 'desc' ? 'desc' : EMPTY_QUERY.dir,
		bpmMin: num(bpmMin ?? null, 20, 400),
		bpmMax: num(bpmMax ?? null, 20, 400),
		key: key && /^(1[0-2]|[1-9])[AB]$/.test(key) ? key : null,
		compatible: params.get('compat') === '1',
		genre: params.get('genre')?.slice(0, 200) || null,
		ratingMin: num(params.get('rating'), 0, 5) ?? 0,
		addedWithinDays: num(params.get('added'), 1, 36500),
		playlist: /^[\w-]{1,64}$/.test(params.get('list') ?? '') ? params.get('list') : null
	};
}

export function paramsFromQuery(query: LibraryQuery): URLSearchParams {
	const params = new URLSearchParams();
	if (query.text) params.set('q', query.text);
	const defaultSort = query.text ? 'relevance' : EMPTY_QUERY.sort;
	if (query.sort !== defaultSort) params.set('sort', query.sort);
	if (query.dir !== EMPTY_QUERY.dir) params.set('dir', query.dir);
	if (query.bpmMin !== null || query.bpmMax !== null) params.set('bpm', `${query.bpmMin ?? ''}-${query.bpmMax ?? ''}`);
	if (query.key) params.set('key', query.key);
	if (query.key && query.compatible) params.set('compat', '1');
	if (query.genre) params.set('genre', query.genre);
	if (query.ratingMin > 0) params.set('rating', String(query.ratingMin));
	if (query.addedWithinDays) params.set('added', String(query.addedWithinDays));
	if (query.playlist) params.set('list', query.playlist);
	return params;
}

/** Case- and accent-insensitive form used for search: "Beyoncé" → "beyonce", "São" → "sao". */
export function fold(text: string): string {
	return text
		.normalize('NFKD')
		.replace(/\p{M}+/gu, '')
		.replace(/ß/g, 'ss')
		.replace(/[æ]/g, 'ae')
		.replace(/[ø]/g, 'o')
		.toLowerCase();
}
