/**
 * The entry model of a shared playlist, on one Y.Doc per share:
 * - `order`: Y.Array of entry ids (the playlist order; Yjs merges concurrent inserts and deletes so every
 *   peer ends with the same sequence);
 * - `entries`: Y.Map id → Y.Map { data: the track as the adder shared it (JSON, never edited), note,
 *   noteBy, noteAt } — notes merge last-writer-wins per entry;
 * - `log`: Y.Array of small history records (who, what, when), appended in the same transaction as the edit.
 * A move is delete + insert of the id: two peers moving the same entry at once leave it twice in `order`;
 * readers keep the first occurrence (the same one everywhere, since `order` converges). Everything read
 * from the doc came from peers: entries and log records are validated here, and invalid ones skipped
 * (and counted) rather than trusted.
 */
import * as v from 'valibot';
import * as Y from 'yjs';
import { COLORS } from '../library/colors';

export const MAX_ENTRIES = 5000;
export const MAX_NOTE = 500;
export const MAX_CUES = 64;
export const HISTORY_SHOWN = 50;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const real = (min: number, max: number) => v.pipe(v.number(), v.finite(), v.minValue(min), v.maxValue(max));
const hash = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const peerId = v.pipe(v.string(), v.regex(/^cm-[0-9a-f]{32}$/));
export const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

export const CueSchema = v.object({
	kind: v.picklist(['hot', 'memory', 'loop']),
	slot: v.pipe(v.number(), v.integer(), v.minValue(-1), v.maxValue(7)),
	startSec: real(0, 1e6),
	endSec: v.nullable(real(0, 1e6)),
	name: text(64),
	/** A palette colour name ('red'…, library/colors.ts) or a hex colour; empty for the default. */
	color: v.union([v.picklist(['', ...COLORS]), v.pipe(v.string(), v.regex(HEX_COLOR))])
});
export type SharedCue = v.InferOutput<typeof CueSchema>;

export const GridSchema = v.object({
	bpm: real(1, 1000),
	firstDownbeatSec: real(-60, 1e6),
	beatsPerBar: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(16))
});

/** A track as its adder shared it: what a DJ needs to judge and prepare it without the file. */
export const TrackDataSchema = v.object({
	hash,
	title: text(512),
	artist: text(512),
	duration: real(0, 1e6),
	bpm: v.nullable(real(0, 1000)),
	key: text(16),
	grid: v.nullable(GridSchema),
	cues: v.pipe(v.array(CueSchema), v.maxLength(MAX_CUES)),
	addedBy: peerId,
	addedByName: text(64),
	addedAt: real(0, 1e14)
});
export type TrackData = v.InferOutput<typeof TrackDataSchema>;

export interface SharedEntry extends TrackData {
	id: string;
	note: string;
	noteBy: string;
	noteAt: number;
}

export type HistoryOp = 'create' | 'add' | 'remove' | 'move' | 'note';
const LogSchema = v.object({
	at: real(0, 1e14),
	by: peerId,
	name: text(64),
	op: v.picklist(['create', 'add', 'remove', 'move', 'note']),
	title: text(512),
	count: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ENTRIES))
});
export type HistoryRecord = v.InferOutput<typeof LogSchema>;

export interface Author {
	peerId: string;
	name: string;
}

const ID = /^[0-9a-f-]{36}$/;

const order = (doc: Y.Doc) => doc.getArray<string>('order');
const entries = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('entries');
const log = (doc: Y.Doc) => doc.getArray<unknown>('log');

function record(doc: Y.Doc, author: Author, op: HistoryOp, title: string, count = 1, at = Date.now()): void {
	log(doc).push([{ at, by: author.peerId, name: author.name.slice(0, 64), op, title: title.slice(0, 512), count }]);
}

/** Appends tracks (or inserts them at `index`); returns the new entry ids. */
export function addEntries(
	doc: Y.Doc,
	tracks: readonly Omit<TrackData, 'addedBy' | 'addedByName' | 'addedAt'>[],
	author: Author,
	index?: number,
	newId = () => crypto.randomUUID()
): string[] {
	const ids: string[] = [];
	if (tracks.length === 0) return ids;
	doc.transact(() => {
		const room = MAX_ENTRIES - entries(doc).size;
		const now = Date.now();
		for (const track of tracks.slice(0, Math.max(0, room))) {
			const id = newId();
			const entry = new Y.Map<unknown>();
			entry.set('data', { ...track, addedBy: author.peerId, addedByName: author.name.slice(0, 64), addedAt: now });
			entry.set('note', '');
			entries(doc).set(id, entry);
			ids.push(id);
		}
		const at = index === undefined ? order(doc).length : Math.max(0, Math.min(index, order(doc).length));
		order(doc).insert(at, ids);
		if (ids.length) record(doc, author, 'add', tracks[0]!.title || tracks[0]!.hash.slice(0, 12), ids.length, now);
	});
	return ids;
}

