/**
 * A cheap structural check of compressed audio, run over bytes the importer already holds (no decoding):
 * MP3 frame headers are walked one to the next, FLAC frames are found by their sync code and header CRC-8
 * and must be numbered without gaps, Ogg pages must follow one another with valid CRC-32s and sequence
 * numbers. Where the chain breaks, the file is damaged there; the same walk counts the audio exactly, so
 * it also gives the duration (VBR MP3 without a Xing header, Ogg without a second pass over the file) and
 * finds files cut short of their declared length. Bytes can arrive in slices (long mixes stream through).
 *
 * Not covered (no framing to check): damage inside PCM (WAV/AIFF) or inside MP4 sample data, and a few
 * bytes changed inside one FLAC frame; decoding (analysis) finds those.
 */
import { DAMAGE_PLACES, type AudioDamage } from './damage';
import type { AudioFormat } from './sniff';

/** One damaged stretch of the file. */
export interface DamagedSpan {
	/** Byte offset in the file where the damage starts. */
	offset: number;
	bytes: number;
	/** Seconds into the audio where it starts. */
	at: number;
	/** Seconds of audio lost (estimated from the neighbouring frames where the format does not number them). */
	seconds: number;
}

export interface FrameCheck {
	/** Audio frames (MP3, FLAC) or pages (Ogg) that passed. */
	frames: number;
	/** Seconds of audio counted from the frames themselves, or null if they give none. */
	duration: number | null;
	damaged: DamagedSpan[];
	damagedBytes: number;
	/** Bytes held by good frames. */
	audioBytes: number;
	/** The declared length (Xing frame count, FLAC total samples) is longer than the audio found. */
	truncated: { found: number; declared: number } | null;
	/** The last frame or page stops short: the file seems cut off here (seconds). */
	endsAbruptly: number | null;
}

export interface FrameChecker {
	/** Feeds the next bytes of the file, in order; `final` with the last ones. */
	push(bytes: Uint8Array, final: boolean): void;
	result(): FrameCheck;
}

/** Longer stretches than this that hold no frame are damage, shorter ones are ignored as padding. */
const SLACK_BYTES = 4;

interface Walker {
	/** Walks `data` (file offset `base`); returns how many leading bytes are done with. */
	walk(data: Uint8Array, base: number, final: boolean): number;
	result(): Omit<FrameCheck, 'damagedBytes'>;
}

/** A walker for this format, or null when the format has no framing to check (WAV, AIFF, MP4). */
export function createFrameChecker(format: AudioFormat, audioStart = 0): FrameChecker | null {
	const walker: Walker | null =
		format === 'mp3'
			? new Mp3Walker(audioStart)
			: format === 'flac'
				? new FlacWalker(audioStart)
				: format === 'ogg'
					? new OggWalker()
					: null;
	if (!walker) return null;
	let carry: Uint8Array | null = null;
	let base = 0;
	return {
		push(bytes, final) {
			let data = bytes;
			if (carry && carry.length) {
				data = new Uint8Array(carry.length + bytes.length);
				data.set(carry);
				data.set(bytes, carry.length);
			}
			const done = walker.walk(data, base, final);
			// Keep only what is undecided (at most a frame or page): copied, so the caller's slice can go.
			carry = final ? null : data.slice(done);
			base += done;
		},
		result() {
			const out = walker.result();
			return { ...out, damagedBytes: out.damaged.reduce((sum, span) => sum + span.bytes, 0) };
		}
	};
}

/** Bookkeeping shared by the walkers: open damage, spans, seconds per byte of good audio. */
class Damage {
	spans: DamagedSpan[] = [];
	start = -1;
	at = 0;

	open(offset: number, at: number): void {
		if (this.start >= 0) return;
		this.start = offset;
		this.at = at;
	}

	/** Closes open damage at `offset`; `seconds` when the format says how much audio is missing. */
	close(offset: number, seconds: number | null, secondsPerByte: number): void {
		if (this.start < 0) return;
		const bytes = offset - this.start;
		if (bytes > SLACK_BYTES || (seconds ?? 0) > 0)
			this.spans.push({ offset: this.start, bytes, at: this.at, seconds: seconds ?? bytes * secondsPerByte });
		this.start = -1;
	}
}

const ascii = (b: Uint8Array, at: number, text: string) => {
	if (at + text.length > b.length) return false;
	for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
	return true;
};

// ---------------------------------------------------------------------------------------------- MP3

