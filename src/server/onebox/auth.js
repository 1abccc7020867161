import { createHash, randomBytes, randomUUID } from 'node:crypto';
import express from 'express';
import { readJson } from './http-util.js';
import { JwtError, signJwt, verifyJwt } from './jwt.js';
import { hashPassword, verifyPassword } from './passwords.js';

export const ACCESS_TOKEN_SECONDS = 3600;
/** A refresh token used again within this window returns a new pair (parallel tabs refreshing at once). */
const REUSE_WINDOW_SECONDS = 10;

/** Failed sign-ins allowed per address (and per client address) in a window, as GoTrue rate-limits too. */
const FAILURE_LIMIT = 10;
const FAILURE_WINDOW_MS = 5 * 60_000;

/**
 * Counts failures per key in a sliding window; an address or a client over the limit is answered
 * 429 before any password hash is computed, so guessing is slow and cannot starve the CPU.
 */
export class FailureThrottle {
	/** @type {Map<string, number[]>} */
	#failures = new Map();
	constructor(limit = FAILURE_LIMIT, windowMs = FAILURE_WINDOW_MS) {
		this.limit = limit;
		this.windowMs = windowMs;
	}
	/** @param {string} key */
	#recent(key, now = Date.now()) {
		const list = (this.#failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
		if (list.length) this.#failures.set(key, list);
		else this.#failures.delete(key);
		return list;
	}
	/** @param {string[]} keys */
	blocked(keys) {
		// A client address may stand for many people (one NAT, one proxy): it gets five times the room.
		return keys.some((key) => this.#recent(key).length >= (key.startsWith('ip:') ? this.limit * 5 : this.limit));
	}
	/** @param {string[]} keys */
	fail(keys) {
		const now = Date.now();
		for (const key of keys) this.#failures.set(key, [...this.#recent(key, now), now]);
		// Bounded memory under a flood of distinct keys.
		if (this.#failures.size > 10_000) this.#failures.delete(/** @type {string} */ (this.#failures.keys().next().value));
	}
	/** @param {string[]} keys */
	clear(keys) {
		for (const key of keys) this.#failures.delete(key);
	}
}

/** @param {string} token */
const tokenHash = (token) => createHash('sha256').update(token).digest('hex');

class AuthError extends Error {
	/** @param {number} status @param {string} code @param {string} message */
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

/**
 * @typedef {{ id: string, email: string, email_confirmed_at: string | null, raw_app_meta_data: any,
 *   raw_user_meta_data: any, created_at: string, updated_at: string, encrypted_password?: string }} UserRow
 */

/** The user object GoTrue returns. @param {UserRow} u */
export function userJson(u) {
	const iso = (/** @type {unknown} */ v) => (v ? new Date(/** @type {string} */ (v)).toISOString() : null);
	return {
		id: u.id,
		aud: 'authenticated',
		role: 'authenticated',
		email: u.email,
		email_confirmed_at: iso(u.email_confirmed_at),
		confirmed_at: iso(u.email_confirmed_at),
		phone: '',
		app_metadata: { provider: 'email', providers: ['email'], ...(u.raw_app_meta_data ?? {}) },
		user_metadata: u.raw_user_meta_data ?? {},
		identities: [],
		created_at: iso(u.created_at),
		updated_at: iso(u.updated_at),
		is_anonymous: false
	};
}

/**
 * Local accounts and sessions: the GoTrue subset supabase-js's auth client uses.
 * @param {{ db: import('./db-client.js').Db, secret: Buffer, issuer: () => string, throttle?: FailureThrottle }} deps
 */
export function createAuth({ db, secret, issuer, throttle = new FailureThrottle() }) {
	/** @param {string} email */
	async function findUserByEmail(email) {
		const { rows } = await db.query(`select * from auth.users where lower(email) = lower($1) limit 1`, [email]);
		return /** @type {UserRow | undefined} */ (rows[0]);
	}

	/**
	 * Creates a confirmed account (owners create accounts; there is no e-mail round trip on a LAN).
	 * Pass `passwordHash` (from hashPassword) when calling inside a transaction, so the ~50 ms hash is not
	 * computed while holding the database.
	 * @param {{ email: string, password?: string, passwordHash?: string, appMetadata?: object, tx?: import('./db-client.js').Tx }} input
	 * @returns {Promise<string>} the user id
	 */
	async function createUser({ email, password, passwordHash, appMetadata = {}, tx }) {
		const id = randomUUID();
		const hash = passwordHash ?? (await hashPassword(/** @type {string} */ (password)));
		await (tx ?? db).query(
			`insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
			 values ($1, 'authenticated', 'authenticated', lower($2), $3, now(), $4::text::jsonb, '{}')`,
			[id, email, hash, JSON.stringify({ provider: 'email', providers: ['email'], ...appMetadata })]
		);
		return id;
	}

	/** @param {string} userId @param {string} password */
	async function setPassword(userId, password) {
		const hash = await hashPassword(password);
		await db.query(`update auth.users set encrypted_password = $2, updated_at = now() where id = $1`, [userId, hash]);
	}

	/**
	 * @param {UserRow} user
	 * @param {string} sessionId
	 * @param {import('./db-client.js').Tx | import('./db-client.js').Db} tx
	 */
	async function issue(user, sessionId, tx) {
		const now = Math.floor(Date.now() / 1000);
		const refresh = randomBytes(24).toString('base64url');
		await tx.query(`insert into onebox.refresh_tokens (token_sha256, session_id, user_id) values ($1, $2, $3)`, [
			tokenHash(refresh),
			sessionId,
			user.id
		]);
		const profile = userJson(user);
		const accessToken = signJwt(
			{
				aud: 'authenticated',
				exp: now + ACCESS_TOKEN_SECONDS,
				iat: now,
				iss: issuer(),
				sub: user.id,
				email: user.email,
				phone: '',
				app_metadata: profile.app_metadata,
				user_metadata: profile.user_metadata,
				role: 'authenticated',
				aal: 'aal1',
				amr: [{ method: 'password', timestamp: now }],
				session_id: sessionId,
				is_anonymous: false
			},
			secret
		);
		return {
			access_token: accessToken,
			token_type: 'bearer',
			expires_in: ACCESS_TOKEN_SECONDS,
			expires_at: now + ACCESS_TOKEN_SECONDS,
			refresh_token: refresh,
			user: profile
		};
	}

	/** @param {string} email @param {string} password */
	async function signIn(email, password) {
		const user = await findUserByEmail(email);
		const ok = await verifyPassword(password, user?.encrypted_password);
		if (!user || !ok) throw new AuthError(400, 'invalid_credentials', 'Invalid login credentials');
		return db.transaction(async (tx) => {
			const sessionId = randomUUID();
			await tx.query(`insert into onebox.sessions (id, user_id) values ($1, $2)`, [sessionId, user.id]);
			return issue(user, sessionId, tx);
		});
	}

	/** @param {string} refreshToken */
	function refresh(refreshToken) {
		return db.transaction(async (tx) => {
			const { rows } = await tx.query(
				`select r.session_id, r.user_id, extract(epoch from now() - r.used_at)::float8 as used_ago
				 from onebox.refresh_tokens r where r.token_sha256 = $1 for update`,
				[tokenHash(refreshToken)]
			);
			const row = /** @type {{ session_id: string, user_id: string, used_ago: number | null } | undefined} */ (rows[0]);
			if (!row) throw new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
			if (row.used_ago !== null && row.used_ago > REUSE_WINDOW_SECONDS) {
				// A stolen token replayed after its owner rotated it: end the whole session.
				await tx.query(`delete from onebox.sessions where id = $1`, [row.session_id]);
				throw new AuthError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
			}
			await tx.query(`update onebox.refresh_tokens set used_at = coalesce(used_at, now()) where token_sha256 = $1`, [
				tokenHash(refreshToken)
			]);
			// Rotated tokens only matter for reuse detection: keep a day of them, not every hour of a player's life.
			await tx.query(`delete from onebox.refresh_tokens where session_id = $1 and used_at < now() - interval '1 day'`, [
				row.session_id
			]);
			const { rows: users } = await tx.query(`select * from auth.users where id = $1`, [row.user_id]);
			const user = /** @type {UserRow | undefined} */ (users[0]);
			if (!user) throw new AuthError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found');
			return issue(user, row.session_id, tx);
		});
	}

	/**
	 * The signed-in caller of an auth endpoint: a valid access token whose session still exists.
	 * @param {import('express').Request} req
	 */
	async function sessionOf(req) {
		const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
		if (!match) throw new AuthError(401, 'no_authorization', 'This endpoint requires a Bearer token');
		let claims;
		try {
			claims = verifyJwt(/** @type {string} */ (match[1]), secret);
		} catch (error) {
			const expired = error instanceof JwtError && error.reason === 'expired';
			throw new AuthError(
				403,
				'bad_jwt',
				expired ? 'invalid JWT: token is expired' : 'invalid JWT: unable to parse or verify signature'
			);
		}
		if (claims.role !== 'authenticated' || typeof claims.session_id !== 'string')
			throw new AuthError(403, 'bad_jwt', 'invalid JWT: not a user session');
		const { rows } = await db.query(
			`select u.* from onebox.sessions s join auth.users u on u.id = s.user_id where s.id = $1 and u.id = $2`,
			[claims.session_id, claims.sub]
		);
		if (!rows[0]) throw new AuthError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist');
		return { claims, user: /** @type {UserRow} */ (rows[0]) };
	}

	const router = express.Router();
	/** @param {(req: import('express').Request, res: import('express').Response) => Promise<unknown>} handler */
	const route = (handler) =>
		/** @type {import('express').RequestHandler} */ (
			async (req, res) => {
				res.set('X-Supabase-Api-Version', '2024-01-01');
				try {
					await handler(req, res);
				} catch (error) {
					const e = error instanceof AuthError ? error : null;
					if (!e && !(/** @type {{ status?: number }} */ (error)?.status)) console.error('onebox auth:', error);
					const status = e?.status ?? /** @type {{ status?: number }} */ (error)?.status ?? 500;
					res.status(status).json({
						code:
							e?.code ??
							(status === 413 ? 'request_too_large' : status === 400 ? 'validation_failed' : 'unexpected_failure'),
						message: /** @type {Error} */ (error).message
					});
				}
			}
		);
	const body = async (/** @type {import('express').Request} */ req) => {
		const value = await readJson(req, 64 * 1024);
		if (typeof value !== 'object' || value === null || Array.isArray(value))
			throw new AuthError(400, 'validation_failed', 'Expected a JSON object');
		return /** @type {Record<string, unknown>} */ (value);
	};

	router.post(
		'/token',
		route(async (req, res) => {
			const grant = req.query.grant_type;
			const input = await body(req);
			if (grant === 'password') {
				if (typeof input.email !== 'string' || typeof input.password !== 'string' || !input.email || !input.password)
					throw new AuthError(400, 'validation_failed', 'An email and a password are required');
				const keys = [`email:${input.email.trim().toLowerCase()}`, `ip:${req.ip}`];
				if (throttle.blocked(keys))
					throw new AuthError(
						429,
						'over_request_rate_limit',
						'Too many failed sign-ins: wait a few minutes and try again'
					);
				try {
					const session = await signIn(input.email, input.password);
					throttle.clear([/** @type {string} */ (keys[0])]);
					return res.json(session);
				} catch (error) {
					if (error instanceof AuthError && error.code === 'invalid_credentials') throttle.fail(keys);
					throw error;
				}
			}
			if (grant === 'refresh_token') {
				if (typeof input.refresh_token !== 'string' || !input.refresh_token)
					throw new AuthError(400, 'validation_failed', 'refresh_token is required');
				return res.json(await refresh(input.refresh_token));
			}
			throw new AuthError(
				400,
				'unsupported_grant_type',
				'The one-box server supports grant_type=password and refresh_token'
			);
		})
	);

	router.get(
		'/user',
		route(async (req, res) => {
			const { user } = await sessionOf(req);
			res.json(userJson(user));
		})
	);

	router.put(
		'/user',
		route(async (req, res) => {
			const { user } = await sessionOf(req);
			const input = await body(req);
			if (input.email !== undefined || input.phone !== undefined)
				throw new AuthError(
					422,
					'feature_not_available',
					'Changing the e-mail address is not available on a one-box server'
				);
			if (input.password !== undefined) {
				if (typeof input.password !== 'string' || input.password.length < 8)
					throw new AuthError(422, 'weak_password', 'Password should be at least 8 characters.');
				await setPassword(user.id, input.password);
			}
			const { rows } = await db.query(`select * from auth.users where id = $1`, [user.id]);
			res.json(userJson(/** @type {UserRow} */ (rows[0])));
		})
	);

	router.post(
		'/logout',
		route(async (req, res) => {
			const { claims } = await sessionOf(req);
			const scope = req.query.scope ?? 'global';
			if (scope === 'local') await db.query(`delete from onebox.sessions where id = $1`, [claims.session_id]);
			else if (scope === 'others')
				await db.query(`delete from onebox.sessions where user_id = $1 and id <> $2`, [claims.sub, claims.session_id]);
			else await db.query(`delete from onebox.sessions where user_id = $1`, [claims.sub]);
			res.status(204).end();
		})
	);

	router.post(
		'/signup',
		route(async () => {
			throw new AuthError(
				422,
				'signup_disabled',
				'Sign-ups are disabled on this one-box server: ask an owner to create your account.'
			);
		})
	);
	for (const path of ['/otp', '/magiclink', '/recover', '/resend', '/verify'])
		router.all(
			path,
			route(async () => {
				throw new AuthError(
					422,
					'email_provider_disabled',
					'This one-box server sends no e-mail: sign in with your password, or ask an owner to reset it.'
				);
			})
		);
	router.get(
		'/settings',
		route(async (_req, res) => {
			res.json({
				external: { email: true },
				disable_signup: true,
				mailer_autoconfirm: true,
				phone_autoconfirm: false,
				sms_provider: ''
			});
		})
	);
	router.all(
		'*',
		route(async (req) => {
			throw new AuthError(404, 'not_found', `${req.method} /auth/v1${req.path} is not available on a one-box server`);
		})
	);

	return { router, createUser, setPassword, findUserByEmail, sessionOf, signIn };
}
