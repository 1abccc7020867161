import { describe, expect, it } from 'vitest';
import { db } from '$lib/db';
import { applyOps, EXTRAS_KEY, readExtras } from './library-data';

const hash = (i: number) => `e0${i.toString(16).padStart(62, '0')}`;
const noOps = {
	trackPatches: [],
	analysisPuts: [],
	gridUpdates: [],
	cueDeletes: [],
	cueAdds: [],
	playlistPuts: [],
	itemAdds: []
};

describe('exchange-file extras in the settings (real IndexedDB)', () => {
	it('reads only hash → attribute → text, whatever the stored setting holds', async () => {
		await db().settings.put({
			key: EXTRAS_KEY,
			value: {
				[hash(1)]: { Grouping: 'Warm', Odd: { toString: 1 }, Count: 5 },
				[hash(2)]: ['x'],
				'../x': { Grouping: 'x' },
				constructor: { Grouping: 'x' }
			}
		});
		expect(await readExtras(db())).toEqual({ [hash(1)]: { Grouping: 'Warm' } });
		await db().settings.put({ key: EXTRAS_KEY, value: 'junk' });
		expect(await readExtras(db())).toEqual({});
		await db().settings.put({ key: EXTRAS_KEY, value: null });
		expect(await readExtras(db())).toEqual({});
	});

	it('an import merges its extras into the cleaned stored ones', async () => {
		await db().settings.put({
			key: EXTRAS_KEY,
			value: { [hash(1)]: { Grouping: 'Old', Odd: { toString: 1 } }, [hash(3)]: 7 }
		});
		await applyOps(db(), { ...noOps, extras: { [hash(2)]: { Grouping: 'New' } } });
		expect((await db().settings.get(EXTRAS_KEY))!.value).toEqual({
			[hash(1)]: { Grouping: 'Old' },
			[hash(2)]: { Grouping: 'New' }
		});
	});
});
