import { describe, expect, it } from 'vitest';
import { db, type TrackRow } from '$lib/db';
import { offlineStore } from './offline-store.svelte';

const row = (hash: string, dateAdded: number) =>
	({
		hash,
		size: 10_000_000,
		pinned: false,
		storage: 'opfs',
		lastPlayed: null,
		dateAdded,
		paths: [],
		title: hash,
		artist: '',
		album: '',
		genre: '',
		comment: '',
		label: '',
		freeTags: [],
		rating: 0,
		playCount: 0
	}) as unknown as TrackRow;

describe('the audio cap', () => {
	it('never evicts a file that a store player schedule needs', async () => {
		const scheduled = 'a'.repeat(64);
		const other = 'b'.repeat(64);
		// The scheduled one is the older: it would be the first to go by the LRU rule.
		await db().tracks.bulkAdd([row(scheduled, 1), row(other, 2)]);
		await db().table('syncAssets').add({ hash: scheduled, state: 'held' });

		// Other spec files share this database: only these two rows are asserted on.
		const evicted = await offlineStore.setCap(5_000_000);
		expect(evicted).toContain(other);
		expect(evicted).not.toContain(scheduled);
		expect((await db().tracks.get(scheduled))?.storage).toBe('opfs');
		expect((await db().tracks.get(other))?.storage).toBe('none');
		await offlineStore.setCap(null);
	});
});
