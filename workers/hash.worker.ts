/// <reference lib="webworker" />
import { expose } from 'comlink';
import { createSHA256 } from 'hash-wasm';
import { signalFromPort, throwIfAborted, type CancelPort } from './shared/cancel';
import { installWorkerErrorTransfer, toWorkerError, WorkerError } from './shared/errors';

installWorkerErrorTransfer();

export interface HashProgress {
	bytesDone: number;
	bytesTotal: number;
}

export interface HashResult {
	/** Lower-case hex SHA-256 of the bytes. */
	sha256: string;
	bytes: number;
	ms: number;
}

// 4 MiB slices keep memory flat for 2-hour mixes while amortising the per-read cost.
const SLICE_BYTES = 4 * 1024 * 1024;

let hasherPromise: ReturnType<typeof createSHA256> | undefined;
/** WASM is compiled once per worker, on first use. */
function hasher() {
	hasherPromise ??= createSHA256();
	return hasherPromise;
}

const api = {
	/**
	 * Streaming SHA-256 of a File or Blob: reads slice by slice, never the whole file at once.
	 * `onProgress` is a comlink proxy; `cancel` comes from cancelPortFor(signal).
	 */
	async sha256(blob: Blob, onProgress?: (progress: HashProgress) => void, cancel?: CancelPort): Promise<HashResult> {
		const signal = signalFromPort(cancel);
		const started = performance.now();
		try {
			if (!(blob instanceof Blob)) throw new WorkerError('invalid-input', 'Expected a File or Blob');
			const hash = await hasher();
			hash.init();
			let offset = 0;
			let lastReport = 0;
			while (offset < blob.size) {
				throwIfAborted(signal);
				const end = Math.min(offset + SLICE_BYTES, blob.size);
				const bytes = new Uint8Array(await blob.slice(offset, end).arrayBuffer());
				hash.update(bytes);
				offset = end;
				const now = performance.now();
				if (onProgress && (now - lastReport > 100 || offset === blob.size)) {
					lastReport = now;
					onProgress({ bytesDone: offset, bytesTotal: blob.size });
				}
			}
			throwIfAborted(signal);
			return { sha256: hash.digest('hex'), bytes: blob.size, ms: performance.now() - started };
		} catch (error) {
			throw toWorkerError(error);
		}
	}
};

expose(api);
export type HashApi = typeof api;
