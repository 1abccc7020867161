import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { RoomStateSchema, type Action, type RoomState, type TrackInfo } from './room-protocol';
import {
	createRoom,
	drop,
	join,
	listenerSkew,
	OFFLINE_GRACE_MS,
	rankedRequests,
	reduce,
	successor,
	takeOver
} from './room-state';

const id = (n: number) => `cms-${String(n).padStart(24, '0')}`;
const [HOST, ANA, BEN, CAT] = [id(1), id(2), id(3), id(4)];
const track = (n: number, extra: Partial<TrackInfo> = {}): TrackInfo => ({
	hash: String(n).padStart(64, 'a'),
	title: `Track ${n}`,
	artist: 'Artist',
	duration: 200,
	bpm: 124,
	key: '8A',
	...extra
});

function ok(result: ReturnType<typeof reduce>): RoomState {
	if (!result.ok) throw new Error(result.error);
	// Every state the reducer makes is one the protocol accepts (what members validate).
	expect(v.safeParse(RoomStateSchema, result.state).success).toBe(true);
	return result.state;
}

function room(): RoomState {
	let state = createRoom('abc234', { id: HOST, name: 'Host' }, 1000);
	state = ok(join(state, ANA, 'Ana', 2000));
	state = ok(join(state, BEN, 'Ben', 3000));
	return state;
}

const act = (state: RoomState, from: string, action: Action, now = 5000) => reduce(state, from, action, now);

describe('room reducer', () => {
	it('joins members as listeners and rejoins the same id in place', () => {
		let state = room();
		expect(state.members.map((m) => [m.name, m.role])).toEqual([
			['Host', 'host'],
			['Ana', 'listener'],
			['Ben', 'listener']
		]);
		state = drop(state, ANA, 4000);
		expect(state.members.find((m) => m.id === ANA)).toMatchObject({ online: false, leftAt: 4000 });
		state = ok(join(state, ANA, 'Ana 2', 5000));
		expect(state.members).toHaveLength(3);
		expect(state.members.find((m) => m.id === ANA)).toMatchObject({ online: true, name: 'Ana 2', joinedAt: 2000 });
	});

	it('forgets members offline past the grace period, with their votes', () => {
		let state = room();
		state = ok(act(state, ANA, { type: 'request', track: track(1) }));
		state = drop(state, ANA, 6000);
		state = ok(join(state, CAT, 'Cat', 6000 + OFFLINE_GRACE_MS + 1));
		expect(state.members.some((m) => m.id === ANA)).toBe(false);
		expect(state.requests[0]!.votes).toEqual([]);
	});

	it('only the host and DJs curate the queue; the host names DJs', () => {
		let state = room();
		expect(act(state, ANA, { type: 'queue-add', track: track(1) })).toEqual({ ok: false, error: 'forbidden' });
		expect(act(state, ANA, { type: 'role', member: BEN, role: 'dj' })).toEqual({ ok: false, error: 'forbidden' });
		state = ok(act(state, HOST, { type: 'role', member: ANA, role: 'dj' }));
		state = ok(act(state, ANA, { type: 'queue-add', track: track(1) }));
		state = ok(act(state, HOST, { type: 'queue-add', track: track(2) }));
		state = ok(act(state, ANA, { type: 'queue-move', entry: state.queue[1]!.id, to: 0 }));
		expect(state.queue.map((e) => e.track.title)).toEqual(['Track 2', 'Track 1']);
		state = ok(act(state, HOST, { type: 'queue-remove', entry: state.queue[0]!.id }));
		expect(state.queue.map((e) => e.track.title)).toEqual(['Track 1']);
		expect(act(state, HOST, { type: 'role', member: HOST, role: 'listener' }).ok).toBe(false);
	});

	it('requests merge by track, votes toggle once per member, ranking by votes then age', () => {
		let state = room();
		state = ok(act(state, ANA, { type: 'request', track: track(1) }, 100));
		state = ok(act(state, BEN, { type: 'request', track: track(2) }, 200));
		// Requesting the same track again is a vote for it.
		state = ok(act(state, BEN, { type: 'request', track: track(1) }, 300));
		expect(state.requests).toHaveLength(2);
		expect(state.requests[0]!.votes).toEqual([ANA, BEN]);
		state = ok(act(state, BEN, { type: 'vote', entry: state.requests[0]!.id, up: true }));
		expect(state.requests[0]!.votes).toEqual([ANA, BEN]);
		state = ok(act(state, HOST, { type: 'vote', entry: state.requests[1]!.id, up: true }));
		state = ok(act(state, ANA, { type: 'vote', entry: state.requests[1]!.id, up: true }));
		state = ok(act(state, ANA, { type: 'vote', entry: state.requests[0]!.id, up: false }));
		expect(rankedRequests(state).map((r) => [r.track.title, r.votes.length])).toEqual([
			['Track 2', 3],
			['Track 1', 1]
		]);
		// A listener cannot promote; the host can, and the request becomes a queue entry.
		expect(act(state, ANA, { type: 'promote', entry: state.requests[1]!.id }).ok).toBe(false);
		state = ok(act(state, HOST, { type: 'promote', entry: state.requests[1]!.id }));
		expect(state.queue.map((e) => [e.track.title, e.by])).toEqual([['Track 2', BEN]]);
		// The requester may withdraw their own request, nobody else (but DJs) may.
		expect(act(state, BEN, { type: 'dismiss', entry: state.requests[0]!.id }).ok).toBe(false);
		state = ok(act(state, ANA, { type: 'dismiss', entry: state.requests[0]!.id }));
		expect(state.requests).toEqual([]);
	});

	it('what the host and DJs play becomes the setlist once per play and leaves the queue', () => {
		let state = room();
		state = ok(act(state, HOST, { type: 'queue-add', track: track(1) }));
		state = ok(act(state, HOST, { type: 'queue-add', track: track(2) }));
		const playing = (n: number, since: number) => ({ ...track(n), since, playing: true });
		state = ok(act(state, HOST, { type: 'now', now: playing(2, 10_000) }));
		state = ok(act(state, HOST, { type: 'now', now: { ...playing(2, 10_000), playing: false } }));
		state = ok(act(state, HOST, { type: 'now', now: playing(2, 10_000) }));
		expect(state.setlist.map((e) => [e.track.title, e.name])).toEqual([['Track 2', 'Host']]);
		expect(state.queue.map((e) => e.track.title)).toEqual(['Track 1']);
		// A listener's own playback is theirs, not the session's.
		state = ok(act(state, ANA, { type: 'now', now: playing(3, 11_000) }));
		expect(state.setlist).toHaveLength(1);
		expect(state.members.find((m) => m.id === ANA)?.now?.title).toBe('Track 3');
		// The same track played again later is a new entry.
		state = ok(act(state, HOST, { type: 'now', now: playing(2, 400_000) }));
		expect(state.setlist).toHaveLength(2);
	});

	it('refuses actions from non-members and offline members', () => {
		const state = drop(room(), ANA, 4000);
		expect(act(state, ANA, { type: 'request', track: track(1) })).toEqual({ ok: false, error: 'not-a-member' });
		expect(act(state, CAT, { type: 'request', track: track(1) })).toEqual({ ok: false, error: 'not-a-member' });
	});

	it('only the host switches listening mode; listeners report their delay and the skew is their spread', () => {
		let state = room();
		expect(act(state, ANA, { type: 'listen-mode', on: true, targetMs: 100 }).ok).toBe(false);
		state = ok(act(state, HOST, { type: 'listen-mode', on: true, targetMs: 100 }));
		state = ok(act(state, ANA, { type: 'listen', on: true }));
		state = ok(act(state, BEN, { type: 'listen', on: true }));
		state = ok(act(state, ANA, { type: 'delay', ms: 140 }));
		expect(listenerSkew(state)).toBeNull();
		state = ok(act(state, BEN, { type: 'delay', ms: 152 }));
		expect(listenerSkew(state)).toBe(12);
	});
});

