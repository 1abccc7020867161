import { proxy } from 'comlink';
import { isWorkerError } from '$workers/shared/errors';
import type { TagExportResult } from './tags/export-files';
import { interopWorker } from '$lib/workers/interop-client';

export type TagExportPhase = 'idle' | 'writing' | 'done' | 'failed';

type PickerWindow = Window & {
	showDirectoryPicker?: (options?: { mode?: 'read' | 'readwrite'; id?: string }) => Promise<FileSystemDirectoryHandle>;
};

/** "Export files with tags" to a folder the user picks; the copying and tagging run in the interop worker. */
export class TagExport {
	#phase = $state<TagExportPhase>('idle');
	#done = $state(0);
	#total = $state(0);
	#eta = $state<number | null>(null);
	#result = $state.raw<TagExportResult | null>(null);
	#folder = $state('');
	#error = $state('');
	#abort: AbortController | null = null;

	get phase() {
		return this.#phase;
	}
	get done() {
		return this.#done;
	}
	get total() {
		return this.#total;
	}
	/** Seconds left, from the rate so far. */
	get eta() {
		return this.#eta;
	}
	get result() {
		return this.#result;
	}
	get folder() {
		return this.#folder;
	}
	get error() {
		return this.#error;
	}
	get supported(): boolean {
		return typeof window !== 'undefined' && typeof (window as PickerWindow).showDirectoryPicker === 'function';
	}

	/** Asks for a folder, then exports `hashes` (null: the whole library) into it. */
	async run(hashes: string[] | null): Promise<void> {
		let dir: FileSystemDirectoryHandle;
		try {
			dir = await (window as PickerWindow).showDirectoryPicker!({ mode: 'readwrite', id: 'cratemesh-tagged' });
		} catch {
			return; // The user closed the picker.
		}
		this.#abort = new AbortController();
		this.#phase = 'writing';
		this.#result = null;
		this.#error = '';
		this.#folder = dir.name;
		this.#done = 0;
		this.#total = hashes?.length ?? 0;
		this.#eta = null;
		const started = performance.now();
		try {
			const { cancelPortFor } = await import('$workers/shared/cancel');
			this.#result = await interopWorker().exportTagged(
				dir,
				hashes,
				proxy(({ done, total }: { done: number; total: number }) => {
					this.#done = done;
					this.#total = total;
					const elapsed = (performance.now() - started) / 1000;
					this.#eta = done > 0 && elapsed > 1 ? ((total - done) * elapsed) / done : null;
				}),
				cancelPortFor(this.#abort.signal)
			);
			this.#phase = 'done';
		} catch (error) {
			this.#error = isWorkerError(error) || error instanceof Error ? error.message : String(error);
			this.#phase = 'failed';
		}
	}

	cancel(): void {
		this.#abort?.abort();
	}
}

export const tagExport = new TagExport();
