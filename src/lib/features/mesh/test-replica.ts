// Test support for the sync merge and tombstone-collection specs: one in-memory device that edits through
// the same `localChange` the Dexie middleware uses and merges with `mergeRow` the way sync applies batches.
import { HlcClock } from '$lib/db/hlc';
import { localChange, stampId, type StampRecord, type SyncTable } from '$lib/db/stamps';
import { isAlive, mergeRow, type RowState } from './sync-merge';

/** A seeded PRNG so a failing case can be replayed. */
export function random(seed: number): () => number {
	let s = seed >>> 0;
	return () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** One device: its rows (synced values of live rows) and stamp records. */
export class Replica {
	rows = new Map<string, Record<string, unknown>>();
	stamps = new Map<string, StampRecord>();
	clock: HlcClock;
	constructor(node: string, wall: () => number) {
		this.clock = new HlcClock(node, wall);
	}
	write(table: SyncTable, key: string, after: Record<string, unknown> | undefined): void {
		const id = stampId(table, key);
		const record = localChange(this.stamps.get(id), table, key, this.rows.get(id), after, this.clock.now());
		if (record) this.stamps.set(id, record);
		if (after) this.rows.set(id, after);
		else this.rows.delete(id);
	}
	/** What sync sends for one row. */
	state(id: string): RowState {
		const r = this.stamps.get(id)!;
		return { c: r.c, d: r.d, s: r.s, f: (isAlive(r) ? this.rows.get(id) : r.v) ?? {} };
	}
	receive(id: string, remote: RowState): void {
		for (const stamp of [remote.c, remote.d, ...Object.values(remote.s)]) this.clock.observe(stamp);
		const merged = mergeRow(this.stamps.has(id) ? this.state(id) : undefined, remote);
		if (!merged.changed) return;
		const [table, ...rest] = id.split('/');
		const { state } = merged;
		const alive = isAlive(state);
		this.stamps.set(id, {
			id,
			t: table as SyncTable,
			k: rest.join('/'),
			c: state.c,
			d: state.d,
			s: state.s,
			v: alive ? null : state.f,
			seq: this.clock.now()
		});
		if (alive) this.rows.set(id, { ...state.f });
		else this.rows.delete(id);
	}
	/** Live rows, sorted by id. */
	sortedRows(): [string, Record<string, unknown>][] {
		return [...this.rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
	}
}
