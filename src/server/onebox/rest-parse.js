import { badRequest } from './errors.js';

/**
 * PostgREST's query-string grammar (the part supabase-js produces): `select=` lists with aliases,
 * casts and embedded relations, horizontal filters with `not.`, `or=(…)`/`and=(…)` trees, and `order=`.
 * Pure parsing: nothing here touches SQL; names are checked against the catalog later.
 */

/**
 * @typedef {{ kind: 'star' }
 *   | { kind: 'column', name: string, alias: string | null, cast: string | null }
 *   | { kind: 'embed', relation: string, alias: string | null, hint: string | null, inner: boolean, items: SelectItem[] }} SelectItem
 * @typedef {{ type: 'cond', column: string, negate: boolean, op: string, value: string | string[] }
 *   | { type: 'logic', op: 'and' | 'or', negate: boolean, children: Filter[] }} Filter
 * @typedef {{ column: string, desc: boolean, nulls: 'first' | 'last' | null }} OrderTerm
 */

export const OPERATORS = new Set([
	'eq',
	'neq',
	'gt',
	'gte',
	'lt',
	'lte',
	'like',
	'ilike',
	'match',
	'imatch',
	'in',
	'is',
	'cs',
	'cd',
	'ov'
]);
const CASTS = new Set([
	'text',
	'integer',
	'int',
	'bigint',
	'numeric',
	'float8',
	'boolean',
	'json',
	'jsonb',
	'uuid',
	'date',
	'timestamptz'
]);

/**
 * Splits at commas outside parentheses and double quotes.
 * @param {string} text
 * @returns {string[]}
 */
export function splitTopLevel(text) {
	const parts = [];
	let depth = 0;
	let quoted = false;
	let start = 0;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		if (quoted) {
			if (ch === '\\') i++;
			else if (ch === '"') quoted = false;
		} else if (ch === '"') quoted = true;
		else if (ch === '(') depth++;
		else if (ch === ')') {
			depth--;
			if (depth < 0) throw badRequest(`Unbalanced parentheses in "${text}"`);
		} else if (ch === ',' && depth === 0) {
			parts.push(text.slice(start, i));
			start = i + 1;
		}
	}
	if (depth !== 0 || quoted) throw badRequest(`Unbalanced parentheses or quotes in "${text}"`);
	parts.push(text.slice(start));
	return parts;
}

/** @param {string} text */
function unquote(text) {
	const t = text.trim();
	if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
	return t;
}

/** @param {string} name @param {string} what */
function checkName(name, what) {
	// eslint-disable-next-line no-control-regex
	if (!name || name.length > 63 || /[\u0000-\u001f]/.test(name)) throw badRequest(`Invalid ${what} name "${name}"`);
	return name;
}

/**
 * @param {string} text  the value of `select=`
 * @returns {SelectItem[]}
 */
