import { proxy, wrap, type Remote } from 'comlink';
import type { HashApi, HashProgress, HashResult } from '$workers/hash.worker';
import { cancelPortFor } from '$workers/shared/cancel';
import { installWorkerErrorTransfer } from '$workers/shared/errors';

export type { HashProgress, HashResult };

let remote: Remote<HashApi> | undefined;

/** One hashing worker per tab, started on first use. */
function hashWorker(): Remote<HashApi> {
	if (!remote) {
		installWorkerErrorTransfer();
		const worker = new Worker(new URL('../../../workers/hash.worker.ts', import.meta.url), {
			type: 'module',
			name: 'hash'
		});
		remote = wrap<HashApi>(worker);
	}
	return remote;
}

/** SHA-256 of a file, off the UI thread. Rejects with a WorkerError (code 'aborted' when cancelled). */
export function sha256(
	blob: Blob,
	options: { signal?: AbortSignal; onProgress?: (progress: HashProgress) => void } = {}
): Promise<HashResult> {
	const { signal, onProgress } = options;
	return hashWorker().sha256(blob, onProgress ? proxy(onProgress) : undefined, cancelPortFor(signal));
}
