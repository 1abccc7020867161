import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import { db, openDb, type TrackRow } from '$lib/db';
import { encodeHlc } from '$lib/db/hlc';
import { installStamps, STAMPS, type StampRecord } from '$lib/db/stamps';
import { trackRow } from '$lib/db/test-rows';
import { addCue, deleteCue, updateCue } from '$lib/features/analysis/cues';
import { playlists } from '$lib/features/playlists/playlists.svelte';
import {
	applyChanges,
	canonicalDump,
	collectTombstones,
	getCollected,
	getPeer,
	readPage,
	sweepAfterFullResync
} from './sync-store';
import type { Message } from './protocol';
import type { Session } from './session';
import { LibrarySync } from './sync.svelte';
import { decodeChange, encodeChange, SYNC_SCHEMA, SYNC_VERSION, type WireChange } from './sync-wire';

const hash = (i: number) => i.toString(16).padStart(64, '0');
const stamps = () => db().table<StampRecord, string>(STAMPS);

function track(i: number): TrackRow {
	return trackRow({
		hash: hash(i),
		fileName: `t${i}.mp3`,
		size: 100 + i,
		mime: 'audio/mpeg',
		title: `Track ${i}`,
		dateAdded: 1_700_000_000_000 + i,
		artist: 'A',
		bpm: 120,
		duration: 60,
		container: 'MPEG',
		codec: 'MP3',
		bitrate: 128000,
		sampleRate: 44100,
		channels: 2
	});
}

