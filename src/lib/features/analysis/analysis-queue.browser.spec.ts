import { describe, expect, it } from 'vitest';
import { db, type TrackRow } from '$lib/db';
import { analysisQueue } from './analysis-queue.svelte';

const hex = (n: number, salt: string) => (salt + n.toString(16)).padStart(64, '0');

describe('the analysis start-up scan', () => {
	it('queues only tracks whose bytes are on this device, and lists failures without copying them per failure', async () => {
		const salt = Math.floor(Math.random() * 1e9).toString(16);
		// 300 tracks synced from a peer (no bytes here) and 250 said to be in OPFS whose bytes are gone.
		const remote = Array.from({ length: 300 }, (_, i) => ({
			hash: hex(i, `a${salt}`),
			title: `Remote ${i}`,
			storage: 'none'
		}));
		const lost = Array.from({ length: 250 }, (_, i) => ({
			hash: hex(i, `b${salt}`),
			title: `Lost ${i}`,
			storage: 'opfs'
		}));
		await db().tracks.bulkAdd([...remote, ...lost] as unknown as TrackRow[]);

		await analysisQueue.scan();
		await expect.poll(() => analysisQueue.active, { timeout: 30_000 }).toBe(false);

		// The 250 that claimed bytes were tried, each failing as missing; the 300 remote ones were not (other
		// browser specs share this origin's database, so a few of their tracks may be scanned too).
		expect(analysisQueue.total).toBeGreaterThanOrEqual(250);
		expect(analysisQueue.total).toBeLessThan(250 + 300);
		expect(analysisQueue.failedCount).toBeGreaterThanOrEqual(250);
		expect(analysisQueue.failures.filter((f) => f.title.startsWith('Lost')).every((f) => f.code === 'missing')).toBe(
			true
		);
		// The named list stops at 200; the count keeps the rest.
		expect(analysisQueue.failures).toHaveLength(200);
		expect(analysisQueue.failures.some((f) => f.title.startsWith('Remote'))).toBe(false);
	});
});
