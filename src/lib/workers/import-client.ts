import { proxy, wrap, type Remote } from 'comlink';
import type { ImportApi, ImportedFile, ImportProgress } from '$workers/import.worker';
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
		return Promise.resolve(wrap<ImportApi>(worker));
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
