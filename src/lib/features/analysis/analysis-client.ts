import { proxy, wrap, type Remote } from 'comlink';
import type { AnalysisApi, AnalysisOptions, AnalysisProgress, AnalysisResult } from '$workers/analysis.worker';
import { cancelPortFor } from '$workers/shared/cancel';
import { installWorkerErrorTransfer } from '$workers/shared/errors';
// Static (pool.ts is small): a dynamic chunk could be missing when the app starts offline.
import { AnalysisPool } from './pool';

export type { AnalysisApi, AnalysisOptions, AnalysisProgress, AnalysisResult };

export interface AnalysisWorkerHandle {
	worker: Worker;
	remote: Remote<AnalysisApi>;
}

/** Starts one analysis worker (Vite bundles it and its WASM under /_app/immutable/workers/). */
export function createAnalysisWorker(): AnalysisWorkerHandle {
	installWorkerErrorTransfer();
	const worker = new Worker(new URL('../../../../workers/analysis.worker.ts', import.meta.url), {
		type: 'module',
		name: 'analysis'
	});
	return { worker, remote: wrap<AnalysisApi>(worker) };
}

export interface AnalyseCallOptions extends AnalysisOptions {
	signal?: AbortSignal;
	onProgress?: (progress: AnalysisProgress) => void;
}

/** One analysis on a given worker. Rejects with a WorkerError (code 'aborted' when cancelled). */
export function analyseOn(
	remote: Remote<AnalysisApi>,
	file: Blob,
	{ signal, onProgress, ...options }: AnalyseCallOptions = {}
): Promise<AnalysisResult> {
	return remote.analyse(file, options, onProgress ? proxy(onProgress) : undefined, cancelPortFor(signal));
}

/** Decoding alone on a given worker (bench baseline). */
export function decodeOnlyOn(remote: Remote<AnalysisApi>, file: Blob, signal?: AbortSignal) {
	return remote.decodeOnly(file, cancelPortFor(signal));
}

let shared: AnalysisPool | undefined;

/** The app's analysis pool (hardwareConcurrency − 1 workers), created on first use. */
export function analysisPool(): AnalysisPool {
	shared ??= new AnalysisPool({ createWorker: createAnalysisWorker });
	return shared;
}
