#!/usr/bin/env node
/**
 * Moving a one-box install to Supabase.
 *
 *   node src/server/onebox/export.js [--data-dir data] --out <dir>
 *       writes <dir>/auth-users.sql, <dir>/data.sql, <dir>/storage/<bucket>/<object name…>,
 *       <dir>/objects.json and <dir>/accounts.csv (the server must be stopped: it locks the directory)
 *   node src/server/onebox/export.js upload-media --from <dir> --url https://<ref>.supabase.co --service-key <key>
 *       uploads <dir>/storage into the project's buckets (existing objects are skipped)
 *
 * See "Moving a one-box install to Supabase" in the README for the whole procedure.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { lockDataDir } from './secrets.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CHUNK = 1000;

/** @param {string} text */
function dollarQuote(text) {
	let tag;
	do tag = `$j${randomBytes(4).toString('hex')}$`;
	while (text.includes(tag));
	return `${tag}${text}${tag}`;
}

/** @param {string} name */
const q = (name) => `"${name.replaceAll('"', '""')}"`;

/**
 * Public tables in foreign-key order (referenced tables first).
 * @param {PGlite} db
 * @returns {Promise<{ name: string, columns: string[], identity: string[], pk: string[] }[]>}
 */
async function publicTables(db) {
	const { rows } = await db.query(`
		select c.relname as name,
		       (select json_agg(a.attname order by a.attnum) from pg_attribute a
		        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '') as columns,
		       (select coalesce(json_agg(a.attname), '[]') from pg_attribute a
		        where a.attrelid = c.oid and a.attnum > 0 and a.attidentity = 'a') as identity,
		       (select coalesce(json_agg(a.attname order by k.ord), '[]') from pg_index i
		                cross join unnest(i.indkey) with ordinality k(attnum, ord)
		                join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
		        where i.indrelid = c.oid and i.indisprimary) as pk,
		       (select coalesce(json_agg(distinct f.relname), '[]') from pg_constraint con
		                join pg_class f on f.oid = con.confrelid
		                join pg_namespace fn on fn.oid = f.relnamespace
		        where con.conrelid = c.oid and con.contype = 'f' and fn.nspname = 'public' and f.oid <> c.oid) as refs
		from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where n.nspname = 'public' and c.relkind in ('r', 'p')
		order by c.relname`);
	const tables =
		/** @type {{ name: string, columns: string[], identity: string[], pk: string[], refs: string[] }[]} */ (rows);
	const ordered = [];
	const done = new Set();
	while (ordered.length < tables.length) {
		const next = tables.find((t) => !done.has(t.name) && t.refs.every((r) => done.has(r)));
		if (!next) throw new Error('circular foreign keys between public tables');
		done.add(next.name);
		ordered.push(next);
	}
	return ordered;
}

/**
 * @param {{ dataDir: string, out: string }} options
 */
