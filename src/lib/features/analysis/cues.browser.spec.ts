import { describe, expect, it } from 'vitest';
import { db } from '$lib/db';
import { addCue, cuesOf, updateCue } from './cues';

const hash = (i: number) => `c0e5${i.toString(16).padStart(60, '0')}`;

describe('cue colours (real IndexedDB)', () => {
	it('gives a cue with an unknown colour (even `constructor`) its default one, and ignores such an edit', async () => {
		await addCue(hash(1), 'hot', 1, { slot: 2, color: 'constructor' });
		await addCue(hash(1), 'loop', 2, { endSec: 4, color: 'toString' });
		await addCue(hash(1), 'memory', 3, { color: '__proto__' });
		await addCue(hash(1), 'memory', 5, { color: 'pink' });
		const colours = (await cuesOf(hash(1))).sort((a, b) => a.startSec - b.startSec).map((c) => c.color);
		expect(colours).toEqual(['yellow', 'green', 'blue', 'pink']);

		const pink = (await cuesOf(hash(1))).find((c) => c.startSec === 5)!;
		await updateCue(pink.id!, { color: 'hasOwnProperty', name: 'Kept' });
		expect(await db().cues.get(pink.id!)).toMatchObject({ color: 'pink', name: 'Kept' });
		await updateCue(pink.id!, { color: 'purple' });
		expect((await db().cues.get(pink.id!))!.color).toBe('purple');
	});
});
