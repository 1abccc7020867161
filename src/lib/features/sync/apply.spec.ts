import { describe, expect, it } from 'vitest';
import { selectNext } from '$lib/features/scheduler/select';
import { createHash } from 'node:crypto';
import {
	applyManifest,
	EMPTY_STATE,
	heldHashes,
	ManifestGapError,
	planDeletes,
	toSchedule,
	type SyncAssetRow
} from './apply';
import { haveDifference, haveDigest, MAX_HAVE_DIFFERENCE, parseManifest, parsePoll, type Manifest } from './manifest';

const h = (c: string) => c.repeat(64);
const NOW = Date.parse('2030-01-07T10:30:00Z'); // a Monday

function asset(id: string, extra: Record<string, unknown> = {}) {
	return {
		id,
		title: `Title ${id}`,
		artist: 'Artist',
		duration_ms: 1000,
		mime: 'audio/mpeg',
		valid_from: '2030-01-01T00:00:00+00:00',
		valid_until: '2030-02-01T00:00:00+00:00',
		emergency_eligible: false,
		version: 1,
		...extra
	};
}

const entry = {
	id: 'e1',
	playlist_id: 'p1',
	target: 'device',
	name: 'Mornings',
	days: [1, 2, 3, 4, 5],
	start: '08:00',
	end: '12:00',
	time_zone: 'UTC',
	priority: 0,
	current: true
};

function firstSync(): Manifest {
	return parseManifest({
		hash: h('9'),
		unchanged: false,
		asset_count: 3,
		next_change_at: '2030-01-07T12:00:00+00:00',
		downloads: [
			{
				asset: asset('a'),
				hash: h('a'),
				size: 10,
				url_path: '/storage/v1/object/authenticated/media/t/a',
				priority: 0
			},
			{ asset: asset('e', { emergency_eligible: true }), hash: h('e'), size: 20, priority: 1 },
			{ asset: asset('f'), hash: h('f'), size: 30, priority: 2 }
		],
		downloads_remaining: 0,
		deletes: [],
		updates: [],
		schedule: { entries: [entry], playlists: [{ id: 'p1', name: 'Morning', items: [h('a'), h('f')] }] }
	});
}

const rowsOf = (rows: SyncAssetRow[]) => new Map(rows.map((r) => [r.hash, r]));

describe('parseManifest', () => {
	it('accepts the unchanged answer and a full delta', () => {
		expect(parseManifest({ hash: h('1'), unchanged: true, next_change_at: '2030-01-01T00:00:00+00:00' })).toMatchObject(
			{
				unchanged: true
			}
		);
		expect(firstSync().unchanged).toBe(false);
	});

	it('rejects bad hashes, unknown priorities and missing fields with the path', () => {
		expect(() => parseManifest({ hash: 'nope', unchanged: true })).toThrow(/hash/);
		const bad = JSON.parse(JSON.stringify(firstSync()));
		bad.downloads[0].priority = 7;
		expect(() => parseManifest(bad)).toThrow(/downloads\.0\.priority/);
		const noSchedule = JSON.parse(JSON.stringify(firstSync()));
		delete noSchedule.schedule;
		expect(() => parseManifest(noSchedule)).toThrow(/schedule/);
		expect(() => parseManifest('<html>')).toThrow(/Invalid manifest/);
	});
});

