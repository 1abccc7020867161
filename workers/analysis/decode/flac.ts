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

const CRC16 = (() => {
	const table = new Uint16Array(256);
	for (let i = 0; i < 256; i++) {
		let crc = i << 8;
		for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
		table[i] = crc;
	}
	return table;
})();

/** Whether a whole frame (header to footer) matches the CRC-16 in its last two bytes. */
export function flacFrameIntact(frame: Uint8Array): boolean {
	if (frame.length < 4) return false;
	let crc = 0;
	for (let i = 0, end = frame.length - 2; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16[(crc >> 8) ^ frame[i]!]!;
	return crc === ((frame[frame.length - 2]! << 8) | frame[frame.length - 1]!);
}

/**
 * Length of a FLAC frame header at `at` if its sync, fields and CRC-8 check out, else 0. `number` receives
 * the coded frame (or sample) number, which the splitter requires to increase, and the frame's samples.
 */
export function flacFrameHeader(bytes: Uint8Array, at: number, number?: { value: number; samples?: number }): number {
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
	p += 1 + extra;
	let samples =
		blockCode === 1 ? 192 : blockCode <= 5 ? 576 << (blockCode - 2) : blockCode >= 8 ? 256 << (blockCode - 8) : 0;
	if (blockCode === 6) samples = bytes[p]! + 1;
	else if (blockCode === 7) samples = ((bytes[p]! << 8) | bytes[p + 1]!) + 1;
	if (number) {
		number.value = coded;
		number.samples = samples;
	}
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
	const blockSize = (streamInfo[0]! << 8) | streamInfo[1]!;
	const maxBlock = (streamInfo[2]! << 8) | streamInfo[3]!;
	// The longest a frame can be: STREAMINFO says, or a bound from the block size (32-bit samples, headers).
	const maxFrame =
		(streamInfo[7]! << 16) | (streamInfo[8]! << 8) | streamInfo[9]! ||
		Math.max(64 * 1024, (maxBlock || 65536) * channels * 4 + 1024);
	// WebCodecs' FLAC description: the 'fLaC' marker and the STREAMINFO block (flagged last).
	const description = new Uint8Array(4 + 4 + 34);
	description.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]);
	description.set(streamInfo.subarray(0, 34), 8);
	const audioStart = at;
	if (ascii(await readBytes(blob, 0, 4), 0, 4) !== 'fLaC') throw corrupt('flac', 'bad marker');

	/**
	 * Frames in order, each checked against its CRC-16. A damaged frame (or frames whose header was damaged,
	 * so they cannot be found) is not decoded: silence of its length takes its place, so everything after it
	 * keeps its time, as when the browser plays the file.
	 */
	async function* packets(signal: AbortSignal): AsyncGenerator<EncodedPacket> {
		let pending: Uint8Array = new Uint8Array(0);
		let frameStart = -1;
		let lastNumber = -1;
		/** the first sample of the frame at `frameStart`, its length, and where the next should start */
		let first = 0;
		let samples = 0;
		let expected = 0;
		const coded: { value: number; samples?: number } = { value: 0 };
		const frame = function* (data: Uint8Array): Generator<EncodedPacket> {
			// A bogus jump (a false sync that passed every check) is not filled beyond the track or a minute.
			const gap = Math.min(first - expected, (totalSamples || Infinity) - expected, 60 * sampleRate);
			if (gap > 0) yield { data: new Uint8Array(0), timestamp: 0, silence: gap };
			expected = Math.max(expected, first);
			if (flacFrameIntact(data)) yield { data, timestamp: Math.round((first * 1e6) / sampleRate) };
			else yield { data: new Uint8Array(0), timestamp: 0, silence: samples };
			expected += samples;
		};
		for await (const slice of sliceStream(blob, audioStart, blob.size, signal)) {
			const bytes = concat(pending, slice);
			let scan = frameStart < 0 ? 0 : frameStart + 2;
			let consumed = 0;
			for (; scan + 16 <= bytes.length; scan++) {
				if (bytes[scan] !== 0xff || !flacFrameHeader(bytes, scan, coded)) continue;
				// A sync code inside frame data can pass the CRC-8; real frames number upwards.
				if (lastNumber >= 0 && !(coded.value > lastNumber && coded.value <= lastNumber + 65536)) continue;
				const variable = (bytes[scan + 1]! & 1) === 1;
				const skipped = frameStart >= 0 && lastNumber >= 0 && !variable && coded.value !== lastNumber + 1;
				// ...by one, unless frames were lost (a damaged header): then the bytes since the last frame are
				// more than any frame can be. They are not decoded; silence covers them up to this frame.
				const lost = skipped && scan - frameStart > maxFrame;
				if (skipped && !lost) continue;
				lastNumber = coded.value;
				if (frameStart >= 0) {
					if (!lost) yield* frame(bytes.slice(frameStart, scan));
					consumed = scan;
				}
				frameStart = scan;
				first = variable ? coded.value : coded.value * blockSize;
				samples = coded.samples ?? 0;
			}
			const keepFrom = frameStart >= 0 ? frameStart : Math.max(consumed, bytes.length - 16);
			pending = bytes.slice(keepFrom);
			frameStart = frameStart >= 0 ? 0 : -1;
		}
		if (frameStart >= 0 && pending.length > 0) yield* frame(pending);
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
