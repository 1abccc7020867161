// The app's analysis client and worker, built alone, so the bench and `npm run analyze` drive exactly the
// code path the app uses (same worker bundle, same WASM) without a route in the app.
import { analyseOn, createAnalysisWorker, decodeOnlyOn } from '$lib/features/analysis/analysis-client';
import type { AnalysisOptions } from '$lib/features/analysis/analysis-client';

let handle = createAnalysisWorker();

async function fetchBlob(url: string): Promise<Blob> {
	const response = await fetch(url);
	if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
	return response.blob();
}

const harness = {
	async warmUp() {
		return handle.remote.warmUp();
	},
	/** Analyses the file at `url`; waveforms are summarised (sizes), the rest returned as JSON. */
	async analyse(url: string, options: AnalysisOptions = {}) {
		const blob = await fetchBlob(url);
		try {
			const result = await analyseOn(handle.remote, blob, options);
			return {
				ok: true as const,
				result: {
					...result,
					waveform: {
						...result.waveform,
						overview: result.waveform.overview.length,
						detail: result.waveform.detail.length
					}
				}
			};
		} catch (error) {
			const e = error as { code?: string; message?: string };
			return { ok: false as const, code: e.code ?? 'internal', message: e.message ?? String(error) };
		}
	},
	async decodeOnly(url: string) {
		const blob = await fetchBlob(url);
		return decodeOnlyOn(handle.remote, blob);
	},
	restart() {
		handle.worker.terminate();
		handle = createAnalysisWorker();
	}
};

(globalThis as unknown as { harness: typeof harness }).harness = harness;
document.documentElement.dataset.ready = 'true';
