import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRekordbox } from './rekordbox';

const fixture = (name: string) => new Blob([readFileSync(`tests/fixtures/interop/${name}`)]);
const codes = (issues: { code: string }[]) => issues.map((i) => i.code);

describe('hostile and damaged rekordbox XML', () => {
	it('refuses entity declarations (billion laughs) before any expansion', async () => {
		const doc = await parseRekordbox(fixture('billion-laughs.xml'));
		expect(doc.fatal?.code).toBe('entities');
		expect(doc.tracks).toEqual([]);
	});

	it('refuses an external DTD (external entities are never fetched)', async () => {
		const doc = await parseRekordbox(fixture('external-entity.xml'));
		expect(doc.fatal?.code).toBe('external-dtd');
		expect(doc.tracks).toEqual([]);
	});

	it('stops at an undeclared entity and keeps the tracks before it', async () => {
		const doc = await parseRekordbox(fixture('undeclared-entity.xml'));
		expect(doc.fatal).toBeNull();
		expect(doc.tracks.map((t) => t.title)).toEqual(['Fine']);
		expect(doc.issues.find((i) => i.code === 'malformed')?.detail).toMatch(/entity/i);
	});

	it('keeps complete tracks of a truncated file and says it was truncated', async () => {
		const doc = await parseRekordbox(fixture('truncated.xml'));
		expect(doc.fatal).toBeNull();
		expect(doc.tracks.map((t) => t.ref)).toEqual(['101']);
		expect(codes(doc.issues)).toContain('truncated');
	});

	it('drops absurd values one by one with a reason, keeping text as text', async () => {
		const doc = await parseRekordbox(fixture('hostile-values.xml'));
		expect(doc.fatal).toBeNull();
		const [a, b, c] = doc.tracks;
		expect(a!.title).toBe('<script>alert(1)</script>');
		expect(a!.bpm).toBeNull();
		expect(a!.key).toBeNull();
		expect(a!.grid).toBeNull();
		expect(a!.cues).toEqual([{ kind: 'hot', slot: 3, startSec: 12.5, endSec: null, name: 'ok', color: null }]);
		expect(b!.bpm).toBeNull();
		expect(b!.path).toBe('');
		expect(c!.bpm).toBeNull();
		expect(c!.rating).toBeNull();
		expect(c!.playCount).toBeNull();
		const found = codes(doc.issues);
		for (const code of ['bad-bpm', 'cue-outside', 'bad-cue', 'bad-number', 'bad-location'])
			expect(found).toContain(code);
		expect(doc.issues.filter((i) => i.code === 'cue-outside')).toHaveLength(3);
	});

	it('reads UTF-16 with a byte-order mark (both orders) and Latin-1 declared files', async () => {
		for (const name of ['utf16le-bom.xml', 'utf16be-bom.xml']) {
			const doc = await parseRekordbox(fixture(name));
			expect(doc.fatal).toBeNull();
			expect(doc.tracks[0]!.title).toBe('日本語 Ünï');
			expect(doc.tracks[0]!.path).toBe('/Users/me/Music/日.mp3');
		}
		const latin = await parseRekordbox(fixture('latin1.xml'));
		expect(latin.tracks[0]!.title).toBe('Café Blå');
		expect(latin.tracks[0]!.path).toBe('C:/Music/café.mp3');
	});

	it('reports invalid UTF-8 bytes and an unknown encoding', async () => {
		const bad = new Blob([
			'<?xml version="1.0"?><DJ_PLAYLISTS><COLLECTION><TRACK TrackID="1" Name="',
			new Uint8Array([0xff, 0xfe, 0x41]),
			'"/></COLLECTION></DJ_PLAYLISTS>'
		]);
		const doc = await parseRekordbox(bad);
		expect(doc.tracks).toHaveLength(1);
		expect(codes(doc.issues)).toContain('bad-chars');
		const unknown = await parseRekordbox(new Blob(['<?xml version="1.0" encoding="x-klingon"?><DJ_PLAYLISTS/>']));
		expect(unknown.fatal?.code).toBe('encoding');
	});

	it('survives 10,000-deep nesting and says how much was skipped', async () => {
		const depth = 10_000;
		const xml = `<DJ_PLAYLISTS><PLAYLISTS><NODE Type="0" Name="ROOT">${'<NODE Type="0" Name="d">'.repeat(depth)}${'</NODE>'.repeat(depth)}</NODE></PLAYLISTS></DJ_PLAYLISTS>`;
		const doc = await parseRekordbox(new Blob([xml]));
		expect(doc.fatal).toBeNull();
		expect(doc.issues.find((i) => i.code === 'too-deep')?.detail).toMatch(/^\d+ elements deeper than 64/);
	});

	it('refuses a file over the size limit without reading it, and stops when cancelled', async () => {
		const big = fixture('rekordbox-basic.xml');
		expect((await parseRekordbox(big, { maxBytes: 100 })).fatal?.code).toBe('too-large');
		const controller = new AbortController();
		const many = new Blob([
			'<DJ_PLAYLISTS><COLLECTION>',
			'<TRACK TrackID="1" Name="x" Location="file://localhost/C:/a.mp3"/>'.repeat(40_000),
			'</COLLECTION></DJ_PLAYLISTS>'
		]);
		let seen = 0;
		const parsing = parseRekordbox(many, {
			signal: controller.signal,
			onBytes: (done) => {
				seen = done;
				controller.abort(new Error('cancelled'));
			}
		});
		await expect(parsing).rejects.toThrow('cancelled');
		expect(seen).toBeLessThan(many.size);
	});

	it('refuses files that are not rekordbox XML, not XML or empty', async () => {
		expect((await parseRekordbox(new Blob(['<NML VERSION="19"/>']))).fatal?.code).toBe('not-this-format');
		expect((await parseRekordbox(new Blob(['#EXTM3U\nfoo.mp3']))).fatal?.code).toBe('malformed');
		expect((await parseRekordbox(new Blob([]))).fatal?.code).toBe('malformed');
	});
});
