/**
 * Library sync on the wire: a change is one row's whole sync state (created/deleted stamps, per-field
 * stamps and values). Stamps are sent once per change (`s`, the most common one) plus the fields that
 * differ (`o`). Every value from a peer is validated per table and field with valibot and cleaned the way
 * local input is; a change that fails is refused on its own (counted), the rest of the batch applies.
 *
 * Forward compatible: a later build may sync more fields or tables. A field or table this build does not
 * know is set aside (counted as `unknown`, never applied), not refused, so devices on different builds
 * keep syncing everything both know. Once an update teaches this build those fields, the watermarks were
 * earned without them: `SYNC_SCHEMA` changes and every device is pulled from the start once.
 */
import * as v from 'valibot';
import { HLC_PATTERN, type Hlc } from '$lib/db/hlc';
import { SYNC_SPECS, SYNC_TABLES, type SyncTable } from '$lib/db/stamps';
import { COLORS } from '$lib/features/library/colors';
import { cleanText } from '$lib/features/library/tags';
import type { RowState } from './sync-merge';

/** The change format. It stays 1 while changes remain readable by a v1 reader (new fields and tables are
 * set aside there); `sync-hello` accepts any version so that a later one is not refused outright. */
export const SYNC_VERSION = 1;
/** A sync frame stays under this many characters (the protocol's limit is 256 KiB). */
export const MAX_BATCH_CHARS = 240 * 1024;
export const MAX_BATCH_CHANGES = 2000;

const hlc = v.pipe(v.string(), v.regex(HLC_PATTERN));
export const HlcOrEmptySchema = v.union([v.literal(''), hlc]);
const hex64 = /^[0-9a-f]{64}$/;
const id = /^[A-Za-z0-9_-]{1,64}$/;
const name = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** A change as it travels; per-field validation happens in `decodeChange`. */
export const ChangeSchema = v.object({
	/** any well-formed name: a table of a later build is set aside by `decodeChange`, not the whole batch */
	t: v.pipe(v.string(), v.regex(name)),
	k: v.pipe(v.string(), v.maxLength(200)),
	c: HlcOrEmptySchema,
	d: HlcOrEmptySchema,
	s: HlcOrEmptySchema,
	o: v.optional(
		v.pipe(
			v.record(v.pipe(v.string(), v.maxLength(32)), hlc),
			v.check((o) => Object.keys(o).length <= 40)
		)
	),
	f: v.pipe(
		v.record(v.pipe(v.string(), v.maxLength(32)), v.unknown()),
		v.check((f) => Object.keys(f).length <= 40)
	)
});
export type WireChange = v.InferOutput<typeof ChangeSchema>;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const real = (min: number, max: number) => v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const time = real(0, 1e15);
const MAX_FILE = 2 ** 40;

/** Per table, the schema of each synced field's value. */
const FIELDS: Record<SyncTable, Record<string, v.GenericSchema>> = {
	tracks: {
		fileName: text(1024),
		size: int(0, MAX_FILE),
		mime: text(128),
		dateAdded: time,
		title: text(2048),
		artist: text(2048),
		album: text(2048),
		albumArtist: text(2048),
		genre: text(2048),
		year: v.nullable(int(0, 9999)),
		trackNo: v.nullable(int(0, 100_000)),
		discNo: v.nullable(int(0, 10_000)),
		comment: text(4096),
		label: text(2048),
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
		channels: int(0, 64),
		rating: int(0, 5),
		color: v.nullable(v.picklist(COLORS)),
		freeTags: v.pipe(v.array(text(128)), v.maxLength(64)),
		edited: v.pipe(v.array(v.picklist(['bpm', 'key', 'grid'])), v.maxLength(3)),
		loudness: v.nullable(real(-200, 100))
	},
	analysis: {
		analyserVersion: int(0, 1e6),
		analysedAt: time,
		format: text(64),
		durationSec: real(0, 1e7),
		bpm: real(0, 1000),
		beatGrid: v.object({ bpm: real(0, 1000), firstDownbeatSec: real(-1e4, 1e7), beatsPerBar: int(1, 64) }),
		tempoConfidence: real(-1e6, 1e6),
		variableTempo: v.boolean(),
		key: v.nullable(v.object({ tonic: int(0, 11), scale: v.picklist(['major', 'minor']), strength: real(-1e3, 1e3) })),
		loudness: v.nullable(
			v.object({ integratedLufs: real(-1e3, 1e3), targetLufs: real(-1e3, 1e3), gainDbToTarget: real(-1e3, 1e3) })
		),
		autoCueSec: real(0, 1e7),
		ms: real(0, 1e10)
	},
	cues: {
		hash: v.pipe(v.string(), v.regex(hex64)),
		kind: v.picklist(['hot', 'memory', 'loop']),
		slot: int(-1, 7),
		startSec: real(0, 1e7),
		endSec: v.nullable(real(0, 1e7)),
		name: text(64),
		color: v.picklist(COLORS),
		createdAt: time
	},
	playlists: {
		name: text(120),
		kind: v.picklist(['playlist', 'smart', 'crate']),
		parentId: v.nullable(v.pipe(v.string(), v.regex(id))),
		position: real(-1e15, 1e15),
		rules: v.nullable(text(4096)),
		createdAt: time,
		updatedAt: time
	},
	playlistItems: {
		playlistId: v.pipe(v.string(), v.regex(id)),
		hash: v.pipe(v.string(), v.regex(hex64)),
		position: real(-1e15, 1e15),
		addedAt: time
	}
};

