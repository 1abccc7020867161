import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt with N=2^15, r=8, p=1: about 50 ms and 32 MiB per hash, the OWASP baseline.
const N = 32768;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 64 * 1024 * 1024;
// Each hash holds 32 MiB for ~50 ms on the libuv pool: two at a time, the rest wait their turn.
const MAX_PARALLEL = 2;
let running = 0;
/** @type {(() => void)[]} */
const waiting = [];

/**
 * @param {string} password
 * @param {Buffer} salt
 * @param {{ N: number, r: number, p: number }} cost
 * @returns {Promise<Buffer>}
 */
async function derive(password, salt, cost) {
	if (running >= MAX_PARALLEL) await new Promise((resolve) => waiting.push(() => resolve(undefined)));
	running++;
	try {
		return await new Promise((resolve, reject) =>
			scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { ...cost, maxmem: MAX_MEM }, (error, key) =>
				error ? reject(error) : resolve(key)
			)
		);
	} finally {
		running--;
		waiting.shift()?.();
	}
}

/** `scrypt$N$r$p$salt$hash` (base64url parts), stored in auth.users.encrypted_password. */
export async function hashPassword(/** @type {string} */ password) {
	const salt = randomBytes(16);
	const key = await derive(password, salt, { N, r: R, p: P });
	return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * @param {string} password
 * @param {string | null | undefined} stored
 */
export async function verifyPassword(password, stored) {
	const parts = (stored ?? '').split('$');
	if (parts.length !== 6 || parts[0] !== 'scrypt') {
		// Same work as a real check, so a missing account cannot be told apart by timing.
		await derive(password, Buffer.alloc(16), { N, r: R, p: P });
		return false;
	}
	const [, n, r, p, salt, hash] = parts;
	const expected = Buffer.from(/** @type {string} */ (hash), 'base64url');
	const key = await derive(password, Buffer.from(/** @type {string} */ (salt), 'base64url'), {
		N: Number(n),
		r: Number(r),
		p: Number(p)
	});
	return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A password people can type from a printed sheet: 20 characters from an unambiguous alphabet (~100 bits).
 * @returns {string}
 */
export function generatePassword() {
	const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
	const bytes = randomBytes(40);
	let out = '';
	for (const byte of bytes) {
		// 54 symbols: reject bytes above the largest multiple of 54 to keep the choice uniform.
		if (byte >= 216) continue;
		out += alphabet[byte % alphabet.length];
		if (out.length === 20) break;
	}
	return out.length === 20 ? out : generatePassword();
}
