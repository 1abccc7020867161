/**
 * Vorbis comments for FLAC and Ogg (Vorbis, Opus), written by hand: no maintained npm writer covers both
 * (flac-tagger / metaflac-js2 are FLAC-only with a few hundred downloads a month), and the formats are small.
 *
 * Fields this app writes replace the file's own values for those names; every other comment is kept.
 *
 * FLAC: the metadata blocks are rewritten (VORBIS_COMMENT replaced, PADDING dropped and a fresh 1 KiB one
 * added, STREAMINFO / SEEKTABLE / PICTURE / CUESHEET / APPLICATION kept byte for byte); the frames after
 * them are the original's bytes.
 * Ogg: the comment packet is replaced and the header packets are laid out on pages again; audio pages keep
 * their payload and granule positions, only their sequence numbers (and so CRCs) change when the header
 * needs a different number of pages.
 */
import { TagWriteError, vorbisFields, type ExportTags, type TaggedCopy } from './model';

const utf8 = new TextEncoder();
const decoder = new TextDecoder();

// ---- Vorbis comment body (shared) ----

interface CommentBlock {
	vendor: string;
	comments: string[];
}

function readComments(bytes: Uint8Array, at: number): CommentBlock {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const need = (n: number) => {
		if (at + n > bytes.length) throw new TagWriteError('bad-file', 'Truncated Vorbis comment');
	};
	need(4);
	const vendorLength = view.getUint32(at, true);
	need(4 + vendorLength + 4);
	const vendor = decoder.decode(bytes.subarray(at + 4, at + 4 + vendorLength));
	at += 4 + vendorLength;
	const count = view.getUint32(at, true);
	at += 4;
	const comments: string[] = [];
	for (let i = 0; i < count; i++) {
		need(4);
		const length = view.getUint32(at, true);
		need(4 + length);
		comments.push(decoder.decode(bytes.subarray(at + 4, at + 4 + length)));
		at += 4 + length;
	}
	return { vendor, comments };
}

/** Our fields replace the same names (case-insensitive, as the spec says); the rest is kept in order. */
export function mergeComments(existing: string[], tags: ExportTags): string[] {
	const ours = vorbisFields(tags);
	// ffmpeg and some taggers write the ID3 names into Vorbis comments: stale copies would contradict ours.
	const names = new Set([...ours.map(([name]) => name), 'TBPM', 'TKEY', 'TEMPO']);
	const kept = existing.filter((c) => {
		const eq = c.indexOf('=');
		return eq > 0 && !names.has(c.slice(0, eq).toUpperCase());
	});
	return [...kept, ...ours.map(([name, value]) => `${name}=${value}`)];
}

function writeComments(block: CommentBlock): Uint8Array {
	const vendor = utf8.encode(block.vendor);
	const items = block.comments.map((c) => utf8.encode(c));
	const out = new Uint8Array(8 + vendor.length + items.reduce((n, c) => n + 4 + c.length, 0));
	const view = new DataView(out.buffer);
	view.setUint32(0, vendor.length, true);
	out.set(vendor, 4);
	let at = 4 + vendor.length;
	view.setUint32(at, items.length, true);
	at += 4;
	for (const item of items) {
		view.setUint32(at, item.length, true);
		out.set(item, at + 4);
		at += 4 + item.length;
	}
	return out;
}

const concat = (parts: Uint8Array[]) => {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
};

// ---- FLAC ----

const FLAC_PADDING = 1024;
const MAX_FLAC_HEAD = 64 * 1024 * 1024;

