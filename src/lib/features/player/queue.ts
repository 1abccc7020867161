/**
 * The play queue as pure functions over an immutable state: history (played, oldest first), the current
 * entry, and what comes next. Shuffle reorders `upcoming` and keeps the original order in `ordered`, so
 * turning it off restores it; repeat 'all' refills from `cycle` (what the last playNow/enqueue added).
 */

export type Repeat = 'off' | 'all' | 'one';

export interface QueueEntry {
	/** Unique per queue position (the same track can be queued twice). */
	uid: number;
	hash: string;
	/** What started it: 'library', a playlist id, 'schedule', 'emergency', 'jingle'. */
	source: string;
}

export interface QueueState {
	history: readonly QueueEntry[];
	current: QueueEntry | null;
	upcoming: readonly QueueEntry[];
	/** `upcoming` in its unshuffled order. */
	ordered: readonly QueueEntry[];
	/** Hashes of the playing context, replayed by repeat 'all'. */
	cycle: readonly string[];
	cycleSource: string;
	shuffle: boolean;
	repeat: Repeat;
}

export const HISTORY_LIMIT = 200;

export const emptyQueue = (): QueueState => ({
	history: [],
	current: null,
	upcoming: [],
	ordered: [],
	cycle: [],
	cycleSource: 'library',
	shuffle: false,
	repeat: 'off'
});

let nextUid = 1;
export const entries = (hashes: readonly string[], source: string): QueueEntry[] =>
	hashes.map((hash) => ({ uid: nextUid++, hash, source }));

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[out[i], out[j]] = [out[j]!, out[i]!];
	}
	return out;
}

const pushHistory = (history: readonly QueueEntry[], entry: QueueEntry | null) =>
	entry ? [...history, entry].slice(-HISTORY_LIMIT) : history;

/** Replaces the queue: `hashes[startIndex]` plays now, the rest of the list follows. */
export function playNow(
	state: QueueState,
	hashes: readonly string[],
	startIndex: number,
	source: string,
	random: () => number
): QueueState {
	if (hashes.length === 0) return state;
	const index = Math.max(0, Math.min(hashes.length - 1, startIndex));
	const list = entries(hashes, source);
	const first = list[index]!;
	const rest = [...list.slice(index + 1), ...list.slice(0, index)];
	return {
		...state,
		history: pushHistory(state.history, state.current),
		current: first,
		ordered: rest,
		upcoming: state.shuffle ? shuffled(rest, random) : rest,
		cycle: [...hashes],
		cycleSource: source
	};
}

/** Right after the current entry, in the given order (also when shuffled). */
export function playNext(state: QueueState, hashes: readonly string[], source: string): QueueState {
	const list = entries(hashes, source);
	if (!state.current)
		return advance({ ...state, upcoming: [...list, ...state.upcoming], ordered: [...list, ...state.ordered] }, 'skip');
	return { ...state, upcoming: [...list, ...state.upcoming], ordered: [...list, ...state.ordered] };
}

export function addToQueue(state: QueueState, hashes: readonly string[], source: string): QueueState {
	const list = entries(hashes, source);
	const next = {
		...state,
		upcoming: [...state.upcoming, ...list],
		ordered: [...state.ordered, ...list],
		cycle: [...state.cycle, ...hashes]
	};
	return state.current ? next : advance(next, 'skip');
}

/**
 * Moves to the next entry. 'ended' honours repeat 'one'; a skip does not. With repeat 'all' an empty
 * queue refills from the playing context.
 */
export function advance(state: QueueState, how: 'ended' | 'skip', random: () => number = Math.random): QueueState {
	if (how === 'ended' && state.repeat === 'one' && state.current) {
		return {
			...state,
			history: pushHistory(state.history, state.current),
			current: entries([state.current.hash], state.current.source)[0]!
		};
	}
	let { upcoming, ordered } = state;
	if (upcoming.length === 0 && state.repeat === 'all' && state.cycle.length > 0) {
		ordered = entries(state.cycle, state.cycleSource);
		upcoming = state.shuffle ? shuffled(ordered, random) : ordered;
	}
	const [next, ...rest] = upcoming;
	return {
		...state,
		history: pushHistory(state.history, state.current),
		current: next ?? null,
		upcoming: rest,
		ordered: next ? ordered.filter((e) => e.uid !== next.uid) : ordered
	};
}

/** Back to the previous entry; the current one goes to the front of the queue. */
export function previous(state: QueueState): QueueState {
	const last = state.history[state.history.length - 1];
	if (!last) return state;
	const back = state.current ? [state.current] : [];
	return {
		...state,
		history: state.history.slice(0, -1),
		current: last,
		upcoming: [...back, ...state.upcoming],
		ordered: [...back, ...state.ordered]
	};
}

/** The entry after the current one, as advance(…, 'ended') would choose it (undefined if it would refill). */
export function peekNext(state: QueueState): QueueEntry | null {
	if (state.repeat === 'one' && state.current) return state.current;
	return state.upcoming[0] ?? null;
}

export function move(state: QueueState, from: number, to: number): QueueState {
	if (from === to || from < 0 || from >= state.upcoming.length) return state;
	const upcoming = [...state.upcoming];
	const [entry] = upcoming.splice(from, 1);
	upcoming.splice(Math.max(0, Math.min(upcoming.length, to)), 0, entry!);
	// A manual order is the order from now on, shuffled or not.
	return { ...state, upcoming, ordered: upcoming };
}

export function remove(state: QueueState, uid: number): QueueState {
	return {
		...state,
		upcoming: state.upcoming.filter((e) => e.uid !== uid),
		ordered: state.ordered.filter((e) => e.uid !== uid)
	};
}

export function clear(state: QueueState): QueueState {
	return { ...state, upcoming: [], ordered: [], cycle: state.current ? [state.current.hash] : [] };
}

export function setShuffle(state: QueueState, on: boolean, random: () => number): QueueState {
	if (on === state.shuffle) return state;
	return { ...state, shuffle: on, upcoming: on ? shuffled(state.ordered, random) : [...state.ordered] };
}

export function setRepeat(state: QueueState, repeat: Repeat): QueueState {
	return { ...state, repeat };
}
