/**
 * Musical keys as DJs filter on them: any common spelling ("Am", "A minor", "8A", Open Key "1m",
 * "Bbm", "A#m") to a Camelot code, and the codes that mix harmonically with a given one.
 */
const NOTE_INDEX: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };
// Camelot number for major keys by pitch class (C = 8B), and for minor keys (A minor = 8A).
const MAJOR_CAMELOT = [8, 3, 10, 5, 12, 7, 2, 9, 4, 11, 6, 1];
const MINOR_CAMELOT = [5, 12, 7, 2, 9, 4, 11, 6, 1, 8, 3, 10];

export function toCamelot(raw: string): string | null {
	const key = raw.trim();
	if (!key) return null;
	const camelot = /^(1[0-2]|[1-9])\s*([ab])$/i.exec(key);
	if (camelot) return `${Number(camelot[1])}${camelot[2]!.toUpperCase()}`;
	// Open Key: 1d = C major (8B), 1m = A minor (8A); numbers shift by 7 from Camelot.
	const open = /^(1[0-2]|[1-9])\s*([dm])$/i.exec(key);
	if (open) {
		const n = ((Number(open[1]) + 6) % 12) + 1;
		return `${n}${open[2]!.toLowerCase() === 'd' ? 'B' : 'A'}`;
	}
	const named = /^([a-g])\s*(#|♯|b|♭)?\s*(m|min|minor|maj|major)?$/i.exec(key.replace(/\s+/g, ' '));
	if (!named) return null;
	let pitch = NOTE_INDEX[named[1]!.toLowerCase()]!;
	if (named[2] === '#' || named[2] === '♯') pitch += 1;
	if (named[2] === 'b' || named[2] === '♭') pitch -= 1;
	pitch = (pitch + 12) % 12;
	const minor = /^m(in(or)?)?$/i.test(named[3] ?? '') && named[3] !== 'M';
	return minor ? `${MINOR_CAMELOT[pitch]}A` : `${MAJOR_CAMELOT[pitch]}B`;
}

/** Same key, one step either way on the wheel, and the relative major/minor. */
export function camelotNeighbours(code: string): string[] {
	const match = /^(1[0-2]|[1-9])([AB])$/.exec(code);
	if (!match) return [];
	const n = Number(match[1]);
	const letter = match[2]!;
	const wrap = (x: number) => ((x + 11) % 12) + 1;
	return [code, `${wrap(n - 1)}${letter}`, `${wrap(n + 1)}${letter}`, `${n}${letter === 'A' ? 'B' : 'A'}`];
}
