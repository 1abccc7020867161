import { describe, expect, it } from 'vitest';
import { stampId } from '$lib/db/stamps';
import { byPosition, mergeRow, type RowState } from './sync-merge';
import { random, Replica as BaseReplica } from './test-replica';

/** The shared device model, plus sending and the playlist order this spec checks. */
class Replica extends BaseReplica {
	/** Sends every record to another replica (a full pull; deltas are a subset of it). */
	sendTo(other: Replica, pick: (ids: string[]) => string[] = (ids) => ids): void {
		for (const id of pick([...this.stamps.keys()])) other.receive(id, structuredClone(this.state(id)));
	}
	dump() {
		const rows = this.sortedRows();
		const order = [...this.rows.entries()]
			.filter(([id]) => id.startsWith('playlistItems/'))
			.map(([, row]) => row as { position: number; hash: string })
			.sort(byPosition)
			.map((row) => row.hash);
		return { rows, order };
	}
}

const HASHES = ['aa', 'bb', 'cc', 'dd', 'ee'];

function track(hash: string, n: number): Record<string, unknown> {
	return {
		fileName: `${hash}.mp3`,
		size: 1000,
		title: `T${hash}`,
		rating: n % 6,
		freeTags: [`tag${n % 3}`],
		dateAdded: 1
	};
}

function randomEdit(replica: Replica, rnd: () => number, n: number): void {
	const hash = HASHES[Math.floor(rnd() * HASHES.length)]!;
	const trackId = stampId('tracks', hash);
	const itemKey = `p1|${hash}`;
	const itemId = stampId('playlistItems', itemKey);
	const row = replica.rows.get(trackId);
	const item = replica.rows.get(itemId);
	const r = rnd();
	if (r < 0.15) replica.write('tracks', hash, row ? { ...row, title: `T${hash}` } : track(hash, n));
	else if (r < 0.35 && row) replica.write('tracks', hash, { ...row, rating: Math.floor(rnd() * 6) });
	else if (r < 0.5 && row)
		replica.write('tracks', hash, { ...row, freeTags: [`t${Math.floor(rnd() * 9)}`], title: `x${n}` });
	else if (r < 0.6 && row) replica.write('tracks', hash, undefined);
	else if (r < 0.72 && !item)
		replica.write('playlistItems', itemKey, { playlistId: 'p1', hash, position: Math.floor(rnd() * 8), addedAt: n });
	else if (r < 0.9 && item) {
		// a move: a fractional position between two others (often colliding with another device's move)
		const positions = [...replica.rows.entries()]
			.filter(([id]) => id.startsWith('playlistItems/'))
			.map(([, value]) => value.position as number)
			.sort((a, b) => a - b);
		const i = Math.floor(rnd() * (positions.length + 1));
		const lo = positions[i - 1] ?? (positions[0] ?? 0) - 1;
		const hi = positions[i] ?? lo + 2;
		replica.write('playlistItems', itemKey, { ...item, position: (lo + hi) / 2 });
	} else if (item) replica.write('playlistItems', itemKey, undefined);
}

