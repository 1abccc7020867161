/**
 * Where "second 0" is, per decoder. Measured in Chromium (offsets.browser.spec.ts, a click at sample 44,100
 * of a 44.1 kHz file encoded by LAME 3.100 through ffmpeg):
 *
 * | file                          | ffmpeg / mpg123 | decodeAudioData (player) | analysis v1 (every frame)           | analysis v2 |
 * | ----------------------------- | --------------- | ------------------------ | ----------------------------------- | ----------- |
 * | LAME/Info frame (delay 576)   | 44,100          | 44,100                   | 46,357 (+1152 Info frame +576 +529) | 44,100      |
 * | no Xing/LAME (`-write_xing 0`)| 45,205 (+1105)  | 45,205                   | 45,205                              | 45,205      |
 *
 * So the player and gapless-aware tools (ffmpeg, mpg123 — the timeline DJ software reads LAME headers for)
 * agree: exchanged cue times need no shift. Analyser version 1 fed every MPEG frame, including the Info
 * frame, to WebCodecs without trimming, so for an MP3 with an Info/Xing frame its beat grid is late by one
 * frame (+ encoder delay + 529 decoder delay when a LAME tag gives the delay); version 2 trims as the player
 * does. Grids of version 1 MP3 results (`onDecoderTimeline`, until they are analysed again) are moved by
 * that much on export and on import; every other grid is exchanged as it is. Other formats decode with no
 * priming difference here (AAC priming is not trimmed by either path the same way — not measured: no shift
 * applied).
 */

/** What an MP3's first frame says about its priming and padding. */
export interface Mp3Priming {
	sampleRate: number;
	samplesPerFrame: number;
	/** The first frame is a Xing/Info frame (no audio; gapless decoders skip it). */
	infoFrame: boolean;
	/** LAME tag encoder delay and padding in samples (null without a LAME tag). */
	encoderDelay: number | null;
	padding: number | null;
}

/** MPEG decoders (libmad, mpg123, ffmpeg's mp3float) output 529 samples of filter delay first. */
export const DECODER_DELAY = 529;

/** Bytes of the ID3v2 tag at the start of the file (0 without one). */
export function id3Size(head: Uint8Array): number {
	if (head[0] !== 0x49 || head[1] !== 0x44 || head[2] !== 0x33) return 0;
	const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
	return 10 + size + (head[5]! & 0x10 ? 10 : 0);
}

const RATES = [44100, 48000, 32000];

/** Reads the priming of an MP3 from its first bytes (ID3v2 + first frame: 64 KiB is plenty). */
export function mp3Priming(bytes: Uint8Array): Mp3Priming | null {
	let at = id3Size(bytes);
	for (; at + 4 <= bytes.length; at++) if (bytes[at] === 0xff && (bytes[at + 1]! & 0xe0) === 0xe0) break;
	if (at + 4 > bytes.length) return null;
	const b1 = bytes[at + 1]!;
	const version = (b1 >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
	const layer = (b1 >> 1) & 3; // 1: layer III
	const rateIndex = (bytes[at + 2]! >> 2) & 3;
	if (version === 1 || layer !== 1 || rateIndex === 3) return null;
	const mono = bytes[at + 3]! >> 6 === 3;
	const sampleRate = RATES[rateIndex]! / (version === 3 ? 1 : version === 2 ? 2 : 4);
	const samplesPerFrame = version === 3 ? 1152 : 576;
	const sideInfo = version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17;
	const xing = at + 4 + sideInfo;
	const tag = String.fromCharCode(...bytes.subarray(xing, xing + 4));
	const infoFrame = tag === 'Xing' || tag === 'Info';
	let encoderDelay: number | null = null;
	let padding: number | null = null;
	if (infoFrame) {
		const flags = bytes[xing + 7]!;
		// Optional fields: frames (4), bytes (4), TOC (100), quality (4); the LAME tag follows.
		const lame = xing + 8 + (flags & 1 ? 4 : 0) + (flags & 2 ? 4 : 0) + (flags & 4 ? 100 : 0) + (flags & 8 ? 4 : 0);
		const encoder = String.fromCharCode(...bytes.subarray(lame, lame + 4));
		if (/^(LAME|Lavc|Lavf|L3.9|GOGO)/.test(encoder) && lame + 24 <= bytes.length) {
			const d = bytes.subarray(lame + 21, lame + 24);
			encoderDelay = (d[0]! << 4) | (d[1]! >> 4);
			padding = ((d[1]! & 0x0f) << 8) | d[2]!;
		}
	}
	return { sampleRate, samplesPerFrame, infoFrame, encoderDelay, padding };
}

/**
 * Seconds the analysis worker's timeline runs ahead of the player's (and the exchanged files') for this
 * MP3: the Info frame it decodes, plus the priming a gapless decoder trims when the LAME tag gives it.
 */
export function analysisLeadSec(priming: Mp3Priming | null): number {
	if (!priming || !priming.infoFrame) return 0;
	const samples = priming.samplesPerFrame + (priming.encoderDelay !== null ? priming.encoderDelay + DECODER_DELAY : 0);
	return samples / priming.sampleRate;
}
