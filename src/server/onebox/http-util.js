import { ApiError } from './errors.js';

/**
 * The whole request body, refused with 413 past `limit` bytes (checked as it arrives).
 * @param {import('node:http').IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<Buffer>}
 */
export async function readBody(req, limit) {
	const declared = Number(req.headers['content-length'] ?? 0);
	if (declared > limit) throw new ApiError(413, 'PGRST413', `Request body larger than ${limit} bytes`);
	const chunks = [];
	let size = 0;
	for await (const chunk of req) {
		size += chunk.length;
		if (size > limit) throw new ApiError(413, 'PGRST413', `Request body larger than ${limit} bytes`);
		chunks.push(chunk);
	}
	return Buffer.concat(chunks);
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<unknown>}  undefined for an empty body
 */
export async function readJson(req, limit) {
	const body = await readBody(req, limit);
	if (body.length === 0) return undefined;
	try {
		return JSON.parse(body.toString('utf8'));
	} catch (error) {
		throw new ApiError(400, 'PGRST102', 'Empty or invalid json', { details: /** @type {Error} */ (error).message });
	}
}

/**
 * @param {import('express').Response} res
 * @param {number} status
 * @param {unknown} value
 */
export function sendJson(res, status, value) {
	res.status(status).type('application/json; charset=utf-8').send(JSON.stringify(value));
}

/**
 * CORS as Supabase's gateway does it (bearer tokens, never cookies, so any origin may call),
 * which lets `vite dev` on another port talk to the one-box API.
 * @type {import('express').RequestHandler}
 */
export function cors(req, res, next) {
	res.set('Access-Control-Allow-Origin', req.get('origin') ?? '*');
	res.set('Vary', 'Origin');
	res.set(
		'Access-Control-Expose-Headers',
		'Content-Range, Content-Length, Content-Type, ETag, Accept-Ranges, Location, X-Supabase-Api-Version'
	);
	if (req.method === 'OPTIONS') {
		res.set('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
		res.set('Access-Control-Allow-Headers', req.get('access-control-request-headers') ?? '*');
		res.set('Access-Control-Max-Age', '86400');
		res.status(204).end();
		return;
	}
	next();
}
