import { proxy, transfer, wrap, type Remote } from 'comlink';
import type {
	DownloadApi,
	DownloadEvents,
	DownloadJob,
	DownloadOptions,
	FileProgress,
	Outcome
} from '$workers/download.worker';
import type { FileRef, OpenedFile } from '$lib/features/sync/manifest';
import { cancelPortFor } from '$workers/shared/cancel';
import { installWorkerErrorTransfer } from '$workers/shared/errors';

export type { DownloadEvents, DownloadJob, DownloadOptions, FileProgress, Outcome };

let remote: Remote<DownloadApi> | undefined;

/** One download worker per tab, started on first use. */
function downloadWorker(): Remote<DownloadApi> {
	if (!remote) {
		installWorkerErrorTransfer();
		const worker = new Worker(new URL('../../../workers/download.worker.ts', import.meta.url), {
			type: 'module',
			name: 'download'
		});
		remote = wrap<DownloadApi>(worker);
	}
	return remote;
}

/**
 * Downloads one batch off the UI thread; resolves with an outcome per job. Rejects with a WorkerError
 * (code 'aborted') when `signal` aborts; partial bytes are kept for the next batch.
 */
export function downloadFiles(
	jobs: DownloadJob[],
	options: {
		open: (file: FileRef, offset: number) => Promise<OpenedFile>;
		onEvents?: (events: DownloadEvents) => void;
		signal?: AbortSignal;
		settings?: DownloadOptions;
	}
): Promise<Outcome[]> {
	const open = async (file: FileRef, offset: number) => {
		const opened = await options.open(file, offset);
		// A stream (from a peer) moves to the worker; an HTTP request is plain data.
		return opened.kind === 'stream' ? transfer(opened, [opened.stream as unknown as Transferable]) : opened;
	};
	return downloadWorker().download(
		jobs,
		options.settings ?? {},
		proxy(options.onEvents ?? (() => undefined)),
		proxy(open),
		cancelPortFor(options.signal)
	);
}

export function discardPartials(hashes: string[]): Promise<void> {
	return downloadWorker().discard(hashes);
}

export function partialDownloads(): Promise<{ hash: string; offset: number; size: number }[]> {
	return downloadWorker().partials();
}
