import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * @typedef {{ rows: any[], affectedRows?: number, command?: string }} Result
 * @typedef {{ query: <T = any>(sql: string, params?: unknown[]) => Promise<{ rows: T[], affectedRows?: number }>,
 *   exec: (sql: string) => Promise<Result[]> }} Tx
 * @typedef {Tx & { transaction: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>, close: () => Promise<void> }} Db
 */

/** An error raised by PostgreSQL in the worker, with its SQLSTATE and details. */
export class DatabaseError extends Error {
	/** @param {{ message: string, code?: string, detail?: string, hint?: string }} e */
	constructor(e) {
		super(e.message);
		this.code = e.code;
		this.detail = e.detail;
		this.hint = e.hint;
	}
}

/**
 * Starts the database thread (which applies migrations) and returns a client with PGlite's shape:
 * `query`, `exec`, `transaction(fn)` and `close`. One connection means one transaction at a time:
 * `transaction` and stand-alone statements queue behind a lock here, in arrival order.
 * @param {{ pgDir: string, shimFile: string, migrationsDir: string, log?: (line: string) => void,
 *   onCrash?: (error: Error) => void }} options  `onCrash`: the thread died while in use (not on close)
 * @returns {Promise<{ db: Db, applied: string[] }>}
 */
export function startDatabase({ log = () => {}, onCrash = () => {}, ...paths }) {
	const worker = new Worker(join(dirname(fileURLToPath(import.meta.url)), 'db-worker.js'), {
		workerData: paths,
		// Not the parent's flags: `--input-type` or `--eval` would stop a file-based worker from starting.
		execArgv: []
	});
	/** @type {Map<number, { resolve: (value: any) => void, reject: (error: Error) => void }>} */
	const pending = new Map();
	let nextId = 1;
	let dead = /** @type {Error | null} */ (null);

	return new Promise((resolveStart, rejectStart) => {
		worker.on('message', (message) => {
			if (message.log) return log(message.log);
			if (message.failed) return rejectStart(new DatabaseError(message.failed));
			if (message.ready) {
				started = true;
				return resolveStart({ db: client, applied: message.applied });
			}
			const call = pending.get(message.id);
			if (!call) return;
			pending.delete(message.id);
			if (message.error) call.reject(new DatabaseError(message.error));
			else call.resolve(message.result);
		});
		worker.on('error', (error) => {
			dead = error;
			rejectStart(error);
			for (const call of pending.values()) call.reject(error);
			pending.clear();
		});
		let closing = false;
		let started = false;
		worker.on('exit', (code) => {
			if (started && !closing) onCrash(dead ?? new Error(`database thread exited (${code})`));
			dead ??= new Error(`database thread exited (${code})`);
			rejectStart(dead);
			for (const call of pending.values()) call.reject(dead);
			pending.clear();
		});

		/** @param {'query' | 'exec' | 'close'} op @param {string} [sql] @param {unknown[]} [params] */
		const send = (op, sql, params) => {
			if (dead) return Promise.reject(dead);
			const id = nextId++;
			return new Promise((resolve, reject) => {
				pending.set(id, { resolve, reject });
				worker.postMessage({ id, op, sql, params });
			});
		};

		// The lock: a chain of promises, each holder releasing the next.
		let tail = Promise.resolve();
		/** @template T @param {() => Promise<T>} fn @returns {Promise<T>} */
		const exclusive = (fn) => {
			const run = tail.then(fn);
			tail = run.then(
				() => {},
				() => {}
			);
			return run;
		};

		/** @type {Tx} */
		const direct = {
			query: (sql, params = []) => /** @type {Promise<any>} */ (send('query', sql, params)),
			exec: (sql) => /** @type {Promise<Result[]>} */ (send('exec', sql))
		};

		/** @type {Db} */
		const client = {
			query: (sql, params = []) => exclusive(() => direct.query(sql, params)),
			exec: (sql) => exclusive(() => direct.exec(sql)),
			transaction: (fn) =>
				exclusive(async () => {
					await direct.exec('begin');
					let result;
					try {
						result = await fn(direct);
					} catch (error) {
						await direct.exec('rollback').catch(() => {});
						throw error;
					}
					// A failed statement the callback swallowed leaves the transaction aborted: COMMIT then
					// answers ROLLBACK, which must not pass for success.
					const [commit] = await direct.exec('commit');
					if (commit?.command === 'ROLLBACK')
						throw new DatabaseError({ message: 'Transaction was rolled back instead of committed', code: '25P02' });
					return result;
				}),
			close: () =>
				exclusive(async () => {
					if (dead) return;
					closing = true;
					await send('close');
					await worker.terminate();
				})
		};
	});
}
