import type { Remote } from 'comlink';
import { WorkerError } from '$workers/shared/errors';
import {
	analyseOn,
	type AnalysisApi,
	type AnalysisResult,
	type AnalyseCallOptions,
	type AnalysisWorkerHandle
} from './analysis-client';

/** hardwareConcurrency − 1 (one core stays with the UI), at least 1. */
export function defaultPoolSize(cores = globalThis.navigator?.hardwareConcurrency ?? 2): number {
	return Math.max(1, (cores || 2) - 1);
}

export interface PoolJobOptions extends AnalyseCallOptions {
	/** Higher runs first (e.g. the track the user opened); ties run in submission order. */
	priority?: number;
	/** For `prioritise` / `cancel` by id (e.g. the track hash). */
	id?: string;
}

export interface AnalysisPoolOptions {
	size?: number;
	/** Starts a worker; the default is `createAnalysisWorker` (tests inject fakes). */
	createWorker: () => AnalysisWorkerHandle;
	/** Ping period while a job runs, and how long without an answer means the worker is dead. */
	heartbeatMs?: number;
	heartbeatTimeoutMs?: number;
}

interface Job {
	seq: number;
	id: string | undefined;
	file: Blob;
	options: PoolJobOptions;
	priority: number;
	resolve: (result: AnalysisResult) => void;
	reject: (error: unknown) => void;
}

interface Slot {
	handle: AnalysisWorkerHandle;
	job: Job | null;
	/** Rejects the running job when the worker dies; set while busy. */
	kill: ((error: WorkerError) => void) | null;
	dispose: () => void;
}

/** Codes after which a worker's WASM heap may be broken: the worker is replaced. */
const REPLACE_ON = new Set(['internal', 'out-of-memory']);

/**
 * Runs analyses on a few workers: a priority queue, cancellation (queued jobs leave the queue, running
 * ones get the worker's cancel port), and crash isolation — a worker that errors, dies or stops answering
 * fails only its own job (with the reason) and is replaced; the queue carries on.
 */
export class AnalysisPool {
	readonly size: number;
	readonly #create: () => AnalysisWorkerHandle;
	readonly #slots: Slot[] = [];
	#queue: Job[] = [];
	#seq = 0;
	#closed = false;
	readonly #heartbeatMs: number;
	readonly #heartbeatTimeoutMs: number;
	/** Workers started so far (replacements included), for tests and diagnostics. */
	started = 0;

	constructor(options: AnalysisPoolOptions) {
		this.size = Math.max(1, options.size ?? defaultPoolSize());
		this.#create = options.createWorker;
		this.#heartbeatMs = options.heartbeatMs ?? 5000;
		this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 60000;
	}

	get queued(): number {
		return this.#queue.length;
	}

	get running(): number {
		return this.#slots.filter((slot) => slot.job).length;
	}

	analyse(file: Blob, options: PoolJobOptions = {}): Promise<AnalysisResult> {
		if (this.#closed) return Promise.reject(new WorkerError('aborted', 'The analysis pool is closed'));
		if (options.signal?.aborted) return Promise.reject(new WorkerError('aborted', 'Cancelled'));
		return new Promise((resolve, reject) => {
			const job: Job = {
				seq: this.#seq++,
				id: options.id,
				file,
				options,
				priority: options.priority ?? 0,
				resolve,
				reject
			};
			options.signal?.addEventListener(
				'abort',
				() => {
					const index = this.#queue.indexOf(job);
					if (index >= 0) {
						this.#queue.splice(index, 1);
						reject(new WorkerError('aborted', 'Cancelled'));
					}
				},
				{ once: true }
			);
			this.#enqueue(job);
			this.#pump();
		});
	}

	/** Moves queued jobs with this id to `priority` (default: ahead of everything queued). */
	prioritise(id: string, priority?: number): boolean {
		const top = priority ?? Math.max(0, ...this.#queue.map((job) => job.priority)) + 1;
		const jobs = this.#queue.filter((job) => job.id === id);
		if (jobs.length === 0) return false;
		this.#queue = this.#queue.filter((job) => job.id !== id);
		for (const job of jobs) this.#enqueue({ ...job, priority: top });
		return true;
	}

	/** Terminates every worker and rejects all queued and running jobs. */
	close(): void {
		this.#closed = true;
		const error = new WorkerError('aborted', 'The analysis pool is closed');
		for (const job of this.#queue) job.reject(error);
		this.#queue = [];
		for (const slot of this.#slots) {
			slot.kill?.(error);
			slot.dispose();
		}
		this.#slots.length = 0;
	}

	#enqueue(job: Job): void {
		let i = this.#queue.length;
		while (
			i > 0 &&
			(this.#queue[i - 1]!.priority < job.priority ||
				(this.#queue[i - 1]!.priority === job.priority && this.#queue[i - 1]!.seq > job.seq))
		)
			i--;
		this.#queue.splice(i, 0, job);
	}

	#spawn(): Slot {
		const handle = this.#create();
		this.started++;
		const slot: Slot = {
			handle,
			job: null,
			kill: null,
			dispose: () => {
				handle.worker.removeEventListener('error', onError);
				handle.worker.removeEventListener('messageerror', onError);
				handle.worker.terminate();
			}
		};
		const onError = (event: Event) => {
			const message = (event as { message?: string }).message || 'the worker stopped';
			slot.kill?.(new WorkerError('internal', `The analysis worker crashed: ${message}`));
		};
		handle.worker.addEventListener('error', onError);
		handle.worker.addEventListener('messageerror', onError);
		this.#slots.push(slot);
		return slot;
	}

	#replace(slot: Slot): void {
		slot.dispose();
		const index = this.#slots.indexOf(slot);
		if (index >= 0) this.#slots.splice(index, 1);
	}

	#pump(): void {
		while (!this.#closed && this.#queue.length > 0) {
			let slot = this.#slots.find((s) => !s.job);
			if (!slot && this.#slots.length < this.size) slot = this.#spawn();
			if (!slot) return;
			this.#run(slot, this.#queue.shift()!);
		}
	}

	#run(slot: Slot, job: Job): void {
		slot.job = job;
		const remote: Remote<AnalysisApi> = slot.handle.remote;
		const { priority: _priority, id: _id, signal, onProgress, ...options } = job.options;
		let settled = false;
		const finish = (error: unknown, result?: AnalysisResult) => {
			if (settled) return;
			settled = true;
			clearInterval(timer);
			slot.job = null;
			slot.kill = null;
			const code = error instanceof WorkerError ? error.code : error ? 'internal' : '';
			if (error && REPLACE_ON.has(code)) this.#replace(slot);
			if (error) job.reject(error instanceof WorkerError ? error : new WorkerError('internal', String(error)));
			else job.resolve(result!);
			this.#pump();
		};
		slot.kill = (error) => finish(error);
		// Watchdog: a worker that closed itself or hangs never answers; ping it while the job runs.
		let lastAnswer = Date.now();
		const timer: ReturnType<typeof setInterval> = setInterval(() => {
			if (Date.now() - lastAnswer > this.#heartbeatTimeoutMs) {
				finish(new WorkerError('internal', 'The analysis worker stopped responding'));
				return;
			}
			remote.ping().then(
				() => (lastAnswer = Date.now()),
				() => undefined
			);
		}, this.#heartbeatMs);
		analyseOn(remote, job.file, { ...options, signal, onProgress }).then(
			(result) => finish(undefined, result),
			(error: unknown) => finish(error)
		);
	}
}
