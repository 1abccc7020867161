/**
 * M4A / MP4: iTunes-style metadata (`moov/udta/meta/ilst`) written by hand (no maintained npm writer).
 * Only `moov` is rebuilt: `mdat` (the audio) is copied byte for byte. When `moov` comes before `mdat` its
 * new size moves the audio, so every chunk offset (`stco` / `co64`) that points past `moov` is shifted by
 * the difference; when `moov` is at the end nothing moves. Fragmented files (`moof`) are copied untagged.
 * Items this app writes replace the same items; every other item is kept. The key goes into the freeform
 * `----:com.apple.iTunes:initialkey` item that DJ software and ffmpeg read; M4A has no rating field.
 */
import { bpmText, TagWriteError, type ExportTags, type TaggedCopy } from './model';

const utf8 = new TextEncoder();
const latin = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const typeOf = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
const MAX_MOOV = 64 * 1024 * 1024;

interface Box {
	type: string;
	start: number;
	header: number;
	size: number;
}

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
}

function box(type: string, ...children: Uint8Array[]): Uint8Array {
	const body = concat(children);
	const out = new Uint8Array(8 + body.length);
	new DataView(out.buffer).setUint32(0, out.length);
	out.set(latin(type), 4);
	out.set(body, 8);
	return out;
}

/** Children of a box's body in memory. */
function children(bytes: Uint8Array, from: number, to: number): Box[] {
	const out: Box[] = [];
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	for (let at = from; at + 8 <= to;) {
		let size = view.getUint32(at);
		let header = 8;
		if (size === 1) {
			if (at + 16 > to) break;
			size = Number(view.getBigUint64(at + 8));
			header = 16;
		} else if (size === 0) size = to - at;
		if (size < header || at + size > to) throw new TagWriteError('bad-file', 'Damaged MP4 box');
		out.push({ type: typeOf(bytes, at + 4), start: at, header, size });
		at += size;
	}
	return out;
}

function dataAtom(kind: number, value: Uint8Array): Uint8Array {
	const head = new Uint8Array(8);
	new DataView(head.buffer).setUint32(0, kind);
	return box('data', head, value);
}

const textItem = (type: string, value: string) => box(type, dataAtom(1, utf8.encode(value)));

function items(tags: ExportTags): Map<string, Uint8Array> {
	const out = new Map<string, Uint8Array>();
	const text = (type: string, value: string) => value && out.set(type, textItem(type, value));
	text('©nam', tags.title);
	text('©ART', tags.artist);
	text('©alb', tags.album);
	text('aART', tags.albumArtist);
	text('©gen', tags.genre);
	text('©cmt', tags.comment);
	if (tags.year) text('©day', String(tags.year));
	if (tags.trackNo) {
		const v = new Uint8Array(8);
		new DataView(v.buffer).setUint16(2, Math.min(tags.trackNo, 65535));
		out.set('trkn', box('trkn', dataAtom(0, v)));
	}
	if (tags.discNo) {
		const v = new Uint8Array(6);
		new DataView(v.buffer).setUint16(2, Math.min(tags.discNo, 65535));
		out.set('disk', box('disk', dataAtom(0, v)));
	}
	if (tags.bpm) {
		const v = new Uint8Array(2);
		new DataView(v.buffer).setUint16(0, Math.round(tags.bpm));
		out.set('tmpo', box('tmpo', dataAtom(21, v)));
	}
	const freeform = (name: string, value: string) =>
		out.set(
			`----:${name.toLowerCase()}`,
			box(
				'----',
				box('mean', new Uint8Array(4), latin('com.apple.iTunes')),
				box('name', new Uint8Array(4), latin(name)),
				dataAtom(1, utf8.encode(value))
			)
		);
	if (tags.key) freeform('initialkey', tags.key);
	if (tags.bpm && !Number.isInteger(tags.bpm)) freeform('BPM', bpmText(tags.bpm));
	if (tags.label) freeform('LABEL', tags.label);
	if (tags.isrc) freeform('ISRC', tags.isrc);
	return out;
}

/** The identity of an ilst item: its type, or `----:<name>` for freeform ones. */
function itemKey(bytes: Uint8Array, item: Box): string {
	if (item.type !== '----') return item.type;
	const name = children(bytes, item.start + item.header, item.start + item.size).find((b) => b.type === 'name');
	if (!name) return '----';
	return `----:${String.fromCharCode(...bytes.subarray(name.start + 12, name.start + name.size)).toLowerCase()}`;
}

