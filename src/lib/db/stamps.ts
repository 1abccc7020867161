/**
 * The one seam where every local edit gets its sync stamps: a Dexie DBCore middleware on the synced tables.
 * Whatever feature writes (tag editor, ratings, deletions and undo, playlists, cues, analysis), the middleware
 * diffs the stored row against the new one and stamps the changed fields with a fresh HLC in the same
 * IndexedDB transaction (it adds the `syncStamps` store to every read-write transaction on a synced table),
 * so a stamp can never be lost or outlive its edit. Writes that apply a peer's changes are marked and pass
 * through unstamped.
 */
import type { DBCore, DBCoreMutateRequest, DBCoreMutateResponse, DBCoreTable, Dexie } from 'dexie';
import { encodeHlc, HlcClock, maxHlc, type Hlc } from './hlc';
import { SYNC_FIELDS } from './sync-fields';

export const STAMPS = 'syncStamps';

/** A row's sync state, one per synced row (alive or deleted), in the `syncStamps` table (v8). */
export interface StampRecord {
	/** `${table}/${key}` */
	id: string;
	t: SyncTable;
	/** The row's identity on every device (the same track hash, playlist id, cue uid…). */
	k: string;
	/** When the row was (last) created; '' when only edits are known. */
	c: Hlc;
	/** When it was (last) deleted; '' when never. Alive iff c > d. */
	d: Hlc;
	/** Per synced field, the stamp of its current value. */
	s: Record<string, Hlc>;
	/** The synced values while the row is not alive (a tombstone keeps them so a revival is complete). */
	v?: Record<string, unknown> | null;
	/** Local change order: peers pull records with seq above their watermark. */
	seq: Hlc;
	/** The peer whose state this equals (it was taken whole from it): not echoed back to it. */
	src?: string;
}

export type SyncTable = 'tracks' | 'analysis' | 'cues' | 'playlists' | 'playlistItems';

interface TableSpec {
	/** The row's identity across devices. */
	key(row: Record<string, unknown>): string;
	fields: readonly string[];
	/** Rows that stay on this device (e.g. a failed analysis: another device may well succeed). */
	localOnly?(row: Record<string, unknown>): boolean;
}

/** What is synced. Local-only track state (where the bytes are, pinning, paths, plays, artwork) is not. */
export const SYNC_SPECS: Record<SyncTable, TableSpec> = {
	tracks: {
		key: (row) => String(row.hash),
		fields: SYNC_FIELDS.tracks
	},
	analysis: {
		key: (row) => String(row.hash),
		// The waveform is derived from the audio and can exceed a frame (a long mix): not synced.
		fields: SYNC_FIELDS.analysis,
		localOnly: (row) => row.error != null
	},
	cues: {
		key: (row) => String(row.uid),
		fields: SYNC_FIELDS.cues
	},
	playlists: {
		key: (row) => String(row.id),
		fields: SYNC_FIELDS.playlists
	},
	playlistItems: {
		// A playlist holds a track once, so (playlist, track) is the item on every device.
		key: (row) => `${row.playlistId}|${row.hash}`,
		fields: SYNC_FIELDS.playlistItems
	}
};

export const SYNC_TABLES = Object.keys(SYNC_SPECS) as SyncTable[];
export const stampId = (table: SyncTable, key: string) => `${table}/${key}`;

/**
 * A cue's identity: a hot cue is its track's slot (two devices setting hot cue A converge on one cue);
 * memory cues and loops get a random id.
 */
export function cueUid(cue: Record<string, unknown>): string {
	if (typeof cue.uid === 'string' && cue.uid) return cue.uid;
	return cue.kind === 'hot' ? `${cue.hash}:hot:${cue.slot}` : `${cue.hash}:${crypto.randomUUID()}`;
}

/** Deep equality for stored values (plain data, arrays, typed arrays). */
export function same(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (a === undefined || b === undefined) return a === b || (a ?? null) === (b ?? null);
	if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
	if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
		if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
		const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
		const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
		return x.every((byte, i) => byte === y[i]);
	}
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	const ka = Object.keys(a as object);
	const kb = Object.keys(b as object);
	if (ka.length !== kb.length) return false;
	return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The synced values of a row (undefined fields are left out). */
export function syncedValues(table: SyncTable, row: Record<string, unknown>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const field of SYNC_SPECS[table].fields) if (row[field] !== undefined) out[field] = row[field];
	return out;
}

/** IndexedDB transactions that apply a peer's changes: written as they are, not stamped again. */
const applying = new WeakSet<object>();
export function markApplying(idbtrans: object): void {
	applying.add(idbtrans);
}

