/**
 * Which streamed tracks can go through MediaSource: it needs a byte-stream format the browser can parse
 * from the first bytes. MP3 (`audio/mpeg`) and raw AAC in ADTS (`audio/aac`) can; an ordinary .m4a is not
 * fragmented MP4 (MediaSource's `audio/mp4` needs moof fragments), and FLAC/WAV/Ogg/AIFF have no
 * MediaSource byte-stream format in Chromium — those play once all bytes have arrived and were verified.
 */
export type StreamFormat = { mode: 'mse'; mime: string; label: string } | { mode: 'progressive'; label: string };

const ascii = (bytes: Uint8Array, at: number, length: number) =>
	String.fromCharCode(...bytes.subarray(at, at + length));

/** Sniffs the container from the first bytes (at least 12); `supported` is MediaSource.isTypeSupported. */
export function streamFormat(head: Uint8Array, supported: (mime: string) => boolean): StreamFormat {
	const mse = (mime: string, label: string): StreamFormat =>
		supported(mime) ? { mode: 'mse', mime, label } : { mode: 'progressive', label };
	if (head.length >= 3 && ascii(head, 0, 3) === 'ID3') return mse('audio/mpeg', 'MP3');
	if (head.length >= 2 && head[0] === 0xff && (head[1]! & 0xe0) === 0xe0) {
		// Layer bits 00 is ADTS (AAC); anything else is an MPEG audio frame.
		if ((head[1]! & 0x06) === 0) return mse('audio/aac', 'AAC');
		return mse('audio/mpeg', 'MP3');
	}
	if (head.length >= 12 && ascii(head, 4, 4) === 'ftyp') return { mode: 'progressive', label: 'M4A' };
	if (head.length >= 4 && ascii(head, 0, 4) === 'fLaC') return { mode: 'progressive', label: 'FLAC' };
	if (head.length >= 4 && ascii(head, 0, 4) === 'OggS') return { mode: 'progressive', label: 'Ogg' };
	if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF') return { mode: 'progressive', label: 'WAV' };
	if (head.length >= 12 && ascii(head, 0, 4) === 'FORM') return { mode: 'progressive', label: 'AIFF' };
	return { mode: 'progressive', label: '' };
}
