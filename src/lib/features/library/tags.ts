/**
 * Turns parsed tags (untrusted text from files) into library fields: control and bidi-override
 * characters removed, whitespace collapsed, lengths capped. Markup is kept as text; the UI renders
 * it with text interpolation only.
 */
export const MAX_TAG_LENGTH = 2000;

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * Many taggers write UTF-8 into fields that readers decode as Latin-1 (RIFF INFO, old ID3v1), giving
 * "SÃ£o Paulo". When every character fits a byte and the bytes form valid UTF-8 with multi-byte
 * sequences, the UTF-8 reading is the intended one.
 */
export function repairMojibake(text: string): string {
	// eslint-disable-next-line no-control-regex
	if (!/[\u00c2-\u00f4][\u0080-\u00bf]/.test(text) || /[^\u0000-\u00ff]/.test(text)) return text;
	try {
		const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
		return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	} catch {
		return text;
	}
}

export function cleanText(value: unknown, max = MAX_TAG_LENGTH): string {
	if (value === null || value === undefined) return '';
	const text = Array.isArray(value)
		? value
				.map((v) => cleanText(v, max))
				.filter(Boolean)
				.join('; ')
		: repairMojibake(String(value));
	const cleaned = text.replace(UNSAFE, '').replace(/\s+/g, ' ').trim();
	if (cleaned.length <= max) return cleaned;
	// Cut on a code-point boundary so no half surrogate pair remains.
	return [...cleaned.slice(0, max + 1)].slice(0, max).join('').slice(0, max);
}

export function cleanNumber(value: unknown, min: number, max: number): number | null {
	const n = typeof value === 'string' ? Number.parseFloat(value) : typeof value === 'number' ? value : NaN;
	return Number.isFinite(n) && n >= min && n <= max ? n : null;
}

/** The subset of music-metadata's result this module reads (kept structural for tests). */
export interface ParsedTags {
	common: {
		title?: string;
		artist?: string;
		artists?: string[];
		album?: string;
		albumartist?: string;
		genre?: string[];
		year?: number;
		track?: { no: number | null };
		disk?: { no: number | null };
		comment?: ({ text?: string } | string)[];
		label?: string[];
		isrc?: string[];
		bpm?: number;
		key?: string;
	};
	format: {
		container?: string;
		codec?: string;
		duration?: number;
		bitrate?: number;
		sampleRate?: number;
		numberOfChannels?: number;
	};
}

export interface TrackTags {
	title: string;
	artist: string;
	album: string;
	albumArtist: string;
	genre: string;
	year: number | null;
	trackNo: number | null;
	discNo: number | null;
	comment: string;
	label: string;
	isrc: string;
	tagBpm: number | null;
	tagKey: string;
	duration: number;
	container: string;
	codec: string;
	bitrate: number;
	sampleRate: number;
	channels: number;
}

export function tagsFromMetadata(meta: ParsedTags, fallbackTitle: string): TrackTags {
	const { common, format } = meta;
	const comments = (common.comment ?? []).map((c) => (typeof c === 'string' ? c : (c.text ?? '')));
	return {
		title: cleanText(common.title) || fallbackTitle,
		artist: cleanText(common.artist ?? common.artists),
		album: cleanText(common.album),
		albumArtist: cleanText(common.albumartist),
		genre: cleanText(common.genre),
		year: cleanNumber(common.year, 1000, 3000),
		trackNo: cleanNumber(common.track?.no, 0, 10_000),
		discNo: cleanNumber(common.disk?.no, 0, 1000),
		comment: cleanText(comments),
		label: cleanText(common.label),
		isrc: cleanText(common.isrc, 64),
		tagBpm: cleanNumber(common.bpm, 20, 400),
		tagKey: cleanText(common.key, 16),
		duration: cleanNumber(format.duration, 0, 7 * 24 * 3600) ?? 0,
		container: cleanText(format.container, 64),
		codec: cleanText(format.codec, 64),
		bitrate: Math.round(cleanNumber(format.bitrate, 0, 100_000_000) ?? 0),
		sampleRate: Math.round(cleanNumber(format.sampleRate, 0, 1_000_000) ?? 0),
		channels: Math.round(cleanNumber(format.numberOfChannels, 0, 64) ?? 0)
	};
}