export async function flacCopy(file: Blob, tags: ExportTags, skip = 0): Promise<TaggedCopy> {
	const read = async (from: number, n: number) => new Uint8Array(await file.slice(from, from + n).arrayBuffer());
	if (decoder.decode(await read(skip, 4)) !== 'fLaC') throw new TagWriteError('bad-file', 'Not a FLAC stream');
	let at = skip + 4;
	const blocks: Uint8Array[] = [];
	let comments: CommentBlock | null = null;
	for (let last = false; !last;) {
		const header = await read(at, 4);
		if (header.length < 4) throw new TagWriteError('bad-file', 'Truncated FLAC metadata');
		last = (header[0]! & 0x80) !== 0;
		const type = header[0]! & 0x7f;
		const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
		if (type === 127 || at + 4 + length > file.size || at - skip > MAX_FLAC_HEAD)
			throw new TagWriteError('bad-file', 'Damaged FLAC metadata');
		if (type === 4) comments = readComments(await read(at + 4, length), 0);
		else if (type !== 1) blocks.push(concat([header, await read(at + 4, length)]));
		at += 4 + length;
	}
	if (!blocks.length || (blocks[0]![0]! & 0x7f) !== 0) throw new TagWriteError('bad-file', 'No STREAMINFO block');
	const body = writeComments({
		vendor: comments?.vendor ?? 'Cratemesh',
		comments: mergeComments(comments?.comments ?? [], tags)
	});
	if (body.length >= 1 << 24) throw new TagWriteError('bad-file', 'Tags too large for FLAC');
	const blockHeader = (type: number, length: number, last: boolean) =>
		new Uint8Array([(last ? 0x80 : 0) | type, (length >> 16) & 255, (length >> 8) & 255, length & 255]);
	// Keep STREAMINFO first; the comment after it; padding last.
	const kept = blocks.map((b) => {
		const copy = b.slice();
		copy[0] = copy[0]! & 0x7f;
		return copy;
	});
	const head = concat([
		utf8.encode('fLaC'),
		kept[0]!,
		blockHeader(4, body.length, false),
		body,
		...kept.slice(1),
		blockHeader(1, FLAC_PADDING, true),
		new Uint8Array(FLAC_PADDING)
	]);
	// An ID3v2 tag some tools put before `fLaC` is dropped: the Vorbis comment is FLAC's tag.
	return { head, audioStart: at, audioEnd: file.size };
}

// ---- Ogg ----

const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let i = 0; i < 256; i++) {
		let r = i << 24;
		for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
		table[i] = r >>> 0;
	}
	return table;
})();

/** Ogg's CRC-32 (polynomial 0x04c11db7, no reflection, initial 0) over a page with its CRC field zeroed. */
export function oggCrc(page: Uint8Array): number {
	let crc = 0;
	for (let i = 0; i < page.length; i++) {
		const byte = i >= 22 && i < 26 ? 0 : page[i]!;
		crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
	}
	return crc;
}

interface OggPage {
	offset: number;
	length: number;
	headerType: number;
	serial: number;
	sequence: number;
	granule: Uint8Array;
	segments: number[];
	payload: Uint8Array;
}

function parsePage(bytes: Uint8Array, offset: number): OggPage | null {
	if (offset + 27 > bytes.length) return null;
	if (bytes[offset] !== 0x4f || bytes[offset + 1] !== 0x67 || bytes[offset + 2] !== 0x67 || bytes[offset + 3] !== 0x53)
		throw new TagWriteError('bad-file', 'Not an Ogg page');
	const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
	const count = bytes[offset + 26]!;
	if (offset + 27 + count > bytes.length) return null;
	const segments = Array.from(bytes.subarray(offset + 27, offset + 27 + count));
	const size = segments.reduce((a, b) => a + b, 0);
	const length = 27 + count + size;
	if (offset + length > bytes.length) return null;
	return {
		offset,
		length,
		headerType: bytes[offset + 5]!,
		granule: bytes.slice(offset + 6, offset + 14),
		serial: view.getUint32(14, true),
		sequence: view.getUint32(18, true),
		segments,
		payload: bytes.subarray(offset + 27 + count, offset + length)
	};
}

function buildPage(
	serial: number,
	sequence: number,
	headerType: number,
	granule: Uint8Array,
	segments: number[],
	payload: Uint8Array
): Uint8Array {
	const page = new Uint8Array(27 + segments.length + payload.length);
	page.set([0x4f, 0x67, 0x67, 0x53, 0, headerType]);
	page.set(granule, 6);
	const view = new DataView(page.buffer);
	view.setUint32(14, serial, true);
	view.setUint32(18, sequence, true);
	page[26] = segments.length;
	page.set(segments, 27);
	page.set(payload, 27 + segments.length);
	view.setUint32(22, oggCrc(page), true);
	return page;
}

/** Lays packets out on pages (≤ 255 lacing values each); the last page ends with the last packet. */
function paginate(packets: Uint8Array[], serial: number, firstSequence: number): Uint8Array[] {
	const pages: Uint8Array[] = [];
	let segments: number[] = [];
	let parts: Uint8Array[] = [];
	let continued = false;
	const flush = (nextContinues: boolean) => {
		const granule = new Uint8Array(8);
		// A page on which no packet ends has granule -1.
		if (nextContinues && !segments.some((s) => s < 255)) granule.fill(0xff);
		pages.push(buildPage(serial, firstSequence + pages.length, continued ? 1 : 0, granule, segments, concat(parts)));
		continued = nextContinues;
		segments = [];
		parts = [];
	};
	for (const packet of packets) {
		let at = 0;
		for (;;) {
			const take = Math.min(255, packet.length - at);
			if (segments.length === 255) flush(true);
			segments.push(take);
			parts.push(packet.subarray(at, at + take));
			at += take;
			if (take < 255) break;
		}
	}
	if (segments.length) flush(false);
	return pages;
}

