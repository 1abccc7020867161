import { openDb, type CratemeshDb } from './schema';
import { installStamps } from './stamps';

export * from './schema';

let instance: CratemeshDb | undefined;

/** The app's database, opened lazily so importing this module costs nothing. */
export function db(): CratemeshDb {
	if (!instance) {
		instance = openDb();
		// Every local edit to a synced table is stamped for library sync (see stamps.ts).
		installStamps(instance);
	}
	return instance;
}
