/**
 * The room as pure functions: the host applies members' actions with `reduce` (which also decides
 * whether the member may), and every member can compute the same `successor` from its last snapshot
 * when the host goes away. No I/O here; `room.svelte.ts` wires it to connections.
 */
import {
	MAX_MEMBERS,
	MAX_QUEUE,
	MAX_REQUESTS,
	MAX_SETLIST,
	type Action,
	type Member,
	type RoomState,
	type TrackInfo
} from './room-protocol';

/** A member who dropped out keeps their place (role, votes) this long, so a rejoin is seamless. */
export const OFFLINE_GRACE_MS = 10 * 60_000;
export const DEFAULT_TARGET_MS = 60;

export type ReduceResult = { ok: true; state: RoomState } | { ok: false; error: string };

export function createRoom(code: string, host: { id: string; name: string }, now: number): RoomState {
	return {
		code,
		rev: 1,
		host: host.id,
		createdAt: now,
		seq: 0,
		members: [member(host.id, host.name, 'host', now)],
		queue: [],
		requests: [],
		setlist: [],
		listen: { on: false, targetMs: DEFAULT_TARGET_MS }
	};
}

function member(id: string, name: string, role: Member['role'], now: number): Member {
	return { id, name, role, joinedAt: now, leftAt: null, online: true, listening: false, now: null, delayMs: null };
}

const bump = (state: RoomState, patch: Partial<RoomState>): RoomState => ({ ...state, ...patch, rev: state.rev + 1 });

function withId(state: RoomState): [string, RoomState] {
	const seq = state.seq + 1;
	return [seq.toString(36), { ...state, seq }];
}

const sameTrack = (a: TrackInfo, b: TrackInfo) =>
	a.hash && b.hash ? a.hash === b.hash : a.title.toLowerCase() === b.title.toLowerCase() && a.artist === b.artist;

/** A member joins, or an existing one (same id) comes back online. */
export function join(state: RoomState, id: string, name: string, now: number): ReduceResult {
	const existing = state.members.find((m) => m.id === id);
	if (existing) {
		const members = state.members.map((m) => (m.id === id ? { ...m, name, online: true, leftAt: null } : m));
		return { ok: true, state: bump(state, { members }) };
	}
	const pruned = prune(state, now);
	if (pruned.members.filter((m) => m.online).length >= MAX_MEMBERS) return { ok: false, error: 'room-full' };
	const members = [...pruned.members, member(id, name, 'listener', now)];
	if (members.length > MAX_MEMBERS * 2)
		members.splice(
			members.findIndex((m) => !m.online),
			1
		);
	return { ok: true, state: bump(pruned, { members }) };
}

/** A member's connection went away (left, page closed or network): kept for `OFFLINE_GRACE_MS`. */
export function drop(state: RoomState, id: string, now: number): RoomState {
	if (!state.members.some((m) => m.id === id && m.online)) return state;
	const members = state.members.map((m) =>
		m.id === id ? { ...m, online: false, leftAt: now, listening: false, now: null, delayMs: null } : m
	);
	return prune(bump(state, { members }), now);
}

/** Forgets members offline for longer than the grace period (their votes go with them). */
function prune(state: RoomState, now: number): RoomState {
	const gone = new Set(
		state.members.filter((m) => !m.online && now - (m.leftAt ?? 0) > OFFLINE_GRACE_MS).map((m) => m.id)
	);
	if (gone.size === 0) return state;
	return {
		...state,
		members: state.members.filter((m) => !gone.has(m.id)),
		requests: state.requests.map((r) => ({ ...r, votes: r.votes.filter((id) => !gone.has(id)) }))
	};
}

const canCurate = (state: RoomState, id: string) => {
	const role = state.members.find((m) => m.id === id)?.role;
	return role === 'host' || role === 'dj';
};

