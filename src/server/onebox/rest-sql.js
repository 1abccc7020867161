import { quoteIdent as q } from './catalog.js';
import { ApiError, badRequest } from './errors.js';

/**
 * Turns parsed PostgREST requests into SQL. Identifiers come only from the catalog (quoted), values
 * only as bound parameters ($n), cast from text to the column's catalog type, as PostgREST does.
 *
 * @typedef {import('./catalog.js').Catalog} Catalog
 * @typedef {import('./catalog.js').Table} Table
 * @typedef {import('./rest-parse.js').SelectItem} SelectItem
 * @typedef {import('./rest-parse.js').Filter} Filter
 * @typedef {import('./rest-parse.js').OrderTerm} OrderTerm
 * @typedef {{ filters: Filter[], order: OrderTerm[] | null, limit: number | null, offset: number | null }} EmbedOptions
 */

export class SqlBuilder {
	/** @param {Catalog} catalog */
	constructor(catalog) {
		this.catalog = catalog;
		/** @type {unknown[]} */
		this.params = [];
		this.aliases = 0;
		/** Filters, order and paging for embedded resources, by path (`rel` or `rel.child`). */
		/** @type {Map<string, EmbedOptions>} */
		this.embedded = new Map();
		/** @type {Set<string>} */
		this.usedEmbeds = new Set();
	}

	/** @param {unknown} value */
	param(value) {
		this.params.push(value);
		return `$${this.params.length}`;
	}

	nextAlias() {
		return `_t${this.aliases++}`;
	}

	/** @param {string} name @returns {Table} */
	table(name) {
		const table = this.catalog.tables.get(name);
		if (!table)
			throw new ApiError(404, 'PGRST205', `Could not find the table 'public.${name}' in the schema cache`, {
				hint: null
			});
		return table;
	}

	/** @param {Table} table @param {string} name */
	column(table, name) {
		const column = table.columns.get(name);
		if (!column)
			throw new ApiError(400, '42703', `column ${table.name}.${name} does not exist`, {
				hint: null
			});
		return column;
	}

	/**
	 * The select list over `alias` (a row of `table`), embeds as correlated subqueries.
	 * @param {Table} table
	 * @param {string} alias
	 * @param {SelectItem[]} items
	 * @param {string} [path]  of this level's embeds, for embedded filters
	 * @returns {{ list: string, innerJoins: string[] }}
	 */
	selectList(table, alias, items, path = '') {
		const parts = [];
		const innerJoins = [];
		for (const item of items) {
			if (item.kind === 'star') parts.push(`${alias}.*`);
			else if (item.kind === 'column') {
				const column = this.column(table, item.name);
				const expr = `${alias}.${q(column.name)}${item.cast ? `::${item.cast}` : ''}`;
				parts.push(`${expr} as ${q(item.alias ?? column.name)}`);
			} else {
				const name = item.alias ?? item.relation;
				const { sql, exists } = this.embed(table, alias, item, path ? `${path}.${name}` : name);
				parts.push(`${sql} as ${q(item.alias ?? item.relation)}`);
				if (item.inner) innerJoins.push(exists);
			}
		}
		if (parts.length === 0) throw badRequest('select= is empty');
		return { list: parts.join(', '), innerJoins };
	}