export async function exportOneBox({ dataDir, out }) {
	const dir = resolve(dataDir);
	if (!existsSync(join(dir, 'pg'))) throw new Error(`${dir} is not a one-box data directory (no pg/ inside)`);
	const release = lockDataDir(join(dir, 'onebox.lock'));
	const db = await PGlite.create({ dataDir: join(dir, 'pg'), extensions: { pgcrypto } });
	try {
		mkdirSync(out, { recursive: true });
		const { rows: migrations } = await db.query(`select version, name from onebox.migrations order by version`);

		// ---- Auth users: same ids, so every foreign key to auth.users holds. ----
		const { rows: users } = await db.query(`
			select u.id, u.email, u.email_confirmed_at, u.created_at, u.raw_app_meta_data, u.raw_user_meta_data,
			       coalesce((select json_agg(json_build_object('tenant', t.name, 'role', m.role)) from public.memberships m
			                 join public.tenants t on t.id = m.tenant_id where m.user_id = u.id), '[]') as memberships
			from auth.users u order by u.created_at`);
		const auth = [
			'-- Cratemesh one-box export: accounts. Run in the SQL editor (or psql) of the new project BEFORE data.sql.',
			'-- Passwords cannot move (the one box hashes with scrypt, Supabase with bcrypt): every account gets an',
			'-- unusable password. Send each staff account a password reset from the dashboard (Authentication > Users),',
			'-- and give players new passwords with auth.admin.updateUserById (see the README).',
			'begin;'
		];
		for (const u of /** @type {any[]} */ (users)) {
			const meta = JSON.stringify(u.raw_app_meta_data ?? { provider: 'email', providers: ['email'] });
			const userMeta = JSON.stringify(u.raw_user_meta_data ?? {});
			const identity = JSON.stringify({ sub: u.id, email: u.email, email_verified: true });
			auth.push(
				`insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
    raw_user_meta_data, created_at, updated_at, confirmation_token, recovery_token, email_change_token_new, email_change)
values ('00000000-0000-0000-0000-000000000000', '${u.id}', 'authenticated', 'authenticated', ${sqlString(u.email)}, '',
    ${u.email_confirmed_at ? `'${new Date(u.email_confirmed_at).toISOString()}'` : 'null'}, ${sqlString(meta)}::jsonb,
    ${sqlString(userMeta)}::jsonb, '${new Date(u.created_at).toISOString()}', now(), '', '', '', '')
on conflict (id) do nothing;`,
				`insert into auth.identities (id, user_id, provider_id, provider, identity_data, created_at, updated_at)
values (gen_random_uuid(), '${u.id}', '${u.id}', 'email', ${sqlString(identity)}::jsonb, now(), now())
on conflict do nothing;`
			);
		}
		auth.push('commit;', '');
		writeFileSync(join(out, 'auth-users.sql'), auth.join('\n'));
		writeFileSync(
			join(out, 'accounts.csv'),
			['id,email,kind,memberships']
				.concat(
					/** @type {any[]} */ (users).map((u) =>
						[
							u.id,
							u.email,
							u.raw_app_meta_data?.cratemesh_player ? 'player' : 'staff',
							u.memberships.map((/** @type {any} */ m) => `${m.role}@${m.tenant}`).join(' ')
						]
							.map(csvField)
							.join(',')
					)
				)
				.join('\n') + '\n'
		);

		// ---- Public tables, as JSON per chunk, loaded the way PostgREST would convert them. ----
		const lines = [
			'-- Cratemesh one-box export: data. Run after `supabase db push` (the same migrations) and auth-users.sql.',
			`-- Migrations of the exported database: ${migrations.map((m) => /** @type {any} */ (m).version).join(', ')}`,
			'begin;',
			// As `supabase db dump --data-only` does: triggers off, so versions, timestamps and append-only logs
			// arrive exactly as they were (the rows were checked when they were first written).
			'set local session_replication_role = replica;'
		];
		const counts = /** @type {Record<string, number>} */ ({});
		for (const table of await publicTables(db)) {
			const cols = table.columns.map(q).join(', ');
			const order = (table.pk.length ? table.pk : table.columns.slice(0, 1)).map(q).join(', ');
			let count = 0;
			for (let offset = 0; ; offset += CHUNK) {
				const { rows } = await db.query(
					`select coalesce(json_agg(t), '[]')::text as rows, count(*)::int as n
					 from (select ${cols} from public.${q(table.name)} order by ${order} limit ${CHUNK} offset ${offset}) t`
				);
				const chunk = /** @type {{ rows: string, n: number }} */ (rows[0]);
				if (chunk.n === 0) break;
				count += chunk.n;
				lines.push(
					`insert into public.${q(table.name)} (${cols})${table.identity.length ? ' overriding system value' : ''}
select ${cols} from json_populate_recordset(null::public.${q(table.name)}, ${dollarQuote(chunk.rows)});`
				);
				if (chunk.n < CHUNK) break;
			}
			counts[table.name] = count;
			for (const column of table.identity)
				lines.push(
					`select setval(pg_get_serial_sequence('public.${q(table.name)}', '${column}'), greatest((select max(${q(column)}) from public.${q(table.name)}), 1));`
				);
		}
		lines.push(
			`select setval('cratemesh.media_asset_version_seq', greatest((select max(version) from public.media_assets), 1));`,
			'commit;',
			''
		);
		writeFileSync(join(out, 'data.sql'), lines.join('\n'));

		// ---- Media files in the bucket's path layout, with what an upload needs to know. ----
		const { rows: objects } = await db.query(
			`select bucket_id, name, metadata from storage.objects order by bucket_id, name`
		);
		const listed = [];
		for (const o of /** @type {any[]} */ (objects)) {
			const from = join(dir, 'storage', o.bucket_id, ...o.name.split('/'));
			const to = join(out, 'storage', o.bucket_id, ...o.name.split('/'));
			if (!existsSync(from)) {
				console.warn(`missing file for ${o.bucket_id}/${o.name}; skipped`);
				continue;
			}
			mkdirSync(dirname(to), { recursive: true });
			if (!existsSync(to)) {
				try {
					// Same file system: a hard link costs no space (objects never change).
					linkSync(from, to);
				} catch {
					copyFileSync(from, to);
				}
			}
			listed.push({
				bucket: o.bucket_id,
				name: o.name,
				size: o.metadata?.size ?? null,
				contentType: o.metadata?.mimetype ?? 'application/octet-stream',
				cacheControl: o.metadata?.cacheControl ?? 'max-age=3600',
				sha256: o.metadata?.sha256 ?? null
			});
		}
		writeFileSync(join(out, 'objects.json'), JSON.stringify(listed, null, 1) + '\n');
		return { users: users.length, counts, objects: listed.length };
	} finally {
		await db.close();
		release();
	}
}

