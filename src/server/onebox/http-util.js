import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { ApiError } from './errors.js';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
/** Below this, compression costs more than it saves. */
const COMPRESS_MIN = 1024;

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

/**
 * Sends a text body, compressed when the client accepts it and it is worth it (a first manifest of
 * 10,000 assets is 1.6 MB of JSON; hashes and repeated keys shrink several-fold), as Supabase's
 * gateway does. Compression runs on the libuv pool, not the event loop.
 * @param {import('express').Request} req
 * @param {import('express').Response} res
 * @param {string} text
 */
export async function sendText(req, res, text) {
	res.vary('Accept-Encoding');
	const accept = req.get('accept-encoding') ?? '';
	if (req.method === 'HEAD' || Buffer.byteLength(text) < COMPRESS_MIN || !/\b(br|gzip)\b/.test(accept)) {
		res.send(text);
		return;
	}
	const useBrotli = /\bbr\b/.test(accept);
	const body = useBrotli
		? await brotli(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })
		: await gzipAsync(text, { level: 6 });
	res.set('Content-Encoding', useBrotli ? 'br' : 'gzip');
	res.send(body);
}