describe('library sync store (real IndexedDB)', () => {
	it('v8 upgrade stamps existing rows and gives cues their identity', async () => {
		const name = `upgrade-v8-${crypto.randomUUID()}`;
		const v6 = new Dexie(name);
		v6.version(6).stores({
			tracks: '&hash, dateAdded, title, lastPlayed',
			settings: '&key',
			playlists: '&id, parentId',
			playlistItems: '++id, playlistId, [playlistId+position], hash',
			analysis: '&hash, analyserVersion',
			cues: '++id, hash'
		});
		await v6.table('tracks').bulkAdd([track(1), track(2)]);
		await v6.table('cues').bulkAdd([
			{ hash: hash(1), kind: 'hot', slot: 2, startSec: 1, endSec: null, name: '', color: 'red', createdAt: 5 },
			{ hash: hash(1), kind: 'memory', slot: -1, startSec: 3, endSec: null, name: 'm', color: 'blue', createdAt: 6 }
		]);
		await v6.table('playlists').add({
			id: 'p1',
			name: 'P',
			kind: 'playlist',
			parentId: null,
			position: 1,
			rules: null,
			createdAt: 1,
			updatedAt: 1
		});
		await v6.table('playlistItems').add({ playlistId: 'p1', hash: hash(2), position: 1, addedAt: 2 });
		await v6.table('analysis').add({ hash: hash(2), analyserVersion: 1, error: { code: 'corrupt', message: '' } });
		v6.close();

		const upgraded = openDb(name);
		installStamps(upgraded);
		await upgraded.open();
		const records = await upgraded.table<StampRecord>(STAMPS).toArray();
		// 2 tracks, 2 cues, 1 playlist, 1 item; the failed analysis stays local.
		expect(records.map((r) => r.t).sort()).toEqual(['cues', 'cues', 'playlistItems', 'playlists', 'tracks', 'tracks']);
		const cues = await upgraded.cues.toArray();
		expect(cues.find((c) => c.kind === 'hot')?.uid).toBe(`${hash(1)}:hot:2`);
		expect(cues.find((c) => c.kind === 'memory')?.uid).toMatch(new RegExp(`^${hash(1)}:[0-9a-f-]{36}$`));
		const trackRecord = records.find((r) => r.id === `tracks/${hash(1)}`)!;
		expect(trackRecord.c > trackRecord.d).toBe(true);
		expect(Object.keys(trackRecord.s)).toContain('rating');
		expect(Object.keys(trackRecord.s)).not.toContain('storage');
		expect(
			await upgraded.playlistItems
				.where('[playlistId+hash]')
				.equals(['p1', hash(2)])
				.count()
		).toBe(1);
		upgraded.close();
		await Dexie.delete(name);
	});

	it('local edits through the app’s own write paths stamp only the fields they change', async () => {
		await db().tracks.bulkAdd([track(10), track(11)]);
		const created = (await stamps().get(`tracks/${hash(10)}`))!;
		expect(created.c).not.toBe('');
		// The tag editor's path: update in a transaction.
		await db().transaction('rw', db().tracks, async () => {
			await db().tracks.update(hash(10), { rating: 4, freeTags: ['warm-up'] });
		});
		const edited = (await stamps().get(`tracks/${hash(10)}`))!;
		expect(edited.s.rating! > created.s.rating!).toBe(true);
		expect(edited.s.freeTags).toBe(edited.s.rating);
		expect(edited.s.title).toBe(created.s.title);
		expect(edited.seq > created.seq).toBe(true);
		// A local-only change (where the bytes are) is not a synced edit.
		await db().tracks.update(hash(10), { storage: 'none', pinned: true });
		expect((await stamps().get(`tracks/${hash(10)}`))!.seq).toBe(edited.seq);
		// Delete and undo (bulkDelete, then bulkPut of the same rows): tombstone, then re-created.
		const rows = await db().tracks.bulkGet([hash(11)]);
		await db().tracks.bulkDelete([hash(11)]);
		const deleted = (await stamps().get(`tracks/${hash(11)}`))!;
		expect(deleted.d > deleted.c).toBe(true);
		expect(deleted.v).toMatchObject({ title: 'Track 11' });
		await db().tracks.bulkPut(rows as TrackRow[]);
		const back = (await stamps().get(`tracks/${hash(11)}`))!;
		expect(back.c > back.d).toBe(true);

		// Playlists: create, add, move, remove — items are identified by (playlist, track).
		const list = await playlists.create('Sync test', 'playlist');
		await playlists.add(list.id, [hash(10), hash(11)]);
		await playlists.move(list.id, [hash(11)], hash(10));
		const item = (await stamps().get(`playlistItems/${list.id}|${hash(11)}`))!;
		expect(item.s.position! > item.c).toBe(true);
		await playlists.removeTracks(list.id, [hash(10)]);
		const gone = (await stamps().get(`playlistItems/${list.id}|${hash(10)}`))!;
		expect(gone.d > gone.c).toBe(true);
		await playlists.rename(list.id, 'Renamed');
		expect((await stamps().get(`playlists/${list.id}`))!.s.name).not.toBe(
			(await stamps().get(`playlists/${list.id}`))!.c
		);

		// Cues: a hot cue is its slot; setting it again replaces the same identity.
		await addCue(hash(10), 'hot', 1.5, { slot: 0 });
		await addCue(hash(10), 'hot', 2.5, { slot: 0 });
		const hot = (await stamps().get(`cues/${hash(10)}:hot:0`))!;
		expect(hot.c > hot.d).toBe(true);
		const cue = (await db()
			.cues.where('uid')
			.equals(`${hash(10)}:hot:0`)
			.first())!;
		await updateCue(cue.id!, { name: 'Drop' });
		expect((await stamps().get(hot.id))!.s.name! > hot.s.name!).toBe(true);
		await deleteCue(cue.id!);
		const deadCue = (await stamps().get(hot.id))!;
		expect(deadCue.d > deadCue.c).toBe(true);
	});

	it('change order follows commit order even when another writer’s clock ran ahead', async () => {
		// Another tab (its own clock, an hour ahead) committed a change: ours must still sort after it.
		const ahead = encodeHlc({ ms: Date.now() + 3_600_000, counter: 7, node: 'abcabcabcabc' });
		await stamps().put({ id: 'tracks/other-tab', t: 'tracks', k: 'other-tab', c: ahead, d: '', s: {}, seq: ahead });
		await db().tracks.update(hash(10), { rating: 3 });
		expect((await stamps().get(`tracks/${hash(10)}`))!.seq > ahead).toBe(true);
		await stamps().delete('tracks/other-tab');
	});

	it('applies a peer’s changes with the merge rule and does not echo them back', async () => {
		const t = (ms: number) => encodeHlc({ ms, counter: 0, node: 'feedfeedfeed' });
		const far = 4_000_000_000_000;
		const remote = (key: string, state: Parameters<typeof encodeChange>[2]) => {
			const decoded = decodeChange(encodeChange('tracks', key, state));
			if (!decoded.ok) throw new Error(decoded.reason);
			return { table: decoded.table, key: decoded.key, state: decoded.state };
		};
		const values = { fileName: 'r.mp3', size: 5, title: 'Remote', rating: 3, freeTags: ['x'], dateAdded: 1 };
		const s = Object.fromEntries(Object.keys(values).map((k) => [k, t(far)]));
		const applied = await applyChanges('cm-peer', [
			remote(hash(20), { c: t(far), d: '', s, f: values }),
			// a newer edit of an existing local track, and an older one that loses
			remote(hash(10), { c: '', d: '', s: { rating: t(far + 1) }, f: { rating: 1 } }),
			remote(hash(11), { c: '', d: '', s: { rating: t(1) }, f: { rating: 5 } })
		]);
		expect(applied.changed).toBe(2);
		const synced = (await db().tracks.get(hash(20)))!;
		expect(synced).toMatchObject({ title: 'Remote', rating: 3, storage: 'none', paths: [], artist: '' });
		expect((await db().tracks.get(hash(10)))!.rating).toBe(1);
		expect((await db().tracks.get(hash(11)))!.rating).toBe(0);
		// Applying is not a local edit: no new field stamps.
		expect((await stamps().get(`tracks/${hash(20)}`))!.s.title).toBe(t(far));
		// What came whole from the peer is not sent back to it; other peers get it.
		const all = async (peer: string) => (await readPage(['', '\uffff'], 10_000, peer)).changes.map((c) => c.k);
		expect(await all('cm-peer')).not.toContain(hash(20));
		expect(await all('cm-other')).toContain(hash(20));
		// A delete from the peer removes the row and keeps its values in the tombstone.
		await applyChanges('cm-peer', [remote(hash(20), { c: t(far), d: t(far + 5), s, f: values })]);
		expect(await db().tracks.get(hash(20))).toBeUndefined();
		const dump = await canonicalDump();
		expect(dump.tracks.map((r) => r.sid)).not.toContain(hash(20));
	});
});

