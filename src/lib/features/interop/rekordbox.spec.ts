import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportDoc } from './export-model';
import type { XTrack } from './model';
import { planImport } from './plan';
import { parseRekordbox, writeRekordbox } from './rekordbox';
import { bareLibrary, richLibrary } from './test-library';

/** Times to the millisecond (the format's precision); a variable grid is written as its first section. */
const comparable = (tracks: XTrack[]) =>
	tracks.map((t) => ({
		...t,
		rating: t.rating ?? 0,
		playCount: t.playCount ?? 0,
		grid: t.grid && { ...t.grid, firstDownbeatSec: Math.round(t.grid.firstDownbeatSec * 1000), variable: false },
		cues: t.cues.map((c) => ({ ...c, startSec: Math.round(c.startSec * 1000) }))
	}));

const fixture = (name: string) => new Blob([readFileSync(`tests/fixtures/interop/${name}`)]);

describe('rekordbox XML', () => {
	it('reads tracks, grid, cues and the playlist tree of a hand-written file', async () => {
		const doc = await parseRekordbox(fixture('rekordbox-basic.xml'));
		expect(doc.fatal).toBeNull();
		expect(doc.tracks).toHaveLength(4);
		const [tone, unicode, missing, variable] = doc.tracks;
		expect(tone).toMatchObject({
			ref: '101',
			path: 'C:/Users/DJ/Music/Music/tone.mp3',
			title: 'Tone MP3',
			artist: 'Beyoncé',
			comment: 'warm-up & peak',
			bpm: 120,
			key: { tonic: 9, scale: 'minor' },
			rating: 4,
			color: 'pink',
			playCount: 7,
			dateAdded: Date.UTC(2024, 0, 31),
			durationSec: 2,
			grid: { bpm: 120, firstDownbeatSec: 0.05, beatsPerBar: 4, variable: false }
		});
		expect(tone!.extra).toMatchObject({ Composer: 'Someone', Kind: 'MP3 File', Size: '41000', DiscNumber: '1' });
		expect(tone!.cues).toEqual([
			{ kind: 'memory', slot: -1, startSec: 0.05, endSec: null, name: '', color: null },
			{ kind: 'hot', slot: 0, startSec: 1.05, endSec: null, name: 'Drop', color: 'green' },
			{ kind: 'loop', slot: -1, startSec: 0.55, endSec: 1.55, name: 'Loop in', color: null }
		]);
		expect(unicode!.path).toBe('/Users/dj/Music/Music/Ação Ünïcode.flac');
		expect(unicode!.key).toEqual({ tonic: 9, scale: 'minor' });
		expect(unicode!.color).toBe('blue');
		// Battito 3 at 0.2 s: the next downbeat is two beats later.
		expect(unicode!.grid!.firstDownbeatSec).toBeCloseTo(0.2 + (2 * 60) / 128.5, 6);
		expect(missing!.bpm).toBeNull();
		expect(missing!.path).toBe('D:/Elsewhere/missing.wav');
		expect(variable!.grid!.variable).toBe(true);
		expect(doc.issues.map((i) => i.code)).toEqual(expect.arrayContaining(['variable-grid', 'unknown-ref']));

		expect(doc.playlists).toHaveLength(2);
		expect(doc.playlists[0]).toMatchObject({ name: 'Gigs', kind: 'folder' });
		expect(doc.playlists[0]!.children[0]).toMatchObject({ name: 'Friday', kind: 'playlist', refs: ['102', '101'] });
		expect(doc.playlists[1]).toMatchObject({ name: 'By location', refs: ['101'] });
	});

	it('writes what it reads (tracks, grid, cues, unknown attributes, playlists)', async () => {
		const doc = await parseRekordbox(fixture('rekordbox-basic.xml'));
		const again = await parseRekordbox(writeRekordbox(doc));
		expect(again.fatal).toBeNull();
		expect(comparable(again.tracks)).toEqual(comparable(doc.tracks));
		expect(again.playlists).toEqual(doc.playlists);
	});
});

describe('colour names outside the palette (Object.prototype names included)', () => {
	const odd = ['constructor', 'toString', '__proto__', 'valueOf'];
	const library = () => {
		const lib = richLibrary();
		lib.tracks = lib.tracks.map((t, i) => ({ ...t, color: [...odd, null][i] ?? null }));
		lib.cues = lib.cues.map((c, i) => ({ ...c, color: [...odd, 'blue'][i]! }));
		return lib;
	};

	it('writes no colour for them, and reads back only palette names', async () => {
		const xml = await writeRekordbox(exportDoc(library())).text();
		expect(xml).not.toMatch(/native code/i);
		expect(xml).not.toContain('Colour=');
		expect(xml.match(/ Red="/g)).toHaveLength(1); // the one blue cue
		const again = await parseRekordbox(new Blob([xml]));
		expect(again.tracks.map((t) => t.color)).toEqual([null, null, null]);
	});

	it('plans the default colours for such cues and leaves such track colours out', () => {
		const plan = planImport(exportDoc(library()), bareLibrary());
		// By time: hot A, memory, loop, hot D, then the second track's blue hot H.
		expect(plan.ops.cueAdds.map((c) => c.color)).toEqual(['red', 'blue', 'green', 'green', 'blue']);
		expect(plan.ops.trackPatches.some((p) => 'color' in p.patch)).toBe(false);
	});
});