/** The page's clock: node id random per page load (unique per writer, which is all the tie-break needs). */
export const clock = new HlcClock();

type Listener = (tables: SyncTable[]) => void;
const listeners = new Set<Listener>();
/** Called after a transaction with stamped local edits commits. */
export function onLocalEdit(listener: Listener): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}

interface Change {
	table: SyncTable;
	before: Record<string, unknown> | undefined;
	after: Record<string, unknown> | undefined;
}

/**
 * The highest change-order stamp stored, read inside a transaction that writes `syncStamps`. Such
 * transactions run one at a time (IndexedDB serialises overlapping read-write scopes), so stamping above
 * it makes `seq` grow in commit order even with several tabs, each with its own clock: a peer's
 * watermark never skips a change that committed late.
 */
export function lastSeqIn(trans: IDBTransaction): Promise<Hlc> {
	return new Promise((resolve, reject) => {
		const request = trans.objectStore(STAMPS).index('seq').openKeyCursor(null, 'prev');
		request.onsuccess = () => resolve((request.result?.key as Hlc | undefined) ?? '');
		request.onerror = () => reject(request.error);
	});
}

/** Updates stamp records for a set of row changes (runs inside the writer's transaction). */
async function stamp(stamps: DBCoreTable, trans: IDBTransaction, changes: Change[]): Promise<boolean> {
	const byId = new Map<
		string,
		{ table: SyncTable; key: string; before?: Record<string, unknown>; after?: Record<string, unknown> }
	>();
	for (const { table, before, after } of changes) {
		const spec = SYNC_SPECS[table];
		const was = before && !spec.localOnly?.(before) ? before : undefined;
		const now = after && !spec.localOnly?.(after) ? after : undefined;
		if (!was && !now) continue;
		const wasKey = was && spec.key(was);
		const nowKey = now && spec.key(now);
		if (was && now && wasKey !== nowKey) {
			// The identity changed: the old row is gone, a new one exists.
			byId.set(stampId(table, wasKey!), { table, key: wasKey!, before: was });
			byId.set(stampId(table, nowKey!), { table, key: nowKey!, after: now });
			continue;
		}
		const key = (nowKey ?? wasKey)!;
		const id = stampId(table, key);
		const prior = byId.get(id);
		// Several writes to one row in one request: compare the first state with the last.
		byId.set(id, { table, key, before: prior ? prior.before : was, after: now });
	}
	if (byId.size === 0) return false;
	const ids = [...byId.keys()];
	const existing = (await stamps.getMany({ trans, keys: ids })) as (StampRecord | undefined)[];
	clock.observe(await lastSeqIn(trans));
	const at = clock.now();
	const put: StampRecord[] = [];
	ids.forEach((id, i) => {
		const { table, key, before, after } = byId.get(id)!;
		const record = localChange(existing[i], table, key, before, after, at);
		if (record) put.push(record);
	});
	if (put.length === 0) return false;
	await stamps.mutate({ trans, type: 'put', values: put });
	return true;
}

/**
 * A local edit's effect on a row's sync record (pure; the property tests drive it too): fields whose value
 * changed get stamp `at`; a row that appears (new, or back after a delete) is created at `at` with every
 * field stamped; a row that goes is deleted at `at` and its values kept. Returns null when nothing synced
 * changed.
 */
export function localChange(
	old: StampRecord | undefined,
	table: SyncTable,
	key: string,
	before: Record<string, unknown> | undefined,
	after: Record<string, unknown> | undefined,
	at: Hlc
): StampRecord | null {
	const id = stampId(table, key);
	const record: StampRecord = old
		? { ...old, s: { ...old.s } }
		: { id, t: table, k: key, c: '', d: '', s: {}, seq: '' };
	const alive = record.c > record.d;
	let changed = false;
	if (after) {
		const created = !before || !alive;
		for (const field of SYNC_SPECS[table].fields) {
			const value = after[field];
			if (value === undefined && (before?.[field] === undefined || created)) continue;
			if (!created && same(before?.[field], value)) continue;
			record.s[field] = at;
			changed = true;
		}
		if (created) {
			record.c = maxHlc(at, record.c);
			record.v = null;
			changed = true;
		}
	} else if (before && alive) {
		record.d = maxHlc(at, record.d);
		record.v = syncedValues(table, before);
		changed = true;
	}
	if (!changed) return null;
	record.seq = at;
	delete record.src;
	return record;
}

