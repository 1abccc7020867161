import { ApiError } from './errors.js';

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const FIELD_LIMIT = 64 * 1024;

/**
 * @typedef {{ write: (chunk: Buffer) => Promise<void> | void, start: (part: { filename: string | null, contentType: string }) => Promise<void> | void }} FileSink
 */

/** @param {string} header */
function partHeaders(header) {
	/** @type {Record<string, string>} */
	const out = {};
	for (const line of header.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return out;
}

/** @param {string} disposition @param {string} key */
function dispositionParam(disposition, key) {
	const match =
		new RegExp(`(?:^|;)\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(disposition) ??
		new RegExp(`(?:^|;)\\s*${key}=([^;]*)`, 'i').exec(disposition);
	return match ? /** @type {string} */ (match[1]).trim() : null;
}

/**
 * Streams a multipart/form-data body (what supabase-js sends for a Blob or File upload): small text
 * fields are collected, the first file part is handed to `sink` chunk by chunk (awaited, so disk
 * back-pressure reaches the socket), never held whole in memory.
 * @param {AsyncIterable<Buffer>} body
 * @param {string} boundary
 * @param {FileSink} sink
 * @returns {Promise<{ fields: Record<string, string>, file: boolean }>}
 */
export async function parseMultipart(body, boundary, sink) {
	if (!boundary || boundary.length > 200) throw new ApiError(400, 'InvalidRequest', 'Malformed multipart boundary');
	const delimiter = Buffer.from(`\r\n--${boundary}`);
	/** @type {Record<string, string>} */
	const fields = {};
	let file = false;
	// Prepend CRLF so the first boundary looks like every other one.
	/** @type {Buffer} */
	let buffer = Buffer.from('\r\n');
	/** @type {'preamble' | 'headers' | 'body' | 'after' | 'done'} */
	let state = 'preamble';
	/** @type {{ kind: 'field', name: string, chunks: Buffer[], size: number } | { kind: 'file' } | { kind: 'skip' } | null} */
	let part = null;

	const flushBody = async (/** @type {Buffer} */ chunk) => {
		if (!part || chunk.length === 0) return;
		if (part.kind === 'file') await sink.write(chunk);
		else if (part.kind === 'field') {
			part.size += chunk.length;
			if (part.size > FIELD_LIMIT) throw new ApiError(400, 'InvalidRequest', 'A form field is too large');
			part.chunks.push(chunk);
		}
	};

	for await (const chunk of body) {
		// Read the epilogue to the end rather than breaking out: that would destroy the request's socket.
		if (state === 'done') continue;
		buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
		for (;;) {
			if (state === 'preamble') {
				const at = buffer.indexOf(delimiter);
				if (at < 0) {
					if (buffer.length > FIELD_LIMIT) throw new ApiError(400, 'InvalidRequest', 'Multipart boundary not found');
					break;
				}
				buffer = buffer.subarray(at + delimiter.length);
				state = 'after';
			} else if (state === 'after') {
				if (buffer.length < 2) break;
				if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
					state = 'done';
					buffer = Buffer.alloc(0);
					break;
				}
				const eol = buffer.indexOf(CRLF);
				if (eol < 0) break;
				buffer = buffer.subarray(eol + 2);
				state = 'headers';
			} else if (state === 'headers') {
				const end = buffer.indexOf(HEADER_END);
				if (end < 0) {
					if (buffer.length > 16 * 1024) throw new ApiError(400, 'InvalidRequest', 'Multipart part headers too large');
					break;
				}
				const headers = partHeaders(buffer.subarray(0, end).toString('utf8'));
				buffer = buffer.subarray(end + 4);
				const disposition = headers['content-disposition'] ?? '';
				const name = dispositionParam(disposition, 'name') ?? '';
				const filename = dispositionParam(disposition, 'filename');
				if (filename !== null || name === '') {
					if (file) throw new ApiError(400, 'InvalidRequest', 'Upload one file per request');
					file = true;
					part = { kind: 'file' };
					await sink.start({ filename, contentType: headers['content-type'] ?? 'application/octet-stream' });
				} else if (Object.keys(fields).length < 20) part = { kind: 'field', name, chunks: [], size: 0 };
				else part = { kind: 'skip' };
				state = 'body';
			} else if (state === 'body') {
				const at = buffer.indexOf(delimiter);
				if (at < 0) {
					// Keep a tail that could be the start of a delimiter split across chunks.
					const keep = Math.min(buffer.length, delimiter.length - 1);
					await flushBody(buffer.subarray(0, buffer.length - keep));
					buffer = Buffer.from(buffer.subarray(buffer.length - keep));
					break;
				}
				await flushBody(buffer.subarray(0, at));
				if (part?.kind === 'field') fields[part.name] = Buffer.concat(part.chunks).toString('utf8');
				part = null;
				buffer = buffer.subarray(at + delimiter.length);
				state = 'after';
			} else break;
		}
	}
	if (state !== 'done') throw new ApiError(400, 'InvalidRequest', 'Multipart body ended before its closing boundary');
	return { fields, file };
}
