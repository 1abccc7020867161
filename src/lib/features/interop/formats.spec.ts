import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyToSnapshot } from './apply-snapshot';
import { exportDoc } from './export-model';
import { detectFormat, FORMATS } from './formats';
import { parseM3u, parsePls, writeM3u, writePls } from './playlist-files';
import { planImport } from './plan';
import { keyFromTraktor, keyToTraktor, parseTraktor, writeTraktor } from './traktor';
import { bareLibrary, comparableLibrary, richLibrary } from './test-library';

const fixture = (name: string) => new Blob([readFileSync(`tests/fixtures/interop/${name}`)]);

describe('M3U8 and PLS', () => {
	it('reads a BOM + CRLF M3U8 with #EXTINF, Windows, relative and URL paths', async () => {
		const doc = await parseM3u(fixture('crlf-bom.m3u8'), 'Warm up.m3u8');
		expect(doc.tracks.map((t) => t.path)).toEqual([
			'C:/Users/DJ/Music/Music/tone.mp3',
			'Music/Sub/Ação.flac',
			'/Users/dj/Music/x y.ogg'
		]);
		expect(doc.tracks[0]).toMatchObject({ artist: 'Beyoncé', title: 'Tone MP3', durationSec: 215 });
		expect(doc.tracks[1]).toMatchObject({ title: 'Untitled entry', durationSec: null });
		expect(doc.playlists).toEqual([{ name: 'Warm up', kind: 'playlist', children: [], refs: ['1', '2', '3'] }]);
	});

	it('reads a Latin-1 .m3u and a PLS (orphan titles reported)', async () => {
		const latin = await parseM3u(fixture('latin1.m3u'));
		expect(latin.tracks[0]).toMatchObject({ artist: 'Café', title: 'Blå', path: 'Music/café.mp3' });
		const pls = await parsePls(fixture('basic.pls'), 'x.pls');
		expect(pls.tracks.map((t) => t.path)).toEqual(['C:/Music/a.mp3', '/Users/dj/Música/b.flac']);
		expect(pls.tracks[0]).toMatchObject({ artist: 'Ana', title: 'First', durationSec: 200 });
		expect(pls.issues.map((i) => i.code)).toEqual(['no-location']);
		expect((await parsePls(new Blob(['File1=a.mp3']))).fatal?.code).toBe('not-this-format');
	});

	it('round-trips a playlist through M3U8 and PLS (order and matching by path)', async () => {
		const rich = richLibrary();
		const doc = exportDoc(rich, { base: 'C:\\Users\\DJ' });
		const friday = doc.playlists[0]!.children[0]!;
		for (const [write, parse] of [
			[writeM3u, parseM3u],
			[writePls, parsePls]
		] as const) {
			const file = write({ tracks: doc.tracks, playlists: [friday] });
			const text = await file.text();
			expect(text).toContain('C:\\Users\\DJ\\Music\\Sub 3\\track 3.mp3');
			const parsed = await parse(file, 'Friday.m3u8');
			const plan = planImport(parsed, bareLibrary());
			expect(plan.unmatched).toEqual([]);
			const after = comparableLibrary(applyToSnapshot(bareLibrary(), plan.ops));
			expect(after.playlists).toEqual([
				{ path: 'Friday', kind: 'playlist', hashes: [rich.tracks[2]!.hash, rich.tracks[0]!.hash] }
			]);
		}
	});
});

describe('Traktor NML', () => {
	it('maps MUSICAL_KEY 0–23', () => {
		expect(keyFromTraktor(0)).toEqual({ tonic: 0, scale: 'major' });
		expect(keyFromTraktor(21)).toEqual({ tonic: 9, scale: 'minor' });
		expect(keyFromTraktor(24)).toBeNull();
		for (let v = 0; v < 24; v++) expect(keyToTraktor(keyFromTraktor(v)!)).toBe(v);
	});

	it('reads a hand-written NML: location, info, tempo, key, grid marker, cues, playlists', async () => {
		const doc = await parseTraktor(fixture('traktor-basic.nml'));
		expect(doc.fatal).toBeNull();
		const [tone, acao] = doc.tracks;
		expect(tone).toMatchObject({
			path: 'C:/Users/DJ/Music/Music/tone.mp3',
			title: 'Tone MP3',
			artist: 'Beyoncé',
			album: 'Fixtures',
			comment: 'peak & time',
			playCount: 7,
			rating: 4,
			color: 'pink',
			bpm: 120,
			key: { tonic: 9, scale: 'minor' },
			dateAdded: Date.UTC(2024, 0, 31),
			grid: { bpm: 120, firstDownbeatSec: 0.05, beatsPerBar: 4, variable: false }
		});
		expect(tone!.cues).toEqual([
			{ kind: 'hot', slot: 0, startSec: 1.05, endSec: null, name: 'Drop', color: null },
			{ kind: 'memory', slot: -1, startSec: 0.05, endSec: null, name: '', color: null },
			{ kind: 'hot', slot: 1, startSec: 0.55, endSec: 1.55, name: 'Loop', color: null }
		]);
		expect(acao).toMatchObject({ path: '/Users/dj/Música/Ação.flac', bpm: null, key: { tonic: 3, scale: 'major' } });
		const codes = doc.issues.map((i) => i.code);
		for (const code of ['bad-cue', 'cue-outside', 'bad-bpm', 'unknown-ref', 'smart-skipped'])
			expect(codes).toContain(code);
		expect(doc.playlists[0]).toMatchObject({ name: 'Gigs', kind: 'folder' });
		expect(doc.playlists[0]!.children[0]!.refs).toEqual([acao!.ref, tone!.ref]);
	});

	for (const base of ['C:\\Users\\DJ', '/Users/dj']) {
		it(`export → import gives back the same library (base "${base}")`, async () => {
			const rich = richLibrary();
			const parsed = await parseTraktor(writeTraktor(exportDoc(rich, { base })));
			expect(parsed.fatal).toBeNull();
			expect(parsed.issues).toEqual([]);
			const plan = planImport(parsed, bareLibrary());
			expect(plan.unmatched).toEqual([]);
			const after = comparableLibrary(applyToSnapshot(bareLibrary(), plan.ops));
			const expected = comparableLibrary(rich);
			expect(after.tracks).toEqual(expected.tracks);
			expect(after.grids.map((g) => ({ ...g, bar: 4 }))).toEqual(expected.grids.map((g) => ({ ...g, bar: 4 })));
			// NML keeps no cue colours: compare without them.
			const strip = (cues: typeof after.cues) => cues.map(({ color: _color, ...rest }) => rest);
			expect(strip(after.cues)).toEqual(strip(expected.cues));
			expect(after.playlists).toEqual(expected.playlists);
			expect(planImport(parsed, applyToSnapshot(bareLibrary(), plan.ops)).changes).toEqual([]);
		});
	}
});

describe('format detection', () => {
	it('tells the formats apart by content, then by name', async () => {
		expect(await detectFormat(fixture('traktor-basic.nml'))).toBe('traktor');
		expect(await detectFormat(fixture('rekordbox-basic.xml'))).toBe('rekordbox');
		expect(await detectFormat(fixture('utf16le-bom.xml'))).toBe('rekordbox');
		expect(await detectFormat(fixture('basic.pls'))).toBe('pls');
		expect(await detectFormat(fixture('crlf-bom.m3u8'))).toBe('m3u');
		expect(await detectFormat(new Blob(['a.mp3\n']), 'list.m3u')).toBe('m3u');
		expect(Object.keys(FORMATS).sort()).toEqual(['m3u', 'pls', 'rekordbox', 'traktor']);
	});
});
