/**
 * The mesh wire protocol, version 1. Control messages are JSON text frames, validated at runtime with
 * valibot as one discriminated union on `type`; audio bytes are binary frames on the same (raw,
 * ordered, reliable) DataChannel and are only accepted while a transfer the receiver asked for is open.
 * Everything a peer sends is untrusted: oversized, malformed, unknown or wrong-version frames are
 * rejected and counted, never thrown.
 */
import * as v from 'valibot';
import type { TrackRow } from '$lib/db';
import { sanitizeName } from './hello';
import { CollabMessages } from '../collab/wire';
import { ChangeSchema, HlcOrEmptySchema, MAX_BATCH_CHANGES, SYNC_VERSION } from './sync-wire';

export const PROTOCOL_VERSION = 1;
/** Largest control frame accepted (characters of JSON). */
export const MAX_CONTROL_BYTES = 256 * 1024;
/**
 * Audio chunk size: the SCTP `maxMessageSize` Chromium and Safari announce (262,144; a larger `send()`
 * throws). A bare channel moves bytes at the same rate with 16–256 KiB messages (field notes), but every
 * message costs the app a frame's handling on both sides (event, queue, worker message), so fewer is
 * cheaper. Capped by what the connection announces (`Wire.maxMessageSize`).
 */
export const CHUNK_BYTES = 256 * 1024;
/** The first frames of a track (a stream's first audio waits for them) and the size used when the
 * connection does not say its limit: every WebRTC stack accepts 64 KiB. */
export const FIRST_CHUNK_BYTES = 64 * 1024;
export const MAX_CATALOG = 500;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const hash = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const b64 = (max: number) => v.pipe(v.string(), v.maxLength(max), v.regex(/^[A-Za-z0-9+/]*={0,2}$/));
const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
const real = (min: number, max: number) => v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
const nullableInt = (max: number) => v.nullable(count(max));
const MAX_FILE = 2 ** 40;

/** Track metadata a peer may send along with the bytes; sanitised again before it is stored. */
export const TrackMetaSchema = v.object({
	fileName: text(1024),
	mime: text(128),
	title: text(1024),
	artist: text(1024),
	album: text(1024),
	albumArtist: text(1024),
	genre: text(256),
	year: nullableInt(9999),
	trackNo: nullableInt(100_000),
	discNo: nullableInt(10_000),
	comment: text(4096),
	label: text(1024),
	isrc: text(64),
	tagBpm: v.nullable(real(0, 1000)),
	tagKey: text(32),
	bpm: v.nullable(real(0, 1000)),
	key: text(32),
	duration: real(0, 1e7),
	container: text(64),
	codec: text(64),
	bitrate: real(0, 1e8),
	sampleRate: real(0, 1e7),
	channels: count(64),
	rating: count(5),
	freeTags: v.pipe(v.array(text(128)), v.maxLength(64))
});
export type TrackMeta = v.InferOutput<typeof TrackMetaSchema>;

/** Encrypted backups held for own devices (see the backup-* messages). */
export const MAX_BACKUP_BYTES = 256 * 1024 * 1024;
export const MAX_HELD_BACKUPS = 50;
/** Bytes of one `backup-part` (its base64 keeps the frame under MAX_CONTROL_BYTES). */
export const BACKUP_PART_BYTES = 144 * 1024;
const BACKUP_PART_B64 = (BACKUP_PART_BYTES / 3) * 4;
const backupId = v.pipe(v.string(), v.regex(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/));
const HeldBackupSchema = v.object({
	id: backupId,
	createdAt: real(0, 1e15),
	size: count(MAX_BACKUP_BYTES),
	from: text(256)
});
export type HeldBackup = v.InferOutput<typeof HeldBackupSchema>;

const TrackSummarySchema = v.object({ hash, title: text(1024), artist: text(1024), size: count(MAX_FILE) });
export type TrackSummary = v.InferOutput<typeof TrackSummarySchema>;

const base = { v: v.literal(PROTOCOL_VERSION) };

