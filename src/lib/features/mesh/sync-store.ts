/**
 * Library sync against Dexie: reading this device's changes after a peer's watermark (in local change
 * order) and applying a peer's changes with the merge rule, in one transaction per batch. Applied writes
 * are marked so the stamping middleware leaves them alone; each merged row gets a new local `seq` so it
 * flows on to the other devices (not back to the one it came from when that one already has it).
 */
import { db, upgradeTrackToV3, type TrackRow } from '$lib/db';
import { type Hlc } from '$lib/db/hlc';
import {
	clock,
	lastSeqIn,
	markApplying,
	STAMPS,
	stampId,
	SYNC_SPECS,
	SYNC_TABLES,
	syncedValues,
	type StampRecord,
	type SyncTable
} from '$lib/db/stamps';
import { collectable, lowestAck, raiseCollected, sweepable, sweepStamp, type Collected } from './sync-gc';
import { isAlive, mergeRow, type RowState } from './sync-merge';
import { encodeChange, type WireChange } from './sync-wire';

type Row = Record<string, unknown>;
const stamps = () => db().table<StampRecord, string>(STAMPS);

/** Live rows by sync key, for one table. */
async function liveRows(table: SyncTable, keys: string[]): Promise<Map<string, Row>> {
	const out = new Map<string, Row>();
	if (keys.length === 0) return out;
	const database = db();
	let rows: (Row | undefined)[];
	if (table === 'cues') rows = (await database.cues.where('uid').anyOf(keys).toArray()) as unknown as Row[];
	else if (table === 'playlistItems')
		rows = (await database.playlistItems
			.where('[playlistId+hash]')
			.anyOf(keys.map((key) => key.split('|') as [string, string]))
			.toArray()) as unknown as Row[];
	else rows = await database.table(table).bulkGet(keys);
	for (const row of rows) if (row) out.set(SYNC_SPECS[table].key(row), row);
	return out;
}

function stateOf(record: StampRecord, row: Row | undefined): RowState {
	const values = isAlive(record) ? (row ? syncedValues(record.t, row) : {}) : (record.v ?? {});
	const s: Record<string, Hlc> = {};
	const f: Record<string, unknown> = {};
	for (const [field, stamp] of Object.entries(record.s)) {
		if (values[field] === undefined) continue;
		s[field] = stamp;
		f[field] = values[field];
	}
	return { c: record.c, d: record.d, s, f };
}

export interface Page {
	changes: WireChange[];
	/** The last record read (including ones the peer already has), or null when there were none. */
	last: [Hlc, string] | null;
	/** More records may follow. */
	more: boolean;
}

/** Records after `cursor` in change order, as changes for `peerId` (skipping what it gave us as it is;
 * an empty `peerId` skips nothing, as a full resync needs). */
export async function readPage(cursor: [Hlc, string], limit: number, peerId: string): Promise<Page> {
	const records = await stamps().where('[seq+id]').above(cursor).limit(limit).toArray();
	if (records.length === 0) return { changes: [], last: null, more: false };
	const wanted = peerId ? records.filter((record) => record.src !== peerId) : records;
	const rows = new Map<SyncTable, Map<string, Row>>();
	for (const table of SYNC_TABLES) {
		const keys = wanted.filter((r) => r.t === table && isAlive(r)).map((r) => r.k);
		rows.set(table, await liveRows(table, keys));
	}
	const changes = wanted.map((record) =>
		encodeChange(record.t, record.k, stateOf(record, rows.get(record.t)!.get(record.k)))
	);
	const last = records[records.length - 1]!;
	return { changes, last: [last.seq, last.id], more: records.length === limit };
}

export async function countAfter(since: Hlc): Promise<number> {
	return stamps().where('seq').above(since).count();
}

/** The highest change-order stamp: where a peer that has everything would stand. */
export async function lastSeq(): Promise<Hlc> {
	return (await stamps().orderBy('seq').last())?.seq ?? '';
}

export interface Incoming {
	table: SyncTable;
	key: string;
	state: RowState;
}

export interface Applied {
	/** rows whose local state changed */
	changed: number;
	/** track hashes added, changed or removed (for the library view) */
	tracks: string[];
	tables: Set<SyncTable>;
}

