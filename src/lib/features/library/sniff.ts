/**
 * Recognises audio containers by their first bytes, so a text or image renamed `.mp3` is refused with a
 * clear reason before any parser sees it, and WAV/AIFF files shorter than their headers declare are
 * reported as truncated.
 */
export type AudioFormat = 'mp3' | 'flac' | 'ogg' | 'mp4' | 'wav' | 'aiff';

export interface SniffResult {
	format: AudioFormat;
	/** Set when the header declares more bytes than the file has. */
	truncated: boolean;
	/** Where the audio stream starts (after a leading ID3v2 tag). */
	audioStart: number;
}

/** How many leading bytes `sniffAudio` needs. */
export const SNIFF_BYTES = 64 * 1024;

const ascii = (bytes: Uint8Array, at: number, text: string) =>
	bytes.length >= at + text.length && [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

const u32be = (b: Uint8Array, at: number) =>
	((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u32le = (b: Uint8Array, at: number) =>
	(b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

function isMpegFrameHeader(b: Uint8Array, at: number): boolean {
	if (at + 4 > b.length) return false;
	if (b[at] !== 0xff || (b[at + 1]! & 0xe0) !== 0xe0) return false;
	const version = (b[at + 1]! >> 3) & 0x3;
	const layer = (b[at + 1]! >> 1) & 0x3;
	const bitrate = b[at + 2]! >> 4;
	const sampleRate = (b[at + 2]! >> 2) & 0x3;
	// MPEG-2.5/2/1 layer I–III, valid bitrate and sample-rate indexes; AAC ADTS has layer 0.
	if (layer === 0) return version !== 1 && (b[at + 1]! & 0xf6) === 0xf0;
	return version !== 1 && bitrate !== 0xf && bitrate !== 0 && sampleRate !== 0x3;
}

export function sniffAudio(bytes: Uint8Array, fileSize: number): SniffResult | null {
	let at = 0;
	// ID3v2 tags can precede MP3, AAC (ADTS) and even FLAC streams.
	if (ascii(bytes, 0, 'ID3') && bytes.length >= 10) {
		const size =
			((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f);
		at = 10 + size + (bytes[5]! & 0x10 ? 10 : 0);
		// A tag larger than the sniffed prefix (e.g. a 5 MB cover): trust the tag, the parser decides.
		if (at >= bytes.length) return { format: 'mp3', truncated: at > fileSize, audioStart: at };
	}
	if (ascii(bytes, at, 'fLaC')) return { format: 'flac', truncated: false, audioStart: at };
	if (ascii(bytes, at, 'OggS')) return { format: 'ogg', truncated: false, audioStart: at };
	if (ascii(bytes, 4, 'ftyp')) return { format: 'mp4', truncated: false, audioStart: 0 };
	if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE'))
		return { format: 'wav', truncated: u32le(bytes, 4) + 8 > fileSize, audioStart: 0 };
	if (ascii(bytes, 0, 'FORM') && (ascii(bytes, 8, 'AIFF') || ascii(bytes, 8, 'AIFC'))) {
		return { format: 'aiff', truncated: u32be(bytes, 4) + 8 > fileSize, audioStart: 0 };
	}
	// Raw MPEG audio: require two consecutive plausible frame headers to avoid false positives.
	for (let i = at; i < Math.min(bytes.length - 4, at + 8192); i++) {
		if (isMpegFrameHeader(bytes, i)) {
			const next =
				i +
				1 +
				bytes
					.subarray(i + 1, Math.min(bytes.length, i + 4000))
					.findIndex((v, j) => v === 0xff && isMpegFrameHeader(bytes, i + 1 + j));
			if (next > i) return { format: 'mp3', truncated: false, audioStart: at };
		}
	}
	return null;
}
