import { describe, expect, it } from 'vitest';
import { chooseEvictions, summarise, type StoredTrack } from './storage-policy';

const t = (hash: string, fields: Partial<StoredTrack>): StoredTrack => ({
	hash,
	size: 100,
	pinned: false,
	storage: 'opfs',
	lastPlayed: null,
	dateAdded: 0,
	...fields
});

describe('audio cache cap', () => {
	const tracks = [
		t('a', { lastPlayed: 50 }),
		t('b', { lastPlayed: 10 }),
		t('c', { pinned: true, lastPlayed: 1 }),
		t('d', { lastPlayed: null, dateAdded: 20 }),
		t('e', { storage: 'none' }),
		t('f', { lastPlayed: 90 })
	];

	it('keeps everything without a cap or under it', () => {
		expect(chooseEvictions(tracks, null)).toEqual([]);
		expect(chooseEvictions(tracks, 500)).toEqual([]);
	});

	it('evicts least recently played first and never pinned tracks', () => {
		expect(chooseEvictions(tracks, 400)).toEqual(['b']);
		expect(chooseEvictions(tracks, 250)).toEqual(['b', 'd', 'a']);
		expect(chooseEvictions(tracks, 0)).toEqual(['b', 'd', 'a', 'f']);
	});

	it('summarises pinned, cached and missing audio', () => {
		expect(summarise(tracks)).toEqual({
			pinned: { count: 1, bytes: 100 },
			cached: { count: 4, bytes: 400 },
			missing: 1
		});
	});
});
