import { db, titleFromFileName, type TrackRow } from '$lib/db';
import { sha256 } from '$lib/workers/hash-client';
import { isWorkerError } from '$workers/shared/errors';
import { storageStatus } from '../settings/storage.svelte';
import { isAudioFileName } from './audio-files';

export type FailureCode = 'empty' | 'disk-full' | 'unreadable' | 'other';

export interface ImportFailure {
	file: string;
	code: FailureCode;
	/** The underlying message, shown for 'other'. */
	detail: string;
}

export type ImportPhase = 'idle' | 'running' | 'finished' | 'cancelled';

/**
 * Adds files to the library: hashes each in the hash worker (the UI thread only coordinates) and
 * records it by content hash, so the same file twice is one track. Tag parsing and audio storage
 * join this pipeline with the library feature.
 */
export class Importer {
	#phase = $state<ImportPhase>('idle');
	#total = $state(0);
	#done = $state(0);
	#added = $state(0);
	#duplicates = $state(0);
	#skipped = $state(0);
	#bytesTotal = $state(0);
	#bytesDone = $state(0);
	#current = $state<string | null>(null);
	#startedAt = $state(0);
	#now = $state(0);
	#failures = $state<ImportFailure[]>([]);
	#controller: AbortController | undefined;

	get phase() {
		return this.#phase;
	}
	get total() {
		return this.#total;
	}
	get done() {
		return this.#done;
	}
	get added() {
		return this.#added;
	}
	get duplicates() {
		return this.#duplicates;
	}
	get skipped() {
		return this.#skipped;
	}
	get current() {
		return this.#current;
	}
	get failures(): readonly ImportFailure[] {
		return this.#failures;
	}
	get fraction(): number {
		return this.#bytesTotal ? this.#bytesDone / this.#bytesTotal : 0;
	}
	/** Bytes per second since the import started. */
	get speed(): number {
		const seconds = (this.#now - this.#startedAt) / 1000;
		return seconds > 0.2 ? this.#bytesDone / seconds : 0;
	}
	/** Seconds left at the current speed, or null while unknown. */
	get eta(): number | null {
		return this.speed > 0 ? (this.#bytesTotal - this.#bytesDone) / this.speed : null;
	}

	cancel(): void {
		this.#controller?.abort();
	}

	async import(files: readonly File[]): Promise<void> {
		if (this.#phase === 'running') return;
		const audio = files.filter((file) => isAudioFileName(file.name));
		this.#skipped = files.length - audio.length;
		this.#total = audio.length;
		this.#done = this.#added = this.#duplicates = 0;
		this.#failures = [];
		this.#bytesTotal = audio.reduce((sum, file) => sum + file.size, 0);
		this.#bytesDone = 0;
		this.#startedAt = this.#now = performance.now();
		this.#controller = new AbortController();
		const { signal } = this.#controller;
		this.#phase = 'running';
		for (const file of audio) {
			if (signal.aborted) break;
			this.#current = file.webkitRelativePath || file.name;
			const before = this.#bytesDone;
			try {
				if (file.size === 0) throw new Error('empty');
				const result = await sha256(file, {
					signal,
					onProgress: ({ bytesDone }) => {
						this.#bytesDone = before + bytesDone;
						this.#now = performance.now();
					}
				});
				const row: TrackRow = {
					hash: result.sha256,
					fileName: file.name,
					size: file.size,
					mime: file.type,
					title: titleFromFileName(file.name),
					dateAdded: Date.now()
				};
				const isNew = await db().transaction('rw', db().tracks, async () => {
					if (await db().tracks.get(row.hash)) return false;
					await db().tracks.add(row);
					return true;
				});
				if (isNew) this.#added++;
				else this.#duplicates++;
			} catch (error) {
				if (isWorkerError(error) && error.code === 'aborted') break;
				this.#failures = [...this.#failures, { file: this.#current, ...describeFailure(error) }];
			}
			this.#bytesDone = before + file.size;
			this.#now = performance.now();
			this.#done++;
		}
		this.#current = null;
		this.#phase = signal.aborted ? 'cancelled' : 'finished';
		// The user now has something to lose: the right moment to ask for persistent storage.
		if (this.#added > 0 && storageStatus.persist !== 'persisted') {
			await storageStatus.requestPersistence().catch(() => undefined);
		}
	}
}

function describeFailure(error: unknown): { code: FailureCode; detail: string } {
	const detail = error instanceof Error ? error.message : String(error);
	if (error instanceof Error && error.message === 'empty') return { code: 'empty', detail };
	if (error instanceof DOMException && error.name === 'QuotaExceededError') return { code: 'disk-full', detail };
	if (isWorkerError(error) && error.code === 'unreadable') return { code: 'unreadable', detail };
	return { code: 'other', detail };
}

export const importer = new Importer();
