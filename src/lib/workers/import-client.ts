import { proxy, wrap, type Remote } from 'comlink';
import type { ImportApi, ImportedFile, ImportProgress } from '$workers/import.worker';
import type { Sha256Engine } from '$workers/shared/sha256';
import { cancelPortFor } from '$workers/shared/cancel';
import { installWorkerErrorTransfer } from '$workers/shared/errors';

export type { ImportedFile, ImportProgress };

/**
 * How many files import at once. Much of a file's time is waiting on the browser (Blob reads, OPFS
 * opens and moves), so three overlap better than two even on two cores (A/B on 200 track-sized files:
 * 14.8 s vs 17.7 s mean of four runs each); more mostly adds memory (up to 48 MiB per file in flight).
 */
export const IMPORT_CONCURRENCY = Math.min(4, Math.max(3, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1));

const idle: Remote<ImportApi>[] = [];
const waiting: ((remote: Remote<ImportApi>) => void)[] = [];
let started = 0;

/**
 * Which SHA-256 engine is cheaper depends on the browser build, not the worker: the first worker measures
 * it (~60 ms of CPU), the others and later page loads of the same build take its answer.
 */
const ENGINE_KEY = 'cratemesh.sha256Engine';
let engine: Promise<Sha256Engine> | undefined;

function rememberedEngine(): Sha256Engine | null {
	try {
		const saved = JSON.parse(localStorage.getItem(ENGINE_KEY) ?? 'null') as { ua?: unknown; engine?: unknown } | null;
		if (saved?.ua !== navigator.userAgent) return null;
		return saved.engine === 'native' || saved.engine === 'wasm' ? saved.engine : null;
	} catch {
		return null;
	}
}

/** A new worker that hashes with the shared engine (the first one without a remembered answer measures). */
function startWorker(remote: Remote<ImportApi>): Promise<Remote<ImportApi>> {
	if (!engine) {
		const remembered = rememberedEngine();
		if (remembered) engine = Promise.resolve(remembered);
		else {
			engine = remote.sha256Engine();
			void engine.then((measured) => {
				try {
					localStorage.setItem(ENGINE_KEY, JSON.stringify({ ua: navigator.userAgent, engine: measured }));
				} catch {
					// private mode or full storage: the next page load measures again
				}
			});
			return Promise.resolve(remote);
		}
	}
	// Calls to a worker run in order: the engine is set before its first file.
	return engine.then(
		(chosen) => {
			void remote.useSha256Engine(chosen);
			return remote;
		},
		() => remote
	);
}

/** One file per worker at a time: a free worker, a new one while under the limit, or the next freed. */
function acquire(): Promise<Remote<ImportApi>> {
	installWorkerErrorTransfer();
	const free = idle.pop();
	if (free) return Promise.resolve(free);
	if (started < IMPORT_CONCURRENCY) {
		const worker = new Worker(new URL('../../../workers/import.worker.ts', import.meta.url), {
			type: 'module',
			name: `import-${started++}`
		});
		return startWorker(wrap<ImportApi>(worker));
	}
	return new Promise((resolve) => waiting.push(resolve));
}

function release(remote: Remote<ImportApi>): void {
	const next = waiting.shift();
	if (next) next(remote);
	else idle.push(remote);
}

/** Checks, tags, hashes and stores one file off the UI thread. Rejects with a WorkerError. */
export async function importFile(
	file: File,
	options: { signal?: AbortSignal; onProgress?: (progress: ImportProgress) => void } = {}
): Promise<ImportedFile> {
	const { signal, onProgress } = options;
	const remote = await acquire();
	try {
		return await remote.importFile(file, onProgress ? proxy(onProgress) : undefined, cancelPortFor(signal));
	} finally {
		release(remote);
	}
}
