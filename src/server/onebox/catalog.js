/**
 * The schema cache: tables, columns, keys, foreign keys and functions of the `public` schema (the one
 * schema the API exposes, like Supabase's default). Every identifier in a request is looked up here
 * before it reaches SQL, and only the catalog's own spelling is ever quoted into a statement.
 */

/**
 * @typedef {{ name: string, type: string, generated: boolean, isArray: boolean }} Column
 * @typedef {{ name: string, columns: string[], table: string, refTable: string, refColumns: string[] }} ForeignKey
 * @typedef {{ name: string, columns: Map<string, Column>, pk: string[], uniques: string[][] }} Table
 * @typedef {{ name: string, args: { name: string, type: string }[], required: number, returnsSet: boolean,
 *   returnsVoid: boolean }} Func
 * @typedef {{ tables: Map<string, Table>, foreignKeys: ForeignKey[], functions: Map<string, Func[]> }} Catalog
 */

/** @param {string} name */
export const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

/**
 * @param {{ query: (sql: string) => Promise<{ rows: any[] }> }} db
 * @returns {Promise<Catalog>}
 */
export async function loadCatalog(db) {
	const { rows: tableRows } = await db.query(`
		select c.relname as name,
		       coalesce((select json_agg(json_build_object(
		                    'name', a.attname,
		                    'type', format_type(a.atttypid, a.atttypmod),
		                    'generated', a.attgenerated <> '',
		                    'is_array', t.typcategory = 'A') order by a.attnum)
		                 from pg_attribute a join pg_type t on t.oid = a.atttypid
		                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns,
		       coalesce((select json_agg(cols order by i.indisprimary desc)
		                 from pg_index i,
		                      lateral (select json_agg(a.attname order by k.ord) as cols
		                               from unnest(i.indkey) with ordinality k(attnum, ord)
		                                        join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum) x
		                 where i.indrelid = c.oid and i.indisunique and i.indpred is null and i.indexprs is null
		                   and (i.indisprimary or i.indimmediate)), '[]') as uniques,
		       coalesce((select json_agg(a.attname order by k.ord)
		                 from pg_index i
		                          cross join unnest(i.indkey) with ordinality k(attnum, ord)
		                          join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
		                 where i.indrelid = c.oid and i.indisprimary), '[]') as pk
		from pg_class c
		         join pg_namespace n on n.oid = c.relnamespace
		where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p', 'f')`);
	/** @type {Map<string, Table>} */
	const tables = new Map();
	for (const row of tableRows) {
		/** @type {Map<string, Column>} */
		const columns = new Map();
		for (const c of row.columns)
			columns.set(c.name, { name: c.name, type: c.type, generated: c.generated, isArray: c.is_array });
		tables.set(row.name, { name: row.name, columns, pk: row.pk, uniques: row.uniques });
	}

	const { rows: fkRows } = await db.query(`
		select con.conname as name, cl.relname as "table", fr.relname as ref_table,
		       (select json_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality k(n, ord)
		                join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n) as columns,
		       (select json_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality k(n, ord)
		                join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n) as ref_columns
		from pg_constraint con
		         join pg_class cl on cl.oid = con.conrelid
		         join pg_namespace n on n.oid = cl.relnamespace
		         join pg_class fr on fr.oid = con.confrelid
		         join pg_namespace fn on fn.oid = fr.relnamespace
		where con.contype = 'f' and n.nspname = 'public' and fn.nspname = 'public'
		order by con.conname`);
	const foreignKeys = fkRows.map((r) => ({
		name: r.name,
		table: r.table,
		columns: r.columns,
		refTable: r.ref_table,
		refColumns: r.ref_columns
	}));

	// Only plain functions whose arguments are all IN (or unnamed-free): that is every RPC here.
	const { rows: fnRows } = await db.query(`
		select p.proname as name, p.pronargs as nargs, p.pronargdefaults as ndefaults,
		       coalesce(p.proargnames[1:p.pronargs], '{}') as arg_names,
		       array(select format_type(t, null) from unnest(p.proargtypes) t) as arg_types,
		       p.proretset as returns_set, p.prorettype = 'void'::regtype as returns_void,
		       p.proargmodes is null or p.proargmodes <@ '{i}'::"char"[] as only_in
		from pg_proc p
		         join pg_namespace n on n.oid = p.pronamespace
		where n.nspname = 'public' and p.prokind = 'f'
		  and p.prorettype <> 'trigger'::regtype and p.prorettype <> 'event_trigger'::regtype`);
	/** @type {Map<string, Func[]>} */
	const functions = new Map();
	for (const r of fnRows) {
		if (!r.only_in || r.arg_names.length !== r.nargs || r.arg_names.some((/** @type {string} */ n) => !n)) continue;
		const fn = {
			name: r.name,
			args: r.arg_names.map((/** @type {string} */ name, /** @type {number} */ i) => ({ name, type: r.arg_types[i] })),
			required: r.nargs - r.ndefaults,
			returnsSet: r.returns_set,
			returnsVoid: r.returns_void
		};
		functions.set(r.name, [...(functions.get(r.name) ?? []), fn]);
	}
	return { tables, foreignKeys, functions };
}
