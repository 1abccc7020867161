import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import { openDb, titleFromFileName } from './schema';

describe('Dexie schema (real IndexedDB)', () => {
	it('upgrades a populated v1 database to the latest version without losing rows', async () => {
		const name = `upgrade-${crypto.randomUUID()}`;
		// Open the database as the v1 app did and fill it.
		const v1 = new Dexie(name);
		v1.version(1).stores({ tracks: '&hash, dateAdded', settings: '&key' });
		const rows = Array.from({ length: 500 }, (_, i) => ({
			hash: i.toString(16).padStart(64, '0'),
			fileName: `Artist ${i} - Song ${i}.mp3`,
			size: 1000 + i,
			mime: 'audio/mpeg',
			dateAdded: 1_700_000_000_000 + i
		}));
		await v1.table('tracks').bulkAdd(rows);
		await v1.table('settings').bulkAdd([
			{ key: 'theme', value: 'light' },
			{ key: 'locale', value: 'pt-BR' }
		]);
		v1.close();

		const db = openDb(name);
		await db.open();
		expect(db.verno).toBeGreaterThanOrEqual(5);
		expect(await db.tracks.count()).toBe(500);
		const track = await db.tracks.get(rows[42]!.hash);
		expect(track).toMatchObject({
			fileName: 'Artist 42 - Song 42.mp3',
			size: 1042,
			title: 'Artist 42 - Song 42',
			artist: '',
			rating: 0,
			freeTags: [],
			storage: 'none',
			paths: ['Artist 42 - Song 42.mp3']
		});
		// The new index works on upgraded rows.
		expect(await db.tracks.where('title').startsWith('Artist 7').count()).toBe(11);
		expect(await db.settings.get('locale')).toEqual({ key: 'locale', value: 'pt-BR' });
		expect(await db.devices.count()).toBe(0);
		expect(await db.importJournal.count()).toBe(0);
		expect(await db.playlists.count()).toBe(0);
		expect(await db.playLog.count()).toBe(0);
		expect(await db.analysis.count()).toBe(0);
		expect(await db.cues.count()).toBe(0);
		expect(track?.edited).toBeUndefined();
		db.close();
		await Dexie.delete(name);
	});

	it('upgrades a v4 database: analysis and cue tables are added, tracks and playlists kept', async () => {
		const name = `upgrade-v4-${crypto.randomUUID()}`;
		const v4 = new Dexie(name);
		v4.version(4).stores({
			tracks: '&hash, dateAdded, title, lastPlayed',
			settings: '&key',
			devices: '&peerId, lastSeen',
			artwork: '&hash',
			audioBlobs: '&hash',
			importJournal: '++id, jobId, status',
			playlists: '&id, parentId',
			playlistItems: '++id, playlistId, [playlistId+position], hash',
			playLog: '++id, hash, startedAt'
		});
		const hash = 'a'.repeat(64);
		await v4.table('tracks').add({ hash, fileName: 'x.mp3', title: 'X', dateAdded: 1, bpm: 120, key: 'Am' });
		await v4.table('playlists').add({ id: 'p1', name: 'Set', kind: 'playlist', parentId: null, position: 0 });
		v4.close();

		const db = openDb(name);
		await db.open();
		expect(db.verno).toBeGreaterThanOrEqual(6);
		expect(await db.tracks.get(hash)).toMatchObject({ bpm: 120, key: 'Am' });
		expect(await db.playlists.count()).toBe(1);
		const waveform = {
			overview: new Uint8Array([1, 2, 3]),
			detail: new Uint8Array(6),
			pointsPerSecond: 50,
			overviewPointsPerSecond: 1
		};
		await db.analysis.put({
			hash,
			analyserVersion: 1,
			analysedAt: 2,
			error: null,
			format: 'mp3',
			durationSec: 3,
			bpm: 124,
			beatGrid: { bpm: 124, firstDownbeatSec: 0.1, beatsPerBar: 4 },
			tempoConfidence: 0.9,
			variableTempo: false,
			key: { tonic: 9, scale: 'minor', strength: 0.7 },
			loudness: { integratedLufs: -9, targetLufs: -14, gainDbToTarget: -5 },
			waveform,
			autoCueSec: 0.1,
			ms: 10
		});
		// Bytes stay bytes in IndexedDB (not JSON), and the version index answers "what is stale".
		const stored = await db.analysis.get(hash);
		expect(stored?.waveform?.overview).toBeInstanceOf(Uint8Array);
		expect([...stored!.waveform!.overview]).toEqual([1, 2, 3]);
		expect(await db.analysis.where('analyserVersion').below(2).primaryKeys()).toEqual([hash]);
		await db.cues.add({ hash, kind: 'hot', slot: 0, startSec: 1, endSec: null, name: '', color: 'red', createdAt: 3 });
		expect(await db.cues.where('hash').equals(hash).count()).toBe(1);
		db.close();
		await Dexie.delete(name);
	});

	it('v6 adds the mesh identity and trusted-device tables, and keeps a non-extractable key', async () => {
		const name = `upgrade-v6-${crypto.randomUUID()}`;
		const db = openDb(name);
		await db.open();
		expect(db.verno).toBeGreaterThanOrEqual(6);
		const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
		await db.table('meshIdentity').put({ id: 'self', privateKey: pair.privateKey, publicKey: pair.publicKey });
		const stored = await db.table('meshIdentity').get('self');
		expect(stored.privateKey).toBeInstanceOf(CryptoKey);
		expect(stored.privateKey.extractable).toBe(false);
		await db.table('trustedDevices').put({ peerId: 'cm-x', name: 'X', lastSeen: 5 });
		expect(await db.table('trustedDevices').where('lastSeen').above(1).count()).toBe(1);
		db.close();
		await Dexie.delete(name);
	});

	it('v7 adds the sync tables to a populated v6 database, keeping its rows', async () => {
		const name = `upgrade-v7-${crypto.randomUUID()}`;
		const v6 = new Dexie(name);
		v6.version(6).stores({
			tracks: '&hash, dateAdded, title, lastPlayed',
			settings: '&key',
			devices: '&peerId, lastSeen',
			artwork: '&hash',
			audioBlobs: '&hash',
			importJournal: '++id, jobId, status',
			playlists: '&id, parentId',
			playlistItems: '++id, playlistId, [playlistId+position], hash',
			playLog: '++id, hash, startedAt',
			analysis: '&hash, analyserVersion',
			cues: '++id, hash',
			meshIdentity: '&id',
			trustedDevices: '&peerId, lastSeen'
		});
		const hash = 'c'.repeat(64);
		await v6.table('tracks').add({ hash, fileName: 'y.mp3', title: 'Y', dateAdded: 2 });
		await v6.table('trustedDevices').add({ peerId: 'cm-y', name: 'Y', lastSeen: 9 });
		await v6.table('settings').add({ key: 'scheduler.schedule', value: { dayparts: [] } });
		v6.close();

		const db = openDb(name);
		await db.open();
		expect(db.verno).toBeGreaterThanOrEqual(7);
		expect(await db.tracks.get(hash)).toMatchObject({ title: 'Y' });
		expect(await db.table('trustedDevices').count()).toBe(1);
		expect(await db.settings.get('scheduler.schedule')).toBeDefined();
		await db.table('syncAssets').bulkPut([
			{ hash, state: 'ready' },
			{ hash: 'd'.repeat(64), state: 'pending' }
		]);
		expect(await db.table('syncAssets').where('state').equals('pending').primaryKeys()).toEqual(['d'.repeat(64)]);
		// The saved hash state is bytes, and stays bytes.
		await db.table('syncPartials').put({ hash, offset: 3, sha256: new Uint8Array([1, 2, 3]) });
		expect((await db.table('syncPartials').get(hash)).sha256).toBeInstanceOf(Uint8Array);
		db.close();
		await Dexie.delete(name);
	});

	it('v8 stamps the rows of a populated v7 database for library sync and gives cues an identity', async () => {
		const name = `upgrade-v8-${crypto.randomUUID()}`;
		const v7 = new Dexie(name);
		v7.version(7).stores({
			tracks: '&hash, dateAdded, title, lastPlayed',
			settings: '&key',
			playlists: '&id, parentId',
			playlistItems: '++id, playlistId, [playlistId+position], hash',
			analysis: '&hash, analyserVersion',
			cues: '++id, hash'
		});
		const hash = 'c'.repeat(64);
		await v7.table('tracks').add({ hash, fileName: 'a.mp3', size: 1, mime: 'audio/mpeg', title: 'A', dateAdded: 5 });
		await v7
			.table('cues')
			.add({ hash, kind: 'hot', slot: 1, startSec: 1, endSec: null, name: '', color: 'red', createdAt: 3 });
		v7.close();
		const db = openDb(name);
		await db.open();
		expect(db.verno).toBeGreaterThanOrEqual(8);
		expect((await db.cues.toArray())[0]?.uid).toBe(`${hash}:hot:1`);
		const stamps = await db.table('syncStamps').toArray();
		expect(stamps.map((r) => r.id).sort()).toEqual([`cues/${hash}:hot:1`, `tracks/${hash}`]);
		expect(stamps.every((r) => r.c > r.d && r.seq === r.c)).toBe(true);
		expect(await db.table('syncPeers').count()).toBe(0);
		expect(await db.tracks.get(hash)).toMatchObject({ title: 'A', size: 1 });
		db.close();
		await Dexie.delete(name);
	});

	it('derives a title from a file name', () => {
		expect(titleFromFileName('Daft Punk - One More Time.flac')).toBe('Daft Punk - One More Time');
		expect(titleFromFileName('music/house/.hidden')).toBe('.hidden');
		expect(titleFromFileName('C:\\Music\\no-extension')).toBe('no-extension');
		expect(titleFromFileName('a.b.c.mp3')).toBe('a.b.c');
	});
});
