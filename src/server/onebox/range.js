/**
 * One byte range from a `Range` header (RFC 9110 §14); null means "ignore the header and send the
 * whole file" (also for several ranges, which only multipart/byteranges could answer).
 * @param {string} header
 * @param {number} size
 * @returns {{ start: number, end: number } | 'unsatisfiable' | null}
 */
export function parseRange(header, size) {
	const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
	if (!match) return null;
	const specs = /** @type {string} */ (match[1]).split(',');
	// Several ranges would need a multipart/byteranges answer: the whole file is the allowed alternative.
	if (specs.length > 1) return null;
	const first = specs[0]?.trim() ?? '';
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