describe('host handover', () => {
	it('everyone computes the same successor: first DJ, else first joined, online only', () => {
		let state = room();
		expect(successor(state, HOST)).toBe(ANA);
		state = ok(act(state, HOST, { type: 'role', member: BEN, role: 'dj' }));
		expect(successor(state, HOST)).toBe(BEN);
		state = drop(state, BEN, 9000);
		expect(successor(state, HOST)).toBe(ANA);
		state = drop(state, ANA, 9000);
		expect(successor(state, HOST)).toBeNull();
	});

	it('ties on join time go to the smaller id, whatever the member order', () => {
		let state = createRoom('abc234', { id: HOST, name: 'Host' }, 1000);
		state = ok(join(state, BEN, 'Ben', 2000));
		state = ok(join(state, ANA, 'Ana', 2000));
		expect(successor(state, HOST)).toBe(ANA);
	});

	it('the successor takes over with the whole room; the old host stays as an offline DJ', () => {
		let state = room();
		state = ok(act(state, ANA, { type: 'request', track: track(7) }));
		state = ok(act(state, HOST, { type: 'now', now: { ...track(1), since: 1, playing: true } }));
		const next = takeOver(state, ANA, 9000);
		expect(next.host).toBe(ANA);
		expect(next.rev).toBe(state.rev + 1);
		expect(next.members.find((m) => m.id === ANA)?.role).toBe('host');
		expect(next.members.find((m) => m.id === HOST)).toMatchObject({ role: 'dj', online: false });
		expect(next.setlist).toEqual(state.setlist);
		expect(next.requests).toEqual(state.requests);
		expect(v.safeParse(RoomStateSchema, next).success).toBe(true);
	});
});
