import { proxy, wrap, type Remote } from 'comlink';
import type { ImportApi, ImportedFile, ImportProgress } from '$workers/import.worker';
import { cancelPortFor } from '$workers/shared/cancel';
import { installWorkerErrorTransfer } from '$workers/shared/errors';

export type { ImportedFile, ImportProgress };

let remote: Remote<ImportApi> | undefined;

function importWorker(): Remote<ImportApi> {
	if (!remote) {
		installWorkerErrorTransfer();
		const worker = new Worker(new URL('../../../workers/import.worker.ts', import.meta.url), {
			type: 'module',
			name: 'import'
		});
		remote = wrap<ImportApi>(worker);
	}
	return remote;
}

/** Checks, tags, hashes and stores one file off the UI thread. Rejects with a WorkerError. */
export function importFile(
	file: File,
	options: { signal?: AbortSignal; onProgress?: (progress: ImportProgress) => void } = {}
): Promise<ImportedFile> {
	const { signal, onProgress } = options;
	return importWorker().importFile(file, onProgress ? proxy(onProgress) : undefined, cancelPortFor(signal));
}