/** A track that arrives by sync: its bytes stay on the other device until fetched. */
function newTrack(hash: string, values: Row): TrackRow {
	const row = {
		hash,
		storage: 'none',
		pinned: false,
		paths: [],
		playCount: 0,
		lastPlayed: null,
		artwork: null,
		fileName: '',
		size: 0,
		mime: 'application/octet-stream',
		title: hash.slice(0, 12),
		dateAdded: Date.now(),
		...values
	} as Partial<TrackRow>;
	upgradeTrackToV3(row);
	return row as TrackRow;
}

/** Merges a batch of a peer's changes into the library, in one transaction. */
export async function applyChanges(peerId: string, incoming: Incoming[]): Promise<Applied> {
	const database = db();
	const applied: Applied = { changed: 0, tracks: [], tables: new Set() };
	if (incoming.length === 0) return applied;
	for (const { state } of incoming)
		for (const stamp of [state.c, state.d, ...Object.values(state.s)]) if (stamp) clock.observe(stamp);
	const tables = [...SYNC_TABLES.map((t) => database.table(t)), stamps()];
	await database.transaction('rw', tables, async (tx) => {
		markApplying(tx.idbtrans);
		clock.observe(await lastSeqIn(tx.idbtrans));
		const ids = incoming.map(({ table, key }) => stampId(table, key));
		const records = await stamps().bulkGet(ids);
		const live = new Map<SyncTable, Map<string, Row>>();
		for (const table of SYNC_TABLES) {
			const keys = incoming.filter((c) => c.table === table).map((c) => c.key);
			live.set(table, await liveRows(table, keys));
		}
		const put: StampRecord[] = [];
		const puts = new Map<SyncTable, Map<string, Row>>();
		const deletes = new Map<SyncTable, unknown[]>();
		// A batch may carry a row once; if twice, the later one merges into the result of the first.
		const seen = new Map<string, StampRecord>();
		for (let i = 0; i < incoming.length; i++) {
			const { table, key, state } = incoming[i]!;
			const id = ids[i]!;
			const record = seen.get(id) ?? records[i];
			const row = live.get(table)!.get(key);
			const local = record ? stateOf(record, row) : undefined;
			const merged = mergeRow(local, state);
			if (!merged.changed) continue;
			const alive = isAlive(merged.state);
			const next: StampRecord = {
				id,
				t: table,
				k: key,
				c: merged.state.c,
				d: merged.state.d,
				s: merged.state.s,
				v: alive ? null : merged.state.f,
				seq: clock.now(),
				...(merged.covered ? { src: peerId } : {})
			};
			seen.set(id, next);
			put.push(next);
			applied.changed++;
			applied.tables.add(table);
			if (table === 'tracks') applied.tracks.push(key);
			const written = nextRow(table, key, alive ? merged.state.f : null, row);
			const tablePuts = puts.get(table) ?? puts.set(table, new Map()).get(table)!;
			if (written) {
				live.get(table)!.set(key, written);
				tablePuts.set(key, written);
			} else {
				live.get(table)!.delete(key);
				tablePuts.delete(key);
				const pk = row && (table === 'cues' || table === 'playlistItems' ? row.id : key);
				if (pk !== undefined) (deletes.get(table) ?? deletes.set(table, []).get(table)!).push(pk);
			}
		}
		// One bulk write per table (a put per row was most of a batch's time).
		for (const [table, keys] of deletes) await database.table(table).bulkDelete(keys as never[]);
		for (const [table, rows] of puts) if (rows.size) await database.table(table).bulkPut([...rows.values()]);
		await stamps().bulkPut(put);
	});
	return applied;
}

/** The local row for a merged state (null: the row goes). Local-only fields are kept. */
function nextRow(table: SyncTable, key: string, values: Row | null, row: Row | undefined): Row | null {
	if (!values) return null;
	if (table === 'tracks') return row ? { ...row, ...values } : { ...newTrack(key, values) };
	if (table === 'analysis') return { hash: key, error: null, waveform: null, ...row, ...values };
	if (table === 'playlists') return { id: key, ...row, ...values };
	if (table === 'cues') return { ...row, ...values, uid: key };
	return { ...row, ...values };
}