describe('library sync engine', () => {
	const stub = (trust: 'own' | 'collaborator', remoteId = `cm-${trust}`) => {
		const sent: Message[] = [];
		const session = {
			remoteId,
			trust,
			closed: false,
			send: (message: object) => sent.push({ v: 1, ...message } as Message)
		} as unknown as Session;
		return { session, sent };
	};

	it('gives a collaborator nothing and an own device every change, in acknowledged batches', async () => {
		const sync = new LibrarySync(
			() => undefined,
			() => undefined
		);
		const collaborator = stub('collaborator');
		expect(await sync.handle(collaborator.session, { v: 1, type: 'sync-hello', sv: 1, since: '' })).toBe(true);
		expect(collaborator.sent).toEqual([
			{ v: 1, type: 'sync-batch', n: 0, changes: [], upTo: '', total: 0, done: true }
		]);
		// A connection that goes before it is authenticated names itself: any text, never a prototype member.
		sync.disconnected('constructor');
		expect(Object.keys(sync.peers)).not.toContain('constructor');
		// A collaborator cannot make this device pull, nor push a batch it was not asked for.
		expect(await sync.handle(collaborator.session, { v: 1, type: 'sync-poke' })).toBe(false);
		const batch: Message = { v: 1, type: 'sync-batch', n: 1, changes: [], upTo: '', total: 0, done: true };
		expect(await sync.handle(collaborator.session, batch)).toBe(false);

		const own = stub('own');
		await sync.handle(own.session, { v: 1, type: 'sync-hello', sv: 1, since: '' });
		await expect.poll(() => own.sent.some((m) => m.type === 'sync-batch' && m.done)).toBe(true);
		const batches = own.sent.filter((m): m is Extract<Message, { type: 'sync-batch' }> => m.type === 'sync-batch');
		const keys = batches.flatMap((m) => m.changes.map((c) => c.k));
		expect(keys).toContain(hash(10));
		expect(await stamps().count()).toBeGreaterThanOrEqual(keys.length);
		expect(await sync.handle(own.session, { v: 1, type: 'sync-ack', n: batches.at(-1)!.n })).toBe(true);
		// An ack for a batch never sent is refused.
		expect(await sync.handle(own.session, { v: 1, type: 'sync-ack', n: 999 })).toBe(false);
	});

	it('a device that missed collected tombstones gets a full resync and is pulled from only after it', async () => {
		const sync = new LibrarySync(
			() => undefined,
			() => undefined
		);
		const { session, sent } = stub('own', 'cm-away');
		const mark = encodeHlc({ ms: 4_100_000_000_000, counter: 0, node: 'abcabcabcabc' });
		const previous = await db().settings.get('meshSyncCollected');
		await db().settings.put({ key: 'meshSyncCollected', value: { seq: mark, d: mark } });
		try {
			// It acknowledged only an old point of ours: no pull from it yet.
			await sync.pull(session);
			expect(sent.filter((m) => m.type === 'sync-hello')).toHaveLength(0);
			const old = encodeHlc({ ms: 1_000, counter: 0, node: 'abcabcabcabc' });
			await sync.handle(session, { v: 1, type: 'sync-hello', sv: 1, since: old });
			await expect.poll(() => sent.some((m) => m.type === 'sync-batch' && m.done)).toBe(true);
			const batches = sent.filter((m): m is Extract<Message, { type: 'sync-batch' }> => m.type === 'sync-batch');
			expect(batches.every((m) => m.full)).toBe(true);
			// Everything, including records older than its watermark; the end is past the collected mark.
			expect(batches.flatMap((m) => m.changes.map((c) => c.k))).toContain(hash(10));
			expect(batches.at(-1)!.upTo >= mark).toBe(true);
			for (const batch of batches) await sync.handle(session, { v: 1, type: 'sync-ack', n: batch.n });
			// Its last ack covers the collected mark: now it is pulled from.
			await expect.poll(() => sent.some((m) => m.type === 'sync-hello')).toBe(true);
		} finally {
			if (previous) await db().settings.put(previous);
			else await db().settings.delete('meshSyncCollected');
		}
	});
	it('takes what it knows from a newer build, sets the rest aside, and pulls from the start once its fields change', async () => {
		const refusals: string[] = [];
		const sync = new LibrarySync(
			() => undefined,
			(_peer, reason) => refusals.push(reason)
		);
		const { session, sent } = stub('own', 'cm-newer');
		const hellos = () => sent.filter((m): m is Extract<Message, { type: 'sync-hello' }> => m.type === 'sync-hello');
		const at = encodeHlc({ ms: 4_200_000_000_000, counter: 0, node: 'newernewerne' });
		// A watermark reached by a build with other fields (or before fields were recorded): from the start.
		await db()
			.table('syncPeers')
			.put({ peerId: 'cm-newer', since: at, theyHave: at, lastSync: 1, sent: 0, received: 0, schema: 'older000' });
		await sync.pull(session);
		expect(hellos().at(-1)).toMatchObject({ sv: SYNC_VERSION, since: '' });
		const later = {
			...encodeChange('tracks', hash(70), {
				c: at,
				d: '',
				s: { fileName: at, size: at, title: at },
				f: { fileName: 'n.mp3', size: 9, title: 'From a newer build' }
			}),
			f: { fileName: 'n.mp3', size: 9, title: 'From a newer build', timelineMs: 51 }
		} as WireChange;
		const newTable = { t: 'setlists', k: 'x', c: at, d: '', s: at, f: { name: 'x' } } as WireChange;
		const batch: Message = {
			v: 1,
			type: 'sync-batch',
			n: 1,
			changes: [later, newTable],
			upTo: at,
			total: 2,
			done: true
		};
		expect(await sync.handle(session, batch)).toBe(true);
		await expect.poll(() => sync.peers['cm-newer']?.pulling).toBeNull();
		expect(sent.some((m) => m.type === 'sync-ack')).toBe(true);
		expect((await db().tracks.get(hash(70)))?.title).toBe('From a newer build');
		expect(refusals).toEqual([]);
		expect(sync.peers['cm-newer']).toMatchObject({ refused: 0, unknown: 2, received: 2 });
		const row = await getPeer('cm-newer');
		expect(row).toMatchObject({ since: at, schema: SYNC_SCHEMA });
		// Same fields now: from its watermark.
		await sync.pull(session);
		expect(hellos()).toHaveLength(2);
		expect(hellos().at(-1)).toMatchObject({ since: at });
		await db().tracks.delete(hash(70));
	});
});

