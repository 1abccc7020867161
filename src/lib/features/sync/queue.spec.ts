import { describe, expect, it } from 'vitest';
import { backoffDelay, byPriority, DownloadQueue, type Priority, type QueuedJob } from './queue';

const job = (hash: string, priority: Priority, order = 0): QueuedJob => ({ hash, priority, order });
const BACKOFF = { baseMs: 1000, capMs: 16_000 };

/** Starts jobs until the queue refuses, finishing nothing. */
function startAll(queue: DownloadQueue, now = 0): string[] {
	const started: string[] = [];
	let next;
	while ((next = queue.next(now))) started.push(next.hash);
	return started;
}

describe('DownloadQueue', () => {
	it('starts current playlist files before emergency before future, in manifest order', () => {
		const queue = new DownloadQueue(
			[job('f1', 2, 0), job('e1', 1, 1), job('c2', 0, 3), job('c1', 0, 2), job('f0', 2, 4), job('e0', 1, 5)],
			1
		);
		const order: string[] = [];
		for (let next = queue.next(0); next; next = queue.next(0)) {
			order.push(next.hash);
			queue.finish(next.hash);
		}
		expect(order).toEqual(['c1', 'c2', 'e1', 'e0', 'f1', 'f0']);
		expect(queue.settled).toBe(true);
	});

	it('runs at most `parallel` downloads at once', () => {
		const queue = new DownloadQueue([job('a', 0), job('b', 0, 1), job('c', 1), job('d', 2)], 2);
		expect(startAll(queue)).toEqual(['a', 'b']);
		queue.finish('a');
		expect(startAll(queue)).toEqual(['c']);
		expect(queue.active.map((j) => j.hash)).toEqual(['b', 'c']);
	});

	it('a file whose bytes all arrived frees its slot while it is verified, up to `parallel` verifying', () => {
		const queue = new DownloadQueue([job('a', 0), job('b', 0, 1), job('c', 0, 2), job('d', 0, 3), job('e', 0, 4)], 2);
		expect(startAll(queue)).toEqual(['a', 'b']);
		expect(queue.release('a')).toBe(true);
		expect(startAll(queue)).toEqual(['c']);
		expect(queue.release('b')).toBe(true);
		expect(startAll(queue)).toEqual(['d']);
		// Two are verifying already: c keeps its slot until one of them is done.
		expect(queue.release('c')).toBe(false);
		expect(startAll(queue)).toEqual([]);
		expect(queue.settled).toBe(false);
		queue.finish('a');
		expect(queue.release('c')).toBe(true);
		expect(startAll(queue)).toEqual(['e']);
		expect(queue.verifying.map((j) => j.hash)).toEqual(['b', 'c']);
		// A verification that fails transiently goes back to waiting.
		queue.retryLater('b', 0, BACKOFF, () => 0);
		expect(queue.waiting.map((j) => j.hash)).toEqual(['b']);
		for (const hash of ['c', 'd', 'e']) queue.finish(hash);
		expect(queue.release('b')).toBe(false);
	});

	it('a full disk does not stop a future file that is already verifying', () => {
		const queue = new DownloadQueue([job('f1', 2), job('f2', 2, 1), job('f3', 2, 2)], 2);
		startAll(queue);
		queue.release('f1');
		const { active, waiting } = queue.stopFuture();
		expect(active.map((j) => j.hash)).toEqual(['f2']);
		expect(waiting.map((j) => j.hash)).toEqual(['f3']);
		expect(queue.verifying.map((j) => j.hash)).toEqual(['f1']);
	});

	it('keeps the most urgent priority of a file listed twice', () => {
		const queue = new DownloadQueue([job('x', 2), job('y', 1), job('x', 0)], 1);
		expect(queue.next(0)?.hash).toBe('x');
	});

	it('a failed file waits out its backoff while the others proceed', () => {
		const queue = new DownloadQueue([job('bad', 0), job('ok1', 1), job('ok2', 2)], 1);
		expect(queue.next(0)?.hash).toBe('bad');
		const delay = queue.retryLater('bad', 0, BACKOFF, () => 0.5);
		expect(delay).toBe(750);
		expect(queue.next(100)?.hash).toBe('ok1');
		queue.finish('ok1');
		expect(queue.next(200)?.hash).toBe('ok2');
		queue.finish('ok2');
		expect(queue.next(749)).toBeNull();
		expect(queue.nextWakeAt()).toBe(750);
		expect(queue.settled).toBe(false);
		expect(queue.next(750)?.hash).toBe('bad');
		expect(queue.attempts('bad')).toBe(1);
	});

	it('wakeAll lets waiting files start at once (back online)', () => {
		const queue = new DownloadQueue([job('a', 0)], 1);
		queue.next(0);
		queue.retryLater('a', 0, BACKOFF, () => 1);
		expect(queue.next(10)).toBeNull();
		queue.wakeAll();
		expect(queue.next(10)?.hash).toBe('a');
	});

	it('a full disk stops future files (active and waiting) and keeps current and emergency ones', () => {
		const queue = new DownloadQueue([job('c', 0), job('f1', 2), job('f2', 2, 1), job('e', 1)], 2);
		queue.finish(queue.next(0)!.hash); // c
		queue.finish(queue.next(0)!.hash); // e
		expect(startAll(queue)).toEqual(['f1', 'f2']);
		queue.requeue('f2');
		const stopped = queue.stopFuture();
		expect(stopped.active.map((j) => j.hash)).toEqual(['f1']);
		expect(stopped.waiting.map((j) => j.hash)).toEqual(['f2']);
		expect(queue.diskFull).toBe(true);
		expect(queue.next(0)).toBeNull();
		expect(queue.settled).toBe(true);
	});

	it('after a full disk, current files still start but future ones do not', () => {
		const queue = new DownloadQueue([job('f', 2), job('c', 0), job('e', 1)], 2);
		expect(startAll(queue)).toEqual(['c', 'e']);
		queue.stopFuture();
		queue.requeue('c');
		expect(queue.next(0)?.hash).toBe('c');
		expect(queue.waiting).toEqual([]);
	});
});

describe('backoffDelay', () => {
	it('doubles per attempt up to the cap, with half of it random', () => {
		expect(backoffDelay(1, BACKOFF, () => 0)).toBe(500);
		expect(backoffDelay(1, BACKOFF, () => 1)).toBe(1000);
		expect(backoffDelay(2, BACKOFF, () => 0)).toBe(1000);
		expect(backoffDelay(3, BACKOFF, () => 1)).toBe(4000);
		expect(backoffDelay(10, BACKOFF, () => 1)).toBe(16_000);
		expect(backoffDelay(50, BACKOFF, () => 0)).toBe(8000);
	});

	it('spreads retries: 1,000 devices failing together do not retry in the same second', () => {
		let seed = 42;
		const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
		const seconds = new Set(Array.from({ length: 1000 }, () => Math.floor(backoffDelay(5, BACKOFF, random) / 1000)));
		expect(seconds.size).toBeGreaterThanOrEqual(8);
	});
});

describe('byPriority', () => {
	it('sorts like the queue starts', () => {
		expect(byPriority([job('b', 2), job('a', 0, 1), job('z', 0, 0)]).map((j) => j.hash)).toEqual(['z', 'a', 'b']);
	});
});