export const MessageSchema = v.variant('type', [
	/** First frame each side sends: who it claims to be and a fresh challenge for the other side. */
	/** `bind`: the signatures cover the DTLS fingerprints (session.ts); builds without it are refused ('version'). */
	v.object({
		...base,
		type: v.literal('hello'),
		name: text(256),
		spki: b64(400),
		nonce: b64(64),
		bind: v.optional(v.literal('dtls'))
	}),
	/** The answer to the other side's challenge; when pairing, `pake` is the joiner's PAKE share (pake.ts). */
	v.object({ ...base, type: v.literal('auth'), sig: b64(200), pake: v.optional(b64(64)) }),
	/** Pairing: the host's PAKE share, sent when a joiner with a share meets a code being shown. */
	v.object({ ...base, type: v.literal('pake'), share: b64(64) }),
	/** Pairing: the joiner's proof that it derived the same key (so it knew the code). */
	v.object({ ...base, type: v.literal('pake-confirm'), mac: b64(64) }),
	/** Sent once the peer is authenticated and trusted; when pairing, `pair` is the host's PAKE proof. */
	v.object({
		...base,
		type: v.literal('welcome'),
		trust: v.picklist(['own', 'collaborator']),
		pair: v.optional(b64(64))
	}),
	v.object({ ...base, type: v.literal('bye'), reason: text(64) }),
	v.object({ ...base, type: v.literal('ping'), t: real(0, 1e15) }),
	v.object({ ...base, type: v.literal('pong'), t: real(0, 1e15) }),
	/** Ask for (part of) the peer's track list. */
	v.object({ ...base, type: v.literal('index'), offset: count(1e7) }),
	v.object({
		...base,
		type: v.literal('catalog'),
		offset: count(1e7),
		total: count(1e7),
		tracks: v.pipe(v.array(TrackSummarySchema), v.maxLength(MAX_CATALOG))
	}),
	/** Ask for a track's bytes by content hash, from `offset` (resume) up to `end` (exclusive; a range of it
	 * when several devices send parts at once; absent: to the end of the file). */
	v.object({ ...base, type: v.literal('want'), hash, offset: count(MAX_FILE), end: v.optional(count(MAX_FILE)) }),
	/** Bytes follow as binary frames, from `offset` to `end` (or `size`), then `sent`. */
	v.object({
		...base,
		type: v.literal('offer'),
		hash,
		size: count(MAX_FILE),
		offset: count(MAX_FILE),
		end: v.optional(count(MAX_FILE)),
		track: TrackMetaSchema
	}),
	v.object({ ...base, type: v.literal('sent'), hash }),
	v.object({ ...base, type: v.literal('none'), hash, reason: text(64) }),
	/** Library sync (own devices only): send me your changes recorded after `since` (your change order).
	 * `sv`: the asker's change format (`SYNC_VERSION`); any version is accepted, changes go out in ours. */
	v.object({
		...base,
		type: v.literal('sync-hello'),
		sv: v.pipe(count(1000), v.minValue(SYNC_VERSION)),
		since: HlcOrEmptySchema
	}),
	/** Changes in the sender's change order; `upTo` is the last one's; `total` is how many this pull sends;
	 * `full` (see `sync-gc.ts`). */
	v.object({
		...base,
		type: v.literal('sync-batch'),
		n: count(1e7),
		changes: v.pipe(v.array(ChangeSchema), v.maxLength(MAX_BATCH_CHANGES)),
		upTo: HlcOrEmptySchema,
		total: count(1e9),
		done: v.boolean(),
		/** Every record the sender holds (a full resync: it collected tombstones the puller had not
		 * acknowledged); after the last batch the puller deletes what it had seen and the sender no longer has. */
		full: v.optional(v.literal(true))
	}),
	/** The batch is stored: the sender may send more (at most two unacknowledged batches in flight). */
	v.object({ ...base, type: v.literal('sync-ack'), n: count(1e7) }),
	/** This device has new changes: pull when ready. */
	v.object({ ...base, type: v.literal('sync-poke') }),
	/** Collaborative playlists (members of a share only): `src/lib/features/collab/wire.ts`. */
	...CollabMessages,
	// Encrypted backups kept by an own device (interop's device-backups): the holder stores the bytes as they
	// are and cannot read them. A transfer is `backup-offer`, then `backup-part`s each answered by `backup-ack`,
	// then the receiver's `backup-end` (ok after a size + SHA-256 match).
	v.object({ ...base, type: v.literal('backup-list') }),
	v.object({
		...base,
		type: v.literal('backup-listing'),
		backups: v.pipe(v.array(HeldBackupSchema), v.maxLength(MAX_HELD_BACKUPS))
	}),
	v.object({ ...base, type: v.literal('backup-get'), id: backupId }),
	v.object({ ...base, type: v.literal('backup-delete'), id: backupId }),
	v.object({
		...base,
		type: v.literal('backup-offer'),
		id: backupId,
		size: count(MAX_BACKUP_BYTES),
		sha256: hash,
		createdAt: real(0, 1e15),
		from: text(256)
	}),
	v.object({
		...base,
		type: v.literal('backup-part'),
		id: backupId,
		offset: count(MAX_BACKUP_BYTES),
		data: b64(BACKUP_PART_B64)
	}),
	v.object({ ...base, type: v.literal('backup-ack'), id: backupId, offset: count(MAX_BACKUP_BYTES) }),
	v.object({ ...base, type: v.literal('backup-end'), id: backupId, ok: v.boolean(), reason: text(64) })
]);
export type Message = v.InferOutput<typeof MessageSchema>;
type Distribute<T> = T extends unknown ? Omit<T, 'v'> : never;
export type OutgoingMessage = Distribute<Message>;

export type RejectReason = 'oversized' | 'malformed' | 'unknown' | 'version';

export type Parsed = { ok: true; message: Message } | { ok: false; reason: RejectReason };

const KNOWN_TYPES = new Set<string>(MessageSchema.options.map((option) => option.entries.type.literal));