describe('applyManifest', () => {
	it('a first sync makes every listed asset pending, keeps the playlists and the next change', () => {
		const applied = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		expect(applied.put.map((r) => [r.hash, r.state, r.priority])).toEqual([
			[h('a'), 'pending', 0],
			[h('e'), 'pending', 1],
			[h('f'), 'pending', 2]
		]);
		expect(applied.put[0]).toMatchObject({ title: 'Title a', urlPath: '/storage/v1/object/authenticated/media/t/a' });
		expect(applied.put[1]!.emergencyEligible).toBe(true);
		expect(applied.state.hash).toBe(h('9'));
		expect(applied.state.nextChangeAt).toBe(Date.parse('2030-01-07T12:00:00Z'));
		expect(applied.state.playlists.p1!.items).toEqual([h('a'), h('f')]);
	});

	it('unchanged only moves the next change time', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const again = applyManifest(
			first.state,
			new Map(),
			parseManifest({ hash: h('9'), unchanged: true, next_change_at: '2030-01-08T00:00:00+00:00' }),
			NOW
		);
		expect(again.put).toEqual([]);
		expect(again.state.playlists).toEqual(first.state.playlists);
		expect(again.state.nextChangeAt).toBe(Date.parse('2030-01-08T00:00:00Z'));
	});

	it('applies deletes, metadata updates, unlisted pending files and changed playlists', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const rows = first.put.map((r) => (r.hash === h('f') ? r : { ...r, state: 'ready' as const }));
		const delta = parseManifest({
			hash: h('8'),
			unchanged: false,
			asset_count: 2,
			downloads: [],
			deletes: [h('e')],
			updates: [{ hash: h('a'), asset: asset('a', { title: 'Renamed', version: 2 }) }],
			schedule: { entries: [entry], playlists: [{ id: 'p1', name: 'Morning', items: [h('a')] }] }
		});
		const applied = applyManifest(first.state, rowsOf(rows), delta, NOW + 1);
		expect(applied.deletes).toEqual([h('e')]);
		expect(applied.put.find((r) => r.hash === h('a'))).toMatchObject({ title: 'Renamed', state: 'ready', version: 2 });
		// f was pending and is no longer listed: not wanted any more.
		expect(applied.drop).toEqual([h('f')]);
		expect(applied.state.playlists.p1!.items).toEqual([h('a')]);
	});

	it('keeps pending files when more downloads are still to come (paged manifest)', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const paged = parseManifest({
			hash: h('9'),
			unchanged: false,
			asset_count: 3,
			downloads: [],
			downloads_remaining: 5,
			schedule: { entries: [entry], playlists: [] }
		});
		expect(applyManifest(first.state, rowsOf(first.put), paged, NOW).drop).toEqual([]);
	});

	it('drops playlists no daypart uses any more', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const applied = applyManifest(
			first.state,
			rowsOf(first.put),
			parseManifest({ hash: h('7'), unchanged: false, asset_count: 0, schedule: { entries: [], playlists: [] } }),
			NOW
		);
		expect(applied.state.playlists).toEqual({});
	});

	it('keeps playlists whose ids are Object.prototype names as plain entries', () => {
		const ids = ['__proto__', 'constructor', 'toString'];
		const manifest = (playlists: unknown[]) =>
			parseManifest({
				hash: h('4'),
				unchanged: false,
				asset_count: 3,
				schedule: { entries: ids.map((id, i) => ({ ...entry, id: `e${i}`, playlist_id: id })), playlists }
			});
		const first = applyManifest(
			EMPTY_STATE,
			new Map(),
			manifest(ids.map((id) => ({ id, name: `List ${id}`, items: [h('a')] }))),
			NOW
		);
		expect(Object.getPrototypeOf(first.state.playlists)?.items).toBeUndefined();
		expect(Object.keys(first.state.playlists).sort()).toEqual([...ids].sort());
		for (const id of ids)
			expect(Object.getOwnPropertyDescriptor(first.state.playlists, id)?.value.name).toBe(`List ${id}`);
		expect(
			toSchedule(first.state, [], NOW, null)
				.playlists.map((p) => p.id)
				.sort()
		).toEqual([...ids].sort());

		// Stored as JSON (settings row) and read back: a patch finds its copy; one of a copy never sent is a gap.
		const stored = JSON.parse(JSON.stringify(first.state));
		const patched = applyManifest(
			stored,
			new Map(),
			manifest([{ id: '__proto__', name: 'Patched', count: 2, set: [[1, h('e')]] }]),
			NOW
		);
		expect(Object.getOwnPropertyDescriptor(patched.state.playlists, '__proto__')?.value).toEqual({
			name: 'Patched',
			items: [h('a'), h('e')]
		});
		expect(Object.keys(patched.state.playlists).sort()).toEqual([...ids].sort());
		const fresh = { ...EMPTY_STATE, playlists: {} };
		expect(() =>
			applyManifest(fresh, new Map(), manifest([{ id: 'constructor', name: 'C', count: 1, set: [] }]), NOW)
		).toThrow(ManifestGapError);
		expect(() =>
			applyManifest(fresh, new Map(), manifest([{ id: '__proto__', name: 'P', count: 1, set: [] }]), NOW)
		).toThrow(ManifestGapError);
	});

	it('a retired file that the server no longer deletes is back to ready', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const rows = first.put.map((r) => ({ ...r, state: r.hash === h('e') ? ('retired' as const) : ('ready' as const) }));
		const applied = applyManifest(
			first.state,
			rowsOf(rows),
			parseManifest({ hash: h('6'), unchanged: false, asset_count: 3, schedule: { entries: [entry], playlists: [] } }),
			NOW
		);
		expect(applied.put.find((r) => r.hash === h('e'))?.state).toBe('ready');
	});
});