/** Applies one member's action, if that member may do it. */
export function reduce(state: RoomState, from: string, action: Action, now: number): ReduceResult {
	const me = state.members.find((m) => m.id === from && m.online);
	if (!me) return { ok: false, error: 'not-a-member' };
	switch (action.type) {
		case 'now': {
			let next = bump(state, {
				members: state.members.map((m) => (m.id === from ? { ...m, now: action.now } : m))
			});
			// What the host and DJs play is the session's setlist; the queue's matching entry is done.
			if (action.now?.playing && canCurate(state, from)) {
				const { since, playing: _playing, ...track } = action.now;
				void _playing;
				// One entry per play: a play is identified by who played it and when it started.
				const last = state.setlist.findLast((e) => e.by === from);
				if (!last || last.at !== since || !sameTrack(last.track, track)) {
					const setlist = [...next.setlist, { track, by: from, name: me.name, at: since }].slice(-MAX_SETLIST);
					const played = next.queue.findIndex((e) => sameTrack(e.track, track));
					const queue = played === -1 ? next.queue : next.queue.filter((_, i) => i !== played);
					const requests = next.requests.filter((r) => !sameTrack(r.track, track));
					next = { ...next, setlist, queue, requests };
				}
			}
			return { ok: true, state: next };
		}
		case 'request': {
			const existing = state.requests.find((r) => sameTrack(r.track, action.track));
			if (existing) return reduce(state, from, { type: 'vote', entry: existing.id, up: true }, now);
			if (state.requests.length >= MAX_REQUESTS) return { ok: false, error: 'too-many-requests' };
			const [id, next] = withId(state);
			const request = { id, track: action.track, by: from, at: now, votes: [from] };
			return { ok: true, state: bump(next, { requests: [...next.requests, request] }) };
		}
		case 'vote': {
			const request = state.requests.find((r) => r.id === action.entry);
			if (!request) return { ok: false, error: 'no-such-request' };
			const votes = request.votes.filter((id) => id !== from);
			if (action.up) votes.push(from);
			const requests = state.requests.map((r) => (r.id === request.id ? { ...r, votes } : r));
			return { ok: true, state: bump(state, { requests }) };
		}
		case 'queue-add': {
			if (!canCurate(state, from)) return { ok: false, error: 'forbidden' };
			if (state.queue.length >= MAX_QUEUE) return { ok: false, error: 'queue-full' };
			const [id, next] = withId(state);
			return {
				ok: true,
				state: bump(next, { queue: [...next.queue, { id, track: action.track, by: from, at: now }] })
			};
		}
		case 'queue-remove': {
			if (!canCurate(state, from)) return { ok: false, error: 'forbidden' };
			if (!state.queue.some((e) => e.id === action.entry)) return { ok: false, error: 'no-such-entry' };
			return { ok: true, state: bump(state, { queue: state.queue.filter((e) => e.id !== action.entry) }) };
		}
		case 'queue-move': {
			if (!canCurate(state, from)) return { ok: false, error: 'forbidden' };
			const index = state.queue.findIndex((e) => e.id === action.entry);
			if (index === -1) return { ok: false, error: 'no-such-entry' };
			const queue = [...state.queue];
			const [entry] = queue.splice(index, 1);
			queue.splice(Math.min(action.to, queue.length), 0, entry!);
			return { ok: true, state: bump(state, { queue }) };
		}
		case 'promote': {
			if (!canCurate(state, from)) return { ok: false, error: 'forbidden' };
			const request = state.requests.find((r) => r.id === action.entry);
			if (!request) return { ok: false, error: 'no-such-request' };
			if (state.queue.length >= MAX_QUEUE) return { ok: false, error: 'queue-full' };
			const [id, next] = withId(state);
			return {
				ok: true,
				state: bump(next, {
					queue: [...next.queue, { id, track: request.track, by: request.by, at: now }],
					requests: next.requests.filter((r) => r.id !== request.id)
				})
			};
		}
		case 'dismiss': {
			const request = state.requests.find((r) => r.id === action.entry);
			if (!request) return { ok: false, error: 'no-such-request' };
			// The requester may withdraw their own request; DJs may dismiss any.
			if (request.by !== from && !canCurate(state, from)) return { ok: false, error: 'forbidden' };
			return { ok: true, state: bump(state, { requests: state.requests.filter((r) => r.id !== request.id) }) };
		}
		case 'role': {
			if (me.role !== 'host') return { ok: false, error: 'forbidden' };
			const target = state.members.find((m) => m.id === action.member);
			if (!target || target.role === 'host') return { ok: false, error: 'no-such-member' };
			const members = state.members.map((m) => (m.id === target.id ? { ...m, role: action.role } : m));
			return { ok: true, state: bump(state, { members }) };
		}
		case 'listen': {
			const members = state.members.map((m) =>
				m.id === from ? { ...m, listening: action.on, delayMs: action.on ? m.delayMs : null } : m
			);
			return { ok: true, state: bump(state, { members }) };
		}
		case 'listen-mode': {
			if (me.role !== 'host') return { ok: false, error: 'forbidden' };
			return { ok: true, state: bump(state, { listen: { on: action.on, targetMs: action.targetMs } }) };
		}
		case 'delay': {
			const members = state.members.map((m) => (m.id === from ? { ...m, delayMs: action.ms } : m));
			return { ok: true, state: bump(state, { members }) };
		}
	}
}

/**
 * Who takes the room when `leaving` (the host) goes: the DJ who joined first, else the member who joined
 * first, among members still online; ties by id. Every member computes this from its own last snapshot,
 * so all agree without a vote (they hold the same snapshot: the host sends it after every change).
 */
export function successor(state: RoomState, leaving: string): string | null {
	const candidates = state.members
		.filter((m) => m.id !== leaving && m.online)
		.sort(
			(a, b) => Number(b.role === 'dj') - Number(a.role === 'dj') || a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : 1)
		);
	return candidates[0]?.id ?? null;
}

/** The successor's first state as host: the old host is kept as an offline DJ (it may come back). */
export function takeOver(state: RoomState, me: string, now: number): RoomState {
	const members = state.members.map((m) => {
		if (m.id === me) return { ...m, role: 'host' as const, online: true };
		if (m.id === state.host || m.role === 'host')
			return { ...m, role: 'dj' as const, online: false, leftAt: now, listening: false, now: null };
		return m;
	});
	return prune({ ...state, host: me, members, rev: state.rev + 1 }, now);
}

/** Requests, most votes first (then oldest first). */
export function rankedRequests(state: RoomState): RoomState['requests'] {
	return [...state.requests].sort((a, b) => b.votes.length - a.votes.length || a.at - b.at);
}

/** The spread of listeners' reported delays: how far apart their playback is (null with fewer than two). */
export function listenerSkew(state: RoomState): number | null {
	const delays = state.members.filter((m) => m.online && m.listening && m.delayMs !== null).map((m) => m.delayMs!);
	return delays.length < 2 ? null : Math.max(...delays) - Math.min(...delays);
}
