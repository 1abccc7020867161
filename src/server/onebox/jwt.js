import { createHmac, timingSafeEqual } from 'node:crypto';

/** @param {unknown} value */
const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * HS256 JSON Web Tokens, as Supabase's GoTrue issues and PostgREST verifies them.
 * @param {Record<string, unknown>} claims
 * @param {Buffer | string} secret
 */
export function signJwt(claims, secret) {
	const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
	return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

export class JwtError extends Error {
	/** @param {'invalid' | 'expired'} reason @param {string} message */
	constructor(reason, message) {
		super(message);
		this.reason = reason;
	}
}

/**
 * Verifies signature, algorithm and expiry; returns the claims.
 * @param {string} token
 * @param {Buffer | string} secret
 * @param {number} [now] seconds
 * @returns {Record<string, any>}
 */
export function verifyJwt(token, secret, now = Math.floor(Date.now() / 1000)) {
	const parts = token.split('.');
	if (parts.length !== 3) throw new JwtError('invalid', 'Expected 3 parts in JWT; got ' + parts.length);
	const [header64, claims64, signature64] = /** @type {[string, string, string]} */ (parts);
	let header, claims;
	try {
		header = JSON.parse(Buffer.from(header64, 'base64url').toString('utf8'));
		claims = JSON.parse(Buffer.from(claims64, 'base64url').toString('utf8'));
	} catch {
		throw new JwtError('invalid', 'JWT cannot be decoded');
	}
	// Only HS256: accepting `none` or an asymmetric algorithm with this secret is the classic JWT hole.
	if (!header || header.alg !== 'HS256') throw new JwtError('invalid', 'Wrong or unsupported JWT algorithm');
	const expected = createHmac('sha256', secret).update(`${header64}.${claims64}`).digest();
	const given = Buffer.from(signature64, 'base64url');
	if (given.length !== expected.length || !timingSafeEqual(given, expected))
		throw new JwtError('invalid', 'JWT signature does not match');
	if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
		throw new JwtError('invalid', 'JWT claims are not an object');
	if (claims.exp !== undefined && (typeof claims.exp !== 'number' || claims.exp <= now))
		throw new JwtError('expired', 'JWT expired');
	if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + 30))
		throw new JwtError('invalid', 'JWT not yet valid');
	return claims;
}