describe('compact deltas (sync_poll)', () => {
	const compact = (playlists: unknown[], entries?: unknown[]) =>
		parseManifest({
			hash: h('5'),
			unchanged: false,
			asset_count: 3,
			schedule: entries ? { entries, playlists } : { playlists }
		});

	it('patches a playlist at the positions sent and keeps entries that were left out', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const applied = applyManifest(
			first.state,
			rowsOf(first.put),
			compact([
				{
					id: 'p1',
					name: 'Morning',
					count: 3,
					set: [
						[1, h('e')],
						[2, h('a')]
					]
				}
			]),
			NOW
		);
		expect(applied.state.playlists.p1!.items).toEqual([h('a'), h('e'), h('a')]);
		expect(applied.state.entries).toEqual(first.state.entries);
		expect(applied.state.entries).toHaveLength(1);
	});

	it('a patch can shorten a playlist', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const applied = applyManifest(
			first.state,
			rowsOf(first.put),
			compact([{ id: 'p1', name: 'M', count: 1, set: [] }]),
			NOW
		);
		expect(applied.state.playlists.p1).toEqual({ name: 'M', items: [h('a')] });
	});

	it('a patch of a playlist the device lacks, or one leaving a gap, is a gap (ask again from scratch)', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		expect(() =>
			applyManifest(
				first.state,
				rowsOf(first.put),
				compact([{ id: 'p2', name: 'New', count: 1, set: [[0, h('a')]] }]),
				NOW
			)
		).toThrow(ManifestGapError);
		expect(() =>
			applyManifest(
				first.state,
				rowsOf(first.put),
				compact([{ id: 'p1', name: 'M', count: 4, set: [[3, h('a')]] }]),
				NOW
			)
		).toThrow(/gap at 2/);
	});

	it('rejects malformed patches', () => {
		expect(() => compact([{ id: 'p1', name: 'M', count: 2, set: [[2, h('a')]] }])).toThrow(/past the end/);
		expect(() => compact([{ id: 'p1', name: 'M', count: 2, set: [[-1, h('a')]] }])).toThrow(/Invalid manifest/);
		expect(() => compact([{ id: 'p1', name: 'M', count: 2, set: [[0, 'nope']] }])).toThrow(/Invalid manifest/);
	});

	it('parsePoll tells need_have from a manifest', () => {
		expect(parsePoll({ hash: h('1'), unchanged: false, need_have: true })).toEqual({ needHave: true, hash: h('1') });
		expect(parsePoll({ hash: h('1'), unchanged: true })).toMatchObject({ unchanged: true });
		expect(() => parsePoll({ hash: 'x', unchanged: false, need_have: true })).toThrow(/hash/);
	});

	it('haveDigest is SHA-256 of the sorted hashes concatenated, as the SQL computes it', async () => {
		const hashes = [h('b'), h('a'), h('c')];
		const expected = createHash('sha256')
			.update([h('a'), h('b'), h('c')].join(''))
			.digest('hex');
		expect(await haveDigest(hashes)).toBe(expected);
		expect(await haveDigest([h('c'), h('a'), h('b'), h('a')])).toBe(expected);
		expect(await haveDigest([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
	});

	it('haveDifference names what is missing from and extra to the last manifest, or gives up', () => {
		expect(haveDifference([h('a'), h('c')], [h('b'), h('a')])).toEqual({ missing: [h('b')], extra: [h('c')] });
		expect(haveDifference([h('a')], [h('a')])).toEqual({ missing: [], extra: [] });
		expect(haveDifference([h('a')], null)).toBeNull();
		const many = Array.from({ length: MAX_HAVE_DIFFERENCE + 1 }, (_, i) => h(i.toString(16)));
		expect(haveDifference([], many)).toBeNull();
		expect(haveDifference([], many.slice(1))?.missing).toHaveLength(MAX_HAVE_DIFFERENCE);
	});
});

describe('planDeletes', () => {
	const none = new Set<string>();
	it('deletes only files that are not scheduled, not playing and not in the library', () => {
		const plan = planDeletes([h('1'), h('2'), h('3'), h('4'), h('1')], {
			wanted: new Set([h('4')]),
			playing: new Set([h('2')]),
			library: new Set([h('3')])
		});
		expect(plan).toEqual({ remove: [h('1')], release: [h('3')], defer: [h('2')] });
	});

	it('a playing file that is also in the library is deferred, not released', () => {
		expect(
			planDeletes([h('1')], { wanted: none, playing: new Set([h('1')]), library: new Set([h('1')]) }).defer
		).toEqual([h('1')]);
	});
});

describe('heldHashes', () => {
	it('lists verified and retired files whose bytes are present, without duplicates', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const rows = [
			{ ...first.put[0]!, state: 'ready' as const },
			{ ...first.put[1]!, state: 'retired' as const },
			first.put[2]!
		];
		expect(heldHashes(rows, () => true)).toEqual([h('a'), h('e')]);
		expect(heldHashes(rows, (hash) => hash !== h('a'))).toEqual([h('e')]);
	});
});

