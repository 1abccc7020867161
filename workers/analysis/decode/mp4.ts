import { WorkerError } from '../../shared/errors';
import { ascii, corrupt, readBytes, type AudioStream } from './source';
import { decodePackets, type EncodedPacket } from './webcodecs';

interface Box {
	type: string;
	start: number;
	/** Start of the payload. */
	body: number;
	end: number;
}

function boxesIn(bytes: Uint8Array, start: number, end: number): Box[] {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const out: Box[] = [];
	let at = start;
	while (at + 8 <= end) {
		let size = view.getUint32(at);
		let body = at + 8;
		if (size === 1) {
			size = Number(view.getBigUint64(at + 8));
			body += 8;
		} else if (size === 0) size = end - at;
		if (size < 8 || at + size > end) break;
		out.push({ type: ascii(bytes, at + 4, 4), start: at, body, end: at + size });
		at += size;
	}
	return out;
}

const child = (bytes: Uint8Array, box: Box | undefined, type: string, skip = 0) =>
	box ? boxesIn(bytes, box.body + skip, box.end).find((b) => b.type === type) : undefined;

/** Reads an MPEG-4 descriptor length (up to 4 bytes of 7 bits). */
function descriptor(bytes: Uint8Array, at: number): { tag: number; length: number; body: number } {
	const tag = bytes[at]!;
	let length = 0;
	let p = at + 1;
	for (let i = 0; i < 4; i++) {
		const b = bytes[p++]!;
		length = (length << 7) | (b & 0x7f);
		if (!(b & 0x80)) break;
	}
	return { tag, length, body: p };
}

/** AudioSpecificConfig from an esds box. */
function audioSpecificConfig(bytes: Uint8Array, esds: Box): Uint8Array | null {
	let p = esds.body + 4;
	const es = descriptor(bytes, p);
	if (es.tag !== 3) return null;
	p = es.body + 2;
	const flags = bytes[p++]!;
	if (flags & 0x80) p += 2;
	if (flags & 0x40) p += 1 + bytes[p]!;
	if (flags & 0x20) p += 2;
	const dc = descriptor(bytes, p);
	if (dc.tag !== 4) return null;
	if (bytes[dc.body] !== 0x40 && bytes[dc.body] !== 0x66 && bytes[dc.body] !== 0x67) return null;
	const dsi = descriptor(bytes, dc.body + 13);
	if (dsi.tag !== 5) return null;
	return bytes.slice(dsi.body, dsi.body + dsi.length);
}

