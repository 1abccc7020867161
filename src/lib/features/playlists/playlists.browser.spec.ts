import { describe, expect, it } from 'vitest';
import { db } from '$lib/db';
import { cleanName, Playlists, positionBetween } from './playlists.svelte';

const h = (n: number) => n.toString(16).padStart(64, '0');

describe('playlists (real IndexedDB)', () => {
	it('keeps order, ignores repeats, moves and removes tracks', async () => {
		const lists = new Playlists();
		const list = await lists.create('Warm-up', 'playlist');
		expect(await lists.add(list.id, [h(1), h(2), h(3), h(2)])).toBe(3);
		expect(await lists.add(list.id, [h(3), h(4)])).toBe(1);
		expect(await lists.hashes(list.id)).toEqual([h(1), h(2), h(3), h(4)]);
		await lists.move(list.id, [h(4)], h(1));
		expect(await lists.hashes(list.id)).toEqual([h(4), h(1), h(2), h(3)]);
		await lists.move(list.id, [h(4), h(1)], null);
		expect(await lists.hashes(list.id)).toEqual([h(2), h(3), h(4), h(1)]);
		await lists.move(list.id, [h(1), h(3)], h(2));
		expect(await lists.hashes(list.id)).toEqual([h(3), h(1), h(2), h(4)]);
		await lists.removeTracks(list.id, [h(1)]);
		expect(await lists.hashes(list.id)).toEqual([h(3), h(2), h(4)]);
	});

	it('nests playlists in crates and frees them when the crate goes', async () => {
		const lists = new Playlists();
		const crate = await lists.create('Weddings', 'crate');
		const inside = await lists.create('First dance', 'playlist', crate.id);
		const smart = await lists.create('Fast ones', 'smart', null, 'bpm=128-140');
		expect(lists.tree.map((t) => [t.row.name, t.depth])).toEqual(
			expect.arrayContaining([
				['Weddings', 0],
				['First dance', 1],
				['Fast ones', 0]
			])
		);
		expect(lists.get(smart.id)?.rules).toBe('bpm=128-140');
		await lists.add(inside.id, [h(9)]);
		await lists.remove(crate.id);
		expect(lists.get(inside.id)?.parentId).toBeNull();
		await lists.remove(inside.id);
		expect(await db().playlistItems.where('playlistId').equals(inside.id).count()).toBe(0);
	});

	it('cleans names and computes in-between positions', () => {
		expect(cleanName('  Set\u202e list \u0000')).toBe('Set list');
		expect(positionBetween(1, 2)).toBe(1.5);
		expect(positionBetween(undefined, 1)).toBe(0);
		expect(positionBetween(3, undefined)).toBe(4);
		expect(positionBetween(undefined, undefined)).toBe(1);
	});
});
