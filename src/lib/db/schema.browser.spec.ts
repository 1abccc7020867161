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
		expect(db.verno).toBeGreaterThanOrEqual(4);
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
