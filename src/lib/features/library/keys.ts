/**
 * Musical keys as the library filters on them, as Camelot codes: thin string adapters over the one key
 * model in `analysis/keys.ts` (which parses every spelling: "Am", "A minor", "8A", Open Key "1m", "Bbm").
 */
import { camelotNeighbours as neighbourKeys, parseKey, toCamelot as camelotOf } from '../analysis/keys';

export function toCamelot(raw: string): string | null {
	const key = parseKey(raw);
	return key ? camelotOf(key) : null;
}

/** Same key, one step either way on the wheel, and the relative major/minor (as Camelot codes). */
export function camelotNeighbours(code: string): string[] {
	if (!/^(1[0-2]|[1-9])[AB]$/.test(code)) return [];
	const [same, relative, up, down] = neighbourKeys(parseKey(code)!).map(camelotOf);
	return [same!, down!, up!, relative!];
}
