import express from 'express';
import { quoteIdent as q } from './catalog.js';
import { asCaller, callerOf } from './context.js';
import { ApiError, badRequest, toApiError } from './errors.js';
import { readJson, sendJson, sendText } from './http-util.js';
import { parseCondition, parseCount, parseLogic, parseOrder, parsePrefer, parseSelect } from './rest-parse.js';
import { SqlBuilder } from './rest-sql.js';

/** Query parameters that are not column filters. */
const RESERVED = new Set([
	'select',
	'order',
	'limit',
	'offset',
	'columns',
	'on_conflict',
	'or',
	'and',
	'not.or',
	'not.and'
]);
const OBJECT_MIME = 'application/vnd.pgrst.object+json';
const BODY_LIMIT = 16 * 1024 * 1024;

/**
 * @typedef {import('./catalog.js').Catalog} Catalog
 * @typedef {import('./catalog.js').Table} Table
 * @typedef {import('./rest-parse.js').Filter} Filter
 */

/**
 * Horizontal filters, plus those addressed to embedded resources: `rel.col=eq.x`, `rel.or=(…)`,
 * `rel.order=…`, `rel.limit=…`, `rel.offset=…` (a path of embed names or aliases, dot-separated).
 * @param {URLSearchParams} params
 * @returns {{ top: Filter[], embedded: Map<string, import('./rest-sql.js').EmbedOptions> }}
 */
function requestFilters(params) {
	/** @type {Filter[]} */
	const top = [];
	/** @type {Map<string, import('./rest-sql.js').EmbedOptions>} */
	const embedded = new Map();
	const at = (/** @type {string} */ path) => {
		let options = embedded.get(path);
		if (!options) embedded.set(path, (options = { filters: [], order: null, limit: null, offset: null }));
		return options;
	};
	for (const [key, value] of params) {
		if (key === 'or' || key === 'and') top.push(parseLogic(key, false, value));
		else if (key === 'not.or' || key === 'not.and')
			top.push(parseLogic(/** @type {'or' | 'and'} */ (key.slice(4)), true, value));
		else if (RESERVED.has(key)) continue;
		else if (key.includes('.')) {
			const dot = key.lastIndexOf('.');
			let path = key.slice(0, dot);
			const last = key.slice(dot + 1);
			if ((last === 'or' || last === 'and') && path.endsWith('.not')) {
				path = path.slice(0, -4);
				at(path).filters.push(parseLogic(last, true, value));
			} else if (last === 'or' || last === 'and') at(path).filters.push(parseLogic(last, false, value));
			else if (last === 'order') at(path).order = parseOrder(value);
			else if (last === 'limit') at(path).limit = parseCount(value, key);
			else if (last === 'offset') at(path).offset = parseCount(value, key);
			else at(path).filters.push(parseCondition(last, value));
		} else top.push(parseCondition(key, value));
	}
	return { top, embedded };
}

/** Writes take filters on the table itself only. @param {URLSearchParams} params */
function writeFilters(params) {
	const { top, embedded } = requestFilters(params);
	if (embedded.size) throw badRequest('Filters on embedded resources apply to reads only');
	return top;
}

/** @param {string | null} header */
const wantsObject = (header) => (header ?? '').toLowerCase().includes(OBJECT_MIME);

/**
 * Sends rows (a JSON array text from the database) as PostgREST would: an array, or one object for
 * `Accept: application/vnd.pgrst.object+json` (supabase-js `.single()`), with Content-Range.
 * @param {import('express').Request} req
 * @param {import('express').Response} res
 * @param {{ status: number, body: string, count: number, total: number | null, offset: number }} result
 */
function sendRows(req, res, { status, body, count, total, offset }) {
	const range = count === 0 ? '*' : `${offset}-${offset + count - 1}`;
	res.set('Content-Range', `${range}/${total ?? '*'}`);
	if (wantsObject(req.get('accept') ?? null)) {
		if (count !== 1)
			throw new ApiError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', {
				details: `The result contains ${count} rows`
			});
		res.status(status).type(`${OBJECT_MIME}; charset=utf-8`);
		const text = body.trim();
		// The array holds exactly one element: strip the brackets rather than re-serialise.
		return req.method === 'HEAD' ? res.end() : sendText(req, res, text.slice(1, -1));
	}
	res.status(status).type('application/json; charset=utf-8');
	return req.method === 'HEAD' ? res.end() : sendText(req, res, body);
}

