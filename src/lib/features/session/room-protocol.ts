/**
 * The live-session room protocol, version 1. Room connections are separate from the mesh's device
 * connections and never speak the mesh protocol, so a room member (a narrower trust level than a paired
 * device) can reach room data and nothing else: no catalog, no transfers, no library sync.
 *
 * Every frame is JSON text, validated at runtime with valibot as one discriminated union on `type`.
 * Everything a peer sends is untrusted: oversized, malformed, unknown or wrong-version frames are
 * rejected and counted, never thrown. Members send actions to the host; the host answers with full
 * state snapshots (small: bounded lists), so every member holds what it needs to take the room over.
 */
import * as v from 'valibot';
import { cleanText } from '$lib/features/mesh/protocol';

export const ROOM_PROTOCOL_VERSION = 1;
/** Largest frame accepted from a member (characters of JSON). */
export const MAX_ACTION_CHARS = 8 * 1024;
/** Largest frame accepted from the host (a snapshot with a full setlist stays well under this). */
export const MAX_SNAPSHOT_CHARS = 240 * 1024;
export const MAX_MEMBERS = 16;
export const MAX_QUEUE = 100;
export const MAX_REQUESTS = 100;
export const MAX_SETLIST = 500;
export const MAX_TITLE = 120;
export const MAX_NAME = 48;

/** Quick reactions: a fixed set, so a reaction can never carry arbitrary text. */
export const REACTIONS = ['fire', 'heart', 'hands', 'rewind', 'wave'] as const;
export type Reaction = (typeof REACTIONS)[number];
export const REACTION_EMOJI: Record<Reaction, string> = {
	fire: '🔥',
	heart: '❤️',
	hands: '🙌',
	rewind: '⏪',
	wave: '👋'
};

export const ROLES = ['host', 'dj', 'listener'] as const;
export type Role = (typeof ROLES)[number];

const text = (max: number) =>
	v.pipe(
		v.string(),
		v.maxLength(max * 4),
		v.transform((s) => cleanText(s, max))
	);
const hashOrEmpty = v.pipe(v.string(), v.regex(/^([0-9a-f]{64})?$/));
/** Member ids are PeerJS ids this app makes: `cms-` + 24 hex digits. */
export const MEMBER_ID = /^cms-[0-9a-f]{24}$/;
const memberId = v.pipe(v.string(), v.regex(MEMBER_ID));
const entryId = v.pipe(v.string(), v.regex(/^[0-9a-z]{1,16}$/));
const time = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1e15));
const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
const real = (min: number, max: number) => v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));

/** What a member shares about a track: enough for a DJ to find it, never the audio. */
export const TrackInfoSchema = v.object({
	hash: hashOrEmpty,
	title: text(MAX_TITLE),
	artist: text(MAX_TITLE),
	duration: real(0, 1e6),
	bpm: v.nullable(real(0, 1000)),
	key: text(8)
});
export type TrackInfo = v.InferOutput<typeof TrackInfoSchema>;

const NowSchema = v.object({ ...TrackInfoSchema.entries, since: time, playing: v.boolean() });
export type NowPlayingInfo = v.InferOutput<typeof NowSchema>;

export const MemberSchema = v.object({
	id: memberId,
	name: text(MAX_NAME),
	role: v.picklist(ROLES),
	joinedAt: time,
	/** When the member dropped out (null while online). */
	leftAt: v.nullable(time),
	online: v.boolean(),
	listening: v.boolean(),
	now: v.nullable(NowSchema),
	/** The listener's own estimate of its delay behind the host (ms), from its receiver's stats. */
	delayMs: v.nullable(real(0, 60_000))
});
export type Member = v.InferOutput<typeof MemberSchema>;

const QueueEntrySchema = v.object({ id: entryId, track: TrackInfoSchema, by: memberId, at: time });
export type QueueEntry = v.InferOutput<typeof QueueEntrySchema>;
const RequestSchema = v.object({
	id: entryId,
	track: TrackInfoSchema,
	by: memberId,
	at: time,
	votes: v.pipe(v.array(memberId), v.maxLength(MAX_MEMBERS * 4))
});
export type RequestEntry = v.InferOutput<typeof RequestSchema>;
const SetlistEntrySchema = v.object({ track: TrackInfoSchema, by: memberId, name: text(MAX_NAME), at: time });
export type SetlistEntry = v.InferOutput<typeof SetlistEntrySchema>;

export const RoomStateSchema = v.object({
	code: v.pipe(v.string(), v.regex(/^[2-9a-hjkmnp-z]{6}$/)),
	rev: count(1e12),
	host: memberId,
	createdAt: time,
	seq: count(1e12),
	members: v.pipe(v.array(MemberSchema), v.maxLength(MAX_MEMBERS * 2)),
	queue: v.pipe(v.array(QueueEntrySchema), v.maxLength(MAX_QUEUE)),
	requests: v.pipe(v.array(RequestSchema), v.maxLength(MAX_REQUESTS)),
	setlist: v.pipe(v.array(SetlistEntrySchema), v.maxLength(MAX_SETLIST)),
	/** Listening mode: the host's output goes to listeners; every listener holds `targetMs` of jitter buffer. */
	listen: v.object({ on: v.boolean(), targetMs: count(2000) })
});
export type RoomState = v.InferOutput<typeof RoomStateSchema>;