/** M4A/MP4 with AAC: the sample table read in JS, samples decoded by WebCodecs. */
export async function openMp4(blob: Blob): Promise<AudioStream> {
	// Find moov among the top-level boxes (it may follow mdat).
	let at = 0;
	let moov: Uint8Array | undefined;
	while (at + 8 <= blob.size) {
		const header = await readBytes(blob, at, at + 16);
		const view = new DataView(header.buffer);
		let size = view.getUint32(0);
		if (size === 1) size = Number(view.getBigUint64(8));
		else if (size === 0) size = blob.size - at;
		if (size < 8) throw corrupt('mp4', 'bad box size');
		if (ascii(header, 4, 4) === 'moov') {
			if (at + size > blob.size)
				throw new WorkerError('truncated', 'mp4: the movie header is cut off', { format: 'mp4' });
			moov = await readBytes(blob, at, at + size);
			break;
		}
		at += size;
	}
	if (!moov) throw new WorkerError('truncated', 'mp4: no movie header (moov)', { format: 'mp4' });
	const root: Box = { type: 'moov', start: 0, body: 8, end: moov.length };
	const traks = boxesIn(moov, root.body, root.end).filter((b) => b.type === 'trak');
	for (const trak of traks) {
		const mdia = child(moov, trak, 'mdia');
		const hdlr = child(moov, mdia, 'hdlr');
		if (!hdlr || ascii(moov, hdlr.body + 8, 4) !== 'soun') continue;
		const mdhd = child(moov, mdia, 'mdhd');
		const stbl = child(moov, child(moov, mdia, 'minf'), 'stbl');
		const stsd = child(moov, stbl, 'stsd');
		if (!stsd || !stbl || !mdhd) throw corrupt('mp4', 'incomplete sample table');
		const entry = boxesIn(moov, stsd.body + 8, stsd.end)[0];
		if (!entry || (entry.type !== 'mp4a' && entry.type !== 'enca')) {
			throw new WorkerError('not-audio', `mp4: unsupported audio codec ${entry?.type ?? '?'}`, { format: 'mp4' });
		}
		const view = new DataView(moov.buffer, moov.byteOffset, moov.byteLength);
		const channels = view.getUint16(entry.body + 16);
		const entryRate = view.getUint32(entry.body + 24) >>> 16;
		const esds = child(moov, entry, 'esds', 28);
		const asc = esds && audioSpecificConfig(moov, esds);
		if (!asc || asc.length < 2) throw new WorkerError('not-audio', 'mp4: not an AAC track', { format: 'mp4' });
		const objectType = asc[0]! >> 3;
		const mdhdVersion = moov[mdhd.body]!;
		const timescale = view.getUint32(mdhd.body + (mdhdVersion === 1 ? 20 : 12));
		const duration = mdhdVersion === 1 ? Number(view.getBigUint64(mdhd.body + 24)) : view.getUint32(mdhd.body + 16);
		// Sample sizes, chunk offsets and the sample-to-chunk map.
		const stsz = child(moov, stbl, 'stsz');
		const stco = child(moov, stbl, 'stco') ?? child(moov, stbl, 'co64');
		const stsc = child(moov, stbl, 'stsc');
		if (!stsz || !stco || !stsc) throw corrupt('mp4', 'missing sample table boxes');
		const fixedSize = view.getUint32(stsz.body + 4);
		const sampleCount = view.getUint32(stsz.body + 8);
		const sizeOf = (i: number) => (fixedSize ? fixedSize : view.getUint32(stsz.body + 12 + i * 4));
		const wide = stco.type === 'co64';
		const chunkCount = view.getUint32(stco.body + 4);
		const chunkOffset = (i: number) =>
			wide ? Number(view.getBigUint64(stco.body + 8 + i * 8)) : view.getUint32(stco.body + 8 + i * 4);
		const stscCount = view.getUint32(stsc.body + 4);
		const stscEntry = (i: number) => ({
			firstChunk: view.getUint32(stsc.body + 8 + i * 12) - 1,
			perChunk: view.getUint32(stsc.body + 12 + i * 12)
		});
		const config: AudioDecoderConfig = {
			codec: `mp4a.40.${objectType}`,
			sampleRate: entryRate || 44100,
			numberOfChannels: channels || 2,
			description: asc
		};
		async function* packets(signal: AbortSignal): AsyncGenerator<EncodedPacket> {
			let sample = 0;
			let entryIndex = 0;
			for (let chunk = 0; chunk < chunkCount && sample < sampleCount; chunk++) {
				if (signal.aborted) throw new WorkerError('aborted', 'Cancelled');
				while (entryIndex + 1 < stscCount && stscEntry(entryIndex + 1).firstChunk <= chunk) entryIndex++;
				const perChunk = Math.min(stscEntry(entryIndex).perChunk, sampleCount - sample);
				let bytes = 0;
				for (let i = 0; i < perChunk; i++) bytes += sizeOf(sample + i);
				const offset = chunkOffset(chunk);
				if (offset + bytes > blob.size)
					throw new WorkerError('truncated', 'mp4: audio data is cut off', { format: 'mp4' });
				const data = await readBytes(blob, offset, offset + bytes);
				let p = 0;
				for (let i = 0; i < perChunk; i++, sample++) {
					const size = sizeOf(sample);
					yield { data: data.subarray(p, p + size), timestamp: sample };
					p += size;
				}
			}
		}
		return {
			format: 'mp4/aac',
			durationSec: timescale ? duration / timescale : null,
			blocks: (signal) => decodePackets('mp4/aac', config, packets(signal), signal)
		};
	}
	throw new WorkerError('not-audio', 'mp4: no audio track', { format: 'mp4' });
}