/** @param {string | null | undefined} value */
function sqlString(value) {
	return value === null || value === undefined ? 'null' : `'${String(value).replaceAll("'", "''")}'`;
}

/** @param {string} value */
function csvField(value) {
	return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Uploads an export's media into a Supabase project with the service role (which bypasses the storage
 * policies), keeping content types and cache headers. Objects already there are counted, not replaced.
 * @param {{ from: string, url: string, serviceKey: string, log?: (line: string) => void }} options
 */
export async function uploadMedia({ from, url, serviceKey, log = console.log }) {
	const { createClient } = await import('@supabase/supabase-js');
	const supabase = createClient(url, serviceKey, {
		auth: { persistSession: false, autoRefreshToken: false },
		// supabase-js builds a Realtime client eagerly; this command never uses it.
		realtime: { transport: /** @type {any} */ (class {}) }
	});
	const objects = /** @type {{ bucket: string, name: string, contentType: string, cacheControl: string }[]} */ (
		JSON.parse(readFileSync(join(from, 'objects.json'), 'utf8'))
	);
	const result = { uploaded: 0, existing: 0, failed: /** @type {string[]} */ ([]) };
	for (const [i, o] of objects.entries()) {
		const path = join(from, 'storage', o.bucket, ...o.name.split('/'));
		const maxAge = /max-age=(\d+)/.exec(o.cacheControl)?.[1] ?? '3600';
		const { error } = await supabase.storage
			.from(o.bucket)
			.upload(o.name, /** @type {any} */ (createReadStream(path)), {
				contentType: o.contentType,
				cacheControl: maxAge,
				upsert: false,
				duplex: 'half'
			});
		if (!error) result.uploaded++;
		else if (/** @type {any} */ (error).statusCode === '409' || /exists/i.test(error.message)) result.existing++;
		else result.failed.push(`${o.bucket}/${o.name}: ${error.message}`);
		log(`${i + 1}/${objects.length} ${o.bucket}/${o.name}${error ? `: ${error.message}` : ''}`);
	}
	return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const { values, positionals } = parseArgs({
		allowPositionals: true,
		options: {
			'data-dir': { type: 'string' },
			out: { type: 'string' },
			from: { type: 'string' },
			url: { type: 'string' },
			'service-key': { type: 'string' }
		}
	});
	try {
		if (positionals[0] === 'upload-media') {
			if (!values.from || !values.url || !values['service-key'])
				throw new Error('usage: export.js upload-media --from <export dir> --url <project URL> --service-key <key>');
			const result = await uploadMedia({ from: values.from, url: values.url, serviceKey: values['service-key'] });
			console.log(`uploaded ${result.uploaded}, already there ${result.existing}, failed ${result.failed.length}`);
			for (const line of result.failed) console.error(line);
			process.exit(result.failed.length ? 1 : 0);
		}
		if (!values.out) throw new Error('usage: export.js [--data-dir <dir>] --out <dir>   |   export.js upload-media …');
		const dataDir = values['data-dir'] ?? process.env.CRATEMESH_DATA_DIR ?? join(root, 'data');
		const result = await exportOneBox({ dataDir, out: resolve(values.out) });
		console.log(
			`Exported ${result.users} accounts, ${Object.values(result.counts).reduce((a, b) => a + b, 0)} rows ` +
				`(${Object.entries(result.counts)
					.filter(([, n]) => n)
					.map(([t, n]) => `${t} ${n}`)
					.join(', ')}) and ${result.objects} media files to ${resolve(values.out)}`
		);
	} catch (error) {
		console.error(/** @type {Error} */ (error).message);
		process.exit(1);
	}
}
