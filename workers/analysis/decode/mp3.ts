import { WorkerError } from '../../shared/errors';
import { ascii, concat, readBytes, sliceStream, trimBlocks, type AudioStream } from './source';
import { decodePackets, type EncodedPacket } from './webcodecs';

const BITRATES = {
	// [version 1][layer 1..3], [version 2/2.5][layer 1..3] in kbit/s, index 1..14
	v1: [
		[32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
		[32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
		[32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
	],
	v2: [
		[32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
		[8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
		[8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
	]
};
const RATES = [44100, 48000, 32000];

export interface MpegHeader {
	length: number;
	sampleRate: number;
	channels: number;
	samples: number;
	/** Version and layer bits plus the rate index: frames of one stream share it. */
	signature: number;
}

/** Parses an MPEG audio frame header at `at`, or returns null if it is not one. */
export function mpegHeader(bytes: Uint8Array, at: number): MpegHeader | null {
	if (at + 4 > bytes.length) return null;
	const b1 = bytes[at + 1]!;
	const b2 = bytes[at + 2]!;
	const b3 = bytes[at + 3]!;
	if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
	const version = (b1 >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
	const layer = (b1 >> 1) & 3; // 1: III, 2: II, 3: I
	const bitrateIndex = b2 >> 4;
	const rateIndex = (b2 >> 2) & 3;
	if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
	const padding = (b2 >> 1) & 1;
	const layerNo = 4 - layer; // 1, 2, 3
	const kbps = (version === 3 ? BITRATES.v1 : BITRATES.v2)[layerNo - 1]![bitrateIndex - 1]!;
	const sampleRate = RATES[rateIndex]! / (version === 3 ? 1 : version === 2 ? 2 : 4);
	let length: number;
	let samples: number;
	if (layerNo === 1) {
		length = (Math.floor((12 * kbps * 1000) / sampleRate) + padding) * 4;
		samples = 384;
	} else {
		const factor = layerNo === 3 && version !== 3 ? 72 : 144;
		length = Math.floor((factor * kbps * 1000) / sampleRate) + padding;
		samples = layerNo === 3 && version !== 3 ? 576 : 1152;
	}
	return { length, sampleRate, channels: b3 >> 6 === 3 ? 1 : 2, samples, signature: (b1 & 0x1e) | (rateIndex << 8) };
}

/** The MP3 decoder's own delay, in samples (FFmpeg's and so Chromium's, whose decoder WebCodecs uses). */
const DECODER_DELAY = 529;

/** What a stream's first frame says when it is an encoder's header frame rather than audio. */
export interface Mp3Header {
	/** The frame holds no audio (Xing/Info, VBRI): it is not decoded. */
	skipFrame: boolean;
	/** Samples at the start of the decoded audio that are not the track's (encoder delay + decoder delay). */
	trimStart: number;
	/** The track's samples, when the header counts its frames and gives the padding; else null. */
	totalSamples: number | null;
}

/**
 * Reads a Xing/Info header (with a LAME tag: encoder delay and padding) or a VBRI header from the stream's
 * first frame, as FFmpeg does when Chromium plays the file: that frame is skipped, and with a LAME tag
 * (from LAME or FFmpeg) the delays are trimmed at the start and the padding at the end. Analysis must
 * trim the same, or its beat grid and cues land ~50 ms after the music (2,257 samples at 44.1 kHz for a
 * typical LAME file). Null: the first frame is audio.
 */
export function mp3EncoderHeader(frame: Uint8Array, header: MpegHeader): Mp3Header | null {
	const u32 = (at: number) =>
		at + 4 <= frame.length
			? ((frame[at]! << 24) | (frame[at + 1]! << 16) | (frame[at + 2]! << 8) | frame[at + 3]!) >>> 0
			: 0;
	if (ascii(frame, 36, 4) === 'VBRI') return { skipFrame: true, trimStart: 0, totalSamples: null };
	const mpeg1 = header.samples === 1152;
	const mono = header.channels === 1;
	const tag = 4 + (mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17);
	const name = ascii(frame, tag, 4);
	if (name !== 'Xing' && name !== 'Info') return null;
	const flags = u32(tag + 4);
	let at = tag + 8;
	const frames = flags & 1 ? u32(at) : 0;
	if (flags & 1) at += 4;
	if (flags & 2) at += 4;
	if (flags & 4) at += 100;
	if (flags & 8) at += 4;
	const encoder = ascii(frame, at, 4);
	if ((encoder !== 'LAME' && encoder !== 'Lavf' && encoder !== 'Lavc') || at + 24 > frame.length)
		return { skipFrame: true, trimStart: 0, totalSamples: null };
	const delays = (frame[at + 21]! << 16) | (frame[at + 22]! << 8) | frame[at + 23]!;
	const delay = delays >> 12;
	const padding = delays & 0xfff;
	const total = frames * header.samples - delay - padding;
	return { skipFrame: true, trimStart: delay + DECODER_DELAY, totalSamples: frames && total > 0 ? total : null };
}

/** Size of the ID3v2 tag at the start (0 if none). */
export function id3Size(head: Uint8Array): number {
	if (head[0] !== 0x49 || head[1] !== 0x44 || head[2] !== 0x33) return 0;
	const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
	return 10 + size + (head[5]! & 0x10 ? 10 : 0);
}

/** Finds the first frame whose successor is also a frame of the same stream. */
function sync(bytes: Uint8Array, from: number): { at: number; header: MpegHeader } | null {
	for (let at = from; at + 4 <= bytes.length; at++) {
		const header = mpegHeader(bytes, at);
		if (!header) continue;
		const next = mpegHeader(bytes, at + header.length);
		if (next && next.signature === header.signature) return { at, header };
	}
	return null;
}

/** MP3 (MPEG-1/2/2.5 layer III, also I/II): frames split in JS, decoded by WebCodecs. */
export async function openMp3(blob: Blob, head: Uint8Array): Promise<AudioStream> {
	let start = 0;
	// Skip (possibly repeated) ID3v2 tags.
	for (let size = id3Size(head); size > 0; size = id3Size(await readBytes(blob, start, start + 10))) start += size;
	const probe = await readBytes(blob, start, start + 64 * 1024);
	const first = sync(probe, 0);
	if (!first) throw new WorkerError('corrupt', 'mp3: no MPEG audio frames found', { format: 'mp3' });
	start += first.at;
	const { sampleRate, channels } = first.header;
	const encoderHeader = mp3EncoderHeader(await readBytes(blob, start, start + first.header.length), first.header);
	if (encoderHeader?.skipFrame) start += first.header.length;
	const avgFrame = first.header.length;
	const estimatedFrames = (blob.size - start) / avgFrame;
	const signature = first.header.signature;

	async function* packets(signal: AbortSignal): AsyncGenerator<EncodedPacket> {
		let pending: Uint8Array = new Uint8Array(0);
		let timestamp = 0;
		const frameUs = (first!.header.samples / sampleRate) * 1e6;
		for await (const slice of sliceStream(blob, start, blob.size, signal)) {
			const bytes = concat(pending, slice);
			let at = 0;
			while (at + 4 <= bytes.length) {
				const header = mpegHeader(bytes, at);
				if (!header || header.signature !== signature) {
					// Lost sync (junk, a tag at the end): resync on the next matching frame pair.
					const found = sync(bytes, at + 1);
					if (!found) {
						at = Math.max(at, bytes.length - 4096);
						break;
					}
					at = found.at;
					continue;
				}
				if (at + header.length > bytes.length) break;
				yield { data: bytes.slice(at, at + header.length), timestamp };
				timestamp += frameUs;
				at += header.length;
			}
			pending = bytes.slice(at);
		}
	}

	return {
		format: 'mp3',
		leadSec: encoderHeader?.skipFrame ? (first.header.samples + encoderHeader.trimStart) / sampleRate : 0,
		durationSec: (encoderHeader?.totalSamples ?? estimatedFrames * first.header.samples) / sampleRate,
		blocks: (signal) =>
			trimBlocks(
				decodePackets('mp3', { codec: 'mp3', sampleRate, numberOfChannels: channels }, packets(signal), signal),
				encoderHeader?.trimStart ?? 0,
				encoderHeader?.totalSamples ?? Infinity
			)
	};
}
