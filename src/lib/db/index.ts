import { openDb, type CratemeshDb } from './schema';

export * from './schema';

let instance: CratemeshDb | undefined;

/** The app's database, opened lazily so importing this module costs nothing. */
export function db(): CratemeshDb {
	instance ??= openDb();
	return instance;
}
