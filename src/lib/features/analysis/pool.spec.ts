import { describe, expect, it } from 'vitest';
import type { Remote } from 'comlink';
import { WorkerError } from '$workers/shared/errors';
import type { AnalysisApi, AnalysisResult, AnalysisWorkerHandle } from './analysis-client';
import { AnalysisPool, defaultPoolSize } from './pool';

/** A fake worker: `analyse` resolves after `ms` (from the blob's text) or fails as the blob says. */
function fakeWorkers(log: string[]) {
	let n = 0;
	return (): AnalysisWorkerHandle => {
		const id = n++;
		const worker = new EventTarget() as EventTarget & { terminate(): void };
		let alive = true;
		worker.terminate = () => {
			alive = false;
			log.push(`terminate ${id}`);
		};
		const remote = {
			async ping() {
				if (!alive) return new Promise(() => undefined);
				return 'pong';
			},
			async analyse(file: Blob, _options: unknown, _progress: unknown, cancel?: MessagePort) {
				const text = await file.text();
				log.push(`start ${text} on ${id}`);
				if (text === 'die') {
					setTimeout(() => worker.dispatchEvent(new Event('error')), 5);
					return new Promise(() => undefined);
				}
				if (text === 'hang') {
					alive = false;
					return new Promise(() => undefined);
				}
				if (text === 'oom') throw new WorkerError('out-of-memory', 'WASM heap exhausted');
				if (text === 'bad') throw new WorkerError('not-audio', 'Not audio');
				return new Promise((resolve, reject) => {
					const timer = setTimeout(() => resolve({ bpm: Number(text) } as unknown as AnalysisResult), 50);
					if (cancel) {
						cancel.onmessage = () => {
							clearTimeout(timer);
							reject(new WorkerError('aborted', 'Cancelled'));
						};
					}
				});
			}
		} as unknown as Remote<AnalysisApi>;
		return { worker: worker as unknown as Worker, remote };
	};
}

const blob = (text: string) => new Blob([text]);

describe('AnalysisPool', () => {
	it('sizes itself hardwareConcurrency − 1, at least 1', () => {
		expect(defaultPoolSize(8)).toBe(7);
		expect(defaultPoolSize(2)).toBe(1);
		expect(defaultPoolSize(1)).toBe(1);
	});

	it('runs by priority, then in submission order', async () => {
		const log: string[] = [];
		const pool = new AnalysisPool({ size: 1, createWorker: fakeWorkers(log) });
		const jobs = [
			pool.analyse(blob('100')),
			pool.analyse(blob('101')),
			pool.analyse(blob('102'), { priority: 5 }),
			pool.analyse(blob('103'), { id: 'opened' })
		];
		pool.prioritise('opened');
		await Promise.all(jobs);
		expect(log.filter((l) => l.startsWith('start'))).toEqual([
			'start 100 on 0',
			'start 103 on 0',
			'start 102 on 0',
			'start 101 on 0'
		]);
		pool.close();
	});

	it('cancels queued and running jobs', async () => {
		const log: string[] = [];
		const pool = new AnalysisPool({ size: 1, createWorker: fakeWorkers(log) });
		const running = new AbortController();
		const queued = new AbortController();
		const a = pool.analyse(blob('1'), { signal: running.signal });
		const b = pool.analyse(blob('2'), { signal: queued.signal });
		const c = pool.analyse(blob('3'));
		const outcomes = Promise.allSettled([a, b]);
		queued.abort();
		await new Promise((r) => setTimeout(r, 5));
		running.abort();
		const [ra, rb] = await outcomes;
		expect(ra).toMatchObject({ status: 'rejected', reason: { code: 'aborted' } });
		expect(rb).toMatchObject({ status: 'rejected', reason: { code: 'aborted' } });
		expect(await c).toMatchObject({ bpm: 3 });
		expect(log.some((l) => l.startsWith('start 2'))).toBe(false);
		pool.close();
	});

	it('isolates crashes: the job fails with a reason, the worker is replaced, the queue carries on', async () => {
		const log: string[] = [];
		const pool = new AnalysisPool({
			size: 1,
			createWorker: fakeWorkers(log),
			// Loose enough that a loaded CI machine's event-loop stalls (60 ms once failed a 20 ms job as
			// "stopped responding") do not pass for a hung worker; the hung one still fails within a second.
			heartbeatMs: 25,
			heartbeatTimeoutMs: 1000
		});
		const results = await Promise.allSettled([
			pool.analyse(blob('die')),
			pool.analyse(blob('120')),
			pool.analyse(blob('oom')),
			pool.analyse(blob('hang')),
			pool.analyse(blob('bad')),
			pool.analyse(blob('128'))
		]);
		const summary = results.map((r) => (r.status === 'fulfilled' ? r.value.bpm : (r.reason as WorkerError).code));
		expect(summary).toEqual(['internal', 120, 'out-of-memory', 'internal', 'not-audio', 128]);
		expect((results[0] as PromiseRejectedResult).reason.message).toMatch(/crashed/);
		expect((results[3] as PromiseRejectedResult).reason.message).toMatch(/stopped responding/);
		// die, oom and hang each cost a worker; a plain bad file does not.
		expect(pool.started).toBe(4);
		pool.close();
	});
});
