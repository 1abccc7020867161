/**
 * Tag writeback against real files made by ffmpeg, read back by ffprobe and music-metadata; the audio of the
 * copy must decode to exactly the original's samples (ffmpeg's MD5 of the decoded stream) and, where the
 * writer keeps it byte for byte, be the same bytes. The original file is never modified.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseBuffer, parseFile } from 'music-metadata';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tone } from '../../../../../tests/fixtures/audio.js';
import type { ExportTags } from './model';
import { taggedCopy, writeTaggedCopy, type CoverReader } from './tagged-copy';
import { oggCrc } from './vorbis';

vi.setConfig({ testTimeout: 60_000 });

const TAGS: ExportTags = {
	title: 'Nova Faixa — ação',
	artist: 'Beyoncé & Ana',
	album: 'Exported',
	albumArtist: 'Various',
	genre: 'Deep House',
	comment: 'Energy 7 · <script>x</script>',
	year: 2024,
	trackNo: 5,
	discNo: 1,
	label: 'Label',
	isrc: 'BRABC2400001',
	bpm: 126.5,
	key: 'F#m',
	rating: 4
};

const readCover: CoverReader = async (bytes) => {
	// The tag alone: the format cannot be sniffed from it, so it is named.
	const meta = await parseBuffer(
		new Uint8Array(await bytes.arrayBuffer()),
		{ mimeType: 'audio/mpeg' },
		{ skipPostHeaders: true }
	);
	const picture = meta.common.picture?.[0];
	return picture ? { data: picture.data, mime: picture.format } : null;
};

let dir: string;
beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), 'cratemesh-tags-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** MD5 of the decoded audio, and anything ffmpeg complained about while decoding. */
function decoded(path: string): { md5: string; errors: string } {
	const run = spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:a', '-f', 'md5', '-'], { encoding: 'utf8' });
	return { md5: run.stdout.trim(), errors: run.stderr.trim() };
}
function probeTags(path: string): Record<string, string> {
	const json = JSON.parse(
		execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', path], {
			encoding: 'utf8'
		})
	);
	const tags: Record<string, string> = {};
	for (const source of [json.format?.tags ?? {}, ...(json.streams ?? []).map((s: { tags?: object }) => s.tags ?? {})])
		for (const [k, v] of Object.entries(source)) tags[k.toLowerCase()] ??= String(v);
	return tags;
}

/** (granule, payload hash) of every Ogg audio page (after the header pages), and whether every page's CRC is right. */
function oggAudioPages(bytes: Buffer) {
	const pages: { granule: string; payload: string }[] = [];
	let crcOk = true;
	for (let at = 0; at + 27 <= bytes.length;) {
		const count = bytes[at + 26]!;
		const size = [...bytes.subarray(at + 27, at + 27 + count)].reduce((a, b) => a + b, 0);
		const page = bytes.subarray(at, at + 27 + count + size);
		crcOk &&= oggCrc(page) === page.readUInt32LE(22);
		const granule = page.subarray(6, 14).toString('hex');
		// Header pages lead with granule 0 (or -1 on a page where no packet ends).
		if (pages.length || !/^(0{16}|f{16})$/.test(granule))
			pages.push({
				granule,
				payload: createHash('sha256')
					.update(page.subarray(27 + count))
					.digest('hex')
			});
		at += page.length;
	}
	return { pages, crcOk };
}

/** The `mdat` box's bytes. */
function mdatOf(bytes: Buffer): Buffer {
	for (let at = 0; at + 8 <= bytes.length;) {
		const size = bytes.readUInt32BE(at);
		if (bytes.toString('latin1', at + 4, at + 8) === 'mdat') return bytes.subarray(at, at + size);
		at += size;
	}
	throw new Error('no mdat');
}

async function exportCopy(original: string, tags = TAGS) {
	const before = sha(original);
	const file = new Blob([readFileSync(original)]);
	const copy = await taggedCopy(file, tags, readCover);
	const target = join(dir, `tagged-${original.split('/').pop()}`);
	await writeTaggedCopy(copy, file, Writable.toWeb(createWriteStream(target)) as WritableStream<Uint8Array>);
	expect(sha(original)).toBe(before);
	return { target, copy };
}

const FORMATS = [
	{ ext: 'mp3', name: 'a.mp3', cover: true, args: [] },
	{ ext: 'flac', name: 'a.flac', cover: true, args: [] },
	{ ext: 'ogg', name: 'a.ogg', cover: false, args: [] },
	{ ext: 'opus', name: 'a.opus', cover: false, args: [] },
	{ ext: 'm4a', name: 'a.m4a', cover: true, args: [] }
] as const;

