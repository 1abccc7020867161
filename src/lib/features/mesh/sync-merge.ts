/**
 * The merge rule for library sync, pure. A row's state is (created stamp, deleted stamp, per field: value
 * and stamp). Merging two states takes the later created and deleted stamps and, per field, the value with
 * the later stamp; that is a join (commutative, associative, idempotent), so replicas that have seen the
 * same changes hold the same state whatever the order. A row is alive when it was created after its last
 * delete: a delete beats every edit (older or newer: edits never revive a row); only re-creating it (an
 * import, an undo, adding the track to the playlist again) after the delete brings it back.
 */
import { maxHlc, type Hlc } from '$lib/db/hlc';

export interface RowState {
	c: Hlc;
	d: Hlc;
	/** per field stamp */
	s: Record<string, Hlc>;
	/** per field value (every stamped field has one) */
	f: Record<string, unknown>;
}

export const isAlive = (state: Pick<RowState, 'c' | 'd'>): boolean => state.c > state.d;

export interface Merged {
	state: RowState;
	/** The local state changed. */
	changed: boolean;
	/** The result is exactly the remote state (nothing local was newer): the peer already has it. */
	covered: boolean;
}

export function mergeRow(local: RowState | undefined, remote: RowState): Merged {
	if (!local)
		return {
			state: { c: remote.c, d: remote.d, s: { ...remote.s }, f: { ...remote.f } },
			changed: true,
			covered: true
		};
	const state: RowState = {
		c: maxHlc(local.c, remote.c),
		d: maxHlc(local.d, remote.d),
		s: { ...local.s },
		f: { ...local.f }
	};
	let changed = state.c !== local.c || state.d !== local.d;
	let covered = state.c === remote.c && state.d === remote.d;
	for (const field of new Set([...Object.keys(local.s), ...Object.keys(remote.s)])) {
		const mine = local.s[field] ?? '';
		const theirs = remote.s[field] ?? '';
		if (theirs > mine) {
			state.s[field] = theirs;
			state.f[field] = remote.f[field];
			changed = true;
		} else if (mine > theirs) covered = false;
	}
	return { state, changed, covered };
}

/** Playlist order everywhere: by position, equal positions (concurrent moves into one gap) by track hash. */
export function byPosition<T extends { position: number; hash: string }>(a: T, b: T): number {
	return a.position - b.position || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);
}
