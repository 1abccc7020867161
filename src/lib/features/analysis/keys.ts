/**
 * Musical keys in the three notations DJs use — standard ('A minor'), Camelot ('8A') and Open Key
 * ('1m') — conversions between them, harmonic-mixing neighbours and the MIREX weighted key score.
 */
export type Scale = 'major' | 'minor';
export type KeyNotation = 'standard' | 'camelot' | 'openkey';

export interface MusicalKey {
	/** Pitch class of the tonic, 0 = C … 11 = B. */
	tonic: number;
	scale: Scale;
}

/** Spellings DJs expect: flats for major keys except F#, sharps for minor keys except Eb/Bb. */
const MAJOR_NAMES = ['C', 'Db', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];
const MINOR_NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'G#', 'A', 'Bb', 'B'];
const PITCH: Record<string, number> = {
	C: 0,
	'B#': 0,
	'C#': 1,
	Db: 1,
	D: 2,
	'D#': 3,
	Eb: 3,
	E: 4,
	Fb: 4,
	F: 5,
	'E#': 5,
	'F#': 6,
	Gb: 6,
	G: 7,
	'G#': 8,
	Ab: 8,
	A: 9,
	'A#': 10,
	Bb: 10,
	B: 11,
	Cb: 11
};

const mod12 = (n: number) => ((n % 12) + 12) % 12;

/** The tonic as DJs spell it in this scale: 'A', 'F#', 'Bb' ('C#' minor, 'Db' major). */
export function tonicName(key: MusicalKey): string {
	return (key.scale === 'major' ? MAJOR_NAMES : MINOR_NAMES)[mod12(key.tonic)]!;
}

/** 'A minor', 'F# major'. */
export function toStandard(key: MusicalKey): string {
	return `${tonicName(key)} ${key.scale}`;
}

/** Short standard form: 'Am', 'F#'. */
export function toShort(key: MusicalKey): string {
	const names = key.scale === 'major' ? MAJOR_NAMES : MINOR_NAMES;
	return `${names[mod12(key.tonic)]}${key.scale === 'minor' ? 'm' : ''}`;
}

/** Camelot wheel number 1–12 (C major and A minor are 8). */
export function camelotNumber(key: MusicalKey): number {
	const major = key.scale === 'major' ? key.tonic : key.tonic + 3;
	return mod12(mod12(major) * 7 + 7) + 1;
}

/** '8A' (minor) / '8B' (major). */
export function toCamelot(key: MusicalKey): string {
	return `${camelotNumber(key)}${key.scale === 'minor' ? 'A' : 'B'}`;
}

/** Open Key: '1m' (A minor) / '1d' (C major). */
export function toOpenKey(key: MusicalKey): string {
	return `${mod12(camelotNumber(key) - 8) + 1}${key.scale === 'minor' ? 'm' : 'd'}`;
}

export function formatKey(key: MusicalKey, notation: KeyNotation): string {
	if (notation === 'camelot') return toCamelot(key);
	if (notation === 'openkey') return toOpenKey(key);
	return toStandard(key);
}

function fromWheel(number: number, minor: boolean, offset: number): MusicalKey {
	// Camelot n → major tonic: (n - 8) fifths from C.
	const major = mod12((number - offset) * 7);
	return minor ? { tonic: mod12(major - 3), scale: 'minor' } : { tonic: major, scale: 'major' };
}

/**
 * Parses any of the notations: 'A minor', 'Am', 'A min', 'F#', 'Gb major', '8A', '12B', '1m', '10d'.
 * Returns null for anything else.
 */
export function parseKey(text: string): MusicalKey | null {
	const s = text.trim();
	let m = /^(1[0-2]|[1-9])\s*([ABab])$/.exec(s);
	if (m) return fromWheel(Number(m[1]), m[2]!.toUpperCase() === 'A', 8);
	m = /^(1[0-2]|[1-9])\s*([mdMD])$/.exec(s);
	if (m) return fromWheel(Number(m[1]), m[2]!.toLowerCase() === 'm', 1);
	m = /^([A-Ga-g])\s*([#♯b♭]?)\s*(major|minor|maj|min|m|M)?$/.exec(s);
	if (!m) return null;
	const accidental = m[2] === '♯' ? '#' : m[2] === '♭' ? 'b' : (m[2] ?? '');
	const tonic = PITCH[m[1]!.toUpperCase() + accidental];
	if (tonic === undefined) return null;
	const mode = m[3] ?? '';
	return { tonic, scale: mode === 'm' || mode.toLowerCase().startsWith('min') ? 'minor' : 'major' };
}

/** The relative key (A minor ↔ C major): same Camelot number, other letter. */
export function relativeKey(key: MusicalKey): MusicalKey {
	return key.scale === 'minor'
		? { tonic: mod12(key.tonic + 3), scale: 'major' }
		: { tonic: mod12(key.tonic - 3), scale: 'minor' };
}

/**
 * Harmonic-mixing neighbours on the Camelot wheel: the same key, its relative, one step up and one step
 * down (a fifth above / below), in that order.
 */
export function camelotNeighbours(key: MusicalKey): MusicalKey[] {
	const up = { tonic: mod12(key.tonic + 7), scale: key.scale };
	const down = { tonic: mod12(key.tonic - 7), scale: key.scale };
	return [{ ...key, tonic: mod12(key.tonic) }, relativeKey(key), up, down];
}

export function sameKey(a: MusicalKey, b: MusicalKey): boolean {
	return mod12(a.tonic) === mod12(b.tonic) && a.scale === b.scale;
}

/**
 * MIREX weighted key score of an estimate against the reference: 1 same key, 0.5 a perfect fifth
 * (estimate a fifth above the reference, or below when `descendingFifths`), 0.3 relative, 0.2 parallel,
 * else 0 — as mir_eval's `key.weighted_score`.
 */
export function mirexKeyScore(estimate: MusicalKey, reference: MusicalKey, descendingFifths = false): number {
	const diff = mod12(estimate.tonic - reference.tonic);
	if (estimate.scale === reference.scale) {
		if (diff === 0) return 1;
		if (diff === 7 || (descendingFifths && diff === 5)) return 0.5;
		return 0;
	}
	if (diff === 0) return 0.2;
	if (reference.scale === 'major' && diff === 9) return 0.3;
	if (reference.scale === 'minor' && diff === 3) return 0.3;
	return 0;
}
