import type { XIssue } from './model';

/** A number attribute, or null (empty, NaN, out of range: the latter two reported). */
export function readNumber(
	value: string | undefined,
	issues: XIssue[],
	where: string,
	field: string,
	{ min = -Infinity, max = Infinity }: { min?: number; max?: number } = {}
): number | null {
	if (value === undefined || value.trim() === '') return null;
	const n = Number(value.trim());
	if (!Number.isFinite(n) || n < min || n > max) {
		issues.push({ code: 'bad-number', where, detail: `${field}="${value.slice(0, 40)}"` });
		return null;
	}
	return n;
}

/** A tempo: 0 means none; negative, NaN and absurd values are reported and dropped. */
export function readBpm(value: string | undefined, issues: XIssue[], where: string, field: string): number | null {
	if (value === undefined || value.trim() === '') return null;
	const n = Number(value.trim());
	if (n === 0) return null;
	if (!Number.isFinite(n) || n < 20 || n > 999) {
		issues.push({ code: 'bad-bpm', where, detail: `${field}="${value.slice(0, 40)}"` });
		return null;
	}
	return n;
}

export const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** XML attribute text: escaped, and characters XML 1.0 cannot carry dropped. */
export function xmlAttr(value: string | number): string {
	return (
		String(value)
			// eslint-disable-next-line no-control-regex
			.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
			.replace(/&/g, '&amp;')
			.replace(/</g, '&lt;')
			.replace(/>/g, '&gt;')
			.replace(/"/g, '&quot;')
			.replace(/\t/g, '&#9;')
			.replace(/\n/g, '&#10;')
			.replace(/\r/g, '&#13;')
	);
}

export const attrs = (pairs: [string, string | number][]) =>
	pairs.map(([name, value]) => ` ${name}="${xmlAttr(value)}"`).join('');