export interface PeerRow {
	peerId: string;
	/** The highest change-order stamp of theirs that is stored here. */
	since: Hlc;
	/** The highest change-order stamp of ours they acknowledged storing (their `sync-hello`, `sync-ack`):
	 * tombstone collection waits for every own device's (`sync-gc.ts`). Absent in rows from before. */
	theyHave?: Hlc;
	/** `SYNC_SCHEMA` when `since` was last reached: another one (an update syncs more fields) pulls from the
	 * start once. Absent in rows from before (one pull from the start). */
	schema?: string;
	lastSync: number | null;
	sent: number;
	received: number;
}

const peers = () => db().table<PeerRow, string>('syncPeers');

export async function getPeer(peerId: string): Promise<PeerRow> {
	return (await peers().get(peerId)) ?? { peerId, since: '', lastSync: null, sent: 0, received: 0 };
}

/** Changes a device's row atomically (a pull and a push to the same device may finish together). */
export async function updatePeer(
	peerId: string,
	change: (row: PeerRow) => Partial<Omit<PeerRow, 'peerId'>>
): Promise<PeerRow> {
	return db().transaction('rw', peers(), async () => {
		const row = await getPeer(peerId);
		const next = { ...row, ...change(row) };
		await peers().put(next);
		return next;
	});
}

export async function listPeers(): Promise<PeerRow[]> {
	return peers().toArray();
}

const COLLECTED_KEY = 'meshSyncCollected';

/** The highest change-order and delete stamps of the tombstones collected here. */
export async function getCollected(): Promise<Collected> {
	const row = await db().settings.get(COLLECTED_KEY);
	const value = row?.value as Partial<Collected> | undefined;
	return { seq: value?.seq ?? '', d: value?.d ?? '' };
}

/**
 * Deletes the tombstones `sync-gc.ts` allows: those every own device (`ownPeerIds`) acknowledged, and
 * those deleted before the horizon. Returns how many went and the raised collected marks.
 */
export async function collectTombstones(
	ownPeerIds: string[],
	nowMs = Date.now()
): Promise<{ collected: number; marks: Collected }> {
	const database = db();
	return database.transaction('rw', [stamps(), peers(), database.settings], async () => {
		const rows = await peers().bulkGet(ownPeerIds);
		const lowest = lowestAck(rows.map((row) => row?.theyHave ?? ''));
		const gone = await stamps()
			.filter((record) => collectable(record, lowest, nowMs))
			.toArray();
		const before = await getCollected();
		if (gone.length === 0) return { collected: 0, marks: before };
		await stamps().bulkDelete(gone.map((record) => record.id));
		const marks = raiseCollected(before, gone);
		await database.settings.put({ key: COLLECTED_KEY, value: marks });
		return { collected: gone.length, marks };
	});
}

/**
 * After a full resync from a peer (`held`: the ids of every record it sent): deletes the live rows here
 * that the peer had seen (created at or before `peerAcked`, the point of ours it had stored) and no
 * longer holds, so it collected their delete. Written as a merge of a delete stamped just after each row's
 * creation, so a later re-creation elsewhere still wins.
 */
export async function sweepAfterFullResync(held: Set<string>, peerAcked: Hlc): Promise<Applied> {
	const records = await stamps()
		.filter((record) => sweepable(record, held.has(record.id), peerAcked))
		.toArray();
	const incoming: Incoming[] = [];
	for (const table of SYNC_TABLES) {
		const mine = records.filter((record) => record.t === table);
		const rows = await liveRows(
			table,
			mine.map((record) => record.k)
		);
		for (const record of mine) {
			const state = stateOf(record, rows.get(record.k));
			incoming.push({ table, key: record.k, state: { ...state, d: sweepStamp(record.c) } });
		}
	}
	return applyChanges('', incoming);
}

/** A canonical dump of the synced tables (sorted, local ids and local-only fields left out), for tests. */
export async function canonicalDump(): Promise<Record<SyncTable, Row[]>> {
	const out = {} as Record<SyncTable, Row[]>;
	for (const table of SYNC_TABLES) {
		const rows = (await db().table(table).toArray()) as Row[];
		out[table] = rows
			.filter((row) => !SYNC_SPECS[table].localOnly?.(row))
			.map((row) => ({ sid: SYNC_SPECS[table].key(row), ...syncedValues(table, row) }))
			.sort((a, b) => (a.sid < b.sid ? -1 : a.sid > b.sid ? 1 : 0));
	}
	return out;
}