/** Parses one text frame. Never throws. */
export function parseMessage(frame: string): Parsed {
	if (frame.length > MAX_CONTROL_BYTES) return { ok: false, reason: 'oversized' };
	let data: unknown;
	try {
		data = JSON.parse(frame);
	} catch {
		return { ok: false, reason: 'malformed' };
	}
	if (typeof data !== 'object' || data === null) return { ok: false, reason: 'malformed' };
	const record = data as Record<string, unknown>;
	if (record.v !== PROTOCOL_VERSION) return { ok: false, reason: 'version' };
	if (typeof record.type !== 'string' || !KNOWN_TYPES.has(record.type)) return { ok: false, reason: 'unknown' };
	const result = v.safeParse(MessageSchema, data);
	return result.success ? { ok: true, message: result.output } : { ok: false, reason: 'malformed' };
}

export function encodeMessage(message: OutgoingMessage): string {
	return JSON.stringify({ v: PROTOCOL_VERSION, ...message });
}

/** A token bucket: `rate` frames per second on average, bursts up to `burst`. */
export class RateLimit {
	#tokens: number;
	#last: number;
	constructor(
		readonly rate: number,
		readonly burst: number,
		readonly now: () => number = () => performance.now()
	) {
		this.#tokens = burst;
		this.#last = now();
	}
	take(): boolean {
		const t = this.now();
		this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) / 1000) * this.rate);
		this.#last = t;
		if (this.#tokens < 1) return false;
		this.#tokens -= 1;
		return true;
	}
}

/** Strips control and bidi characters and caps length; peer strings are never rendered raw. */
export function cleanText(value: string, max = 512): string {
	// eslint-disable-next-line no-control-regex
	const cleaned = value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
	return [...cleaned].slice(0, max).join('');
}

const CONTAINERS = /^[a-z0-9/+.-]{0,64}$/i;

/** The TrackRow a received track joins the library with: the peer's metadata, cleaned, plus local fields. */
export function trackRowFromMeta(hash: string, size: number, meta: TrackMeta, now = Date.now()): TrackRow {
	const fileName = cleanText(meta.fileName.split(/[\\/]/).pop() ?? '', 255) || `${hash.slice(0, 12)}`;
	return {
		hash,
		fileName,
		size,
		mime: /^audio\/[a-z0-9.+-]{1,60}$/i.test(meta.mime) ? meta.mime : 'application/octet-stream',
		title: cleanText(meta.title) || sanitizeName(fileName),
		artist: cleanText(meta.artist),
		album: cleanText(meta.album),
		albumArtist: cleanText(meta.albumArtist),
		genre: cleanText(meta.genre, 128),
		year: meta.year,
		trackNo: meta.trackNo,
		discNo: meta.discNo,
		comment: cleanText(meta.comment, 2048),
		label: cleanText(meta.label),
		isrc: cleanText(meta.isrc, 32),
		tagBpm: meta.tagBpm,
		tagKey: cleanText(meta.tagKey, 16),
		bpm: meta.bpm,
		key: cleanText(meta.key, 16),
		duration: meta.duration,
		container: CONTAINERS.test(meta.container) ? meta.container : '',
		codec: cleanText(meta.codec, 64),
		bitrate: meta.bitrate,
		sampleRate: meta.sampleRate,
		channels: meta.channels,
		// Local-only state: never taken from a peer.
		artwork: null,
		rating: meta.rating,
		color: null,
		freeTags: meta.freeTags.map((tag) => cleanText(tag, 64)).filter(Boolean),
		playCount: 0,
		lastPlayed: null,
		storage: 'opfs',
		pinned: false,
		paths: [],
		dateAdded: now
	};
}

export function trackMetaFromRow(row: TrackRow): TrackMeta {
	const s = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');
	const n = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
	const clamp = (value: unknown, min: number, max: number) => {
		const x = n(value);
		return x === null ? null : Math.min(max, Math.max(min, x));
	};
	const int = (value: unknown, max: number) => {
		const x = clamp(value, 0, max);
		return x === null ? null : Math.round(x);
	};
	return {
		fileName: s(row.fileName, 1024),
		mime: s(row.mime, 128),
		title: s(row.title, 1024),
		artist: s(row.artist, 1024),
		album: s(row.album, 1024),
		albumArtist: s(row.albumArtist, 1024),
		genre: s(row.genre, 256),
		year: int(row.year, 9999),
		trackNo: int(row.trackNo, 100_000),
		discNo: int(row.discNo, 10_000),
		comment: s(row.comment, 4096),
		label: s(row.label, 1024),
		isrc: s(row.isrc, 64),
		tagBpm: clamp(row.tagBpm, 0, 1000),
		tagKey: s(row.tagKey, 32),
		bpm: clamp(row.bpm, 0, 1000),
		key: s(row.key, 32),
		duration: clamp(row.duration, 0, 1e7) ?? 0,
		container: s(row.container, 64),
		codec: s(row.codec, 64),
		bitrate: clamp(row.bitrate, 0, 1e8) ?? 0,
		sampleRate: clamp(row.sampleRate, 0, 1e7) ?? 0,
		channels: int(row.channels, 64) ?? 0,
		rating: int(row.rating, 5) ?? 0,
		freeTags: Array.isArray(row.freeTags) ? row.freeTags.slice(0, 64).map((tag) => s(tag, 128)) : []
	};
}
