import { ApiError } from './errors.js';
import { JwtError, verifyJwt } from './jwt.js';

/**
 * @typedef {{ role: 'anon' | 'authenticated', claims: Record<string, any>, userId: string | null }} Caller
 * @typedef {import('./db-client.js').Tx} Tx
 */

/**
 * Who is calling, from `Authorization: Bearer <jwt>` (supabase-js sends the anon key when signed out).
 * No header at all is anonymous, as with PostgREST. A token that fails verification is refused
 * outright rather than downgraded to anon, so a client notices its session is gone.
 * @param {import('express').Request} req
 * @param {Buffer} secret
 * @returns {Caller}
 */
export function callerOf(req, secret) {
	const header = req.get('authorization');
	if (!header) return { role: 'anon', claims: { role: 'anon' }, userId: null };
	const match = /^Bearer\s+(\S+)$/i.exec(header);
	if (!match)
		throw new ApiError(401, 'PGRST301', 'Authorization header must be "Bearer <JWT>"', {
			headers: { 'WWW-Authenticate': 'Bearer' }
		});
	let claims;
	try {
		claims = verifyJwt(/** @type {string} */ (match[1]), secret);
	} catch (error) {
		const expired = error instanceof JwtError && error.reason === 'expired';
		throw new ApiError(
			401,
			expired ? 'PGRST303' : 'PGRST301',
			expired ? 'JWT expired' : /** @type {Error} */ (error).message,
			{
				headers: {
					'WWW-Authenticate': `Bearer error="invalid_token", error_description="${expired ? 'JWT expired' : 'invalid JWT'}"`
				}
			}
		);
	}
	if (claims.role === 'anon') return { role: 'anon', claims, userId: null };
	if (claims.role === 'authenticated' && typeof claims.sub === 'string' && /^[0-9a-f-]{36}$/i.test(claims.sub))
		return { role: 'authenticated', claims, userId: claims.sub };
	throw new ApiError(401, 'PGRST301', `JWT role "${String(claims.role)}" is not accepted by the one-box server`, {
		headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' }
	});
}

/**
 * One request = one transaction running as the caller, exactly as PostgREST does it: `role` and
 * `request.jwt.claims` set local to the transaction, so RLS policies and auth.uid() see the caller.
 * PGlite has one connection and `transaction()` queues callers (db-client.js), so transactions never interleave;
 * keep network waits (streaming bodies) outside `fn`.
 * @template T
 * @param {import('./db-client.js').Db} db
 * @param {Caller} caller
 * @param {(tx: Tx) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export function asCaller(db, caller, fn) {
	return db.transaction(async (tx) => {
		await tx.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [
			caller.role,
			JSON.stringify(caller.claims)
		]);
		return fn(tx);
	});
}