/** Renumbers the pages of one logical stream as they stream past (payload bytes untouched). */
export function renumberOggPages(delta: number): TransformStream<Uint8Array, Uint8Array> {
	let pending = new Uint8Array(0);
	return new TransformStream({
		transform(chunk, controller) {
			const bytes = pending.length ? concat([pending, chunk]) : chunk;
			let at = 0;
			for (;;) {
				const page = parsePage(bytes, at);
				if (!page) break;
				const out = bytes.slice(at, at + page.length);
				const view = new DataView(out.buffer);
				view.setUint32(18, (page.sequence + delta) >>> 0, true);
				view.setUint32(22, oggCrc(out), true);
				controller.enqueue(out);
				at += page.length;
			}
			pending = bytes.slice(at);
		},
		flush(controller) {
			// A truncated last page is passed on as it was (the original had it too).
			if (pending.length) controller.enqueue(pending);
		}
	});
}

const MAX_OGG_HEAD = 16 * 1024 * 1024;

export async function oggCopy(file: Blob, tags: ExportTags): Promise<TaggedCopy> {
	const head = new Uint8Array(await file.slice(0, Math.min(file.size, MAX_OGG_HEAD)).arrayBuffer());
	const packets: Uint8Array[] = [];
	let current: Uint8Array[] = [];
	let at = 0;
	let serial = -1;
	let pagesUsed = 0;
	let codec: 'vorbis' | 'opus' | null = null;
	while (codec === null || packets.length < (codec === 'vorbis' ? 3 : 2)) {
		const page = parsePage(head, at);
		if (!page) throw new TagWriteError('bad-file', 'The Ogg headers are truncated');
		if (serial === -1) serial = page.serial;
		else if (page.serial !== serial) throw new TagWriteError('untagged', 'Multiplexed Ogg streams are copied untagged');
		let offset = 0;
		for (const size of page.segments) {
			current.push(page.payload.subarray(offset, offset + size));
			offset += size;
			if (size < 255) {
				packets.push(concat(current));
				current = [];
			}
		}
		at += page.length;
		pagesUsed++;
		if (packets.length && codec === null) {
			const id = decoder.decode(packets[0]!.subarray(0, 8));
			if (id === 'OpusHead') codec = 'opus';
			else if (id.slice(1, 7) === 'vorbis' && packets[0]![0] === 1) codec = 'vorbis';
			else throw new TagWriteError('untagged', 'Only Ogg Vorbis and Opus get tags');
		}
	}
	const wanted = codec === 'vorbis' ? 3 : 2;
	// Audio must start on a fresh page after the headers (both specifications require it).
	if (packets.length !== wanted || current.length) throw new TagWriteError('bad-file', 'Audio shares the header page');
	const comment = packets[1]!;
	let body: Uint8Array;
	if (codec === 'vorbis') {
		if (comment[0] !== 3 || decoder.decode(comment.subarray(1, 7)) !== 'vorbis')
			throw new TagWriteError('bad-file', 'No Vorbis comment header');
		const old = readComments(comment, 7);
		body = concat([
			new Uint8Array([3]),
			utf8.encode('vorbis'),
			writeComments({ vendor: old.vendor, comments: mergeComments(old.comments, tags) }),
			new Uint8Array([1])
		]);
	} else {
		if (decoder.decode(comment.subarray(0, 8)) !== 'OpusTags')
			throw new TagWriteError('bad-file', 'No OpusTags header');
		const old = readComments(comment, 8);
		body = concat([
			utf8.encode('OpusTags'),
			writeComments({ vendor: old.vendor, comments: mergeComments(old.comments, tags) })
		]);
	}
	// The first page (identification header, beginning of stream) is kept as it was: it must hold that alone.
	const first = parsePage(head, 0)!;
	if (first.segments.filter((s) => s < 255).length !== 1 || first.segments.at(-1)! === 255)
		throw new TagWriteError('bad-file', 'The first Ogg page holds more than the identification header');
	const rest = paginate([body, ...packets.slice(2)], serial, 1);
	const delta = 1 + rest.length - pagesUsed;
	return {
		head: concat([head.subarray(0, first.length), ...rest]),
		audioStart: at,
		audioEnd: file.size,
		transform: delta === 0 ? undefined : () => renumberOggPages(delta)
	};
}
