import { describe, expect, it } from 'vitest';
import { db, type AnalysisRow, type TrackRow } from '$lib/db';
import { trackRow } from '$lib/db/test-rows';
import { TrackDataSchema } from './model';
import { adoptCues, trackData } from './store';
import * as v from 'valibot';

const hash = (i: number) => `c011ab${i.toString(16).padStart(58, '0')}`;

function track(i: number, patch: Partial<TrackRow> = {}): TrackRow {
	return trackRow({
		hash: hash(i),
		fileName: `t${i}.mp3`,
		size: 100,
		mime: 'audio/mpeg',
		title: `Shared ${i}`,
		dateAdded: 1_700_000_000_000 + i,
		artist: 'Crew',
		bpm: 126,
		key: '8A',
		duration: 301.5,
		container: 'MPEG',
		codec: 'MP3',
		bitrate: 128000,
		sampleRate: 44100,
		channels: 2,
		...patch
	});
}

describe('what a share carries of a library track (real IndexedDB)', () => {
	it('tags, BPM, key, the analysis grid and the cues, clamped to what peers accept', async () => {
		await db().tracks.bulkPut([track(1), track(2, { title: 'x'.repeat(900), bpm: null })]);
		await db().analysis.put({
			hash: hash(1),
			analyserVersion: 1,
			analysedAt: 0,
			error: null,
			format: 'mp3',
			durationSec: 301.5,
			bpm: 126,
			beatGrid: { bpm: 126, firstDownbeatSec: 0.244, beatsPerBar: 4 },
			tempoConfidence: 1,
			variableTempo: false,
			key: null,
			loudness: null,
			waveform: null,
			autoCueSec: 0.244,
			ms: 1
		} as AnalysisRow);
		await db().cues.bulkAdd([
			{ hash: hash(1), kind: 'loop', slot: -1, startSec: 64, endSec: 72, name: 'Loop', color: '', createdAt: 0 },
			{
				hash: hash(1),
				kind: 'hot',
				slot: 0,
				startSec: 32.5,
				endSec: null,
				name: 'Drop',
				color: '#ff0000',
				createdAt: 0
			},
			{ hash: hash(1), kind: 'memory', slot: -1, startSec: 1, endSec: null, name: '', color: 'red', createdAt: 0 },
			{ hash: hash(2), kind: 'memory', slot: -1, startSec: 2, endSec: null, name: '', color: 'url(x)', createdAt: 0 }
		]);
		const out = await trackData([hash(1), hash(2), hash(3)]);
		expect(out).toHaveLength(2); // a hash not in the library is skipped
		expect(out[0]).toEqual({
			hash: hash(1),
			title: 'Shared 1',
			artist: 'Crew',
			duration: 301.5,
			bpm: 126,
			key: '8A',
			grid: { bpm: 126, firstDownbeatSec: 0.244, beatsPerBar: 4 },
			cues: [
				{ kind: 'memory', slot: -1, startSec: 1, endSec: null, name: '', color: 'red' },
				{ kind: 'hot', slot: 0, startSec: 32.5, endSec: null, name: 'Drop', color: '#ff0000' },
				{ kind: 'loop', slot: -1, startSec: 64, endSec: 72, name: 'Loop', color: '' }
			]
		});
		expect(out[1]).toMatchObject({ grid: null, bpm: null, cues: [{ startSec: 2, color: '' }] });
		// Every entry passes the schema the receiving peers validate with.
		for (const entry of out)
			expect(
				v.safeParse(TrackDataSchema, { ...entry, addedBy: `cm-${'a'.repeat(32)}`, addedByName: 'A', addedAt: 1 })
					.success
			).toBe(true);
	});

	it('shares a stored cue colour outside the palette as the default colour', async () => {
		await db().tracks.put(track(4));
		await db().cues.bulkAdd(
			['constructor', 'toString', 'aqua', 'pink'].map((color, i) => ({
				hash: hash(4),
				kind: 'memory' as const,
				slot: -1,
				startSec: i,
				endSec: null,
				name: '',
				color,
				createdAt: 0
			}))
		);
		const [entry] = await trackData([hash(4)]);
		expect(entry!.cues.map((c) => c.color)).toEqual(['', '', '', 'pink']);
		expect(
			v.safeParse(TrackDataSchema, { ...entry, addedBy: `cm-${'a'.repeat(32)}`, addedByName: 'A', addedAt: 1 }).success
		).toBe(true);
	});

	it('takes a shared entry’s cues and grid into the same file: hot slots replaced, no duplicate memory cues', async () => {
		await db().tracks.put(track(7));
		await db().analysis.put({
			hash: hash(7),
			analyserVersion: 1,
			analysedAt: 0,
			error: null,
			format: 'mp3',
			durationSec: 301.5,
			bpm: 125,
			beatGrid: { bpm: 125, firstDownbeatSec: 0.5, beatsPerBar: 4 },
			tempoConfidence: 1,
			variableTempo: false,
			key: null,
			loudness: null,
			waveform: null,
			autoCueSec: 0.5,
			ms: 1
		} as AnalysisRow);
		await db().cues.bulkAdd([
			{ hash: hash(7), kind: 'hot', slot: 0, startSec: 10, endSec: null, name: 'Mine', color: 'blue', createdAt: 0 },
			{ hash: hash(7), kind: 'memory', slot: -1, startSec: 20, endSec: null, name: '', color: 'blue', createdAt: 0 }
		]);
		const result = await adoptCues({
			hash: hash(7),
			grid: { bpm: 126, firstDownbeatSec: 0.244, beatsPerBar: 4 },
			cues: [
				{ kind: 'hot', slot: 0, startSec: 32.5, endSec: null, name: 'Drop', color: 'red' },
				{ kind: 'memory', slot: -1, startSec: 20.004, endSec: null, name: '', color: '' },
				{ kind: 'loop', slot: -1, startSec: 64, endSec: 72, name: 'Loop', color: '#00ff00' }
			]
		});
		expect(result).toEqual({ cues: 2, grid: true });
		const cues = (await db().cues.where('hash').equals(hash(7)).toArray()).map((c) => [
			c.kind,
			c.slot,
			c.startSec,
			c.name
		]);
		expect(cues.sort()).toEqual(
			[
				['hot', 0, 32.5, 'Drop'],
				['loop', -1, 64, 'Loop'],
				['memory', -1, 20, '']
			].sort()
		);
		expect((await db().analysis.get(hash(7)))?.beatGrid).toEqual({ bpm: 126, firstDownbeatSec: 0.244, beatsPerBar: 4 });
		expect((await db().tracks.get(hash(7)))?.edited).toEqual(expect.arrayContaining(['grid', 'bpm']));
		expect((await db().tracks.get(hash(7)))?.bpm).toBe(126);
		// A track that is not in the library takes nothing.
		expect(await adoptCues({ hash: hash(8), grid: null, cues: [] })).toEqual({ cues: 0, grid: false });
	});
});