describe('tombstone collection (real IndexedDB)', () => {
	const t = (ms: number) => encodeHlc({ ms, counter: 0, node: 'abcabcabcabc' });
	const tomb = (key: string, c: number, d: number, seq: number): StampRecord => ({
		id: `tracks/${key}`,
		t: 'tracks',
		k: key,
		c: t(c),
		d: t(d),
		s: { title: t(c) },
		v: { title: key },
		seq: t(seq)
	});

	it('collects what every own device acknowledged and what is past the horizon, nothing else', async () => {
		const now = Date.now();
		const day = 24 * 60 * 60 * 1000;
		await stamps().bulkPut([
			tomb('gc-acked', now - 3 * day, now - 2 * day, now - 2 * day),
			tomb('gc-unacked', now - 3 * day, now - day, now - day),
			tomb('gc-ancient', now - 200 * day, now - 100 * day, now - 1000)
		]);
		await db()
			.table('syncPeers')
			.bulkPut([
				{ peerId: 'cm-gc-1', since: '', lastSync: null, sent: 0, received: 0, theyHave: t(now - 1.5 * day) },
				{ peerId: 'cm-gc-2', since: '', lastSync: null, sent: 0, received: 0, theyHave: t(now - 0.5 * day) }
			]);
		const before = await getCollected();
		const { collected, marks } = await collectTombstones(['cm-gc-1', 'cm-gc-2'], now);
		expect(collected).toBeGreaterThanOrEqual(2);
		expect(await stamps().get('tracks/gc-acked')).toBeUndefined();
		// cm-gc-1 has not stored it yet, and it is recent.
		expect(await stamps().get('tracks/gc-unacked')).toBeDefined();
		// Past the horizon though nobody acknowledged it.
		expect(await stamps().get('tracks/gc-ancient')).toBeUndefined();
		expect(marks.seq >= t(now - 1000)).toBe(true);
		expect(marks.seq >= before.seq).toBe(true);
		expect(await getCollected()).toEqual(marks);
		// Live rows are never collected.
		expect(await stamps().get(`tracks/${hash(10)}`)).toBeDefined();
		await stamps().delete('tracks/gc-unacked');
	});

	it('after a full resync, deletes the rows the peer had seen and no longer holds; keeps newer ones', async () => {
		await db().tracks.bulkPut([track(60), track(61)]);
		const old = (await stamps().get(`tracks/${hash(60)}`))!;
		const peerAcked = old.seq;
		await db().tracks.put(track(62));
		const held = new Set([`tracks/${hash(61)}`]);
		const applied = await sweepAfterFullResync(held, peerAcked);
		expect(applied.tracks).toContain(hash(60));
		expect(await db().tracks.get(hash(60))).toBeUndefined();
		// In the peer's set: kept. Created after the point the peer had stored: new to it, kept.
		expect(await db().tracks.get(hash(61))).toBeDefined();
		expect(await db().tracks.get(hash(62))).toBeDefined();
		const swept = (await stamps().get(`tracks/${hash(60)}`))!;
		expect(swept.d > swept.c).toBe(true);
		// The delete is stamped just after the row's creation: re-importing it later revives it.
		await db().tracks.put(track(60));
		expect(await db().tracks.get(hash(60))).toBeDefined();
	});
});