function succeeded<T>(items: readonly T[], res: DBCoreMutateResponse): T[] {
	return res.numFailures ? items.filter((_, i) => !res.failures[i]) : [...items];
}

/** Installs the stamping middleware (and reads the highest stored stamp, so the clock never goes back). */
export function installStamps(db: Dexie): void {
	db.use({
		stack: 'dbcore',
		name: 'cratemeshSyncStamps',
		create(down: DBCore): DBCore {
			return {
				...down,
				transaction(stores, mode, options) {
					const synced = mode === 'readwrite' && stores.some((store) => store in SYNC_SPECS);
					return down.transaction(synced && !stores.includes(STAMPS) ? [...stores, STAMPS] : stores, mode, options);
				},
				table(name) {
					const table = down.table(name);
					if (!(name in SYNC_SPECS)) return table;
					const synced = name as SyncTable;
					// Looked up on first use: while an upgrade builds the stack, the store may not exist yet.
					let stamps: DBCoreTable | undefined;
					const { extractKey } = table.schema.primaryKey;
					return {
						...table,
						async mutate(req: DBCoreMutateRequest): Promise<DBCoreMutateResponse> {
							const trans = req.trans as unknown as IDBTransaction;
							if (applying.has(trans) || trans.mode !== 'readwrite' || !trans.objectStoreNames.contains(STAMPS))
								return table.mutate(req);
							let changes: Change[];
							let res: DBCoreMutateResponse;
							if (req.type === 'add') {
								let values = req.values as Record<string, unknown>[];
								if (synced === 'cues') values = values.map((cue) => ({ ...cue, uid: cueUid(cue) }));
								res = await table.mutate({ ...req, values });
								changes = succeeded(values, res).map((after) => ({ table: synced, before: undefined, after }));
							} else if (req.type === 'put') {
								let values = req.values as Record<string, unknown>[];
								if (synced === 'cues') values = values.map((cue) => ({ ...cue, uid: cueUid(cue) }));
								const keys = req.keys ?? values.map((value) => extractKey!(value));
								const before = (await table.getMany({ trans: req.trans, keys })) as (
									Record<string, unknown> | undefined
								)[];
								res = await table.mutate({ ...req, values });
								changes = values
									.map((after, i) => ({ table: synced, before: before[i], after, i }))
									.filter(({ i }) => !res.failures[i]);
							} else if (req.type === 'delete') {
								const before = (await table.getMany({ trans: req.trans, keys: req.keys })) as (
									Record<string, unknown> | undefined
								)[];
								res = await table.mutate(req);
								changes = before.map((row) => ({ table: synced, before: row, after: undefined }));
							} else {
								const rows = (await table.query({
									trans: req.trans,
									values: true,
									query: { index: table.schema.primaryKey, range: req.range }
								})) as { result: Record<string, unknown>[] };
								res = await table.mutate(req);
								changes = rows.result.map((row) => ({ table: synced, before: row, after: undefined }));
							}
							stamps ??= down.table(STAMPS);
							if (await stamp(stamps, trans, changes)) {
								trans.addEventListener('complete', () => listeners.forEach((listener) => listener([synced])), {
									once: true
								});
							}
							return res;
						}
					};
				}
			};
		}
	});
	void db
		.table(STAMPS)
		.orderBy('seq')
		.last()
		.then((record?: StampRecord) => record && clock.observe(record.seq))
		.catch(() => undefined);
}

/** v8 upgrade: existing rows get stamps (at the time each row was made) so they sync like new ones. */
export async function stampExistingRows(tx: {
	table(name: string): { toArray(): Promise<Record<string, unknown>[]>; bulkPut(rows: unknown[]): Promise<unknown> };
}): Promise<void> {
	const node = clock.node;
	const records: StampRecord[] = [];
	const when = (row: Record<string, unknown>) =>
		[row.dateAdded, row.createdAt, row.addedAt, row.analysedAt].find(
			(value): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0
		) ?? Date.now();
	let counter = 0;
	for (const table of SYNC_TABLES) {
		for (const row of await tx.table(table).toArray()) {
			if (SYNC_SPECS[table].localOnly?.(row)) continue;
			const at = encodeHlc({ ms: when(row), counter: counter++ % 1_000_000, node });
			const s: Record<string, Hlc> = {};
			for (const field of Object.keys(syncedValues(table, row))) s[field] = at;
			const key = SYNC_SPECS[table].key(row);
			records.push({ id: stampId(table, key), t: table, k: key, c: at, d: '', s, seq: at });
		}
	}
	await tx.table(STAMPS).bulkPut(records);
}