/** Every index of an id in `order` (more than one after concurrent moves of the same entry). */
function indexesOf(doc: Y.Doc, id: string): number[] {
	const out: number[] = [];
	order(doc).forEach((value, i) => {
		if (value === id) out.push(i);
	});
	return out;
}

function titleOf(doc: Y.Doc, id: string): string {
	const data = entries(doc).get(id)?.get('data') as { title?: unknown; hash?: unknown } | undefined;
	return typeof data?.title === 'string' && data.title ? data.title : String(data?.hash ?? id).slice(0, 12);
}

export function removeEntry(doc: Y.Doc, id: string, author: Author): void {
	if (!entries(doc).has(id)) return;
	doc.transact(() => {
		const title = titleOf(doc, id);
		for (const i of indexesOf(doc, id).reverse()) order(doc).delete(i, 1);
		entries(doc).delete(id);
		record(doc, author, 'remove', title);
	});
}

/** Moves an entry to just after `afterId` (null: to the top). The caller names the neighbour from the
 * list it shows, so a move needs no read of the whole list. */
export function moveEntry(doc: Y.Doc, id: string, afterId: string | null, author: Author): void {
	if (!entries(doc).has(id) || afterId === id || (afterId !== null && !entries(doc).has(afterId))) return;
	const current = indexesOf(doc, id);
	const after = afterId === null ? -1 : (indexesOf(doc, afterId)[0] ?? -1);
	// Already there: the first occurrence directly follows the neighbour (or is first).
	if (current.length === 1 && current[0] === after + 1) return;
	doc.transact(() => {
		for (const i of current.reverse()) order(doc).delete(i, 1);
		const at = afterId === null ? 0 : (indexesOf(doc, afterId)[0] ?? -1) + 1;
		order(doc).insert(at, [id]);
		record(doc, author, 'move', titleOf(doc, id));
	});
}

/** The id to pass to `moveEntry` to put `id` at position `to` of `list` (the visible order). */
export function neighbourFor(list: readonly string[], id: string, to: number): string | null {
	const rest = list.filter((other) => other !== id);
	const target = Math.max(0, Math.min(to, rest.length));
	return rest[target - 1] ?? null;
}

export function annotate(doc: Y.Doc, id: string, note: string, author: Author): void {
	const entry = entries(doc).get(id);
	const clean = note.slice(0, MAX_NOTE);
	if (!entry || entry.get('note') === clean) return;
	doc.transact(() => {
		entry.set('note', clean);
		entry.set('noteBy', author.name.slice(0, 64));
		entry.set('noteAt', Date.now());
		record(doc, author, 'note', titleOf(doc, id));
	});
}

/** The visible list: `order` deduplicated, entries that fail validation skipped and counted. */
export function readEntries(doc: Y.Doc): { entries: SharedEntry[]; invalid: number } {
	const map = entries(doc);
	const seen = new Set<string>();
	const out: SharedEntry[] = [];
	let invalid = 0;
	const take = (id: string) => {
		if (seen.has(id)) return;
		seen.add(id);
		const entry = map.get(id);
		if (!entry) return;
		const parsed = ID.test(id) && entry instanceof Y.Map ? v.safeParse(TrackDataSchema, entry.get('data')) : null;
		if (!parsed?.success || out.length >= MAX_ENTRIES) {
			invalid++;
			return;
		}
		const note = entry.get('note');
		const noteBy = entry.get('noteBy');
		const noteAt = entry.get('noteAt');
		out.push({
			id,
			...parsed.output,
			note: typeof note === 'string' ? note.slice(0, MAX_NOTE) : '',
			noteBy: typeof noteBy === 'string' ? noteBy.slice(0, 64) : '',
			noteAt: typeof noteAt === 'number' && Number.isFinite(noteAt) ? noteAt : 0
		});
	};
	for (const id of order(doc).toArray()) if (typeof id === 'string') take(id);
	// Entries no position points to (cannot happen through this module; a peer could send it): at the end,
	// in id order so every peer shows the same.
	const orphans = [...map.keys()].filter((id) => !seen.has(id)).sort();
	for (const id of orphans) take(id);
	return { entries: out, invalid };
}

/** The last `limit` valid history records, newest first. */
export function readHistory(doc: Y.Doc, limit = HISTORY_SHOWN): HistoryRecord[] {
	const all = log(doc);
	const out: HistoryRecord[] = [];
	for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
		const parsed = v.safeParse(LogSchema, all.get(i));
		if (parsed.success) out.push(parsed.output);
	}
	return out;
}

/** A doc's opening record, written once by the sharer. */
export function created(doc: Y.Doc, author: Author, name: string): void {
	doc.transact(() => record(doc, author, 'create', name));
}
