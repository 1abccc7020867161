import { describe, expect, it } from 'vitest';
import { db } from '$lib/db';
import { trackRow } from '$lib/db/test-rows';
import { failedRow } from '$lib/features/analysis/results';
import { createAudioWriter, deleteAudio } from '$lib/storage/audio-store';
import { applyOps, EXTRAS_KEY, readExtras, timelineOffsets } from './library-data';
import { emptyOps } from './plan';

const hash = (i: number) => `e0${i.toString(16).padStart(62, '0')}`;

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
		await applyOps(db(), { ...emptyOps(), extras: { [hash(2)]: { Grouping: 'New' } } });
		expect((await db().settings.get(EXTRAS_KEY))!.value).toEqual({
			[hash(1)]: { Grouping: 'Old' },
			[hash(2)]: { Grouping: 'New' }
		});
	});
});

describe('exchange-file timelines of MP3 grids (real OPFS bytes)', () => {
	it('moves only grids of version 1 MP3 results: other grids are on the playback timeline already', async () => {
		const url = new URL('../../../../tests/fixtures/interop/click-lame.mp3', import.meta.url);
		const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
		const versions = [1, 2, 0];
		const keys = versions.map((v) => `f${v}${'0'.repeat(61)}a`);
		for (const key of keys) {
			const writer = await createAudioWriter();
			await writer.write(bytes);
			await writer.commit(key);
		}
		try {
			const tracks = keys.map((key) => trackRow({ hash: key, fileName: 'click.mp3', mime: 'audio/mpeg' }));
			const analysis = keys.map((key, i) => ({
				...failedRow(key, versions[i]!, 'other', ''),
				error: null,
				format: versions[i] ? 'mp3' : ''
			}));
			const offsetOf = await timelineOffsets(tracks, analysis);
			// One Info frame, the LAME encoder delay and the decoder's (1152 + 576 + 529 samples at 44.1 kHz).
			expect(offsetOf(keys[0]!).gridSec).toBeCloseTo(2257 / 44100, 6);
			expect(offsetOf(keys[1]!)).toEqual({ cueSec: 0, gridSec: 0 });
			expect(offsetOf(keys[2]!)).toEqual({ cueSec: 0, gridSec: 0 });
		} finally {
			for (const key of keys) await deleteAudio(key);
		}
	});
});
