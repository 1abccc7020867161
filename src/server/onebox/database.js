import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';

/**
 * What the one-box server keeps for itself, beside what Supabase provides (the shim) and the app's
 * migrations. Not reachable through the REST API: `onebox` is not an exposed schema and the API roles
 * get no privilege on it.
 */
const INTERNAL_SCHEMA = `
create schema if not exists onebox;
revoke all on schema onebox from public;
create table if not exists onebox.migrations
(
    version    text primary key,
    name       text        not null,
    sha256     text        not null,
    applied_at timestamptz not null default now()
);
create table if not exists onebox.meta
(
    key   text primary key,
    value text not null
);
create table if not exists onebox.sessions
(
    id         uuid primary key,
    user_id    uuid        not null references auth.users on delete cascade,
    created_at timestamptz not null default now()
);
create index if not exists sessions_user_id_idx on onebox.sessions (user_id);
-- Refresh tokens are stored hashed; each is used once and rotates (a reused one ends the session).
create table if not exists onebox.refresh_tokens
(
    token_sha256 text primary key,
    session_id   uuid        not null references onebox.sessions on delete cascade,
    user_id      uuid        not null references auth.users on delete cascade,
    created_at   timestamptz not null default now(),
    used_at      timestamptz
);
create index if not exists refresh_tokens_session_idx on onebox.refresh_tokens (session_id);
`;

/** @param {string} text */
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/**
 * @typedef {{ version: string, name: string, file: string }} MigrationFile
 * @param {string} dir
 * @returns {MigrationFile[]}
 */
export function migrationFiles(dir) {
	return readdirSync(dir)
		.filter((f) => /^\d+_.+\.sql$/.test(f))
		.sort()
		.map((f) => {
			const [, version, name] = /** @type {RegExpMatchArray} */ (f.match(/^(\d+)_(.+)\.sql$/));
			return { version: /** @type {string} */ (version), name: /** @type {string} */ (name), file: join(dir, f) };
		});
}

/**
 * Opens (or creates) the embedded database and brings it up to date: the Supabase shim, the internal
 * schema, then every migration not applied yet, each in its own transaction with its record, so a
 * failed migration leaves nothing half-applied and the next start retries it.
 * @param {{ pgDir: string | undefined, shimFile: string, migrationsDir: string, log?: (line: string) => void }} options
 */
export async function openDatabase({ pgDir, shimFile, migrationsDir, log = () => {} }) {
	const db = await PGlite.create({ dataDir: pgDir, extensions: { pgcrypto } });
	try {
		const shim = readFileSync(shimFile, 'utf8');
		const known = await db.query(`select to_regclass('onebox.meta') is not null as ready`);
		const ready = /** @type {{ ready: boolean }} */ (known.rows[0]).ready;
		const shimRow = ready ? await db.query(`select value from onebox.meta where key = 'shim_sha256'`) : { rows: [] };
		const shimHash = sha256(shim);
		const applied = /** @type {string[]} */ ([]);
		if (/** @type {{ value?: string } | undefined} */ (shimRow.rows[0])?.value !== shimHash) {
			// The shim is idempotent (if not exists / create or replace), so a changed one is re-run.
			await db.transaction(async (tx) => {
				await tx.exec(shim);
				await tx.exec(INTERNAL_SCHEMA);
				await tx.query(
					`insert into onebox.meta (key, value) values ('shim_sha256', $1)
					 on conflict (key) do update set value = excluded.value`,
					[shimHash]
				);
			});
			applied.push('supabase-shim');
		}
		const done = new Map(
			(await db.query(`select version, sha256 from onebox.migrations`)).rows.map((r) => {
				const row = /** @type {{ version: string, sha256: string }} */ (r);
				return [row.version, row.sha256];
			})
		);
		for (const migration of migrationFiles(migrationsDir)) {
			const sql = readFileSync(migration.file, 'utf8');
			if (done.has(migration.version)) {
				if (done.get(migration.version) !== sha256(sql))
					log(`note: migration ${migration.version}_${migration.name} changed after it was applied (not re-run)`);
				continue;
			}
			await db.transaction(async (tx) => {
				try {
					await tx.exec(sql);
				} catch (error) {
					throw new Error(
						`migration ${migration.version}_${migration.name} failed: ${/** @type {Error} */ (error).message}`,
						{ cause: error }
					);
				}
				await tx.query(`insert into onebox.migrations (version, name, sha256) values ($1, $2, $3)`, [
					migration.version,
					migration.name,
					sha256(sql)
				]);
			});
			applied.push(`${migration.version}_${migration.name}`);
		}
		return { db, applied };
	} catch (error) {
		await db.close().catch(() => {});
		throw error;
	}
}
