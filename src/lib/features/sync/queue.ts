/**
 * The download manager's decisions, without any I/O, so they can be tested on their own: which file
 * starts next (priority, then manifest order), how long a failed one waits (exponential backoff with
 * jitter), and what a full disk stops (future assets first). The worker (`workers/download.worker.ts`)
 * owns one `DownloadQueue` per batch and does the fetching.
 */

/** 0: in a current daypart's playlist, 1: emergency-eligible, 2: future dayparts only (manifest). */
export type Priority = 0 | 1 | 2;
export const FUTURE: Priority = 2;

export interface Backoff {
	baseMs: number;
	capMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so a fleet of players
 * that failed together does not retry together, yet nobody retries at once.
 * `attempt` counts failures so far (1 after the first).
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
	const exp = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(exp / 2 + random() * (exp / 2));
}

export interface QueuedJob {
	hash: string;
	priority: Priority;
	/** Position in the manifest's download list (ties within a priority keep the server's order). */
	order: number;
}

interface Slot<J extends QueuedJob> {
	job: J;
	attempts: number;
	notBefore: number;
	/** verifying: all bytes received, being hashed and committed; it no longer holds a transfer slot. */
	state: 'waiting' | 'active' | 'verifying' | 'done';
}

/** Priority queue with limited parallelism and per-job retry times. */
export class DownloadQueue<J extends QueuedJob = QueuedJob> {
	readonly parallel: number;
	#slots = new Map<string, Slot<J>>();
	#diskFull = false;

	constructor(jobs: readonly J[], parallel = 2) {
		this.parallel = Math.max(1, parallel);
		for (const job of jobs) {
			const known = this.#slots.get(job.hash);
			// The same file listed twice keeps its most urgent priority.
			if (!known || job.priority < known.job.priority)
				this.#slots.set(job.hash, { job, attempts: 0, notBefore: 0, state: 'waiting' });
		}
	}

	get diskFull(): boolean {
		return this.#diskFull;
	}

	get active(): J[] {
		return [...this.#slots.values()].filter((s) => s.state === 'active').map((s) => s.job);
	}

	get verifying(): J[] {
		return [...this.#slots.values()].filter((s) => s.state === 'verifying').map((s) => s.job);
	}

	get waiting(): J[] {
		return [...this.#slots.values()].filter((s) => s.state === 'waiting').map((s) => s.job);
	}

	attempts(hash: string): number {
		return this.#slots.get(hash)?.attempts ?? 0;
	}

	/** The next job to start now, or null (all slots busy, nothing ready, or only stopped futures left). */
	next(now: number): J | null {
		if (this.active.length >= this.parallel) return null;
		let best: Slot<J> | null = null;
		for (const slot of this.#slots.values()) {
			if (slot.state !== 'waiting' || slot.notBefore > now) continue;
			if (this.#diskFull && slot.job.priority === FUTURE) continue;
			if (!best || compare(slot.job, best.job) < 0) best = slot;
		}
		if (!best) return null;
		best.state = 'active';
		return best.job;
	}

	/**
	 * An active job received all its bytes: its transfer slot goes to the next file while it is verified and
	 * committed (hashing and the OPFS move then overlap the next transfer). At most `parallel` jobs verify at
	 * once (each may hold its file in memory for the hash); beyond that the job keeps its slot. Returns
	 * whether the slot was freed.
	 */
	release(hash: string): boolean {
		const slot = this.#slots.get(hash);
		if (!slot || slot.state !== 'active' || this.verifying.length >= this.parallel) return false;
		slot.state = 'verifying';
		return true;
	}

	/** Finished for this batch: downloaded, or failed for good (the engine retries at a later sync). */
	finish(hash: string): void {
		const slot = this.#slots.get(hash);
		if (slot) slot.state = 'done';
	}

	/** A transient failure: back in the queue after a backoff; returns the delay. */
	retryLater(hash: string, now: number, backoff: Backoff, random: () => number = Math.random): number {
		const slot = this.#slots.get(hash);
		if (!slot) return 0;
		slot.attempts++;
		const delay = backoffDelay(slot.attempts, backoff, random);
		slot.notBefore = now + delay;
		slot.state = 'waiting';
		return delay;
	}

	/** Puts an active job back without counting a failure (it was paused, e.g. to free a slot). */
	requeue(hash: string): void {
		const slot = this.#slots.get(hash);
		if (slot && (slot.state === 'active' || slot.state === 'verifying')) slot.state = 'waiting';
	}

	/** Waiting jobs may start now (the network is back, or the user asked). */
	wakeAll(): void {
		for (const slot of this.#slots.values()) if (slot.state === 'waiting') slot.notBefore = 0;
	}

	/**
	 * The disk is full: future assets stop (active ones are returned so the caller can abort them and free
	 * their partial bytes; waiting ones are returned too, they will not start in this batch). Current and
	 * emergency files keep their place.
	 */
	stopFuture(): { active: J[]; waiting: J[] } {
		this.#diskFull = true;
		const active: J[] = [];
		const waiting: J[] = [];
		for (const slot of this.#slots.values()) {
			// A verifying file has all its bytes: it completes (the move into the store needs no room).
			if (slot.job.priority !== FUTURE || slot.state === 'done' || slot.state === 'verifying') continue;
			(slot.state === 'active' ? active : waiting).push(slot.job);
			slot.state = 'done';
		}
		return { active, waiting };
	}

	/** When the earliest waiting job may start (Infinity when none is waiting). */
	nextWakeAt(): number {
		let at = Infinity;
		for (const slot of this.#slots.values()) {
			if (slot.state !== 'waiting') continue;
			if (this.#diskFull && slot.job.priority === FUTURE) continue;
			at = Math.min(at, slot.notBefore);
		}
		return at;
	}

	/** Nothing active or verifying, and nothing left that could start. */
	get settled(): boolean {
		return this.active.length === 0 && this.verifying.length === 0 && this.nextWakeAt() === Infinity;
	}
}

function compare(a: QueuedJob, b: QueuedJob): number {
	return a.priority - b.priority || a.order - b.order || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);
}

/** Sorts jobs the way the queue starts them (for display). */
export function byPriority<J extends QueuedJob>(jobs: readonly J[]): J[] {
	return [...jobs].sort(compare);
}
