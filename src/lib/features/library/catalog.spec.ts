import { describe, expect, it } from 'vitest';
import { Catalog, type CatalogTrack } from './catalog';
import { EMPTY_QUERY, fold, paramsFromQuery, queryFromParams, type LibraryQuery } from './query';

let counter = 0;
function track(fields: Partial<CatalogTrack>): CatalogTrack {
	counter++;
	return {
		hash: counter.toString(16).padStart(64, '0'),
		title: '',
		artist: '',
		album: '',
		albumArtist: '',
		genre: '',
		comment: '',
		label: '',
		bpm: null,
		key: '',
		duration: 200,
		rating: 0,
		dateAdded: 1_000_000 + counter,
		playCount: 0,
		artwork: null,
		color: null,
		freeTags: [],
		fileName: 'x.mp3',
		pinned: false,
		storage: 'opfs',
		...fields
	};
}

const q = (fields: Partial<LibraryQuery>): LibraryQuery => ({ ...EMPTY_QUERY, ...fields });

function titles(catalog: Catalog, query: LibraryQuery): string[] {
	return [...catalog.query(query)].map((i) => catalog.at(i)!.title);
}

describe('search folding', () => {
	it('ignores case and accents', () => {
		expect(fold('Beyoncé')).toBe('beyonce');
		expect(fold('SÃO PAULO')).toBe('sao paulo');
		expect(fold('Straße')).toBe('strasse');
	});
});

describe('catalog', () => {
	const catalog = new Catalog();
	catalog.upsert([
		track({ title: 'Halo', artist: 'Beyoncé', genre: 'Pop', bpm: 80, key: 'A', rating: 5 }),
		track({
			title: 'Garota de Ipanema',
			artist: 'Tom Jobim',
			album: 'Getz/Gilberto',
			genre: 'Bossa Nova',
			bpm: 130,
			key: 'F',
			comment: 'recorded in São Paulo'
		}),
		track({ title: 'Strings of Life', artist: 'Derrick May', genre: 'Techno', bpm: 124, key: 'Am', label: 'Transmat' }),
		track({ title: 'Deep Inside', artist: 'Hardrive', genre: 'House', bpm: 122, key: 'Em', rating: 3 }),
		track({ title: 'Unknown', artist: '', genre: '', bpm: null, key: '' })
	]);

	it('finds by word prefix, case- and accent-insensitively, across fields', () => {
		expect(titles(catalog, q({ text: 'beyonce', sort: 'relevance' }))).toEqual(['Halo']);
		expect(titles(catalog, q({ text: 'sao paulo', sort: 'relevance' }))).toEqual(['Garota de Ipanema']);
		expect(titles(catalog, q({ text: 'derr', sort: 'relevance' }))).toEqual(['Strings of Life']);
		expect(titles(catalog, q({ text: 'transmat', sort: 'relevance' }))).toEqual(['Strings of Life']);
		expect(titles(catalog, q({ text: 'nothing matches this', sort: 'relevance' }))).toEqual([]);
	});

	it('ranks title and artist matches above comments', () => {
		const c = new Catalog();
		c.upsert([track({ title: 'Other', comment: 'paris remix' }), track({ title: 'Paris', artist: 'Someone' })]);
		expect(titles(c, q({ text: 'paris', sort: 'relevance' }))).toEqual(['Paris', 'Other']);
	});

	it('filters by BPM range, rating and genre', () => {
		expect(titles(catalog, q({ bpmMin: 120, bpmMax: 126, sort: 'bpm', dir: 'asc' }))).toEqual([
			'Deep Inside',
			'Strings of Life'
		]);
		expect(titles(catalog, q({ ratingMin: 4 }))).toEqual(['Halo']);
		expect(titles(catalog, q({ genre: 'bossa nova' }))).toEqual(['Garota de Ipanema']);
	});

	it('filters by key and by harmonically compatible keys', () => {
		expect(titles(catalog, q({ key: '8A' }))).toEqual(['Strings of Life']);
		// 8A's neighbours: 7A, 9A (E minor), 8B (C major).
		expect(titles(catalog, q({ key: '8A', compatible: true, sort: 'title', dir: 'asc' }))).toEqual([
			'Deep Inside',
			'Strings of Life'
		]);
	});

	it('sorts on any column both ways, empty values last', () => {
		expect(titles(catalog, q({ sort: 'bpm', dir: 'asc' }))).toEqual([
			'Halo',
			'Deep Inside',
			'Strings of Life',
			'Garota de Ipanema',
			'Unknown'
		]);
		expect(titles(catalog, q({ sort: 'bpm', dir: 'desc' }))).toEqual([
			'Garota de Ipanema',
			'Strings of Life',
			'Deep Inside',
			'Halo',
			'Unknown'
		]);
		expect(titles(catalog, q({ sort: 'key', dir: 'desc' })).at(-1)).toBe('Unknown');
		expect(titles(catalog, q({ sort: 'title', dir: 'desc' }))[0]).toBe('Unknown');
		expect(titles(catalog, q({ sort: 'artist', dir: 'asc' })).at(-1)).toBe('Unknown');
		expect(titles(catalog, q({ sort: 'dateAdded', dir: 'desc' }))[0]).toBe('Unknown');
	});

	it('updates and removes tracks in place', () => {
		const c = new Catalog();
		const a = track({ title: 'First Title' });
		c.upsert([a]);
		c.upsert([{ ...a, title: 'Renamed' }]);
		expect(c.size).toBe(1);
		expect(titles(c, q({ text: 'first', sort: 'relevance' }))).toEqual([]);
		expect(titles(c, q({ text: 'renamed', sort: 'relevance' }))).toEqual(['Renamed']);
		c.remove([a.hash]);
		expect(c.size).toBe(0);
		expect(titles(c, q({}))).toEqual([]);
	});
});

describe('playlist view', () => {
	it('restricts to the playlist and keeps its order, unless sorted by a column', () => {
		const c = new Catalog();
		const a = track({ title: 'A', bpm: 130 });
		const b = track({ title: 'B', bpm: 120 });
		const d = track({ title: 'D', bpm: 125 });
		c.upsert([a, b, d, track({ title: 'Not in list' })]);
		const within = [d.hash, a.hash, b.hash, 'f'.repeat(64)];
		const order = (query: LibraryQuery) => [...c.query(query, within)].map((i) => c.at(i)!.title);
		expect(order(q({ sort: 'position', dir: 'asc' }))).toEqual(['D', 'A', 'B']);
		expect(order(q({ sort: 'position', dir: 'desc' }))).toEqual(['B', 'A', 'D']);
		expect(order(q({ sort: 'bpm', dir: 'asc' }))).toEqual(['B', 'D', 'A']);
		expect(order(q({ sort: 'position', dir: 'asc', bpmMin: 125 }))).toEqual(['D', 'A']);
	});
});

describe('query in the URL', () => {
	it('round-trips every field', () => {
		const query: LibraryQuery = {
			text: 'são',
			sort: 'bpm',
			dir: 'asc',
			bpmMin: 120,
			bpmMax: 128,
			key: '8A',
			compatible: true,
			genre: 'House',
			ratingMin: 3,
			addedWithinDays: 30,
			playlist: 'a1b2-c3'
		};
		expect(queryFromParams(paramsFromQuery(query))).toEqual(query);
		expect(paramsFromQuery(EMPTY_QUERY).toString()).toBe('');
	});

	it('ignores hostile or malformed values', () => {
		const query = queryFromParams(new URLSearchParams('sort=drop table&key=<b>&bpm=abc-9999&rating=7&added=-1'));
		expect(query).toEqual(EMPTY_QUERY);
	});
});
