import { describe, expect, it } from 'vitest';
import { db, type TrackRow } from '$lib/db';
import { createAudioWriter, hasAudio } from '$lib/storage/audio-store';
import { collectOrphanAudio } from './importer.svelte';

async function store(text: string): Promise<string> {
	const bytes = new TextEncoder().encode(text);
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
	const hash = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
	const writer = await createAudioWriter();
	await writer.write(bytes);
	await writer.commit(hash);
	return hash;
}

describe('the orphan-audio sweep', () => {
	it('keeps audio of tracks and of a store player schedule, deletes the rest', async () => {
		const [track, asset, orphan] = await Promise.all([
			store(`track ${Math.random()}`),
			store(`asset ${Math.random()}`),
			store(`orphan ${Math.random()}`)
		]);
		await db().tracks.add({ hash: track, paths: [], title: 'Kept' } as unknown as TrackRow);
		await db().table('syncAssets').add({ hash: asset, state: 'held' });

		expect(await collectOrphanAudio()).toBeGreaterThanOrEqual(1);
		expect(await hasAudio(track)).toBe(true);
		expect(await hasAudio(asset)).toBe(true);
		expect(await hasAudio(orphan)).toBe(false);
	});
});