export function parseSelect(text) {
	if (text.length > 4000) throw badRequest('select= is too long');
	return splitTopLevel(text.replace(/\s+(?=(?:[^"]*"[^"]*")*[^"]*$)/g, '')).map(parseSelectItem);
}

/** @param {string} raw @returns {SelectItem} */
function parseSelectItem(raw) {
	if (raw === '*') return { kind: 'star' };
	if (!raw) throw badRequest('Empty item in select=');
	if (raw.startsWith('...')) throw badRequest('Spread embeds (...relation) are not supported by the one-box server');
	const open = raw.indexOf('(');
	if (open >= 0) {
		if (!raw.endsWith(')')) throw badRequest(`Malformed embed "${raw}"`);
		const head = raw.slice(0, open);
		const inner = raw.slice(open + 1, -1);
		const [aliasPart, rest] = head.includes(':')
			? [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)]
			: [null, head];
		const [relation = '', ...hints] = rest.split('!');
		let hint = null;
		let innerJoin = false;
		for (const h of hints) {
			if (h === 'inner') innerJoin = true;
			else if (h === 'left') innerJoin = false;
			else if (hint === null) hint = checkName(h, 'hint');
			else throw badRequest(`Too many hints in "${raw}"`);
		}
		return {
			kind: 'embed',
			relation: checkName(unquote(relation), 'relation'),
			alias: aliasPart === null ? null : checkName(unquote(aliasPart), 'alias'),
			hint,
			inner: innerJoin,
			items: inner === '' ? [{ kind: 'star' }] : parseSelect(inner)
		};
	}
	if (/->>?/.test(raw)) throw badRequest('JSON paths in select= are not supported by the one-box server');
	let alias = null;
	let rest = raw;
	const colon = raw.search(/:(?!:)/);
	if (colon > 0 && raw[colon - 1] !== ':') {
		alias = checkName(unquote(raw.slice(0, colon)), 'alias');
		rest = raw.slice(colon + 1);
	}
	let cast = null;
	const castAt = rest.indexOf('::');
	if (castAt >= 0) {
		cast = rest.slice(castAt + 2).toLowerCase();
		rest = rest.slice(0, castAt);
		if (!CASTS.has(cast)) throw badRequest(`Unsupported cast "${cast}"`, `Allowed: ${[...CASTS].join(', ')}`);
	}
	return { kind: 'column', name: checkName(unquote(rest), 'column'), alias, cast };
}

/**
 * `[not.]op.value` of a horizontal filter.
 * @param {string} column
 * @param {string} text
 * @param {boolean} inTree  values inside or=(…) may be double-quoted
 * @returns {Filter}
 */
export function parseCondition(column, text, inTree = false) {
	let negate = false;
	let rest = text;
	if (rest.startsWith('not.')) {
		negate = true;
		rest = rest.slice(4);
	}
	const dot = rest.indexOf('.');
	const op = dot < 0 ? rest : rest.slice(0, dot);
	if (!OPERATORS.has(op))
		throw badRequest(
			`"${text}" is not a valid filter`,
			`Operators: ${[...OPERATORS].join(', ')}; prefix with not. to negate`
		);
	if (dot < 0) throw badRequest(`Filter "${text}" has no value`);
	const raw = rest.slice(dot + 1);
	if (op === 'in') {
		if (!raw.startsWith('(') || !raw.endsWith(')')) throw badRequest(`in. takes a list in parentheses: "${raw}"`);
		const body = raw.slice(1, -1);
		const values = body === '' ? [] : splitTopLevel(body).map(unquote);
		return { type: 'cond', column, negate, op, value: values };
	}
	if (op === 'is' && !['null', 'true', 'false', 'unknown', 'not_null'].includes(raw.toLowerCase()))
		throw badRequest(`is. takes null, not_null, true, false or unknown, not "${raw}"`);
	return { type: 'cond', column, negate, op, value: inTree ? unquote(raw) : raw };
}

/**
 * The body of `or=(…)` / `and=(…)`, recursively.
 * @param {'and' | 'or'} op
 * @param {boolean} negate
 * @param {string} text  including the outer parentheses
 * @returns {Filter}
 */
export function parseLogic(op, negate, text) {
	if (!text.startsWith('(') || !text.endsWith(')')) throw badRequest(`${op}= takes a list in parentheses`);
	if (text.length > 8000) throw badRequest(`${op}= is too long`);
	const children = splitTopLevel(text.slice(1, -1)).map((item) => {
		const m = item.match(/^(not\.)?(and|or)(\(.*\))$/s);
		if (m) return parseLogic(/** @type {'and' | 'or'} */ (m[2]), Boolean(m[1]), /** @type {string} */ (m[3]));
		const dot = item.indexOf('.');
		if (dot <= 0) throw badRequest(`"${item}" is not a valid filter`);
		return parseCondition(checkName(unquote(item.slice(0, dot)), 'column'), item.slice(dot + 1), true);
	});
	return { type: 'logic', op, negate, children };
}

/**
 * @param {string} text  the value of `order=`
 * @returns {OrderTerm[]}
 */
export function parseOrder(text) {
	return splitTopLevel(text).map((term) => {
		if (term.includes('(')) throw badRequest('Ordering by embedded resources is not supported by the one-box server');
		const [column = '', ...mods] = term.split('.');
		let desc = false;
		/** @type {'first' | 'last' | null} */
		let nulls = null;
		for (const mod of mods) {
			if (mod === 'asc') desc = false;
			else if (mod === 'desc') desc = true;
			else if (mod === 'nullsfirst') nulls = 'first';
			else if (mod === 'nullslast') nulls = 'last';
			else throw badRequest(`"${term}" is not a valid order term`);
		}
		return { column: checkName(unquote(column), 'column'), desc, nulls };
	});
}

/** @param {string | undefined} text @param {string} what */
export function parseCount(text, what) {
	if (text === undefined) return null;
	if (!/^\d{1,9}$/.test(text)) throw badRequest(`${what} must be a non-negative integer`);
	return Number(text);
}

/**
 * The Prefer header, as a map (return, count, resolution, missing, …).
 * @param {string | undefined} header
 * @returns {Record<string, string>}
 */
export function parsePrefer(header) {
	/** @type {Record<string, string>} */
	const out = {};
	for (const part of (header ?? '').split(',')) {
		const [key, value] = part.trim().split('=');
		if (key && value) out[key.toLowerCase()] = value.trim();
	}
	return out;
}
