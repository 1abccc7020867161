/**
 * File locations as DJ software writes them, turned into plain '/'-separated paths and matched against the
 * folder-relative paths the library keeps (`TrackRow.paths`).
 *
 * rekordbox: `file://localhost/C:/Music/a%20b.mp3` (Windows), `file://localhost/Users/me/a.mp3` (macOS).
 * Traktor: VOLUME `C:` or `Macintosh HD` + DIR `/:Users/:me/:` + FILE. M3U/PLS: a path or a file URL.
 */

/** A path from any location form: URL-decoded, NFC, forward slashes. Returns null if undecodable. */
export function pathFromLocation(location: string): string | null {
	let value = location.trim();
	if (!value) return null;
	if (/^file:/i.test(value)) {
		value = value.replace(/^file:\/\/(localhost)?/i, '');
		try {
			value = decodeURIComponent(value);
		} catch {
			return null;
		}
		// '/C:/Music' → 'C:/Music'
		if (/^\/[A-Za-z]:[\\/]/.test(value)) value = value.slice(1);
	}
	return value.replace(/\\/g, '/').normalize('NFC');
}

/** Percent-encodes a path the way rekordbox writes Location (keeps '/' and ':' of the drive). */
export function locationFromPath(path: string): string {
	const clean = path.replace(/\\/g, '/').normalize('NFC');
	const encoded = clean
		.split('/')
		.map((segment, i) => (i === 0 && /^[A-Za-z]:$/.test(segment) ? segment : encodeURIComponent(segment)))
		.join('/');
	return `file://localhost${encoded.startsWith('/') ? '' : '/'}${encoded}`;
}

/** Joins the export base folder ('C:\\Music', '/Users/me/Music' or '') with a library-relative path. */
export function joinBase(base: string, relative: string): string {
	const b = base.replace(/\\/g, '/').replace(/\/+$/, '');
	const r = relative.replace(/\\/g, '/').replace(/^\/+/, '');
	return b ? `${b}/${r}` : r;
}

export const segmentsOf = (path: string) =>
	path
		.replace(/\\/g, '/')
		.normalize('NFC')
		.split('/')
		.filter((s) => s && s !== '.');

const fold = (s: string) => s.toLocaleLowerCase('en');

/** The base name (file name) of a path, lower-cased for lookups. */
export const baseKey = (path: string) => fold(segmentsOf(path).pop() ?? '');

/**
 * How many trailing segments two paths share (case-insensitive: Windows and default macOS volumes are);
 * 0 when even the file names differ.
 */
export function sharedSuffix(a: string, b: string): number {
	const x = segmentsOf(a).map(fold);
	const y = segmentsOf(b).map(fold);
	let n = 0;
	while (n < x.length && n < y.length && x[x.length - 1 - n] === y[y.length - 1 - n]) n++;
	return n;
}

/** Traktor's LOCATION: volume, DIR with '/:' separators, FILE. */
export function pathFromTraktor(volume: string, dir: string, file: string): string {
	const folder = dir.split('/:').filter(Boolean).join('/');
	const isDrive = /^[A-Za-z]:$/.test(volume);
	const full = `${folder ? `${folder}/` : ''}${file}`;
	return (isDrive ? `${volume}/${full}` : `/${full}`).normalize('NFC');
}

/** Splits a path back into Traktor's VOLUME / DIR / FILE (macOS paths get `volumeName`). */
export function traktorFromPath(
	path: string,
	volumeName = 'Macintosh HD'
): { volume: string; dir: string; file: string } {
	const segments = segmentsOf(path);
	let volume = volumeName;
	if (segments[0] && /^[A-Za-z]:$/.test(segments[0])) volume = segments.shift()!;
	const file = segments.pop() ?? '';
	return { volume, dir: `/:${segments.map((s) => `${s}/:`).join('')}`, file };
}

/** Traktor's PRIMARYKEY KEY for a path: volume + DIR + FILE. */
export function traktorKey(path: string, volumeName = 'Macintosh HD'): string {
	const { volume, dir, file } = traktorFromPath(path, volumeName);
	return `${volume}${dir}${file}`;
}

/** The path a Traktor PRIMARYKEY KEY names (the inverse of traktorKey). */
export function pathFromTraktorKey(key: string): string {
	const at = key.indexOf('/:');
	if (at < 0) return key;
	const volume = key.slice(0, at);
	const parts = key.slice(at).split('/:').filter(Boolean);
	const file = parts.pop() ?? '';
	return pathFromTraktor(volume, `/:${parts.map((p) => `${p}/:`).join('')}`, file);
}
