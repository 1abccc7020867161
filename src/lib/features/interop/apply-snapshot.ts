/**
 * A plan applied to plain rows (what the Dexie transaction in the worker writes, without a database):
 * the round-trip tests compare libraries with it, and it documents what apply does.
 */
import type { LibrarySnapshot } from './model';
import type { ImportOps } from './plan';

export function applyToSnapshot(library: LibrarySnapshot, ops: ImportOps): LibrarySnapshot {
	const patches = new Map(ops.trackPatches.map((p) => [p.hash, p.patch]));
	const grids = new Map(ops.gridUpdates.map((g) => [g.hash, g.beatGrid]));
	const deleted = new Set(ops.cueDeletes);
	let nextId = Math.max(0, ...library.cues.map((c) => c.id ?? 0)) + 1;
	let nextItem = Math.max(0, ...library.items.map((c) => c.id ?? 0)) + 1;
	const puts = new Map(ops.analysisPuts.map((a) => [a.hash, a]));
	return {
		tracks: library.tracks.map((t) => (patches.has(t.hash) ? { ...t, ...patches.get(t.hash) } : t)),
		analysis: [
			...library.analysis
				.filter((a) => !puts.has(a.hash))
				.map((a) => (grids.has(a.hash) ? { ...a, beatGrid: grids.get(a.hash)! } : a)),
			...ops.analysisPuts
		],
		cues: [
			...library.cues.filter((c) => !deleted.has(c.id ?? -1)),
			...ops.cueAdds.map((c) => ({ ...c, id: nextId++ }))
		],
		playlists: [...library.playlists.filter((p) => !ops.playlistPuts.some((q) => q.id === p.id)), ...ops.playlistPuts],
		items: [...library.items, ...ops.itemAdds.map((i) => ({ ...i, id: nextItem++ }))]
	};
}
