import { proxy, wrap, type Remote } from 'comlink';
import type { InteropApi, InteropProgress, PreviewSummary } from '$workers/interop.worker';
import { cancelPortFor } from '$workers/shared/cancel';
import { installWorkerErrorTransfer } from '$workers/shared/errors';
import type { ExchangeFormat } from '$lib/features/interop/model';

export type { InteropProgress, PreviewSummary };

let remote: Remote<InteropApi> | undefined;

/** The interop worker (exchange files, backups), started on first use. */
export function interopWorker(): Remote<InteropApi> {
	if (!remote) {
		installWorkerErrorTransfer();
		const worker = new Worker(new URL('../../../workers/interop.worker.ts', import.meta.url), {
			type: 'module',
			name: 'interop'
		});
		remote = wrap<InteropApi>(worker);
	}
	return remote;
}

/** Reads and plans an import; nothing in the library changes. Rejects with a WorkerError ('aborted'…). */
export function previewImport(
	file: File,
	format: ExchangeFormat | 'auto',
	options: { signal?: AbortSignal; onProgress?: (progress: InteropProgress) => void } = {}
): Promise<PreviewSummary> {
	const { signal, onProgress } = options;
	return interopWorker().preview(
		file,
		file.name,
		format,
		onProgress ? proxy(onProgress) : undefined,
		cancelPortFor(signal)
	);
}