const KEYS: Record<SyncTable, RegExp> = {
	tracks: hex64,
	analysis: hex64,
	cues: /^[0-9a-f]{64}:(hot:[0-7]|[0-9a-f-]{36})$/,
	playlists: id,
	playlistItems: /^[A-Za-z0-9_-]{1,64}\|[0-9a-f]{64}$/
};

/** Text fields get the same cleaning as local input (idempotent: honest values pass unchanged). */
const TEXT_MAX: Partial<Record<SyncTable, Record<string, number>>> = {
	tracks: {
		fileName: 255,
		title: 2000,
		artist: 2000,
		album: 2000,
		albumArtist: 2000,
		genre: 2000,
		comment: 4096,
		label: 2000,
		isrc: 64,
		tagKey: 32,
		key: 32,
		container: 64,
		codec: 64
	},
	cues: { name: 64 },
	playlists: { name: 120 }
};

function clean(table: SyncTable, field: string, value: unknown): unknown {
	const max = TEXT_MAX[table]?.[field];
	if (max !== undefined && typeof value === 'string') return cleanText(value, max);
	if (table === 'tracks' && field === 'freeTags' && Array.isArray(value))
		return [...new Set(value.map((tag) => cleanText(tag, 64)).filter(Boolean))];
	if (table === 'tracks' && field === 'mime' && typeof value === 'string')
		return value === '' || /^(audio|video|application)\/[a-z0-9.+-]{1,60}$/i.test(value)
			? value
			: 'application/octet-stream';
	return value;
}

/**
 * `unknown`: the names of fields (`table.field`) or the table this build does not know, set aside. A
 * change of an unknown table is `ok: false` with `unknown` set: skipped, not refused.
 */
export type Decoded =
	| { ok: true; table: SyncTable; key: string; state: RowState; unknown: string[] }
	| { ok: false; reason: string; unknown?: string[] };

const isTable = (table: string): table is SyncTable => Object.hasOwn(FIELDS, table);

/**
 * A short digest of the synced tables and fields: a peer's watermark earned under another set (before an
 * update that syncs more) does not cover the fields that set lacked.
 */
export const SYNC_SCHEMA = digest(
	SYNC_TABLES.map((table) => `${table}:${Object.keys(FIELDS[table]).sort().join(',')}`).join(';')
);

/** FNV-1a, 32 bits, as hex: identifies a field list, nothing secret. */
function digest(text: string): string {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
	return h.toString(16).padStart(8, '0');
}

/** Validates and cleans one change from a peer. Never throws. */
export function decodeChange(change: WireChange): Decoded {
	const { t: table, k: key } = change;
	if (!isTable(table)) return { ok: false, reason: `${table}: unknown table`, unknown: [table] };
	if (!KEYS[table].test(key)) return { ok: false, reason: `${table}: bad key` };
	const schemas = FIELDS[table];
	const s: Record<string, Hlc> = {};
	const f: Record<string, unknown> = {};
	const unknown: string[] = [];
	for (const [field, value] of Object.entries(change.f)) {
		// Own properties only: `constructor` or `__proto__` from a peer are names like any other.
		if (!Object.hasOwn(schemas, field)) {
			if (!name.test(field)) return { ok: false, reason: `${table}: bad field name` };
			unknown.push(`${table}.${field}`);
			continue;
		}
		const schema = schemas[field]!;
		const parsed = v.safeParse(schema, value);
		if (!parsed.success) return { ok: false, reason: `${table}.${field}: invalid` };
		const stamp = change.o?.[field] ?? change.s;
		if (!stamp) return { ok: false, reason: `${table}.${field}: no stamp` };
		s[field] = stamp;
		f[field] = clean(table, field, parsed.output);
	}
	for (const field of Object.keys(change.o ?? {}))
		if (!Object.hasOwn(change.f, field)) return { ok: false, reason: `${table}: stray stamp` };
	// The identity must agree with the values it is made of.
	if (
		table === 'playlistItems' &&
		((f.playlistId && key !== `${f.playlistId}|${f.hash}`) || (f.hash && !key.endsWith(`|${f.hash}`)))
	)
		return { ok: false, reason: 'playlistItems: key mismatch' };
	if (table === 'cues' && f.hash && !key.startsWith(`${f.hash}:`)) return { ok: false, reason: 'cues: key mismatch' };
	return { ok: true, table, key, state: { c: change.c, d: change.d, s, f }, unknown };
}

/** One row's state as a change: the most common stamp once, the others per field. */
export function encodeChange(table: SyncTable, key: string, state: RowState): WireChange {
	const counts = new Map<Hlc, number>();
	const fields = SYNC_SPECS[table].fields.filter((field) => field in state.s && state.f[field] !== undefined);
	for (const field of fields) counts.set(state.s[field]!, (counts.get(state.s[field]!) ?? 0) + 1);
	let common: Hlc = '';
	let best = 0;
	for (const [stamp, n] of counts) if (n > best) [common, best] = [stamp, n];
	const f: Record<string, unknown> = {};
	const o: Record<string, Hlc> = {};
	for (const field of fields) {
		f[field] = state.f[field];
		if (state.s[field] !== common) o[field] = state.s[field]!;
	}
	return { t: table, k: key, c: state.c, d: state.d, s: common, ...(Object.keys(o).length ? { o } : {}), f };
}
