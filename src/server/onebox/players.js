import { randomBytes } from 'node:crypto';
import express from 'express';
import { asCaller, callerOf } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { readJson, sendJson } from './http-util.js';
import { generatePassword, hashPassword } from './passwords.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One-box additions that Supabase does with an Edge Function or the dashboard: enrolling a player
 * device (its own auth user, a `player` membership and the `devices` row, in one transaction) and
 * server facts. Everything else goes through the Supabase-compatible APIs.
 * @param {{ db: import('./db-client.js').Db, auth: ReturnType<typeof import('./auth.js').createAuth>,
 *   secret: Buffer, version: string, startedInMs: number }} deps
 */
export function playersRouter({ db, auth, secret, version, startedInMs }) {
	const router = express.Router();
	/** @param {(req: import('express').Request, res: import('express').Response, caller: import('./context.js').Caller) => Promise<unknown>} handler */
	const route = (handler) =>
		/** @type {import('express').RequestHandler} */ (
			async (req, res) => {
				let anonymous = true;
				try {
					const caller = callerOf(req, secret);
					anonymous = caller.role === 'anon';
					await handler(req, res, caller);
				} catch (error) {
					const apiError = toApiError(error, anonymous);
					res.set(apiError.headers);
					if (!res.headersSent) sendJson(res, apiError.status, apiError);
				}
			}
		);

	router.get(
		'/info',
		route(async (_req, res) => {
			res.set('Cache-Control', 'no-store');
			sendJson(res, 200, { mode: 'onebox', version, signup: false, startedInMs });
		})
	);

	/**
	 * Requires an owner or manager of `tenantId`, checked as the caller (so it is the same rule the
	 * database applies to devices); the writes then run as the server, because creating an auth user
	 * and a player membership is beyond what RLS lets a manager do.
	 * @param {import('./context.js').Caller} caller
	 * @param {string} tenantId
	 * @param {boolean} [hide]  answer 404, like an unknown device, so device ids cannot be probed
	 */
	async function requireStaff(caller, tenantId, hide = false) {
		if (caller.role !== 'authenticated')
			throw new ApiError(401, '42501', 'Sign in as an owner or manager of the tenant');
		const allowed = await asCaller(db, caller, async (tx) => {
			const { rows } = await tx.query(`select cratemesh.has_role_on_tenant($1::uuid, '{owner,manager}') as ok`, [
				tenantId
			]);
			return /** @type {{ ok: boolean }} */ (rows[0]).ok;
		});
		if (!allowed && hide) throw new ApiError(404, 'PGRST116', 'No enrolled player device with this id');
		if (!allowed) throw new ApiError(403, '42501', 'Only owners and managers of the tenant can enrol players');
	}

	router.post(
		'/players',
		route(async (req, res, caller) => {
			const body = /** @type {Record<string, unknown>} */ ((await readJson(req, 16 * 1024)) ?? {});
			const tenantId = body.tenant_id;
			const name = typeof body.name === 'string' ? body.name.trim() : '';
			const groupId = body.group_id ?? null;
			if (typeof tenantId !== 'string' || !UUID.test(tenantId))
				throw new ApiError(400, '22P02', 'tenant_id must be a uuid');
			if (!name || name.length > 200) throw new ApiError(400, '23514', 'name must be 1 to 200 characters');
			if (groupId !== null && (typeof groupId !== 'string' || !UUID.test(groupId)))
				throw new ApiError(400, '22P02', 'group_id must be a uuid or null');
			await requireStaff(caller, tenantId);
			const email = `player-${randomBytes(6).toString('hex')}@players.cratemesh.invalid`;
			const password = generatePassword();
			const passwordHash = await hashPassword(password);
			const result = await db.transaction(async (tx) => {
				const userId = await auth.createUser({ email, passwordHash, appMetadata: { cratemesh_player: true }, tx });
				await tx.query(`insert into public.memberships (tenant_id, user_id, role) values ($1, $2, 'player')`, [
					tenantId,
					userId
				]);
				const { rows } = await tx.query(
					`insert into public.devices (tenant_id, name, kind, user_id, group_id) values ($1, $2, 'player', $3, $4) returning id`,
					[tenantId, name, userId, groupId]
				);
				return { device_id: /** @type {{ id: string }} */ (rows[0]).id, user_id: userId };
			});
			res.set('Cache-Control', 'no-store');
			sendJson(res, 201, { ...result, tenant_id: tenantId, email, password });
		})
	);

	/**
	 * Staff accounts (the box sends no e-mail, so nobody signs up): an owner creates the account and
	 * its membership in one go. An address that already has an account just gets the membership (or
	 * its new role), as invite_member() does. The membership is inserted as the caller, so the
	 * "owners add members" policy decides, not this code.
	 */
	router.post(
		'/accounts',
		route(async (req, res, caller) => {
			const body = /** @type {Record<string, unknown>} */ ((await readJson(req, 16 * 1024)) ?? {});
			const tenantId = body.tenant_id;
			const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
			const role = body.role;
			if (typeof tenantId !== 'string' || !UUID.test(tenantId))
				throw new ApiError(400, '22P02', 'tenant_id must be a uuid');
			if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 320)
				throw new ApiError(400, '22023', 'invalid email address');
			if (role !== 'owner' && role !== 'manager' && role !== 'dj')
				throw new ApiError(400, '22023', 'role must be owner, manager or dj (players are enrolled with /players)');
			if (caller.role !== 'authenticated') throw new ApiError(401, '42501', 'Sign in as an owner of the tenant');
			const existing = await auth.findUserByEmail(email);
			if (existing?.id === caller.userId) throw new ApiError(400, '22023', 'owners cannot change their own role');
			const password = existing ? null : generatePassword();
			const passwordHash = password ? await hashPassword(password) : null;
			const userId = await db.transaction(async (tx) => {
				const id =
					existing?.id ?? (await auth.createUser({ email, passwordHash: /** @type {string} */ (passwordHash), tx }));
				await tx.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [
					JSON.stringify(caller.claims)
				]);
				await tx.query(
					`insert into public.memberships (tenant_id, user_id, role) values ($1, $2, $3)
				 on conflict (tenant_id, user_id) do update set role = excluded.role`,
					[tenantId, id, role]
				);
				return id;
			});
			res.set('Cache-Control', 'no-store');
			sendJson(res, existing ? 200 : 201, {
				user_id: userId,
				email,
				role,
				tenant_id: tenantId,
				created: !existing,
				password
			});
		})
	);

	/** A fresh password for a player (a replaced or reset device); its old sessions end. */
	router.post(
		'/players/:deviceId/password',
		route(async (req, res, caller) => {
			const device = await playerDevice(req.params.deviceId);
			await requireStaff(caller, device.tenant_id, true);
			const password = generatePassword();
			await auth.setPassword(device.user_id, password);
			await db.query(`delete from onebox.sessions where user_id = $1`, [device.user_id]);
			res.set('Cache-Control', 'no-store');
			sendJson(res, 200, { device_id: device.id, email: device.email, password });
		})
	);

	/** Removes the player's account: its sessions end, its membership goes, the device row stays (user_id becomes null). */
	router.delete(
		'/players/:deviceId',
		route(async (req, res, caller) => {
			const device = await playerDevice(req.params.deviceId);
			await requireStaff(caller, device.tenant_id, true);
			await db.query(`delete from auth.users where id = $1`, [device.user_id]);
			res.status(204).end();
		})
	);

	/** @param {string | undefined} deviceId */
	async function playerDevice(deviceId) {
		if (!deviceId || !UUID.test(deviceId)) throw new ApiError(400, '22P02', 'device id must be a uuid');
		const { rows } = await db.query(
			`select d.id, d.tenant_id, d.user_id, u.email from public.devices d
			 join auth.users u on u.id = d.user_id
			 where d.id = $1 and (u.raw_app_meta_data ->> 'cratemesh_player')::boolean`,
			[deviceId]
		);
		const device = /** @type {{ id: string, tenant_id: string, user_id: string, email: string } | undefined} */ (
			rows[0]
		);
		// Same answer for "no such device" and "not an enrolled player": ids cannot be probed.
		if (!device) throw new ApiError(404, 'PGRST116', 'No enrolled player device with this id');
		return device;
	}

	router.all(
		'*',
		route(async () => {
			throw new ApiError(404, 'PGRST125', 'Unknown one-box endpoint');
		})
	);
	return router;
}
