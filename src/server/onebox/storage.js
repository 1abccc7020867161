import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import { asCaller, callerOf } from './context.js';
import { ApiError } from './errors.js';
import { readJson } from './http-util.js';
import { signJwt, verifyJwt } from './jwt.js';
import { parseMultipart } from './multipart.js';
import { parseRange } from './range.js';

/**
 * The Storage API subset supabase-js uses, on files in `<data>/storage/<bucket>/<object name>` (the
 * bucket's own path layout, so a copy of that folder is a ready-made upload for a real project).
 * Every access is decided by `storage.objects` rows read or written as the caller, so the
 * migrations' storage policies apply unchanged; the bytes on disk are only served after that.
 */

const BUCKET = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

class StorageError extends ApiError {
	/** @param {number} status @param {string} error @param {string} message */
	constructor(status, error, message) {
		super(status, error, message);
		this.error = error;
	}
	/**
	 * @override
	 * @returns {Record<string, unknown>}
	 */
	toJSON() {
		return { statusCode: String(this.status), error: this.error, message: this.message };
	}
}

const notFound = () => new StorageError(404, 'not_found', 'Object not found');

/**
 * Object names as Supabase accepts them, minus what would break a path on disk or a signed URL:
 * no empty, `.` or `..` segments, no backslash, `?`, `#`, `%` or control characters.
 * @param {string} name
 */
export function checkObjectName(name) {
	if (!name || name.length > 1024 || name.startsWith('/') || name.endsWith('/'))
		throw new StorageError(400, 'InvalidKey', `Invalid key: ${name}`);
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f\\?#%]/.test(name)) throw new StorageError(400, 'InvalidKey', `Invalid key: ${name}`);
	for (const segment of name.split('/'))
		if (segment === '' || segment === '.' || segment === '..')
			throw new StorageError(400, 'InvalidKey', `Invalid key: ${name}`);
	return name;
}

/** @param {string | undefined} header */
function cacheControlOf(header) {
	const value = (header ?? '').trim();
	if (/^\d{1,10}$/.test(value)) return `max-age=${value}`;
	if (/^[a-z0-9=, -]{1,100}$/i.test(value)) return value;
	return 'max-age=3600';
}

/** @param {string} mime @param {string[] | null} allowed */
function mimeAllowed(mime, allowed) {
	if (!allowed || allowed.length === 0) return true;
	const base = mime.split(';')[0]?.trim().toLowerCase() ?? '';
	return allowed.some((a) =>
		a.endsWith('/*') ? base.startsWith(a.slice(0, -1).toLowerCase()) : base === a.toLowerCase()
	);
}

/** Rolls a transaction back on purpose (a dry run of a policy check). */
class DryRun extends Error {}

/**
 * @param {{ db: import('./db-client.js').Db, secret: Buffer, filesDir: string, tmpDir: string, uploadLimit: number }} deps
 */
