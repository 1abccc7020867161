import { WorkerError } from '../../shared/errors';
import { ascii, concat, corrupt, readBytes, sliceStream, type AudioStream } from './source';
import { decodePackets, type EncodedPacket } from './webcodecs';

function crc8(bytes: Uint8Array, start: number, end: number): number {
	let crc = 0;
	for (let i = start; i < end; i++) {
		crc ^= bytes[i]!;
		for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
	}
	return crc;
}

/**
 * Length of a FLAC frame header at `at` if its sync, fields and CRC-8 check out, else 0. `number` receives
 * the coded frame (or sample) number, which the splitter requires to increase.
 */
export function flacFrameHeader(bytes: Uint8Array, at: number, number?: { value: number }): number {
	if (at + 16 > bytes.length) return 0;
	if (bytes[at] !== 0xff || (bytes[at + 1]! & 0xfe) !== 0xf8) return 0;
	const b2 = bytes[at + 2]!;
	const b3 = bytes[at + 3]!;
	const blockCode = b2 >> 4;
	const rateCode = b2 & 15;
	if (blockCode === 0 || rateCode === 15 || b3 >> 4 > 10 || ((b3 >> 1) & 7) === 3 || ((b3 >> 1) & 7) === 7 || b3 & 1)
		return 0;
	let p = at + 4;
	// UTF-8-style coded frame/sample number.
	const lead = bytes[p]!;
	let extra = 0;
	if (lead >= 0x80) {
		if ((lead & 0xe0) === 0xc0) extra = 1;
		else if ((lead & 0xf0) === 0xe0) extra = 2;
		else if ((lead & 0xf8) === 0xf0) extra = 3;
		else if ((lead & 0xfc) === 0xf8) extra = 4;
		else if ((lead & 0xfe) === 0xfc) extra = 5;
		else if (lead === 0xfe) extra = 6;
		else return 0;
	}
	let coded = extra === 0 ? lead : lead & (0x3f >> extra);
	for (let i = 1; i <= extra; i++) {
		const b = bytes[p + i]!;
		if ((b & 0xc0) !== 0x80) return 0;
		coded = coded * 64 + (b & 0x3f);
	}
	if (number) number.value = coded;
	p += 1 + extra;
	if (blockCode === 6) p += 1;
	else if (blockCode === 7) p += 2;
	if (rateCode === 12) p += 1;
	else if (rateCode === 13 || rateCode === 14) p += 2;
	if (p >= bytes.length) return 0;
	return crc8(bytes, at, p) === bytes[p] ? p + 1 - at : 0;
}

/** Native FLAC: frames split in JS (sync + header CRC), decoded by WebCodecs. */
export async function openFlac(blob: Blob): Promise<AudioStream> {
	let at = 4;
	let streamInfo: Uint8Array | undefined;
	for (;;) {
		const header = await readBytes(blob, at, at + 4);
		if (header.length < 4) throw corrupt('flac', 'metadata runs past the end');
		const last = header[0]! & 0x80;
		const type = header[0]! & 0x7f;
		const length = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
		if (type === 0) streamInfo = await readBytes(blob, at + 4, at + 4 + length);
		at += 4 + length;
		if (last) break;
	}
	if (!streamInfo || streamInfo.length < 34) throw corrupt('flac', 'no STREAMINFO');
	const sampleRate = (streamInfo[10]! << 12) | (streamInfo[11]! << 4) | (streamInfo[12]! >> 4);
	const channels = ((streamInfo[12]! >> 1) & 7) + 1;
	const totalSamples =
		(streamInfo[13]! & 15) * 2 ** 32 + new DataView(streamInfo.buffer, streamInfo.byteOffset).getUint32(14);
	if (!sampleRate) throw corrupt('flac', 'bad STREAMINFO');
	// WebCodecs' FLAC description: the 'fLaC' marker and the STREAMINFO block (flagged last).
	const description = new Uint8Array(4 + 4 + 34);
	description.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]);
	description.set(streamInfo.subarray(0, 34), 8);
	const audioStart = at;
	if (ascii(await readBytes(blob, 0, 4), 0, 4) !== 'fLaC') throw corrupt('flac', 'bad marker');

	async function* packets(signal: AbortSignal): AsyncGenerator<EncodedPacket> {
		let pending: Uint8Array = new Uint8Array(0);
		let timestamp = 0;
		let frameStart = -1;
		let lastNumber = -1;
		const coded = { value: 0 };
		for await (const slice of sliceStream(blob, audioStart, blob.size, signal)) {
			const bytes = concat(pending, slice);
			let scan = frameStart < 0 ? 0 : frameStart + 2;
			let consumed = 0;
			for (; scan + 16 <= bytes.length; scan++) {
				if (bytes[scan] !== 0xff || !flacFrameHeader(bytes, scan, coded)) continue;
				// A sync code inside frame data can pass the CRC-8; real frames number upwards.
				if (lastNumber >= 0 && !(coded.value > lastNumber && coded.value <= lastNumber + 65536)) continue;
				if (frameStart >= 0 && lastNumber >= 0 && (bytes[scan + 1]! & 1) === 0 && coded.value !== lastNumber + 1)
					continue;
				lastNumber = coded.value;
				if (frameStart >= 0) {
					yield { data: bytes.slice(frameStart, scan), timestamp: timestamp++ };
					consumed = scan;
				}
				frameStart = scan;
			}
			const keepFrom = frameStart >= 0 ? frameStart : Math.max(consumed, bytes.length - 16);
			pending = bytes.slice(keepFrom);
			frameStart = frameStart >= 0 ? 0 : -1;
		}
		if (frameStart >= 0 && pending.length > 0) yield { data: pending, timestamp };
	}
	if (!channels) throw new WorkerError('corrupt', 'flac: bad channel count', { format: 'flac' });
	return {
		format: 'flac',
		durationSec: totalSamples ? totalSamples / sampleRate : null,
		blocks: (signal) =>
			decodePackets(
				'flac',
				{ codec: 'flac', sampleRate, numberOfChannels: channels, description },
				packets(signal),
				signal
			)
	};
}