describe('tag writeback', () => {
	for (const f of FORMATS)
		it(`${f.ext}: ffprobe and music-metadata read the tags; the audio decodes identically`, async () => {
			const coverPath = join(dir, 'cover.png');
			execFileSync('ffmpeg', [
				'-v',
				'error',
				'-y',
				'-f',
				'lavfi',
				'-i',
				'color=c=red:s=64x64',
				'-frames:v',
				'1',
				coverPath
			]);
			const original = tone(dir, {
				name: f.name,
				ext: f.ext,
				title: 'Old Title',
				artist: 'Old Artist',
				album: 'Old Album',
				genre: 'Old',
				bpm: 100,
				key: 'C',
				seconds: 3,
				freq: 330,
				...(f.cover ? { coverPath } : {})
			});
			const { target, copy } = await exportCopy(original);
			if (process.env.KEEP_TAGGED) execFileSync('cp', [target, process.env.KEEP_TAGGED]);

			const probed = probeTags(target);
			expect(probed.title).toBe(TAGS.title);
			expect(probed.artist).toBe(TAGS.artist);
			expect(probed.album).toBe(TAGS.album);
			expect(probed.genre).toBe(TAGS.genre);
			expect(probed.comment).toBe(TAGS.comment);
			if (f.ext === 'mp3') {
				expect(probed.tbpm).toBe('127');
				expect(probed.tkey).toBe('F#m');
			} else if (f.ext === 'm4a') {
				// ffmpeg 5.1 does not show `tmpo`; the freeform BPM item carries the decimals.
				expect(probed.bpm).toBe('126.5');
				expect(probed.initialkey).toBe('F#m');
			} else {
				expect(probed.bpm).toBe('126.5');
				expect(probed.initialkey).toBe('F#m');
			}

			const meta = await parseFile(target);
			expect(meta.common.title).toBe(TAGS.title);
			expect(meta.common.artist).toBe(TAGS.artist);
			expect(meta.common.genre).toEqual([TAGS.genre]);
			const native = Object.values(meta.native).flat();
			const value = (id: string) => native.filter((t) => t.id === id).map((t) => t.value);
			if (f.ext === 'm4a') {
				// music-metadata maps neither freeform item to `common`; the native items are what it read.
				expect(value('tmpo')).toEqual([127]);
				expect(value('----:com.apple.iTunes:initialkey')).toEqual(['F#m']);
				expect(meta.common.bpm).toBe(127);
			} else {
				expect(meta.common.key).toBe('F#m');
				if (f.ext === 'mp3') expect(meta.common.bpm).toBe(127);
				else {
					// Every old BPM/key field was replaced, not left to contradict the new one.
					expect(value('BPM')).toEqual(['126.5']);
					expect([...value('TBPM'), ...value('TKEY')]).toEqual([]);
					expect(value('INITIALKEY')).toEqual(['F#m']);
				}
			}
			expect(meta.common.year).toBe(2024);
			expect(meta.common.track.no).toBe(5);
			if (f.ext !== 'm4a') expect(meta.common.rating?.[0]?.rating).toBeCloseTo(f.ext === 'mp3' ? 196 / 255 : 0.8, 2);
			if (f.cover) expect(meta.common.picture?.[0]?.format).toBe('image/png');

			// The audio: the same samples, and (bytes kept as they are) the same bytes.
			const a = decoded(original);
			const b = decoded(target);
			expect(b.errors).toBe('');
			expect(b.md5).toBe(a.md5);
			const src = readFileSync(original);
			const out = readFileSync(target);
			expect(
				Buffer.compare(
					out.subarray(copy.head.length, copy.head.length + (copy.audioEnd - copy.audioStart)),
					src.subarray(copy.audioStart, copy.audioEnd)
				) === 0 || Boolean(copy.transform)
			).toBe(true);
		});

	it('m4a with moov before mdat: chunk offsets move with the bigger moov, the samples do not change', async () => {
		const plain = tone(dir, {
			name: 'plain.m4a',
			ext: 'm4a',
			title: 't',
			artist: 'a',
			album: 'b',
			genre: 'g',
			seconds: 3,
			freq: 500
		});
		const faststart = join(dir, 'fast.m4a');
		execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', plain, '-c', 'copy', '-movflags', '+faststart', faststart]);
		const { target, copy } = await exportCopy(faststart);
		expect(copy.head.length).toBeGreaterThan(0);
		expect(copy.tail).toBeUndefined();
		const a = decoded(faststart);
		const b = decoded(target);
		expect(b.errors).toBe('');
		expect(b.md5).toBe(a.md5);
		expect(probeTags(target).initialkey).toBe('F#m');
		expect(Buffer.compare(mdatOf(readFileSync(target)), mdatOf(readFileSync(faststart)))).toBe(0);
	});

	it('ogg: a comment that needs more pages renumbers the audio pages without touching their payload', async () => {
		const original = tone(dir, {
			name: 'long.ogg',
			ext: 'ogg',
			title: 't',
			artist: 'a',
			album: 'b',
			genre: 'g',
			seconds: 20,
			freq: 600
		});
		const { target, copy } = await exportCopy(original, { ...TAGS, comment: 'x'.repeat(70_000) });
		expect(copy.transform).toBeDefined();
		const a = decoded(original);
		const b = decoded(target);
		expect(b.errors).toBe('');
		expect(b.md5).toBe(a.md5);
		const meta = await parseFile(target);
		expect(meta.common.comment?.[0]?.text).toHaveLength(70_000);
		// Same audio pages: payloads and granules; only sequence numbers and CRCs changed (and are valid).
		const before = oggAudioPages(readFileSync(original));
		const after = oggAudioPages(readFileSync(target));
		expect(after.crcOk).toBe(true);
		expect(before.pages.length).toBeGreaterThan(10);
		expect(after.pages).toEqual(before.pages);
	});

	it('a file it cannot tag is refused with a reason, not damaged', async () => {
		const wav = tone(dir, {
			name: 'a.wav',
			ext: 'wav',
			title: 't',
			artist: 'a',
			album: 'b',
			genre: 'g',
			seconds: 1,
			freq: 300
		});
		await expect(taggedCopy(new Blob([readFileSync(wav)]), TAGS, readCover)).rejects.toMatchObject({
			code: 'untagged'
		});
		const broken = readFileSync(join(dir, 'a.flac')).subarray(0, 30);
		await expect(taggedCopy(new Blob([broken]), TAGS, readCover)).rejects.toMatchObject({ code: 'bad-file' });
	});
});
