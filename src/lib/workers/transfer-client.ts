import { transfer, wrap, type Remote } from 'comlink';
import type { TransferApi } from '$workers/transfer.worker';
import { installWorkerErrorTransfer } from '$workers/shared/errors';

let remote: Remote<TransferApi> | undefined;

/** One worker per tab receives every mesh transfer's bytes (write + in-order SHA-256), started on first use. */
export function transferWorker(): Remote<TransferApi> {
	if (!remote) {
		installWorkerErrorTransfer();
		const worker = new Worker(new URL('../../../workers/transfer.worker.ts', import.meta.url), {
			type: 'module',
			name: 'transfer'
		});
		remote = wrap<TransferApi>(worker);
	}
	return remote;
}

/** Writes a received frame at `at`; the frame's buffer moves to the worker (the caller must not use it). */
export function writeFrame(id: number, at: number, bytes: Uint8Array): Promise<number> {
	return transferWorker().write(id, at, transfer(bytes, [bytes.buffer]));
}

/** A part fetched again to find a bad sender: true when it differed from (and replaced) the bytes held. */
export function replaceFrame(id: number, at: number, bytes: Uint8Array): Promise<boolean> {
	return transferWorker().replace(id, at, transfer(bytes, [bytes.buffer]));
}

/**
 * Reads a stored file (OPFS `audio/<hash>`, `size` bytes) in the transfer worker, for sending: plain file
 * reads there instead of `Blob` reads through the browser process and the UI thread. Null when this
 * browser cannot (the caller reads the `Blob`).
 */
export async function openStoredReader(
	hash: string,
	size: number
): Promise<{ read(at: number, length: number): Promise<ArrayBuffer>; close(): void } | null> {
	const worker = transferWorker();
	const id = await worker.openStored(hash, size);
	if (id === null) return null;
	return {
		read: async (at, length) => (await worker.readStored(id, at, length)).buffer as ArrayBuffer,
		close: () => void worker.closeStored(id).catch(() => undefined)
	};
}