/**
 * The PostgREST subset at /rest/v1.
 * @param {{ db: import('./db-client.js').Db, catalog: Catalog, secret: Buffer }} options
 */
export function restRouter({ db, catalog, secret }) {
	const router = express.Router();

	/** @param {(req: import('express').Request, res: import('express').Response, caller: import('./context.js').Caller) => Promise<unknown>} handler */
	const route = (handler) =>
		/** @type {import('express').RequestHandler} */ (
			async (req, res) => {
				let anonymous = true;
				try {
					const caller = callerOf(req, secret);
					anonymous = caller.role === 'anon';
					// supabase-js names the schema (db.schema); only `public` is exposed, as on Supabase by default.
					const profile = req.get('accept-profile') ?? req.get('content-profile');
					if (profile && profile !== 'public')
						throw new ApiError(406, 'PGRST106', 'The schema must be one of the following: public', {
							hint: 'Only the public schema is exposed'
						});
					await handler(req, res, caller);
				} catch (error) {
					const apiError = toApiError(error, anonymous);
					res.set(apiError.headers);
					if (!res.headersSent) sendJson(res, apiError.status, apiError);
				}
			}
		);

	const urlParams = (/** @type {import('express').Request} */ req) => new URL(req.originalUrl, 'http://x').searchParams;

	router.get(
		'/',
		route(async (_req, res) => {
			// PostgREST answers an OpenAPI document here; the one box answers with the table list only.
			sendJson(res, 200, {
				tables: [...catalog.tables.keys()].sort(),
				functions: [...catalog.functions.keys()].sort()
			});
		})
	);

	// ---- Read ----
	const read = route(async (req, res, caller) => {
		const params = urlParams(req);
		const sql = new SqlBuilder(catalog);
		const table = sql.table(/** @type {string} */ (req.params.table));
		const alias = sql.nextAlias();
		const { top: filters, embedded } = requestFilters(params);
		sql.embedded = embedded;
		const { list, innerJoins } = sql.selectList(table, alias, parseSelect(params.get('select') ?? '*'));
		for (const path of embedded.keys())
			if (!sql.usedEmbeds.has(path))
				throw new ApiError(400, 'PGRST108', `'${path}' is not an embedded resource in this request`, {
					hint: `Add '${path}' to the 'select' parameter`
				});
		const where = [sql.where(table, alias, filters), ...innerJoins].filter(Boolean).join(' and ');
		const order = params.get('order')
			? sql.orderBy(table, alias, parseOrder(/** @type {string} */ (params.get('order'))))
			: '';
		const limit = parseCount(params.get('limit') ?? undefined, 'limit');
		const offset = parseCount(params.get('offset') ?? undefined, 'offset') ?? 0;
		const prefer = parsePrefer(req.get('prefer'));
		const from = `from public.${q(table.name)} ${alias}${where ? ` where ${where}` : ''}`;
		const counted = prefer.count === 'exact' || prefer.count === 'planned' || prefer.count === 'estimated';
		const text = `select ${counted ? `(select count(*) ${from})` : 'null'}::int as total,
			coalesce(json_agg(_x), '[]')::text as body, count(_x)::int as n
			from (select ${list} ${from}${order ? ` order by ${order}` : ''}${limit !== null ? ` limit ${limit}` : ''}${offset ? ` offset ${offset}` : ''}) _x`;
		const row = await asCaller(db, caller, async (tx) => (await tx.query(text, sql.params)).rows[0]);
		const { total, body, n } = /** @type {{ total: number | null, body: string, n: number }} */ (row);
		await sendRows(req, res, { status: 200, body, count: n, total, offset });
	});
	router.get('/:table', read);
	router.head('/:table', read);

	/**
	 * Runs an INSERT/UPDATE/DELETE (`statement` ends in `returning`-less form; `representation`
	 * adds a CTE to return rows with the requested select list).
	 * @param {import('express').Request} req
	 * @param {import('express').Response} res
	 * @param {import('./context.js').Caller} caller
	 * @param {SqlBuilder} sql
	 * @param {Table} table
	 * @param {string} alias
	 * @param {string} statement
	 * @param {number} okStatus
	 */
	async function mutate(req, res, caller, sql, table, alias, statement, okStatus) {
		const params = urlParams(req);
		const prefer = parsePrefer(req.get('prefer'));
		const representation = prefer.return === 'representation';
		const counted = prefer.count === 'exact';
		if (representation || wantsObject(req.get('accept') ?? null)) {
			const { list } = sql.selectList(table, alias, parseSelect(params.get('select') ?? '*'));
			const text = `with _m as (${statement} returning ${alias}.*)
				select coalesce(json_agg(_x), '[]')::text as body, count(_x)::int as n
				from (select ${list} from _m ${alias}) _x`;
			const row = await asCaller(db, caller, async (tx) => {
				const result = /** @type {{ body: string, n: number }} */ ((await tx.query(text, sql.params)).rows[0]);
				// .single() on a mutation must not commit a change it then reports as an error.
				if (wantsObject(req.get('accept') ?? null) && result.n !== 1)
					throw new ApiError(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', {
						details: `The result contains ${result.n} rows`
					});
				return result;
			});
			if (!representation) {
				res.set('Content-Range', `*/${counted ? row.n : '*'}`);
				return res.status(okStatus === 201 ? 201 : 204).end();
			}
			return sendRows(req, res, {
				status: okStatus,
				body: row.body,
				count: row.n,
				total: counted ? row.n : null,
				offset: 0
			});
		}
		const affected = await asCaller(
			db,
			caller,
			async (tx) => (await tx.query(statement, sql.params)).affectedRows ?? 0
		);
		res.set('Content-Range', `*/${counted ? affected : '*'}`);
		res.status(okStatus === 201 ? 201 : 204).end();
	}

	// ---- Insert / upsert ----
	router.post(
		'/:table',
		route(async (req, res, caller) => {
			const params = urlParams(req);
			const sql = new SqlBuilder(catalog);
			const table = sql.table(/** @type {string} */ (req.params.table));
			const body = await readJson(req, BODY_LIMIT);
			const rows = Array.isArray(body) ? body : [body];
			if (rows.length === 0 || rows.some((r) => typeof r !== 'object' || r === null || Array.isArray(r)))
				throw new ApiError(400, 'PGRST102', 'Insert takes a JSON object or a non-empty array of objects');
			const names = params.get('columns')
				? /** @type {string} */ (params.get('columns')).split(',').map((c) => c.trim().replace(/^"|"$/g, ''))
				: [...new Set(rows.flatMap((r) => Object.keys(r)))];
			for (const name of names)
				if (!table.columns.has(name))
					throw new ApiError(
						400,
						'PGRST204',
						`Could not find the '${name}' column of '${table.name}' in the schema cache`
					);
			if (names.length === 0) throw new ApiError(400, 'PGRST102', 'Insert needs at least one column');
			const cols = names.map(q).join(', ');
			const alias = sql.nextAlias();
			const prefer = parsePrefer(req.get('prefer'));
			const rowType = `null::public.${q(table.name)}`;
			let statement;
			if (prefer.missing === 'default' && rows.some((r) => names.some((n) => !(n in r)))) {
				// A key absent from a row takes the column's default (only VALUES lists accept DEFAULT).
				const values = rows.map((row) => {
					const source = sql.param(JSON.stringify(row));
					const cells = names.map((n) =>
						n in row ? `(json_populate_record(${rowType}, ${source}::text::json)).${q(n)}` : 'default'
					);
					return `(${cells.join(', ')})`;
				});
				statement = `insert into public.${q(table.name)} as ${alias} (${cols}) values ${values.join(', ')}`;
			} else {
				// Absent keys are null, as PostgREST does without Prefer: missing=default.
				const source = sql.param(JSON.stringify(rows));
				statement = `insert into public.${q(table.name)} as ${alias} (${cols})
				select ${cols} from json_populate_recordset(${rowType}, ${source}::text::json)`;
			}
			if (prefer.resolution === 'merge-duplicates' || prefer.resolution === 'ignore-duplicates') {
				const target = params.get('on_conflict')
					? /** @type {string} */ (params.get('on_conflict')).split(',').map((c) => sql.column(table, c.trim()).name)
					: table.pk;
				if (target.length === 0) throw badRequest(`${table.name} has no primary key: pass on_conflict=`);
				const updates = names.filter((n) => !target.includes(n));
				statement +=
					prefer.resolution === 'ignore-duplicates' || updates.length === 0
						? ` on conflict (${target.map(q).join(', ')}) do nothing`
						: ` on conflict (${target.map(q).join(', ')}) do update set ${updates.map((n) => `${q(n)} = excluded.${q(n)}`).join(', ')}`;
			}
			await mutate(req, res, caller, sql, table, alias, statement, 201);
		})
	);

	// ---- Update ----
	router.patch(
		'/:table',
		route(async (req, res, caller) => {
			const params = urlParams(req);
			const sql = new SqlBuilder(catalog);
			const table = sql.table(/** @type {string} */ (req.params.table));
			const body = await readJson(req, BODY_LIMIT);
			if (typeof body !== 'object' || body === null || Array.isArray(body))
				throw new ApiError(400, 'PGRST102', 'Update takes one JSON object');
			const names = Object.keys(body);
			for (const name of names)
				if (!table.columns.has(name))
					throw new ApiError(
						400,
						'PGRST204',
						`Could not find the '${name}' column of '${table.name}' in the schema cache`
					);
			if (names.length === 0) throw new ApiError(400, 'PGRST102', 'Update needs at least one column');
			const alias = sql.nextAlias();
			const source = sql.param(JSON.stringify(body));
			const where = sql.where(table, alias, writeFilters(params));
			const statement = `update public.${q(table.name)} as ${alias}
			set ${names.map((n) => `${q(n)} = _src.${q(n)}`).join(', ')}
			from json_populate_record(null::public.${q(table.name)}, ${source}::text::json) as _src
			${where ? `where ${where}` : ''}`;
			await mutate(req, res, caller, sql, table, alias, statement, 200);
		})
	);

	// ---- Delete ----
	router.delete(
		'/:table',
		route(async (req, res, caller) => {
			const params = urlParams(req);
			const sql = new SqlBuilder(catalog);
			const table = sql.table(/** @type {string} */ (req.params.table));
			const alias = sql.nextAlias();
			const where = sql.where(table, alias, writeFilters(params));
			const statement = `delete from public.${q(table.name)} as ${alias} ${where ? `where ${where}` : ''}`;
			await mutate(req, res, caller, sql, table, alias, statement, 200);
		})
	);

	// ---- RPC ----
	const rpc = route(async (req, res, caller) => {
		const name = /** @type {string} */ (req.params.fn);
		let args;
		if (req.method === 'POST') {
			const body = await readJson(req, BODY_LIMIT);
			args = body === undefined ? {} : body;
		} else {
			args = Object.fromEntries(urlParams(req));
		}
		if (typeof args !== 'object' || args === null || Array.isArray(args))
			throw new ApiError(400, 'PGRST102', 'RPC arguments must be a JSON object of named arguments');
		const given = Object.keys(args);
		const candidates = (catalog.functions.get(name) ?? []).filter(
			(fn) =>
				given.every((g) => fn.args.some((a) => a.name === g)) &&
				fn.args.slice(0, fn.required).every((a) => given.includes(a.name))
		);
		if (candidates.length === 0)
			throw new ApiError(
				404,
				'PGRST202',
				`Could not find the function public.${name}(${given.join(', ')}) in the schema cache`,
				{
					hint: 'Check the function name and the names of its arguments.'
				}
			);
		if (candidates.length > 1)
			throw new ApiError(
				300,
				'PGRST203',
				`Could not choose the best candidate function between several public.${name} overloads`
			);
		const fn = /** @type {import('./catalog.js').Func} */ (candidates[0]);
		const sql = new SqlBuilder(catalog);
		const used = fn.args.filter((a) => given.includes(a.name));
		const record = used.length
			? `json_to_record(${sql.param(JSON.stringify(args))}::text::json) as _a(${used.map((a) => `${q(a.name)} ${a.type}`).join(', ')})`
			: `(select 1) as _a`;
		const call = `public.${q(fn.name)}(${used.map((a) => `${q(a.name)} => _a.${q(a.name)}`).join(', ')})`;
		const text = fn.returnsVoid
			? `select null::text as body from ${record} cross join lateral ${call} as _r`
			: fn.returnsSet
				? `select coalesce(json_agg(_r), '[]')::text as body from ${record} cross join lateral ${call} as _r`
				: `select to_json(_r)::text as body from ${record} cross join lateral ${call} as _r`;
		const row = await asCaller(
			db,
			caller,
			async (tx) => /** @type {{ body: string | null }} */ ((await tx.query(text, sql.params)).rows[0])
		);
		if (fn.returnsVoid) return res.status(204).end();
		res.status(200).type('application/json; charset=utf-8');
		await sendText(req, res, row?.body ?? 'null');
	});
	router.post('/rpc/:fn', rpc);
	router.get('/rpc/:fn', rpc);

	router.all(
		'*',
		route(async () => {
			throw new ApiError(405, 'PGRST117', 'Unsupported HTTP method or path');
		})
	);
	return router;
}
