import { describe, expect, it } from 'vitest';
import { applyToSnapshot } from './apply-snapshot';
import { exportDoc } from './export-model';
import { planImport } from './plan';
import { parseRekordbox, writeRekordbox } from './rekordbox';
import { bareLibrary, comparableLibrary, richLibrary } from './test-library';

describe('export → import round trip (rekordbox XML)', () => {
	it('moves grids by the per-track analysis lead and back (MP3 Info frame), cues stay', async () => {
		const rich = richLibrary();
		const lead = 2257 / 44100;
		const offsetOf = (hash: string) => ({ cueSec: 0, gridSec: hash === rich.tracks[1]!.hash ? lead : 0 });
		const text = await writeRekordbox(exportDoc(rich, { offsetOf })).text();
		expect(text).toContain(`<TEMPO Inizio="${(1.5 - lead).toFixed(3)}" Bpm="128.00"`);
		expect(text).toContain('Start="100.001" Num="7"');
		const parsed = await parseRekordbox(new Blob([text]));
		const restored = applyToSnapshot(bareLibrary(), planImport(parsed, bareLibrary(), { offsetOf }).ops);
		expect(comparableLibrary(restored).grids).toEqual(comparableLibrary(rich).grids);
		expect(comparableLibrary(restored).cues).toEqual(comparableLibrary(rich).cues);
	});

	for (const base of ['C:\\Users\\DJ', '/Users/dj', '']) {
		it(`gives back the same library (base "${base}")`, async () => {
			const rich = richLibrary();
			const doc = exportDoc(rich, { base });
			expect(doc.issues.map((i) => i.code)).toEqual(['smart-skipped']);
			const parsed = await parseRekordbox(writeRekordbox(doc));
			expect(parsed.fatal).toBeNull();
			expect(parsed.issues).toEqual([]);

			// Drop the hashes so matching has to use the paths (as with files from another tool).
			for (const t of parsed.tracks) t.hash = '';
			const plan = planImport(parsed, bareLibrary());
			expect(plan.unmatched).toEqual([]);
			expect(plan.changes.every((c) => c.how === 'path')).toBe(true);
			const restored = applyToSnapshot(bareLibrary(), plan.ops);
			const expected = comparableLibrary(rich);
			const actual = comparableLibrary(restored);
			expect(actual.tracks).toEqual(expected.tracks);
			expect(actual.cues).toEqual(expected.cues);
			expect(actual.playlists).toEqual(expected.playlists);
			expect(actual.grids).toEqual(expected.grids);

			// Importing the same file again changes nothing.
			const again = planImport(parsed, restored);
			expect(again.changes).toEqual([]);
			expect(again.playlists).toEqual([]);
			expect(again.unchanged).toBe(3);
		});
	}
});