/** What members ask the host to do (the host's reducer decides whether they may). */
export const ActionSchema = v.variant('type', [
	v.object({ type: v.literal('now'), now: v.nullable(NowSchema) }),
	v.object({ type: v.literal('request'), track: TrackInfoSchema }),
	v.object({ type: v.literal('vote'), entry: entryId, up: v.boolean() }),
	v.object({ type: v.literal('queue-add'), track: TrackInfoSchema }),
	v.object({ type: v.literal('queue-remove'), entry: entryId }),
	v.object({ type: v.literal('queue-move'), entry: entryId, to: count(MAX_QUEUE) }),
	v.object({ type: v.literal('promote'), entry: entryId }),
	v.object({ type: v.literal('dismiss'), entry: entryId }),
	v.object({ type: v.literal('role'), member: memberId, role: v.picklist(['dj', 'listener']) }),
	v.object({ type: v.literal('listen'), on: v.boolean() }),
	v.object({ type: v.literal('listen-mode'), on: v.boolean(), targetMs: count(2000) }),
	v.object({ type: v.literal('delay'), ms: v.nullable(real(0, 60_000)) })
]);
export type Action = v.InferOutput<typeof ActionSchema>;

const base = { v: v.literal(ROOM_PROTOCOL_VERSION) };

export const RoomMessageSchema = v.variant('type', [
	/** Member → host, first frame. `secret` lets the same member id rejoin (and nobody else). */
	v.object({
		...base,
		type: v.literal('join'),
		code: v.pipe(v.string(), v.regex(/^[2-9a-hjkmnp-z]{6}$/)),
		name: text(MAX_NAME),
		secret: v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/))
	}),
	/** Host → member: accepted, with the room as it is. */
	v.object({ ...base, type: v.literal('welcome'), you: memberId, state: RoomStateSchema }),
	/** Host → members after every change. */
	v.object({ ...base, type: v.literal('state'), state: RoomStateSchema }),
	v.object({ ...base, type: v.literal('act'), action: ActionSchema }),
	/** Member → host: a quick reaction; host → members: who reacted. */
	v.object({ ...base, type: v.literal('react'), reaction: v.picklist(REACTIONS), from: v.optional(memberId) }),
	/** Host → members when it leaves: who takes over (everyone computes the same choice; this confirms it). */
	v.object({ ...base, type: v.literal('handover'), to: v.nullable(memberId) }),
	/** A member that is not the host answers a join with where the host is, when it knows. */
	v.object({ ...base, type: v.literal('not-host'), host: v.nullable(memberId) }),
	v.object({ ...base, type: v.literal('leave'), reason: text(64) }),
	v.object({ ...base, type: v.literal('ping'), t: time }),
	v.object({ ...base, type: v.literal('pong'), t: time, hostNow: time })
]);
export type RoomMessage = v.InferOutput<typeof RoomMessageSchema>;
type Distribute<T> = T extends unknown ? Omit<T, 'v'> : never;
export type OutgoingRoomMessage = Distribute<RoomMessage>;

export type RoomRejectReason = 'oversized' | 'malformed' | 'unknown' | 'version';
export type ParsedRoomMessage = { ok: true; message: RoomMessage } | { ok: false; reason: RoomRejectReason };

const KNOWN_TYPES = new Set<string>(RoomMessageSchema.options.map((option) => option.entries.type.literal));

/** Parses one frame; `max` is the size limit for this direction. Never throws. */
export function parseRoomMessage(frame: unknown, max = MAX_ACTION_CHARS): ParsedRoomMessage {
	if (typeof frame !== 'string') return { ok: false, reason: 'malformed' };
	if (frame.length > max) return { ok: false, reason: 'oversized' };
	let data: unknown;
	try {
		data = JSON.parse(frame);
	} catch {
		return { ok: false, reason: 'malformed' };
	}
	if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, reason: 'malformed' };
	const record = data as Record<string, unknown>;
	if (record.v !== ROOM_PROTOCOL_VERSION) return { ok: false, reason: 'version' };
	if (typeof record.type !== 'string' || !KNOWN_TYPES.has(record.type)) return { ok: false, reason: 'unknown' };
	const result = v.safeParse(RoomMessageSchema, data);
	return result.success ? { ok: true, message: result.output } : { ok: false, reason: 'malformed' };
}

export function encodeRoomMessage(message: OutgoingRoomMessage): string {
	return JSON.stringify({ v: ROOM_PROTOCOL_VERSION, ...message });
}

/** Room codes: six characters without look-alikes (0/o, 1/l/i), about 30 bits. */
const CODE_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';

export function newRoomCode(
	random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))
): string {
	// Rejection sampling keeps every character equally likely.
	let code = '';
	while (code.length < 6)
		for (const byte of random(8)) if (byte < 248 && code.length < 6) code += CODE_ALPHABET[byte % 31];
	return code;
}

/** Accepts what a person types or pastes (any case, spaces, dashes, or a whole link); null if not a code. */
export function parseRoomCode(input: string): string | null {
	const fromLink = /[?&#]room=([^&#\s]+)/i.exec(input)?.[1] ?? input;
	const code = fromLink.toLowerCase().replace(/[\s-]/g, '');
	return /^[2-9a-hjkmnp-z]{6}$/.test(code) ? code : null;
}

/** The signalling id the current host answers on for a room. */
export function roomAddress(code: string): string {
	return `cmroom-${code}`;
}

export function formatRoomCode(code: string): string {
	return `${code.slice(0, 3)}-${code.slice(3)}`.toUpperCase();
}