export function storageRouter({ db, secret, filesDir, tmpDir, uploadLimit }) {
	const router = express.Router();
	const fileOf = (/** @type {string} */ bucket, /** @type {string} */ name) =>
		join(filesDir, bucket, ...name.split('/'));

	/** @param {(req: import('express').Request, res: import('express').Response, caller: import('./context.js').Caller) => Promise<unknown>} handler */
	const route = (handler) =>
		/** @type {import('express').RequestHandler} */ (
			async (req, res) => {
				try {
					const caller =
						req.path.startsWith('/object/sign/') && req.method === 'GET'
							? /** @type {import('./context.js').Caller} */ ({ role: 'anon', claims: { role: 'anon' }, userId: null })
							: callerOf(req, secret);
					await handler(req, res, caller);
				} catch (error) {
					const e = toStorageError(error);
					if (res.headersSent) {
						res.destroy();
						return;
					}
					res.set(e.headers);
					res.status(e.status).type('application/json').send(JSON.stringify(e));
				}
			}
		);

	/** @param {string} id */
	async function bucketOf(id) {
		if (!BUCKET.test(id)) throw new StorageError(404, 'not_found', 'Bucket not found');
		const { rows } = await db.query(
			`select id, public, file_size_limit, allowed_mime_types from storage.buckets where id = $1`,
			[id]
		);
		const bucket =
			/** @type {{ id: string, public: boolean, file_size_limit: number | null, allowed_mime_types: string[] | null } | undefined} */ (
				rows[0]
			);
		if (!bucket) throw new StorageError(404, 'not_found', 'Bucket not found');
		return bucket;
	}

	/** bucket id and object name from `/…/:bucket/<name…>` */
	const target = (/** @type {import('express').Request} */ req) => ({
		bucket: /** @type {string} */ (req.params.bucket),
		name: checkObjectName(/** @type {string} */ (req.params[0] ?? ''))
	});

	/**
	 * @param {import('./context.js').Caller} caller
	 * @param {string} bucket
	 * @param {string} name
	 * @returns {Promise<{ id: string, metadata: any, created_at: string, updated_at: string }>}
	 */
	async function readableObject(caller, bucket, name) {
		const row = await asCaller(db, caller, async (tx) => {
			const { rows } = await tx.query(
				`select id, metadata, created_at, updated_at from storage.objects where bucket_id = $1 and name = $2`,
				[bucket, name]
			);
			return rows[0];
		});
		if (!row) throw notFound();
		return /** @type {any} */ (row);
	}

	// ---- Upload ----
	const upload = route(async (req, res, caller) => {
		const { bucket: bucketId, name } = target(req);
		const bucket = await bucketOf(bucketId);
		const upsert = req.method === 'PUT' || /^true$/i.test(req.get('x-upsert') ?? '');
		const limit = Math.min(uploadLimit, bucket.file_size_limit ?? Infinity);
		const declared = Number(req.get('content-length') ?? 0);
		if (declared > limit + 64 * 1024)
			throw new StorageError(413, 'EntityTooLarge', 'The object exceeded the maximum allowed size');
		const owner = caller.userId;
		const insert = `insert into storage.objects (bucket_id, name, owner, owner_id, metadata)
			values ($1, $2, $3, $4, $5::text::jsonb)
			${
				upsert
					? `on conflict (bucket_id, name) do update set metadata = excluded.metadata, owner = excluded.owner,
			            owner_id = excluded.owner_id, updated_at = now(), last_accessed_at = now()`
					: ''
			}
			returning id`;
		// Policies first, with a dry run, so a refused upload is refused before its bytes are read.
		try {
			await asCaller(db, caller, async (tx) => {
				await tx.query(insert, [bucketId, name, owner, owner, '{}']);
				throw new DryRun();
			});
		} catch (error) {
			if (!(error instanceof DryRun)) throw error;
		}

		const temp = join(tmpDir, randomUUID());
		const sha256 = createHash('sha256');
		const md5 = createHash('md5');
		let size = 0;
		let contentType = (req.get('content-type') ?? 'application/octet-stream').trim();
		let cacheControl = cacheControlOf(req.get('cache-control'));
		const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
		/** @type {Promise<void>} */
		const closed = new Promise((resolve, reject) => {
			out.once('close', () => resolve());
			out.once('error', reject);
		});
		const sink = {
			/** @param {{ contentType: string }} part */
			start(part) {
				contentType = part.contentType;
				if (!mimeAllowed(contentType, bucket.allowed_mime_types))
					throw new StorageError(415, 'invalid_mime_type', `mime type ${contentType} is not supported`);
			},
			/** @param {Buffer} chunk */
			async write(chunk) {
				size += chunk.length;
				if (size > limit) throw new StorageError(413, 'EntityTooLarge', 'The object exceeded the maximum allowed size');
				sha256.update(chunk);
				md5.update(chunk);
				if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
			}
		};
		try {
			const multipart = /^multipart\/form-data/i.test(contentType);
			if (multipart) {
				const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
				const { fields, file } = await parseMultipart(req, (boundary?.[1] ?? boundary?.[2] ?? '').trim(), sink);
				if (!file) throw new StorageError(400, 'InvalidRequest', 'No file in the form');
				if (fields.cacheControl) cacheControl = cacheControlOf(fields.cacheControl);
			} else {
				sink.start({ contentType });
				for await (const chunk of req) await sink.write(chunk);
			}
			out.end();
			await closed;
		} catch (error) {
			out.destroy();
			await closed.catch(() => {});
			await unlink(temp).catch(() => {});
			// Drain what the client still sends so it can read the error instead of a reset.
			req.resume();
			throw error;
		}

		const eTag = `"${md5.digest('hex')}"`;
		const metadata = {
			eTag,
			size,
			// Served back as Content-Type: only a plain type/subtype is kept.
			mimetype: /^[\w.+-]+\/[\w.+-]+$/.test(contentType.split(';')[0]?.trim() ?? '')
				? /** @type {string} */ (contentType.split(';')[0]).trim().toLowerCase()
				: 'application/octet-stream',
			cacheControl,
			lastModified: new Date().toISOString(),
			contentLength: size,
			httpStatusCode: 200,
			sha256: sha256.digest('hex')
		};
		try {
			const id = await asCaller(db, caller, async (tx) => {
				const { rows } = await tx.query(insert, [bucketId, name, owner, owner, JSON.stringify(metadata)]);
				const path = fileOf(bucketId, name);
				await mkdir(dirname(path), { recursive: true });
				// Inside the transaction: if the rename fails, the row is rolled back with it.
				await rename(temp, path);
				return /** @type {{ id: string }} */ (rows[0]).id;
			});
			res.json({ Id: id, Key: `${bucketId}/${name}` });
		} catch (error) {
			await unlink(temp).catch(() => {});
			throw error;
		}
	});

	/**
	 * Sends an object's bytes with validators and single-range support (206 / 416), streamed.
	 * @param {import('express').Request} req
	 * @param {import('express').Response} res
	 * @param {string} bucket
	 * @param {string} name
	 * @param {{ metadata: any, updated_at: string }} row
	 */
	async function sendObject(req, res, bucket, name, row) {
		const path = fileOf(bucket, name);
		let info;
		try {
			info = await stat(path);
		} catch {
			console.error(`onebox storage: ${bucket}/${name} has a row but no file`);
			throw notFound();
		}
		const meta = row.metadata ?? {};
		const etag = typeof meta.eTag === 'string' ? meta.eTag : `"${info.size.toString(16)}-${info.mtimeMs.toString(16)}"`;
		res.set({
			'Content-Type': meta.mimetype ?? 'application/octet-stream',
			'Cache-Control': meta.cacheControl ?? 'no-cache',
			ETag: etag,
			'Last-Modified': new Date(row.updated_at ?? info.mtime).toUTCString(),
			'Accept-Ranges': 'bytes'
		});
		if (typeof req.query.download === 'string') {
			const filename = req.query.download || name.split('/').pop() || 'download';
			res.set('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`);
		}
		const inm = req.get('if-none-match');
		if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return res.status(304).end();

		let start = 0;
		let end = info.size - 1;
		let status = 200;
		const rangeHeader = req.get('range');
		const ifRange = req.get('if-range');
		// If-Range with another validator means the file changed: send it whole.
		if (rangeHeader && (!ifRange || ifRange === etag)) {
			const range = parseRange(rangeHeader, info.size);
			if (range === 'unsatisfiable') {
				res.set('Content-Range', `bytes */${info.size}`);
				return res
					.status(416)
					.type('application/json')
					.send(
						JSON.stringify({
							statusCode: '416',
							error: 'InvalidRange',
							message: 'The requested range is not satisfiable'
						})
					);
			}
			if (range) {
				({ start, end } = range);
				status = 206;
				res.set('Content-Range', `bytes ${start}-${end}/${info.size}`);
			}
		}
		res.status(status);
		res.set('Content-Length', String(info.size === 0 ? 0 : end - start + 1));
		if (req.method === 'HEAD' || info.size === 0) return res.end();
		await pipeline(createReadStream(path, { start, end }), res).catch((error) => {
			// A client that stops reading (a paused or cancelled download) is normal, not a server error.
			if (error?.code !== 'ERR_STREAM_PREMATURE_CLOSE') console.error('onebox storage:', error);
		});
	}

	// ---- Download ----
	const download = route(async (req, res, caller) => {
		const { bucket, name } = target(req);
		await bucketOf(bucket);
		const row = await readableObject(caller, bucket, name);
		await sendObject(req, res, bucket, name, row);
	});

	const publicDownload = route(async (req, res) => {
		const { bucket: bucketId, name } = target(req);
		const bucket = await bucketOf(bucketId);
		if (!bucket.public) throw new StorageError(400, 'InvalidRequest', 'The bucket is not public');
		const { rows } = await db.query(
			`select metadata, updated_at from storage.objects where bucket_id = $1 and name = $2`,
			[bucketId, name]
		);
		if (!rows[0]) throw notFound();
		await sendObject(req, res, bucketId, name, /** @type {any} */ (rows[0]));
	});
	router.get('/object/public/:bucket/*', publicDownload);
	router.head('/object/public/:bucket/*', publicDownload);

	router.get(
		'/object/info/:bucket/*',
		route(async (req, res, caller) => {
			const { bucket, name } = target(req);
			const row = await readableObject(caller, bucket, name);
			const meta = row.metadata ?? {};
			res.json({
				id: row.id,
				name,
				bucket_id: bucket,
				version: null,
				size: meta.size ?? null,
				content_type: meta.mimetype ?? null,
				cache_control: meta.cacheControl ?? null,
				etag: meta.eTag ?? null,
				metadata: meta,
				created_at: row.created_at,
				last_modified: row.updated_at
			});
		})
	);

	// ---- Signed URLs ----
	/** @param {unknown} value */
	const expiresInOf = (value) => {
		const n = Number(value);
		if (!Number.isInteger(n) || n < 1 || n > 60 * 60 * 24 * 365)
			throw new StorageError(400, 'InvalidRequest', 'expiresIn must be a whole number of seconds (1 to 1 year)');
		return n;
	};
	/** @param {string} bucket @param {string} name @param {number} expiresIn */
	const signedPath = (bucket, name, expiresIn) => {
		const now = Math.floor(Date.now() / 1000);
		const token = signJwt({ url: `${bucket}/${name}`, iat: now, exp: now + expiresIn }, secret);
		return `/object/sign/${bucket}/${name}?token=${token}`;
	};

	router.post(
		'/object/sign/:bucket/*',
		route(async (req, res, caller) => {
			const { bucket, name } = target(req);
			const body = /** @type {Record<string, unknown>} */ ((await readJson(req, 64 * 1024)) ?? {});
			const expiresIn = expiresInOf(body.expiresIn);
			await readableObject(caller, bucket, name);
			res.json({ signedURL: signedPath(bucket, name, expiresIn) });
		})
	);

	router.post(
		'/object/sign/:bucket',
		route(async (req, res, caller) => {
			const bucket = /** @type {string} */ (req.params.bucket);
			const body = /** @type {Record<string, unknown>} */ ((await readJson(req, 1024 * 1024)) ?? {});
			const expiresIn = expiresInOf(body.expiresIn);
			if (!Array.isArray(body.paths) || body.paths.length > 1000 || body.paths.some((p) => typeof p !== 'string'))
				throw new StorageError(400, 'InvalidRequest', 'paths must be an array of at most 1000 strings');
			const paths = /** @type {string[]} */ (body.paths);
			const visible = await asCaller(db, caller, async (tx) => {
				const { rows } = await tx.query(
					`select name from storage.objects where bucket_id = $1 and name = any($2::text[])`,
					[bucket, paths]
				);
				return new Set(rows.map((r) => /** @type {{ name: string }} */ (r).name));
			});
			res.json(
				paths.map((path) =>
					visible.has(path)
						? { error: null, path, signedURL: signedPath(bucket, path, expiresIn) }
						: { error: 'Either the object does not exist or you do not have access to it', path, signedURL: null }
				)
			);
		})
	);

	const signedDownload = route(async (req, res) => {
		const { bucket, name } = target(req);
		const token = typeof req.query.token === 'string' ? req.query.token : '';
		let claims;
		try {
			claims = verifyJwt(token, secret);
		} catch (error) {
			throw new StorageError(400, 'InvalidJWT', /** @type {Error} */ (error).message);
		}
		// The token names one object; an access token (no `url`) is not a signed URL.
		if (claims.url !== `${bucket}/${name}` || claims.role !== undefined)
			throw new StorageError(400, 'InvalidSignature', 'The signature does not match this object');
		const { rows } = await db.query(
			`select metadata, updated_at from storage.objects where bucket_id = $1 and name = $2`,
			[bucket, name]
		);
		if (!rows[0]) throw notFound();
		await sendObject(req, res, bucket, name, /** @type {any} */ (rows[0]));
	});
	router.get('/object/sign/:bucket/*', signedDownload);
	router.head('/object/sign/:bucket/*', signedDownload);

	// ---- Delete ----
	/**
	 * @param {import('./context.js').Caller} caller
	 * @param {string} bucket
	 * @param {string[]} names
	 */
	async function removeObjects(caller, bucket, names) {
		const deleted = await asCaller(db, caller, async (tx) => {
			const { rows } = await tx.query(
				`delete from storage.objects where bucket_id = $1 and name = any($2::text[])
				 returning id, name, bucket_id, owner, metadata, created_at, updated_at, last_accessed_at`,
				[bucket, names]
			);
			return /** @type {{ name: string }[]} */ (rows);
		});
		// After the commit: a failed unlink leaves an orphan file, never a row without its file.
		for (const row of deleted) await unlink(fileOf(bucket, row.name)).catch(() => {});
		return deleted;
	}

	router.delete(
		'/object/:bucket',
		route(async (req, res, caller) => {
			const bucket = /** @type {string} */ (req.params.bucket);
			await bucketOf(bucket);
			const body = /** @type {Record<string, unknown>} */ ((await readJson(req, 1024 * 1024)) ?? {});
			if (
				!Array.isArray(body.prefixes) ||
				body.prefixes.length > 1000 ||
				body.prefixes.some((p) => typeof p !== 'string')
			)
				throw new StorageError(400, 'InvalidRequest', 'prefixes must be an array of at most 1000 object names');
			const names = /** @type {string[]} */ (body.prefixes).map(checkObjectName);
			res.json(await removeObjects(caller, bucket, names));
		})
	);

	router.delete(
		'/object/:bucket/*',
		route(async (req, res, caller) => {
			const { bucket, name } = target(req);
			await bucketOf(bucket);
			const deleted = await removeObjects(caller, bucket, [name]);
			if (deleted.length === 0) throw notFound();
			res.json({ message: 'Successfully deleted' });
		})
	);

	// ---- List ----
	router.post(
		'/object/list/:bucket',
		route(async (req, res, caller) => {
			const bucket = /** @type {string} */ (req.params.bucket);
			await bucketOf(bucket);
			const body = /** @type {Record<string, any>} */ ((await readJson(req, 64 * 1024)) ?? {});
			const prefix = typeof body.prefix === 'string' ? body.prefix.replace(/^\/+|\/+$/g, '') : '';
			const folder = prefix ? `${prefix}/` : '';
			const limit = Math.min(Math.max(Number(body.limit ?? 100) || 100, 1), 1000);
			const offset = Math.max(Number(body.offset ?? 0) || 0, 0);
			const search = typeof body.search === 'string' ? body.search.toLowerCase() : '';
			const column = ['name', 'created_at', 'updated_at', 'last_accessed_at'].includes(body.sortBy?.column)
				? body.sortBy.column
				: 'name';
			const descending = body.sortBy?.order === 'desc';
			const rows = await asCaller(db, caller, async (tx) => {
				const { rows } = await tx.query(
					`select id, name, created_at, updated_at, last_accessed_at, metadata from storage.objects
				 where bucket_id = $1 and starts_with(name, $2)`,
					[bucket, folder]
				);
				return /** @type {any[]} */ (rows);
			});
			/** @type {Map<string, any>} */
			const items = new Map();
			for (const row of rows) {
				const rest = row.name.slice(folder.length);
				const slash = rest.indexOf('/');
				const entry = slash < 0 ? rest : rest.slice(0, slash);
				if (search && !entry.toLowerCase().startsWith(search)) continue;
				if (slash < 0)
					items.set(`f:${entry}`, {
						name: entry,
						id: row.id,
						updated_at: row.updated_at,
						created_at: row.created_at,
						last_accessed_at: row.last_accessed_at,
						metadata: row.metadata
					});
				else if (!items.has(`d:${entry}`))
					items.set(`d:${entry}`, {
						name: entry,
						id: null,
						updated_at: null,
						created_at: null,
						last_accessed_at: null,
						metadata: null
					});
			}
			const sorted = [...items.values()].sort((a, b) => {
				const x = column === 'name' ? a.name : String(a[column] ?? '');
				const y = column === 'name' ? b.name : String(b[column] ?? '');
				return (x < y ? -1 : x > y ? 1 : 0) * (descending ? -1 : 1);
			});
			res.json(sorted.slice(offset, offset + limit));
		})
	);

	// ---- Buckets (read-only; buckets come from migrations) ----
	router.get(
		'/bucket',
		route(async (_req, res, caller) => {
			const rows = await asCaller(
				db,
				caller,
				async (tx) => (await tx.query(`select * from storage.buckets order by id`)).rows
			);
			res.json(rows);
		})
	);
	router.get(
		'/bucket/:id',
		route(async (req, res, caller) => {
			const rows = await asCaller(
				db,
				caller,
				async (tx) => (await tx.query(`select * from storage.buckets where id = $1`, [req.params.id])).rows
			);
			if (!rows[0]) throw new StorageError(404, 'not_found', 'Bucket not found');
			res.json(rows[0]);
		})
	);

	// Last: `/object/:bucket/…` would otherwise swallow /object/sign, /object/list, /object/info, …
	router.post('/object/:bucket/*', upload);
	router.put('/object/:bucket/*', upload);
	router.get('/object/authenticated/:bucket/*', download);
	router.head('/object/authenticated/:bucket/*', download);
	router.get('/object/:bucket/*', download);
	router.head('/object/:bucket/*', download);

	router.all(
		'*',
		route(async (req) => {
			throw new StorageError(
				404,
				'not_found',
				`${req.method} /storage/v1${req.path} is not available on a one-box server`
			);
		})
	);
	return router;
}

/**
 * Storage answers errors as `{ statusCode, error, message }`; database errors map as PostgREST's do
 * (a policy refusal is 403, a duplicate 409).
 * @param {unknown} error
 * @returns {StorageError | ApiError}
 */
function toStorageError(error) {
	if (error instanceof StorageError) return error;
	if (error instanceof ApiError) {
		const e = new StorageError(error.status, error.code, error.message);
		e.headers = error.headers;
		return e;
	}
	const pg = /** @type {{ code?: string, message?: string }} */ (error);
	if (pg?.code === '42501') return new StorageError(403, 'Unauthorized', 'new row violates row-level security policy');
	if (pg?.code === '23505') return new StorageError(409, 'Duplicate', 'The resource already exists');
	if (pg?.code === '22P02' || pg?.code === '23514')
		return new StorageError(400, 'InvalidRequest', pg.message ?? 'invalid input');
	console.error('onebox storage:', error);
	return new StorageError(500, 'InternalError', 'Internal server error');
}
