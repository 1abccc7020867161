/// <reference lib="webworker" />
import { expose } from 'comlink';
import {
	analyse,
	decodeOnly,
	type AnalysisOptions,
	type AnalysisProgress,
	type AnalysisResult
} from './analysis/pipeline';
import { essentia } from './analysis/essentia';
import { signalFromPort, throwIfAborted, type CancelPort } from './shared/cancel';
import { installWorkerErrorTransfer, toWorkerError, WorkerError } from './shared/errors';

installWorkerErrorTransfer();

export type { AnalysisOptions, AnalysisProgress, AnalysisResult };

const api = {
	/**
	 * Tempo, beat grid, key, loudness and waveforms of one audio file. `onProgress` is a comlink proxy;
	 * `cancel` comes from cancelPortFor(signal). Rejects with a WorkerError.
	 */
	async analyse(
		file: Blob,
		options: AnalysisOptions = {},
		onProgress?: (progress: AnalysisProgress) => void,
		cancel?: CancelPort
	): Promise<AnalysisResult> {
		const signal = signalFromPort(cancel);
		try {
			if (!(file instanceof Blob)) throw new WorkerError('invalid-input', 'Expected a File or Blob');
			throwIfAborted(signal);
			return await analyse(essentia, file, options, signal, onProgress);
		} catch (error) {
			if (error instanceof Error && !(error instanceof WorkerError))
				throw new WorkerError('internal', String(error.stack));
			throw toWorkerError(error);
		}
	},

	/** Decoding alone (the bench's baseline). */
	async decodeOnly(file: Blob, cancel?: CancelPort): Promise<{ durationSec: number; format: string; ms: number }> {
		const signal = signalFromPort(cancel);
		const started = performance.now();
		try {
			const result = await decodeOnly(file, signal);
			return { ...result, ms: performance.now() - started };
		} catch (error) {
			throw toWorkerError(error);
		}
	},

	/** Liveness check for the pool's watchdog. */
	ping(): 'pong' {
		return 'pong';
	},

	/** Loads the WASM now (so the first analysis does not pay for it). */
	async warmUp(): Promise<string> {
		return (await essentia()).version;
	},

	/** Test hook for crash isolation: the worker dies the way a WASM abort would take it down. */
	crashForTest(how: 'close' | 'throw'): void {
		if (how === 'close') self.close();
		else
			setTimeout(() => {
				throw new Error('simulated WASM abort');
			});
	}
};

expose(api);
export type AnalysisApi = typeof api;