describe('toSchedule', () => {
	it('maps the manifest to what the store player selects from', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const schedule = toSchedule(first.state, first.put, NOW, null);
		expect(schedule.dayparts).toEqual([
			{
				id: 'e1',
				name: 'Mornings',
				playlistId: 'p1',
				days: [1, 2, 3, 4, 5],
				start: '08:00',
				end: '12:00',
				timeZone: 'UTC',
				priority: 0
			}
		]);
		expect(schedule.assets.find((a) => a.hash === h('e'))).toMatchObject({
			emergencyEligible: true,
			validFrom: Date.parse('2030-01-01T00:00:00Z'),
			validUntil: Date.parse('2030-02-01T00:00:00Z')
		});
		// The player's own rules pick from it: the playlist's first track when present…
		const pick = selectNext({
			schedule,
			now: NOW,
			isPresent: () => true,
			lastPlayed: () => undefined,
			random: () => 0
		});
		expect(pick).toMatchObject({ kind: 'playlist', hash: h('a') });
		// …the emergency pool when nothing of the playlist has been downloaded yet.
		const fallback = selectNext({
			schedule,
			now: NOW,
			isPresent: (hash) => hash === h('e'),
			lastPlayed: () => undefined,
			random: () => 0
		});
		expect(fallback).toMatchObject({ kind: 'emergency', hash: h('e') });
	});

	it('leaves retired files out of the schedule', () => {
		const first = applyManifest(EMPTY_STATE, new Map(), firstSync(), NOW);
		const rows = first.put.map((r) => (r.hash === h('a') ? { ...r, state: 'retired' as const } : r));
		expect(toSchedule(first.state, rows, NOW, null).assets.map((a) => a.hash)).not.toContain(h('a'));
	});
});