describe('library sync merge rule', () => {
	it('random concurrent edits on three replicas, exchanged in random orders, converge', () => {
		for (let seed = 1; seed <= 300; seed++) {
			const rnd = random(seed);
			// Skewed wall clocks (up to ±5 minutes apart) that also step back now and then.
			const offsets = [0, 300_000 * (rnd() - 0.5), 300_000 * (rnd() - 0.5)];
			let wall = 1_700_000_000_000;
			const replicas = ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc'].map(
				(node, i) => new Replica(node, () => wall + offsets[i]! - (rnd() < 0.1 ? 1000 : 0))
			);
			for (let step = 0; step < 60; step++) {
				wall += Math.floor(rnd() * 20);
				const replica = replicas[Math.floor(rnd() * 3)]!;
				if (rnd() < 0.75) randomEdit(replica, rnd, step);
				else {
					// partial sync: a random subset, in a random order, to a random other replica
					const other = replicas.filter((r) => r !== replica)[Math.floor(rnd() * 2)]!;
					replica.sendTo(other, (ids) => ids.filter(() => rnd() < 0.6).sort(() => rnd() - 0.5));
				}
			}
			// Reconnect: everyone pulls from everyone, in a random order of pairs.
			const pairs = [
				[0, 1],
				[1, 0],
				[0, 2],
				[2, 0],
				[1, 2],
				[2, 1]
			].sort(() => rnd() - 0.5);
			for (let round = 0; round < 2; round++)
				for (const [a, b] of pairs) replicas[a!]!.sendTo(replicas[b!]!, (ids) => ids.sort(() => rnd() - 0.5));
			const [first, ...rest] = replicas.map((r) => r.dump());
			for (const other of rest) expect(other, `seed ${seed}`).toEqual(first);
			const stamps = replicas.map((r) =>
				[...r.stamps.values()].map(({ id, c, d, s }) => ({ id, c, d, s })).sort((x, y) => (x.id < y.id ? -1 : 1))
			);
			expect(stamps[1], `seed ${seed}`).toEqual(stamps[0]);
			expect(stamps[2], `seed ${seed}`).toEqual(stamps[0]);
		}
	}, 120_000); // CPU-bound (300 seeds): 4 s on a quiet machine, over 5 s (the default) on a loaded one

	it('a delete beats a concurrent edit even when the edit is newer; re-creating revives', () => {
		let wall = 1000;
		const a = new Replica('aaaaaaaaaaaa', () => wall);
		const b = new Replica('bbbbbbbbbbbb', () => wall);
		a.write('tracks', 'aa', track('aa', 1));
		a.sendTo(b);
		wall = 2000;
		a.write('tracks', 'aa', undefined);
		wall = 3000;
		b.write('tracks', 'aa', { ...b.rows.get('tracks/aa')!, rating: 5 });
		a.sendTo(b);
		b.sendTo(a);
		expect(a.rows.has('tracks/aa')).toBe(false);
		expect(b.rows.has('tracks/aa')).toBe(false);
		// The edit is kept in the tombstone: a revival shows the latest values.
		expect(b.stamps.get('tracks/aa')!.v).toMatchObject({ rating: 5 });
		wall = 4000;
		b.write('tracks', 'aa', track('aa', 2));
		b.sendTo(a);
		expect(a.rows.get('tracks/aa')).toMatchObject({ rating: 2 });
		expect(a.dump()).toEqual(b.dump());
	});

	it('per field: concurrent edits of different fields both survive; the same field goes to the later stamp', () => {
		let wall = 1000;
		const a = new Replica('aaaaaaaaaaaa', () => wall);
		const b = new Replica('bbbbbbbbbbbb', () => wall);
		a.write('tracks', 'aa', track('aa', 0));
		a.sendTo(b);
		wall = 2000;
		a.write('tracks', 'aa', { ...a.rows.get('tracks/aa')!, rating: 4 });
		b.write('tracks', 'aa', { ...b.rows.get('tracks/aa')!, title: 'B title' });
		wall = 2001;
		b.write('tracks', 'aa', { ...b.rows.get('tracks/aa')!, rating: 1 });
		a.sendTo(b);
		b.sendTo(a);
		expect(a.rows.get('tracks/aa')).toMatchObject({ title: 'B title', rating: 1 });
		expect(a.dump()).toEqual(b.dump());
	});

	it('merging is idempotent and reports when the peer already has the result', () => {
		const remote: RowState = { c: 'a', d: '', s: { x: 'b' }, f: { x: 1 } };
		const once = mergeRow(undefined, remote);
		expect(once).toMatchObject({ changed: true, covered: true });
		const twice = mergeRow(once.state, remote);
		expect(twice).toMatchObject({ changed: false, covered: true });
		const newer: RowState = { ...once.state, s: { x: 'c' }, f: { x: 2 } };
		expect(mergeRow(newer, remote)).toMatchObject({ changed: false, covered: false });
	});

	it('orders equal positions by track hash', () => {
		const items = [
			{ position: 2, hash: 'b' },
			{ position: 1.5, hash: 'z' },
			{ position: 1.5, hash: 'a' }
		];
		expect(items.sort(byPosition).map((i) => i.hash)).toEqual(['a', 'z', 'b']);
	});
});
