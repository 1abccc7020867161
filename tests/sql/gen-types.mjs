#!/usr/bin/env node
// Generates src/lib/supabase/database.types.ts from the migrations: applies them to a throwaway
// PostgreSQL 15 (tests/sql/pg-cluster.sh) and reads the catalog, in the shape `supabase gen types`
// produces (the Supabase CLI itself cannot be installed here). `--check` fails when the committed file
// is out of date, which npm test runs.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = join(root, 'src', 'lib', 'supabase', 'database.types.ts');
const clusterScript = join(root, 'tests', 'sql', 'pg-cluster.sh');
const check = process.argv.includes('--check');

const started = spawnSync('bash', [clusterScript, 'start', '--schema'], { encoding: 'utf8' });
if (started.status !== 0) {
	process.stderr.write(started.stderr);
	process.exit(started.status ?? 1);
}
/** @type {Record<string, string>} */
const cluster = Object.fromEntries(
	started.stdout
		.trim()
		.split('\n')
		.map((line) => /** @type {[string, string]} */ (line.split(/=(.*)/s).slice(0, 2)))
);
const stop = () => spawnSync('bash', [clusterScript, 'stop', cluster.PGC_DIR ?? ''], { stdio: 'ignore' });

/** @param {string} sql */
function query(sql) {
	const { PGC_DIR: _dir, ...env } = cluster;
	const result = spawnSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1'], {
		input: sql,
		encoding: 'utf8',
		env: { ...process.env, ...env }
	});
	if (result.status !== 0) throw new Error(result.stderr);
	return JSON.parse(result.stdout.trim() || 'null');
}

let source;
try {
	const tables = query(`
select coalesce(json_agg(t order by t.name), '[]') from (
  select c.relname as name, c.relkind as kind,
    (select json_agg(json_build_object(
        'name', a.attname,
        'type', format_type(a.atttypid, a.atttypmod),
        'base', case when tt.typcategory = 'A' then et.typname else tt.typname end,
        'baseIsEnum', case when tt.typcategory = 'A' then et.typtype = 'e' else tt.typtype = 'e' end,
        'isArray', tt.typcategory = 'A',
        'nullable', not a.attnotnull,
        'hasDefault', a.atthasdef or a.attidentity <> '' or a.attgenerated <> ''
      ) order by a.attnum)
     from pg_attribute a
     join pg_type tt on tt.oid = a.atttypid
     left join pg_type et on et.oid = tt.typelem
     where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public' and c.relkind in ('r', 'v', 'm', 'p')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
) t;`);
	const enums = query(`
select coalesce(json_object_agg(t.typname, (select json_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid)), '{}')
from pg_type t join pg_namespace n on n.oid = t.typnamespace
where n.nspname = 'public' and t.typtype = 'e';`);
	// Only what the API roles may call is part of the client's surface.
	const functions = query(`
select coalesce(json_agg(f order by f.name, f.args::text), '[]') from (
  select p.proname as name,
    (select json_agg(json_build_object('name', coalesce(p.proargnames[i], 'arg' || i), 'type', format_type(t, null),
        'base', (select case when x.typcategory = 'A' then (select y.typname from pg_type y where y.oid = x.typelem) else x.typname end from pg_type x where x.oid = t),
        'isArray', (select x.typcategory = 'A' from pg_type x where x.oid = t),
        'baseIsEnum', (select case when x.typcategory = 'A' then (select y.typtype = 'e' from pg_type y where y.oid = x.typelem) else x.typtype = 'e' end from pg_type x where x.oid = t),
        'optional', i > p.pronargs - p.pronargdefaults) order by i)
     from unnest(p.proargtypes::oid[]) with ordinality as a(t, i)) as args,
    (select case when x.typcategory = 'A' then (select y.typname from pg_type y where y.oid = x.typelem) else x.typname end from pg_type x where x.oid = p.prorettype) as returns,
    (select x.typcategory = 'A' from pg_type x where x.oid = p.prorettype) as "returnsArray",
    (select x.typtype = 'e' from pg_type x where x.oid = p.prorettype) as "returnsEnum",
    p.proretset as "returnsSet"
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = 'public' and p.prokind = 'f'
    and has_function_privilege('authenticated', p.oid, 'execute')
    -- Extensions' functions (pgTAP in the test cluster) are not the app's API.
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
) f;`);
	source = render(tables, enums, functions);
} finally {
	stop();
}

