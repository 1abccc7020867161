/**
 * The embedded PostgreSQL in its own thread: PGlite runs WebAssembly synchronously, so a heavy query
 * (a first manifest of 10,000 assets takes ~0.6 s) would otherwise stop the server from streaming
 * files or answering anyone else. The main thread talks to it through db-client.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';

/** @typedef {{ id: number, op: 'query' | 'exec' | 'close', sql?: string, params?: unknown[] }} Request */

/** @param {unknown} error */
function serialise(error) {
	const e = /** @type {Record<string, unknown>} */ (error ?? {});
	return {
		message: typeof e.message === 'string' ? e.message : String(error),
		code: typeof e.code === 'string' ? e.code : undefined,
		detail: typeof e.detail === 'string' ? e.detail : undefined,
		hint: typeof e.hint === 'string' ? e.hint : undefined
	};
}

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
try {
	const { db, applied } = await openDatabase({
		...workerData,
		log: (/** @type {string} */ line) => port.postMessage({ log: line })
	});
	port.on('message', async (/** @type {Request} */ request) => {
		try {
			if (request.op === 'close') {
				await db.close();
				port.postMessage({ id: request.id, result: null });
				port.close();
				return;
			}
			// Plain statements: the client serialises transactions (BEGIN … COMMIT) itself.
			const result =
				request.op === 'exec'
					? (await db.exec(/** @type {string} */ (request.sql))).map((r) => ({
							rows: r.rows,
							affectedRows: r.affectedRows,
							command: /** @type {any} */ (r).command
						}))
					: await db.query(/** @type {string} */ (request.sql), request.params ?? []);
			port.postMessage({
				id: request.id,
				result: Array.isArray(result) ? result : { rows: result.rows, affectedRows: result.affectedRows }
			});
		} catch (error) {
			port.postMessage({ id: request.id, error: serialise(error) });
		}
	});
	port.postMessage({ ready: true, applied });
} catch (error) {
	port.postMessage({ failed: serialise(error) });
}