const MPEG_BITRATES = {
	// [version 1][layer I, II, III], [version 2/2.5][layer I, II/III] in kbit/s, index 1–14.
	v1: [
		[0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
		[0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
		[0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
	],
	v2: [
		[0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
		[0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
	]
};
const MPEG_RATES = [44100, 48000, 32000];

interface MpegFrame {
	length: number;
	samples: number;
	sampleRate: number;
	/** Version, layer and sample-rate bits: constant through a stream. */
	key: number;
}

/** The MPEG audio frame whose header starts at `at`, or null. */
function mpegFrame(b: Uint8Array, at: number): MpegFrame | null {
	if (at + 4 > b.length || b[at] !== 0xff) return null;
	const b1 = b[at + 1]!;
	const b2 = b[at + 2]!;
	if ((b1 & 0xe0) !== 0xe0) return null;
	const version = (b1 >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
	const layer = (b1 >> 1) & 3; // 1: III, 2: II, 3: I
	const bitrateIndex = b2 >> 4;
	const rateIndex = (b2 >> 2) & 3;
	if (version === 1 || layer === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
	const v1 = version === 3;
	const kbps = v1 ? MPEG_BITRATES.v1[3 - layer]![bitrateIndex]! : MPEG_BITRATES.v2[layer === 3 ? 0 : 1]![bitrateIndex]!;
	const sampleRate = MPEG_RATES[rateIndex]! / (v1 ? 1 : version === 2 ? 2 : 4);
	const padding = (b2 >> 1) & 1;
	let length: number;
	let samples: number;
	if (layer === 3) {
		samples = 384;
		length = (Math.floor((12 * kbps * 1000) / sampleRate) + padding) * 4;
	} else {
		samples = layer === 2 || v1 ? 1152 : 576;
		length = Math.floor(((samples / 8) * kbps * 1000) / sampleRate) + padding;
	}
	return { length, samples, sampleRate, key: (b1 & 0x1e) | (rateIndex << 8) };
}

class Mp3Walker implements Walker {
	#start: number;
	#key = -1;
	#frames = 0;
	#samples = 0;
	#sampleRate = 0;
	#audioBytes = 0;
	#declaredFrames = 0;
	#first = true;
	#ended = false;
	#endsAbruptly: number | null = null;
	#damage = new Damage();

	constructor(start: number) {
		this.#start = start;
	}

	#seconds = () => (this.#sampleRate ? this.#samples / this.#sampleRate : 0);
	#perByte = () => (this.#audioBytes ? this.#seconds() / this.#audioBytes : 0);

	/** A frame of this stream at `at`, followed by another (or by the end of the data when `final`). */
	#confirmed(b: Uint8Array, at: number, final: boolean): MpegFrame | 'more' | null {
		const frame = mpegFrame(b, at);
		if (!frame || (this.#key >= 0 && frame.key !== this.#key)) return at + 4 > b.length && !final ? 'more' : null;
		const next = at + frame.length;
		if (next + 4 > b.length) return final ? frame : 'more';
		const second = mpegFrame(b, next);
		return second && second.key === frame.key ? frame : this.#isTrailer(b, next) ? frame : null;
	}

	/** ID3v1, APEv2 and Lyrics3 tags follow the audio. */
	#isTrailer(b: Uint8Array, at: number): boolean {
		return ascii(b, at, 'TAG') || ascii(b, at, 'APETAGEX') || ascii(b, at, 'LYRICSBEGIN');
	}

	walk(b: Uint8Array, base: number, final: boolean): number {
		let i = Math.max(0, this.#start - base);
		if (i >= b.length) return b.length;
		while (i < b.length) {
			if (this.#ended) return b.length;
			const frame = this.#key >= 0 && this.#damage.start < 0 ? mpegFrame(b, i) : null;
			if (frame && frame.key === this.#key) {
				if (i + frame.length > b.length) {
					if (!final) return i;
					// The last frame stops short.
					this.#endsAbruptly = this.#seconds();
					this.#ended = true;
					return b.length;
				}
				this.#count(b, i, frame);
				i += frame.length;
				continue;
			}
			if (i + 4 > b.length && !final) return i;
			if (this.#key >= 0 && this.#isTrailer(b, i)) {
				this.#ended = true;
				return b.length;
			}
			// Not a frame of this stream: look for the next place where two frames follow each other.
			if (this.#key >= 0) this.#damage.open(base + i, this.#seconds());
			let found = -1;
			let j = i;
			for (;;) {
				j = b.indexOf(0xff, j);
				if (j < 0) break;
				const frame = this.#confirmed(b, j, final);
				if (frame === 'more') return j;
				if (frame) {
					found = j;
					break;
				}
				j++;
			}
			if (found < 0) {
				if (!final) return Math.max(i, b.length - 4);
				// Nothing more: the rest is damage (or, before any frame, not MPEG audio at all).
				if (this.#key >= 0 && this.#damage.start >= 0) this.#damage.close(base + b.length, null, this.#perByte());
				this.#ended = true;
				return b.length;
			}
			const frame2 = mpegFrame(b, found)!;
			if (this.#key < 0) this.#key = frame2.key;
			else this.#damage.close(base + found, null, this.#perByte());
			i = found;
		}
		return b.length;
	}

	#count(b: Uint8Array, at: number, frame: MpegFrame): void {
		if (this.#first) {
			this.#first = false;
			this.#sampleRate = frame.sampleRate;
			// A Xing/Info frame carries no audio but the frame count the encoder wrote.
			const tag = this.#xingFrames(b, at, frame.length);
			if (tag !== null) {
				this.#declaredFrames = tag;
				this.#frames = -1; // the tag frame itself is not audio
			}
		}
		this.#frames++;
		if (this.#frames > 0) {
			this.#samples += frame.samples;
			this.#audioBytes += frame.length;
		}
	}

	#xingFrames(b: Uint8Array, at: number, length: number): number | null {
		const end = Math.min(b.length, at + length);
		for (let i = at + 4; i + 12 <= end && i < at + 48; i++) {
			if (ascii(b, i, 'Xing') || ascii(b, i, 'Info')) {
				const flags = b[i + 7]!;
				return flags & 1 ? ((b[i + 8]! << 24) | (b[i + 9]! << 16) | (b[i + 10]! << 8) | b[i + 11]!) >>> 0 : 0;
			}
		}
		return null;
	}

	result(): Omit<FrameCheck, 'damagedBytes'> {
		const frames = Math.max(0, this.#frames);
		// Frames the damage took are not missing from the end.
		const lostFrames =
			this.#damage.spans.reduce((sum, span) => sum + span.bytes, 0) / (this.#audioBytes / Math.max(1, frames) || 1);
		const missing = this.#declaredFrames - frames - lostFrames;
		return {
			frames,
			duration: frames ? this.#seconds() : null,
			damaged: this.#damage.spans,
			audioBytes: this.#audioBytes,
			truncated:
				this.#declaredFrames > 0 && missing > Math.max(40, this.#declaredFrames * 0.01)
					? { found: this.#seconds(), declared: (this.#seconds() * this.#declaredFrames) / Math.max(1, frames) }
					: null,
			endsAbruptly: this.#endsAbruptly
		};
	}
}

// --------------------------------------------------------------------------------------------- FLAC

const CRC8 = (() => {
	const table = new Uint8Array(256);
	for (let i = 0; i < 256; i++) {
		let c = i;
		for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
		table[i] = c;
	}
	return table;
})();

const FLAC_BLOCK_SIZES = [0, 192, 576, 1152, 2304, 4608, -8, -16, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

interface FlacFrame {
	/** Header length in bytes. */
	length: number;
	/** First sample of the frame. */
	sample: number;
	blockSize: number;
	/** Bits that stay the same through a stream (blocking, sample rate, channels, sample size codes). */
	key: number;
}

/** The FLAC frame header at `at` (sync code, fields, CRC-8), or null; 'more' when it runs past the data. */
function flacFrame(b: Uint8Array, at: number, fixedBlock: number): FlacFrame | 'more' | null {
	if (at + 6 > b.length) return 'more';
	if (b[at] !== 0xff || (b[at + 1]! & 0xfe) !== 0xf8) return null;
	const variable = b[at + 1]! & 1;
	const sizeCode = b[at + 2]! >> 4;
	const rateCode = b[at + 2]! & 0xf;
	const b3 = b[at + 3]!;
	if (sizeCode === 0 || rateCode === 15 || b3 >> 4 > 10 || (b3 & 0xe) === 6 || (b3 & 0xe) === 0xe || b3 & 1)
		return null;
	// The frame (fixed blocking) or sample (variable) number, UTF-8 style coded.
	let i = at + 4;
	const lead = b[i]!;
	// Leading ones say how many continuation bytes follow (0–6), the rest of the byte is the top bits.
	const extra = lead < 0x80 ? 0 : lead === 0xfe ? 6 : Math.clz32(~(lead << 24)) - 1;
	if (extra < 0 || extra > 6 || (lead & 0xc0) === 0x80) return null;
	let number = lead & (0x7f >> extra);
	if (i + 1 + extra + 4 + 1 > b.length) return 'more';
	for (let k = 1; k <= extra; k++) {
		const c = b[i + k]!;
		if ((c & 0xc0) !== 0x80) return null;
		number = number * 64 + (c & 0x3f);
	}
	i += 1 + extra;
	let blockSize = FLAC_BLOCK_SIZES[sizeCode]!;
	if (blockSize === -8) blockSize = b[i++]! + 1;
	else if (blockSize === -16) {
		blockSize = ((b[i]! << 8) | b[i + 1]!) + 1;
		i += 2;
	}
	if (rateCode === 12) i += 1;
	else if (rateCode === 13 || rateCode === 14) i += 2;
	let crc = 0;
	for (let k = at; k < i; k++) crc = CRC8[crc ^ b[k]!]!;
	if (crc !== b[i]) return null;
	return {
		length: i + 1 - at,
		sample: variable ? number : number * (fixedBlock || blockSize),
		blockSize,
		key: (b[at + 1]! << 16) | (rateCode << 8) | b3
	};
}

class FlacWalker implements Walker {
	#at: number;
	#magic = false;
	#metaDone = false;
	#sampleRate = 0;
	#totalSamples = 0;
	#fixedBlock = 0;
	#minFrame = 0;
	#key = -1;
	#frames = 0;
	/** First sample after the last good frame, and where that frame started. */
	#next = 0;
	#lastStart = -1;
	#firstStart = -1;
	#damage = new Damage();

	constructor(start: number) {
		this.#at = start;
	}

	walk(b: Uint8Array, base: number, final: boolean): number {
		let i = this.#at - base;
		if (i >= b.length) return b.length;
		if (!this.#metaDone) {
			if (!this.#magic) {
				if (i + 4 > b.length) return final ? b.length : i;
				this.#magic = true;
				if (ascii(b, i, 'fLaC')) {
					i += 4;
					this.#at += 4;
				}
			}
			// Metadata blocks: STREAMINFO first, the rest (covers, tags) skipped by length.
			while (!this.#metaDone) {
				if (i + 4 > b.length) return final ? b.length : Math.max(0, i);
				const type = b[i]! & 0x7f;
				const last = b[i]! & 0x80;
				const length = (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
				if (type === 0) {
					if (i + 4 + 18 > b.length) return final ? b.length : i;
					const s = i + 4;
					const minBlock = (b[s]! << 8) | b[s + 1]!;
					const maxBlock = (b[s + 2]! << 8) | b[s + 3]!;
					this.#minFrame = (b[s + 4]! << 16) | (b[s + 5]! << 8) | b[s + 6]!;
					this.#sampleRate = (b[s + 10]! << 12) | (b[s + 11]! << 4) | (b[s + 12]! >> 4);
					this.#totalSamples =
						((b[s + 13]! & 0xf) * 2 ** 32 +
							((b[s + 14]! << 24) | (b[s + 15]! << 16) | (b[s + 16]! << 8) | b[s + 17]!)) >>>
						0;
					if (minBlock === maxBlock) this.#fixedBlock = minBlock;
				}
				this.#at = base + i + 4 + length;
				i += 4 + length;
				if (last) this.#metaDone = true;
				if (i > b.length) return b.length;
			}
		}
		let j = i;
		for (;;) {
			j = b.indexOf(0xff, j);
			if (j < 0) {
				this.#at = base + Math.max(i, b.length - 16);
				return final ? b.length : Math.max(i, b.length - 16);
			}
			const frame = flacFrame(b, j, this.#fixedBlock);
			if (frame === 'more') {
				if (final) return b.length;
				this.#at = base + j;
				return j;
			}
			if (frame && (this.#key < 0 || (frame.key === this.#key && frame.sample >= this.#next))) {
				const start = base + j;
				if (this.#key < 0) this.#key = frame.key;
				else if (frame.sample > this.#next) {
					// Frames are missing: the damage runs from the end of the last good frame to this one.
					const lostSeconds = (frame.sample - this.#next) / this.#sampleRate;
					const avg = this.#frames > 1 ? (this.#lastStart - this.#firstStart) / (this.#frames - 1) : 0;
					this.#damage.open(Math.min(start, Math.round(this.#lastStart + avg)), this.#next / this.#sampleRate);
					this.#damage.close(start, lostSeconds, 0);
				}
				if (this.#firstStart < 0) this.#firstStart = start;
				this.#frames++;
				this.#next = frame.sample + frame.blockSize;
				this.#lastStart = start;
				j += Math.max(frame.length, this.#minFrame);
				continue;
			}
			j++;
		}
	}

	result(): Omit<FrameCheck, 'damagedBytes'> {
		const duration = this.#sampleRate && this.#frames ? this.#next / this.#sampleRate : null;
		const missing = this.#totalSamples - this.#next;
		const damaged = this.#damage.spans.reduce((sum, span) => sum + span.bytes, 0);
		return {
			frames: this.#frames,
			duration,
			damaged: this.#damage.spans,
			audioBytes: Math.max(0, this.#lastStart - this.#firstStart - damaged),
			truncated:
				this.#totalSamples > 0 && this.#frames > 0 && missing > Math.max(this.#sampleRate, this.#totalSamples * 0.01)
					? { found: this.#next / this.#sampleRate, declared: this.#totalSamples / this.#sampleRate }
					: null,
			endsAbruptly: null
		};
	}
}

// ---------------------------------------------------------------------------------------------- Ogg

const CRC32 = (() => {
	const table = new Uint32Array(256);
	for (let i = 0; i < 256; i++) {
		let c = i << 24;
		for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
		table[i] = c >>> 0;
	}
	return table;
})();

/** Ogg's CRC-32 of a page, its checksum field counted as zero. */
function oggCrc(b: Uint8Array, at: number, length: number): number {
	let crc = 0;
	const end = at + length;
	for (let i = at; i < end; i++) {
		const byte = i - at >= 22 && i - at < 26 ? 0 : b[i]!;
		crc = ((crc << 8) ^ CRC32[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
	}
	return crc;
}

/** The length of a valid Ogg page at `at`, null if there is none, 'more' when it runs past the data. */
function oggPage(b: Uint8Array, at: number): number | 'more' | null {
	if (at + 27 > b.length) return ascii(b, at, 'OggS'.slice(0, b.length - at)) ? 'more' : null;
	if (!ascii(b, at, 'OggS') || b[at + 4] !== 0) return null;
	const segments = b[at + 26]!;
	if (at + 27 + segments > b.length) return 'more';
	let length = 27 + segments;
	for (let k = 0; k < segments; k++) length += b[at + 27 + k]!;
	if (at + length > b.length) return 'more';
	const stored = (b[at + 22]! | (b[at + 23]! << 8) | (b[at + 24]! << 16) | (b[at + 25]! << 24)) >>> 0;
	return oggCrc(b, at, length) === stored ? length : null;
}

class OggWalker implements Walker {
	#at = 0;
	#serial = -1;
	#sequence = -1;
	#rate = 0;
	#preSkip = 0;
	#granule = 0;
	#pages = 0;
	#audioBytes = 0;
	#endsAbruptly: number | null = null;
	#damage = new Damage();

	#seconds = () => (this.#rate ? Math.max(0, this.#granule - this.#preSkip) / this.#rate : 0);
	#perByte = () => (this.#audioBytes ? this.#seconds() / this.#audioBytes : 0);

	walk(b: Uint8Array, base: number, final: boolean): number {
		let i = this.#at - base;
		while (i < b.length) {
			const page = oggPage(b, i);
			if (page === 'more') {
				if (!final) return ((this.#at = base + i), i);
				// The last page stops short: cut off.
				this.#endsAbruptly = this.#seconds();
				return b.length;
			}
			if (page !== null) {
				this.#page(b, i, base, page);
				i += page;
				continue;
			}
			this.#damage.open(base + i, this.#seconds());
			let j = i + 1;
			let found = -1;
			for (;;) {
				j = b.indexOf(0x4f, j);
				if (j < 0) break;
				const next = oggPage(b, j);
				if (next === 'more' && !final) {
					this.#at = base + j;
					return j;
				}
				if (typeof next === 'number') {
					found = j;
					break;
				}
				j++;
			}
			if (found < 0) {
				if (!final) {
					this.#at = base + Math.max(i + 1, b.length - 4);
					return Math.max(i + 1, b.length - 4);
				}
				this.#damage.close(base + b.length, null, this.#perByte());
				return b.length;
			}
			i = found;
		}
		this.#at = base + i;
		return Math.min(i, b.length);
	}

	#page(b: Uint8Array, at: number, base: number, length: number): void {
		const serial = (b[at + 14]! | (b[at + 15]! << 8) | (b[at + 16]! << 16) | (b[at + 17]! << 24)) >>> 0;
		const sequence = (b[at + 18]! | (b[at + 19]! << 8) | (b[at + 20]! << 16) | (b[at + 21]! << 24)) >>> 0;
		const granuleLow = (b[at + 6]! | (b[at + 7]! << 8) | (b[at + 8]! << 16) | (b[at + 9]! << 24)) >>> 0;
		const granuleHigh = (b[at + 10]! | (b[at + 11]! << 8) | (b[at + 12]! << 16) | (b[at + 13]! << 24)) >>> 0;
		if (this.#serial < 0) {
			// The first stream's identification header: the granule rate.
			this.#serial = serial;
			const body = at + 27 + b[at + 26]!;
			if (ascii(b, body, 'OpusHead')) {
				this.#rate = 48000;
				this.#preSkip = b[body + 10]! | (b[body + 11]! << 8);
			} else if (ascii(b, body + 1, 'vorbis')) {
				this.#rate = (b[body + 12]! | (b[body + 13]! << 8) | (b[body + 14]! << 16) | (b[body + 15]! << 24)) >>> 0;
			} else if (ascii(b, body, '\x7fFLAC')) {
				const s = body + 13 + 4;
				this.#rate = (b[s + 10]! << 12) | (b[s + 11]! << 4) | (b[s + 12]! >> 4);
			}
		}
		if (serial !== this.#serial) {
			this.#damage.close(base + at, null, this.#perByte());
			return;
		}
		// A gap in the page sequence: pages lost in between.
		const lost = this.#sequence >= 0 && sequence !== this.#sequence + 1;
		if (lost) this.#damage.open(base + at, this.#seconds());
		const granule = granuleHigh === 0xffffffff && granuleLow === 0xffffffff ? -1 : granuleHigh * 2 ** 32 + granuleLow;
		const before = this.#seconds();
		if (granule >= 0) this.#granule = granule;
		this.#damage.close(
			base + at,
			this.#damage.start >= 0 && granule >= 0 ? Math.max(0, this.#seconds() - before) : null,
			this.#perByte()
		);
		this.#sequence = sequence;
		this.#pages++;
		this.#audioBytes += length;
	}

	result(): Omit<FrameCheck, 'damagedBytes'> {
		return {
			frames: this.#pages,
			duration: this.#pages && this.#rate ? this.#seconds() : null,
			damaged: this.#damage.spans,
			audioBytes: this.#audioBytes,
			truncated: null,
			endsAbruptly: this.#endsAbruptly
		};
	}
}

// ------------------------------------------------------------------------------------------ verdict

/** Something a file imported with that the user should know (shown per file in the import panel). */
export type ImportWarning =
	/** Audio unreadable in these places (`AudioDamage`). */
	| ({ code: 'damaged' } & AudioDamage)
	/** The last frame or page stops short at `at` seconds. */
	| { code: 'cut-off'; at: number }
	| { code: 'duration-unknown' }
	| { code: 'cover-unreadable' };

export type FrameVerdict =
	| { ok: true; warnings: ImportWarning[]; duration: number | null }
	/** Refused: `found`/`declared` seconds (truncated), or seconds lost of the whole (damaged). */
	| { ok: false; code: 'truncated' | 'damaged'; found: number; of: number };

/**
 * What the import does with a checked file. A file with some damage is still worth having (a DJ can cut
 * around a glitch, and it is the only copy they have): it imports with a warning saying where. A file that
 * is mostly unreadable, or shorter than its own header says, is refused with that reason.
 */
export function frameVerdict(check: FrameCheck): FrameVerdict {
	const lost = check.damaged.reduce((sum, span) => sum + span.seconds, 0);
	const duration = check.duration ?? 0;
	if (check.frames === 0 || lost > duration) return { ok: false, code: 'damaged', found: lost, of: lost + duration };
	if (check.truncated)
		return { ok: false, code: 'truncated', found: check.truncated.found, of: check.truncated.declared };
	const warnings: ImportWarning[] = [];
	if (check.damaged.length)
		warnings.push({
			code: 'damaged',
			places: check.damaged.slice(0, DAMAGE_PLACES).map((span) => span.at),
			count: check.damaged.length,
			seconds: lost
		});
	if (check.endsAbruptly !== null) warnings.push({ code: 'cut-off', at: check.endsAbruptly });
	return { ok: true, warnings, duration: check.duration };
}