function buildMeta(moov: Uint8Array, oldMeta: Box | undefined, tags: ExportTags): Uint8Array {
	const ours = items(tags);
	let kept: Uint8Array[] = [];
	let hdlr: Uint8Array | null = null;
	const others: Uint8Array[] = [];
	if (oldMeta) {
		// ISO meta is a full box (4 bytes of version/flags); QuickTime's is not.
		const plain = typeOf(moov, oldMeta.start + oldMeta.header + 4) === 'hdlr';
		const from = oldMeta.start + oldMeta.header + (plain ? 0 : 4);
		for (const child of children(moov, from, oldMeta.start + oldMeta.size)) {
			const bytes = moov.subarray(child.start, child.start + child.size);
			if (child.type === 'hdlr') hdlr = bytes;
			else if (child.type === 'ilst')
				kept = children(moov, child.start + child.header, child.start + child.size)
					.filter((item) => !ours.has(itemKey(moov, item)))
					.map((item) => moov.subarray(item.start, item.start + item.size));
			else if (child.type !== 'free') others.push(bytes);
		}
	}
	hdlr ??= box('hdlr', new Uint8Array(8), latin('mdirappl'), new Uint8Array(9));
	return box('meta', new Uint8Array(4), hdlr, box('ilst', ...kept, ...ours.values()), ...others);
}

/** Shifts every chunk offset at or past `from` by `delta`, in place, in a rebuilt moov. */
function shiftChunkOffsets(moov: Uint8Array, from: number, delta: number): void {
	const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
	const walk = (start: number, end: number) => {
		for (const b of children(moov, start, end)) {
			const body = b.start + b.header;
			if (['trak', 'mdia', 'minf', 'stbl'].includes(b.type)) walk(body, b.start + b.size);
			else if (b.type === 'stco' || b.type === 'co64') {
				const count = view.getUint32(body + 4);
				const wide = b.type === 'co64';
				if (body + 8 + count * (wide ? 8 : 4) > b.start + b.size)
					throw new TagWriteError('bad-file', 'Damaged chunk table');
				for (let i = 0; i < count; i++) {
					const at = body + 8 + i * (wide ? 8 : 4);
					if (wide) {
						const value = view.getBigUint64(at);
						if (value >= BigInt(from)) view.setBigUint64(at, value + BigInt(delta));
					} else {
						const value = view.getUint32(at);
						if (value < from) continue;
						const moved = value + delta;
						if (moved > 0xffffffff) throw new TagWriteError('untagged', 'The audio would move past 4 GiB');
						view.setUint32(at, moved);
					}
				}
			}
		}
	};
	walk(8, moov.length);
}

export async function mp4Copy(file: Blob, tags: ExportTags): Promise<TaggedCopy> {
	const top: Box[] = [];
	for (let at = 0; at + 8 <= file.size;) {
		const head = new Uint8Array(await file.slice(at, at + 16).arrayBuffer());
		const view = new DataView(head.buffer);
		let size = view.getUint32(0);
		let header = 8;
		if (size === 1) {
			size = Number(view.getBigUint64(8));
			header = 16;
		} else if (size === 0) size = file.size - at;
		if (size < header || at + size > file.size) throw new TagWriteError('bad-file', 'Damaged MP4 box');
		top.push({ type: typeOf(head, 4), start: at, header, size });
		at += size;
	}
	if (top[0]?.type !== 'ftyp') throw new TagWriteError('bad-file', 'Not an MP4 file');
	if (top.some((b) => b.type === 'moof')) throw new TagWriteError('untagged', 'Fragmented MP4 is copied untagged');
	const moovBox = top.find((b) => b.type === 'moov');
	const mdat = top.find((b) => b.type === 'mdat');
	if (!moovBox || !mdat) throw new TagWriteError('bad-file', 'No moov or mdat');
	if (moovBox.size > MAX_MOOV || moovBox.header !== 8) throw new TagWriteError('untagged', 'Unusual moov');
	const moov = new Uint8Array(await file.slice(moovBox.start, moovBox.start + moovBox.size).arrayBuffer());
	const parts: Uint8Array[] = [];
	let udtaSeen = false;
	for (const child of children(moov, 8, moov.length)) {
		const bytes = moov.subarray(child.start, child.start + child.size);
		if (child.type !== 'udta') {
			parts.push(bytes);
			continue;
		}
		udtaSeen = true;
		const inner = children(moov, child.start + child.header, child.start + child.size);
		const meta = inner.find((b) => b.type === 'meta');
		parts.push(
			box(
				'udta',
				...inner.filter((b) => b.type !== 'meta').map((b) => moov.subarray(b.start, b.start + b.size)),
				buildMeta(moov, meta, tags)
			)
		);
	}
	if (!udtaSeen) parts.push(box('udta', buildMeta(moov, undefined, tags)));
	const rebuilt = box('moov', ...parts);
	const delta = rebuilt.length - moov.length;
	const moovEnd = moovBox.start + moovBox.size;
	if (moovBox.start < mdat.start) {
		shiftChunkOffsets(rebuilt, moovEnd, delta);
		const before = new Uint8Array(await file.slice(0, moovBox.start).arrayBuffer());
		return { head: concat([before, rebuilt]), audioStart: moovEnd, audioEnd: file.size };
	}
	if (file.size - moovEnd > MAX_MOOV) throw new TagWriteError('untagged', 'Too much data after moov');
	const after = new Uint8Array(await file.slice(moovEnd).arrayBuffer());
	return { head: new Uint8Array(0), audioStart: 0, audioEnd: moovBox.start, tail: concat([rebuilt, after]) };
}
