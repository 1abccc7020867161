import { describe, expect, it } from 'vitest';
import { db, type AnalysisRow } from '$lib/db';
import { trackRow } from '$lib/db/test-rows';
import { analysisQueue } from './analysis-queue.svelte';
import { failedRow, saveResult } from './results';

const salt = Math.floor(Math.random() * 1e9).toString(16);
const hash = (n: number) => (`c${salt}` + n.toString(16)).padStart(64, '0');

/** A stored result of `format` by analyser `version`, its first downbeat at `downbeat` seconds. */
function result(key: string, format: string, version: number, downbeat: number): AnalysisRow {
	return {
		...failedRow(key, version, 'other', ''),
		error: null,
		format,
		bpm: 120,
		beatGrid: { bpm: 120, firstDownbeatSec: downbeat, beatsPerBar: 4 }
	};
}

describe('MP3 results of analyser version 1 (~51 ms late)', () => {
	it('are analysed again at start-up; other formats of version 1 and MP3s of version 2 are not', async () => {
		const rows = [
			['mp3 v1', 'mp3', 1],
			['mp3 v0', 'mp3', 0],
			['mp3 v2', 'mp3', 2],
			['flac v1', 'flac', 1],
			['wav v2', 'wav', 2]
		] as const;
		await db().tracks.bulkPut(rows.map(([title], i) => trackRow({ hash: hash(i), title, storage: 'opfs' })));
		await db().analysis.bulkPut(rows.map(([, format, version], i) => result(hash(i), format, version, 1)));
		await analysisQueue.scan();
		await expect.poll(() => analysisQueue.active, { timeout: 30_000 }).toBe(false);
		// Their bytes are not here, so each one tried fails as missing: the failures name what was queued.
		const tried = analysisQueue.failures.map((f) => f.title).filter((title) => rows.some(([t]) => t === title));
		expect(tried.sort()).toEqual(['mp3 v0', 'mp3 v1']);
	});

	it('a grid the user kept moves onto the new timeline with its track; other kept grids stay put', async () => {
		const lead = 2257 / 44100;
		const cases = [
			{ title: 'edited mp3 v1', format: 'mp3', version: 1, edited: true, expected: 1 - lead },
			{ title: 'edited mp3 v2', format: 'mp3', version: 2, edited: true, expected: 1 },
			{ title: 'edited flac v1', format: 'flac', version: 1, edited: true, expected: 1 },
			{ title: 'unedited mp3 v1', format: 'mp3', version: 1, edited: false, expected: 0.5 }
		];
		for (const [i, c] of cases.entries()) {
			const key = hash(100 + i);
			await db().tracks.put(trackRow({ hash: key, title: c.title, edited: c.edited ? ['grid'] : [] }));
			await db().analysis.put(result(key, c.format, c.version, 1));
			await saveResult(key, result(key, c.format, 2, 0.5), false, c.format === 'mp3' ? lead : 0);
			const stored = await db().analysis.get(key);
			expect(stored?.beatGrid.firstDownbeatSec, c.title).toBeCloseTo(c.expected, 6);
			expect(stored?.analyserVersion).toBe(2);
		}
	});
});