/** @param {string} base @param {boolean} isEnum */
function tsType(base, isEnum) {
	if (isEnum) return `Database['public']['Enums']['${base}']`;
	if (['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'oid'].includes(base)) return 'number';
	if (base === 'bool') return 'boolean';
	if (base === 'json' || base === 'jsonb') return 'Json';
	if (base === 'void') return 'undefined';
	if (
		[
			'uuid',
			'text',
			'varchar',
			'bpchar',
			'citext',
			'name',
			'date',
			'time',
			'timetz',
			'timestamp',
			'timestamptz',
			'interval',
			'inet',
			'bytea',
			'char'
		].includes(base)
	)
		return 'string';
	return 'unknown';
}

/** @param {{ base: string, baseIsEnum: boolean, isArray: boolean }} c */
function columnType(c) {
	return c.isArray ? `(${tsType(c.base, c.baseIsEnum)})[]` : tsType(c.base, c.baseIsEnum);
}

/** @param {any[]} tables @param {Record<string, string[]>} enums @param {any[]} functions */
function render(tables, enums, functions) {
	const out = [];
	out.push('// Generated by `npm run gen:types` (tests/sql/gen-types.mjs) from supabase/migrations. Do not edit.');
	out.push('export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];');
	out.push('');
	out.push('export type Database = {');
	out.push('\tpublic: {');
	for (const [section, kinds] of [
		['Tables', ['r', 'p']],
		['Views', ['v', 'm']]
	]) {
		const inSection = tables.filter((/** @type {any} */ t) => kinds.includes(t.kind));
		if (inSection.length === 0) {
			out.push(`\t\t${section}: Record<PropertyKey, never>;`);
			continue;
		}
		out.push(`\t\t${section}: {`);
		for (const table of inSection) {
			out.push(`\t\t\t${table.name}: {`);
			out.push('\t\t\t\tRow: {');
			for (const c of table.columns) out.push(`\t\t\t\t\t${c.name}: ${columnType(c)}${c.nullable ? ' | null' : ''};`);
			out.push('\t\t\t\t};');
			if (section === 'Tables') {
				out.push('\t\t\t\tInsert: {');
				for (const c of table.columns)
					out.push(
						`\t\t\t\t\t${c.name}${c.nullable || c.hasDefault ? '?' : ''}: ${columnType(c)}${c.nullable ? ' | null' : ''};`
					);
				out.push('\t\t\t\t};');
				out.push('\t\t\t\tUpdate: {');
				for (const c of table.columns)
					out.push(`\t\t\t\t\t${c.name}?: ${columnType(c)}${c.nullable ? ' | null' : ''};`);
				out.push('\t\t\t\t};');
			}
			out.push('\t\t\t\tRelationships: [];');
			out.push('\t\t\t};');
		}
		out.push('\t\t};');
	}
	out.push('\t\tFunctions: {');
	/** @type {Map<string, string[]>} */
	const overloads = new Map();
	for (const f of functions) {
		const args = (f.args ?? []).map((/** @type {any} */ a) => `${a.name}${a.optional ? '?' : ''}: ${columnType(a)}`);
		const ret = f.returnsArray ? `(${tsType(f.returns, false)})[]` : tsType(f.returns, f.returnsEnum);
		const signature = `{ Args: ${args.length ? `{ ${args.join('; ')} }` : 'Record<PropertyKey, never>'}; Returns: ${f.returnsSet ? `${ret}[]` : ret} }`;
		overloads.set(f.name, [...(overloads.get(f.name) ?? []), signature]);
	}
	for (const [name, signatures] of overloads) out.push(`\t\t\t${name}: ${signatures.join(' | ')};`);
	out.push('\t\t};');
	out.push('\t\tEnums: {');
	for (const [name, labels] of Object.entries(enums))
		out.push(`\t\t\t${name}: ${labels.map((l) => `'${l}'`).join(' | ')};`);
	out.push('\t\t};');
	out.push('\t\tCompositeTypes: Record<PropertyKey, never>;');
	out.push('\t};');
	out.push('};');
	return `${out.join('\n')}\n`;
}

if (check) {
	let current = '';
	try {
		current = readFileSync(target, 'utf8');
	} catch {
		// missing counts as stale
	}
	if (current !== source) {
		console.error(
			'src/lib/supabase/database.types.ts is out of date with supabase/migrations: run `npm run gen:types`.'
		);
		process.exit(1);
	}
	console.log('database.types.ts is up to date');
} else {
	writeFileSync(target, source);
	console.log(`wrote ${target}`);
}
