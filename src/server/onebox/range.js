/**
 * One byte range from a `Range` header (RFC 9110 §14). Several ranges are answered with the first
 * one only, which clients accept (a 206 with Content-Range says which part came); null means "ignore
 * the header and send the whole file".
 * @param {string} header
 * @param {number} size
 * @returns {{ start: number, end: number } | 'unsatisfiable' | null}
 */
export function parseRange(header, size) {
	const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
	if (!match) return null;
	const first = /** @type {string} */ (match[1]).split(',')[0]?.trim() ?? '';
	const m = /^(\d*)\s*-\s*(\d*)$/.exec(first);
	if (!m || (m[1] === '' && m[2] === '')) return null;
	if (m[1] === '') {
		// Suffix range: the last N bytes.
		const n = Number(m[2]);
		if (n === 0 || size === 0) return 'unsatisfiable';
		return { start: Math.max(0, size - n), end: size - 1 };
	}
	const start = Number(m[1]);
	const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
	if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable';
	if (end < start) return null;
	return { start, end };
}
