/**
 * MP3: a new ID3v2.3 tag (written by browser-id3-writer) replaces the old ID3v2 tag at the start; every
 * byte after it (the MPEG frames, the LAME/Info frame, an ID3v1 or APE tag at the end) is kept as it is.
 * The cover picture of the old tag is carried over (read with music-metadata). browser-id3-writer has no
 * POPM frame, so the rating is appended to its tag here (Windows Media Player's 1/64/128/196/255 scale,
 * which music-metadata, Traktor and Mixxx read).
 */
import { ID3Writer } from 'browser-id3-writer';
import type { ExportTags, TaggedCopy } from './model';

/** Length of the ID3v2 tag at the start of the file (header + body + footer), 0 if there is none. */
export function id3v2Length(head: Uint8Array): number {
	if (head.length < 10 || head[0] !== 0x49 || head[1] !== 0x44 || head[2] !== 0x33) return 0;
	if (head[3]! > 4 || head.subarray(6, 10).some((b) => b & 0x80)) return 0;
	const size = ((head[6]! << 21) | (head[7]! << 14) | (head[8]! << 7) | head[9]!) >>> 0;
	return 10 + size + (head[5]! & 0x10 ? 10 : 0);
}

const POPM_STARS = [0, 1, 64, 128, 196, 255];
const POPM_EMAIL = 'Windows Media Player 9 Series';
const PADDING = 1024;

function popmFrame(stars: number): Uint8Array {
	const body = new Uint8Array(POPM_EMAIL.length + 2);
	for (let i = 0; i < POPM_EMAIL.length; i++) body[i] = POPM_EMAIL.charCodeAt(i);
	body[POPM_EMAIL.length + 1] = POPM_STARS[stars] ?? 0;
	const frame = new Uint8Array(10 + body.length);
	frame.set([0x50, 0x4f, 0x50, 0x4d]);
	new DataView(frame.buffer).setUint32(4, body.length);
	frame.set(body, 10);
	return frame;
}

const syncsafe = (n: number) => [(n >>> 21) & 0x7f, (n >>> 14) & 0x7f, (n >>> 7) & 0x7f, n & 0x7f];

/** The new ID3v2.3 tag: frames from `tags`, the old cover when there was one, the rating, 1 KiB of padding. */
export function buildId3(tags: ExportTags, cover?: { data: Uint8Array; mime: string } | null): Uint8Array {
	// An empty "song": the writer returns the tag alone (it would otherwise copy the whole file).
	const writer = new ID3Writer(new ArrayBuffer(0));
	// Typed without it, but a public field: the padding is added below, after the rating frame.
	(writer as unknown as { padding: number }).padding = 0;
	if (tags.title) writer.setFrame('TIT2', tags.title);
	if (tags.artist) writer.setFrame('TPE1', [tags.artist]);
	if (tags.album) writer.setFrame('TALB', tags.album);
	if (tags.albumArtist) writer.setFrame('TPE2', tags.albumArtist);
	if (tags.genre) writer.setFrame('TCON', [tags.genre]);
	if (tags.comment) writer.setFrame('COMM', { description: '', text: tags.comment, language: 'eng' });
	if (tags.year) writer.setFrame('TYER', tags.year);
	if (tags.trackNo) writer.setFrame('TRCK', String(tags.trackNo));
	if (tags.discNo) writer.setFrame('TPOS', String(tags.discNo));
	if (tags.label) writer.setFrame('TPUB', tags.label);
	if (tags.isrc) writer.setFrame('TSRC', tags.isrc);
	// TBPM is an integer by the ID3 specification.
	if (tags.bpm) writer.setFrame('TBPM', Math.round(tags.bpm));
	if (tags.key) writer.setFrame('TKEY', tags.key);
	if (cover && /^image\/(jpeg|png)$/.test(cover.mime))
		writer.setFrame('APIC', {
			type: 3,
			data: cover.data.slice().buffer,
			description: '',
			useUnicodeEncoding: false
		});
	const base = new Uint8Array(writer.addTag());
	const extra = tags.rating ? popmFrame(tags.rating) : new Uint8Array(0);
	const out = new Uint8Array(base.length + extra.length + PADDING);
	out.set(base);
	out.set(extra, base.length);
	out.set(syncsafe(out.length - 10), 6);
	return out;
}

/**
 * A tagged copy of an MP3: `head` is the new tag, the audio is the original after its old ID3v2 tag.
 * `readCover` gets the old tag's front cover (the caller parses it; null when there is none).
 */
export async function id3Copy(
	file: Blob,
	tags: ExportTags,
	readCover: (tagBytes: Blob) => Promise<{ data: Uint8Array; mime: string } | null>
): Promise<TaggedCopy> {
	const start = id3v2Length(new Uint8Array(await file.slice(0, 10).arrayBuffer()));
	const cover = start > 0 ? await readCover(file.slice(0, start)).catch(() => null) : null;
	return { head: buildId3(tags, cover), audioStart: Math.min(start, file.size), audioEnd: file.size };
}
