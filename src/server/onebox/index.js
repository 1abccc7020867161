import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { createAuth } from './auth.js';
import { loadCatalog } from './catalog.js';
import { asCaller } from './context.js';
import { startDatabase } from './db-client.js';
import { cors } from './http-util.js';
import { signJwt } from './jwt.js';
import { generatePassword } from './passwords.js';
import { playersRouter } from './players.js';
import { createRealtime } from './realtime.js';
import { restRouter } from './rest.js';
import { lockDataDir, loadOrCreateSecret, writePrivateFile } from './secrets.js';
import { storageRouter } from './storage.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const ISSUER = 'cratemesh-onebox';

/**
 * @typedef {object} OneBoxOptions
 * @property {string} dataDir  database, media files, secrets (created if missing)
 * @property {string} [ownerEmail]  first start only: the local owner's address
 * @property {string} [ownerPassword]  first start only; generated (and written to owner-password.txt) when absent
 * @property {string} [tenantName]  first start only: the owner's first tenant
 * @property {number} [uploadLimit]  bytes per uploaded file (the bucket's own limit also applies)
 * @property {string} [version]
 * @property {(line: string) => void} [log]
 * @property {(error: Error) => void} [onCrash]  the database thread died: the backend cannot go on
 */

/**
 * The one-box backend: the app's Supabase migrations on an embedded PostgreSQL (PGlite), behind the
 * subset of Supabase's HTTP APIs that supabase-js uses (auth, rest, storage), plus player enrolment.
 * @param {OneBoxOptions} options
 */
export async function createOneBox(options) {
	const log = options.log ?? ((line) => console.log(line));
	const started = performance.now();
	const dataDir = resolve(options.dataDir);
	mkdirSync(dataDir, { recursive: true, mode: 0o700 });
	const release = lockDataDir(join(dataDir, 'onebox.lock'));
	try {
		const secret = loadOrCreateSecret(join(dataDir, 'jwt-secret'));
		const filesDir = join(dataDir, 'storage');
		const tmpDir = join(dataDir, 'tmp');
		// Half-written uploads from a previous run are never referenced by a row: drop them.
		rmSync(tmpDir, { recursive: true, force: true });
		mkdirSync(tmpDir, { recursive: true });
		mkdirSync(filesDir, { recursive: true });

		const { db, applied } = await startDatabase({
			pgDir: join(dataDir, 'pg'),
			shimFile: join(root, 'supabase/compat/supabase-shim.sql'),
			migrationsDir: join(root, 'supabase/migrations'),
			log,
			onCrash: options.onCrash
		});
		const catalog = await loadCatalog(db);
		const auth = createAuth({ db, secret, issuer: () => ISSUER });
		const anonKey = signJwt({ iss: ISSUER, role: 'anon', iat: 1763856000 }, secret);
		const owner = await ensureOwner({ db, auth, dataDir, options, log });
		const elapsedMs = Math.round(performance.now() - started);

		const router = express.Router();
		router.use(['/auth/v1', '/rest/v1', '/storage/v1', '/onebox/v1'], cors);
		router.use('/auth/v1', auth.router);
		router.use('/rest/v1', restRouter({ db, catalog, secret }));
		router.use(
			'/storage/v1',
			storageRouter({ db, secret, filesDir, tmpDir, uploadLimit: options.uploadLimit ?? 1024 * 1024 * 1024 })
		);
		router.use(
			'/onebox/v1',
			playersRouter({ db, auth, secret, version: options.version ?? 'dev', startedInMs: elapsedMs })
		);

		// Broadcast + presence over Phoenix channels (mesh signalling), at /realtime/v1/websocket.
		const realtime = createRealtime({ secret });

		let closed = false;
		return {
			router,
			realtime,
			anonKey,
			db,
			dataDir,
			owner,
			/** migrations (and the shim) applied by this start */
			applied,
			/** milliseconds from call to ready */
			startMs: elapsedMs,
			async close() {
				if (closed) return;
				closed = true;
				realtime.close();
				await db.close();
				release();
			}
		};
	} catch (error) {
		release();
		throw error;
	}
}

/**
 * On first start: the local owner account and its first tenant.
 * @param {{ db: import('./db-client.js').Db, auth: ReturnType<typeof createAuth>, dataDir: string,
 *   options: OneBoxOptions, log: (line: string) => void }} deps
 */
async function ensureOwner({ db, auth, dataDir, options, log }) {
	const { rows } = await db.query(`select value from onebox.meta where key = 'owner_user_id'`);
	const existing = /** @type {{ value: string } | undefined} */ (rows[0]);
	if (existing) {
		const { rows: users } = await db.query(`select email from auth.users where id = $1`, [existing.value]);
		return { id: existing.value, email: /** @type {{ email?: string }} */ (users[0])?.email ?? null, created: false };
	}
	const email = (options.ownerEmail || 'owner@cratemesh.local').trim().toLowerCase();
	const password = options.ownerPassword || generatePassword();
	if (password.length < 8) throw new Error('CRATEMESH_OWNER_PASSWORD must be at least 8 characters');
	const known = await auth.findUserByEmail(email);
	const id = known?.id ?? (await auth.createUser({ email, password }));
	const tenantId = await asCaller(
		db,
		{ role: 'authenticated', claims: { sub: id, role: 'authenticated' }, userId: id },
		async (tx) => {
			const { rows: t } = await tx.query(`select public.create_tenant($1) as id`, [options.tenantName || 'My store']);
			return /** @type {{ id: string }} */ (t[0]).id;
		}
	);
	await db.query(`insert into onebox.meta (key, value) values ('owner_user_id', $1)`, [id]);
	if (!options.ownerPassword) {
		const file = join(dataDir, 'owner-password.txt');
		writePrivateFile(file, `email: ${email}\npassword: ${password}\n`);
		log(`One box: created the owner account ${email} with password ${password}`);
		log(`         (also saved in ${file}, readable only by this user)`);
		log(`         A lost password is reset with: node src/server/onebox/admin.js set-password ${email}`);
	} else {
		log(`One box: created the owner account ${email} (password from CRATEMESH_OWNER_PASSWORD)`);
	}
	return { id, email, created: true, tenantId };
}