	/**
	 * A related table through a foreign key in either direction: many-to-one gives an object (or null),
	 * one-to-many an array. RLS applies inside, as in PostgREST.
	 * @param {Table} parent
	 * @param {string} parentAlias
	 * @param {Extract<SelectItem, { kind: 'embed' }>} item
	 * @param {string} path
	 */
	embed(parent, parentAlias, item, path) {
		const target = this.table(item.relation);
		const matches = (/** @type {import('./catalog.js').ForeignKey} */ fk) =>
			item.hint === null || fk.name === item.hint || fk.columns.includes(item.hint);
		const toOne = this.catalog.foreignKeys.filter(
			(fk) => fk.table === parent.name && fk.refTable === target.name && matches(fk)
		);
		const toMany = this.catalog.foreignKeys.filter(
			(fk) => fk.table === target.name && fk.refTable === parent.name && matches(fk)
		);
		const candidates = [...toOne.map((fk) => ({ fk, one: true })), ...toMany.map((fk) => ({ fk, one: false }))];
		if (candidates.length === 0)
			throw new ApiError(
				400,
				'PGRST200',
				`Could not find a relationship between '${parent.name}' and '${target.name}' in the schema cache`
			);
		if (candidates.length > 1)
			throw new ApiError(
				300,
				'PGRST201',
				`Could not embed because more than one relationship was found for '${parent.name}' and '${target.name}'`,
				{
					details: candidates.map((c) => c.fk.name).join(', '),
					hint: `Try changing '${target.name}' to one of: ${candidates.map((c) => `${target.name}!${c.fk.name}`).join(', ')}`
				}
			);
		const { fk, one } = /** @type {{ fk: import('./catalog.js').ForeignKey, one: boolean }} */ (candidates[0]);
		const alias = this.nextAlias();
		const join = fk.columns
			.map((col, i) => {
				const ref = /** @type {string} */ (fk.refColumns[i]);
				return one ? `${alias}.${q(ref)} = ${parentAlias}.${q(col)}` : `${alias}.${q(col)} = ${parentAlias}.${q(ref)}`;
			})
			.join(' and ');
		const { list, innerJoins } = this.selectList(target, alias, item.items, path);
		const options = this.embedded.get(path);
		if (options) this.usedEmbeds.add(path);
		const filters = options?.filters.length ? this.where(target, alias, options.filters) : '';
		const where = [join, filters, ...innerJoins].filter(Boolean).join(' and ');
		const from = `from public.${q(target.name)} ${alias} where ${where}`;
		const order = options?.order ? ` order by ${this.orderBy(target, alias, options.order)}` : '';
		const paging =
			(options?.limit != null ? ` limit ${options.limit}` : '') + (options?.offset ? ` offset ${options.offset}` : '');
		const sql = one
			? `(select row_to_json(_e) from (select ${list} ${from} limit 1) _e)`
			: `coalesce((select json_agg(_e) from (select ${list} ${from}${order}${paging}) _e), '[]'::json)`;
		return { sql, exists: `exists (select 1 ${from})` };
	}

	/**
	 * @param {Table} table
	 * @param {string} alias
	 * @param {Filter[]} filters
	 */
	where(table, alias, filters) {
		return filters.map((f) => this.filter(table, alias, f)).join(' and ');
	}

	/**
	 * @param {Table} table
	 * @param {string} alias
	 * @param {Filter} filter
	 * @returns {string}
	 */
	filter(table, alias, filter) {
		if (filter.type === 'logic') {
			if (filter.children.length === 0) return filter.negate ? 'false' : 'true';
			const inner = filter.children.map((c) => this.filter(table, alias, c)).join(` ${filter.op} `);
			return `${filter.negate ? 'not ' : ''}(${inner})`;
		}
		const column = this.column(table, filter.column);
		const ref = `${alias}.${q(column.name)}`;
		const typed = () => `(${this.param(filter.value)}::text)::${column.type}`;
		/** @type {string} */
		let sql;
		switch (filter.op) {
			case 'eq':
				sql = `${ref} = ${typed()}`;
				break;
			case 'neq':
				sql = `${ref} <> ${typed()}`;
				break;
			case 'gt':
				sql = `${ref} > ${typed()}`;
				break;
			case 'gte':
				sql = `${ref} >= ${typed()}`;
				break;
			case 'lt':
				sql = `${ref} < ${typed()}`;
				break;
			case 'lte':
				sql = `${ref} <= ${typed()}`;
				break;
			case 'like':
				sql = `${ref}::text like ${this.param(String(filter.value).replaceAll('*', '%'))}::text`;
				break;
			case 'ilike':
				sql = `${ref}::text ilike ${this.param(String(filter.value).replaceAll('*', '%'))}::text`;
				break;
			case 'match':
				sql = `${ref}::text ~ ${this.param(filter.value)}::text`;
				break;
			case 'imatch':
				sql = `${ref}::text ~* ${this.param(filter.value)}::text`;
				break;
			case 'cs':
				sql = `${ref} @> ${typed()}`;
				break;
			case 'cd':
				sql = `${ref} <@ ${typed()}`;
				break;
			case 'ov':
				sql = `${ref} && ${typed()}`;
				break;
			case 'in': {
				if (column.isArray) throw badRequest(`in. is not supported on the array column ${column.name}`);
				sql = `${ref} = any((${this.param(filter.value)}::text[])::${column.type}[])`;
				break;
			}
			case 'is': {
				const v = String(filter.value).toLowerCase();
				sql = v === 'not_null' ? `${ref} is not null` : `${ref} is ${v}`;
				break;
			}
			default:
				throw badRequest(`Unknown operator ${filter.op}`);
		}
		return filter.negate ? `not (${sql})` : sql;
	}

	/**
	 * @param {Table} table
	 * @param {string} alias
	 * @param {OrderTerm[]} terms
	 */
	orderBy(table, alias, terms) {
		return terms
			.map((t) => {
				const column = this.column(table, t.column);
				return `${alias}.${q(column.name)} ${t.desc ? 'desc' : 'asc'}${t.nulls ? ` nulls ${t.nulls}` : ''}`;
			})
			.join(', ');
	}
}
