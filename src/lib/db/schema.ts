import { Dexie, type EntityTable } from 'dexie';

/**
 * The one Dexie schema. To change it, add a new numbered version below with an upgrade step;
 * never edit a version that has shipped, because browsers already hold data in that shape.
 */

export interface TrackRow {
	/** Lower-case hex SHA-256 of the audio bytes: the same file is one track wherever it came from. */
	hash: string;
	fileName: string;
	size: number;
	mime: string;
	/** Until tags are parsed, the file name without its extension. */
	title: string;
	dateAdded: number;
}

export interface SettingRow {
	key: string;
	value: unknown;
}

export interface KnownDeviceRow {
	peerId: string;
	name: string;
	lastSeen: number;
}

export type CratemeshDb = Dexie & {
	tracks: EntityTable<TrackRow, 'hash'>;
	settings: EntityTable<SettingRow, 'key'>;
	devices: EntityTable<KnownDeviceRow, 'peerId'>;
};

export const DB_NAME = 'cratemesh';

/** Applies every version in order; exported so tests can open older versions on their own. */
export function defineSchema(db: Dexie): void {
	// v1: tracks by content hash, key-value settings.
	db.version(1).stores({
		tracks: '&hash, dateAdded',
		settings: '&key'
	});

	// v2: a title column to sort and search on, filled from the file name for existing rows;
	// devices seen over the mesh.
	db.version(2)
		.stores({
			tracks: '&hash, dateAdded, title',
			settings: '&key',
			devices: '&peerId, lastSeen'
		})
		.upgrade((tx) =>
			tx
				.table('tracks')
				.toCollection()
				.modify((track: Partial<TrackRow>) => {
					track.title ??= titleFromFileName(track.fileName ?? '');
				})
		);
}

export function titleFromFileName(fileName: string): string {
	const base = fileName.split(/[\\/]/).pop() ?? fileName;
	const dot = base.lastIndexOf('.');
	return (dot > 0 ? base.slice(0, dot) : base).trim() || base;
}

export function openDb(name = DB_NAME): CratemeshDb {
	const db = new Dexie(name) as CratemeshDb;
	defineSchema(db);
	return db;
}
