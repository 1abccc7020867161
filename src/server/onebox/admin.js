#!/usr/bin/env node
/**
 * Account maintenance for a stopped one-box server (the data directory is locked while it runs):
 *
 *   node src/server/onebox/admin.js accounts                       list accounts and their teams
 *   node src/server/onebox/admin.js set-password <email> [--password <new>]
 *       sets a new password (generated and printed when not given) and ends the account's sessions
 *
 * Options: --data-dir <dir> (default CRATEMESH_DATA_DIR or data/ in the checkout).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { generatePassword, hashPassword } from './passwords.js';
import { lockDataDir } from './secrets.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * @template T
 * @param {string} dataDir
 * @param {(db: PGlite) => Promise<T>} fn
 */
export async function withDataDir(dataDir, fn) {
	const dir = resolve(dataDir);
	if (!existsSync(join(dir, 'pg'))) throw new Error(`${dir} is not a one-box data directory (no pg/ inside)`);
	const release = lockDataDir(join(dir, 'onebox.lock'));
	const db = await PGlite.create({ dataDir: join(dir, 'pg'), extensions: { pgcrypto } });
	try {
		return await fn(db);
	} finally {
		await db.close();
		release();
	}
}

/**
 * @param {PGlite} db
 * @param {string} email
 * @param {string} [password]
 * @returns {Promise<string>} the password set
 */
export async function setPassword(db, email, password = generatePassword()) {
	if (password.length < 8) throw new Error('A password needs at least 8 characters');
	const hash = await hashPassword(password);
	const { rows } = await db.query(
		`update auth.users set encrypted_password = $2, updated_at = now() where lower(email) = lower($1) returning id`,
		[email, hash]
	);
	const user = /** @type {{ id: string } | undefined} */ (rows[0]);
	if (!user) throw new Error(`No account with the address ${email}`);
	await db.query(`delete from onebox.sessions where user_id = $1`, [user.id]);
	return password;
}

/** @param {PGlite} db */
export async function listAccounts(db) {
	const { rows } = await db.query(`
		select u.email, coalesce((u.raw_app_meta_data ->> 'cratemesh_player')::boolean, false) as player,
		       coalesce(string_agg(m.role || ' of ' || t.name, ', ' order by t.name), '') as teams
		from auth.users u
		         left join public.memberships m on m.user_id = u.id
		         left join public.tenants t on t.id = m.tenant_id
		group by u.id order by u.created_at`);
	return /** @type {{ email: string, player: boolean, teams: string }[]} */ (rows);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const { values, positionals } = parseArgs({
		allowPositionals: true,
		options: { 'data-dir': { type: 'string' }, password: { type: 'string' } }
	});
	const dataDir = values['data-dir'] ?? process.env.CRATEMESH_DATA_DIR ?? join(root, 'data');
	try {
		const [command, email] = positionals;
		if (command === 'accounts') {
			for (const a of await withDataDir(dataDir, listAccounts))
				console.log(`${a.email}${a.player ? ' (player)' : ''}${a.teams ? `: ${a.teams}` : ''}`);
		} else if (command === 'set-password' && email) {
			const password = await withDataDir(dataDir, (db) => setPassword(db, email, values.password));
			console.log(values.password ? `Password changed for ${email}.` : `New password for ${email}: ${password}`);
		} else {
			throw new Error('usage: admin.js accounts | set-password <email> [--password <new>]   [--data-dir <dir>]');
		}
	} catch (error) {
		console.error(/** @type {Error} */ (error).message);
		process.exit(1);
	}
}
