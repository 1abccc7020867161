import { describe, expect, it } from 'vitest';
import { sha256 } from '$lib/workers/hash-client';
import { isWorkerError, WorkerError } from './shared/errors';
import { noise } from './shared/test-bytes';

async function webCryptoHex(blob: Blob): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

describe('hash worker (real Worker via comlink)', () => {
	it('hashes the empty input and a known vector', async () => {
		expect((await sha256(new Blob([]))).sha256).toBe(
			'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
		);
		expect((await sha256(new Blob(['abc']))).sha256).toBe(
			'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
		);
	});

	it('matches WebCrypto on a multi-slice file and reports progress to the end', async () => {
		const blob = new Blob([noise(9 * 1024 * 1024 + 17)]);
		const progress: number[] = [];
		const result = await sha256(blob, { onProgress: (p) => progress.push(p.bytesDone) });
		expect(result.sha256).toBe(await webCryptoHex(blob));
		expect(result.bytes).toBe(blob.size);
		// Comlink delivers progress callbacks asynchronously; give the last one a moment.
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(progress.at(-1)).toBe(blob.size);
		expect([...progress].sort((a, b) => a - b)).toEqual(progress);
	});

	it('cancels a long call through an AbortSignal with a typed error', async () => {
		const chunk = noise(4 * 1024 * 1024);
		const blob = new Blob(Array.from({ length: 32 }, () => chunk));
		const controller = new AbortController();
		const pending = sha256(blob, { signal: controller.signal, onProgress: () => controller.abort() });
		const error = await pending.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(WorkerError);
		expect(isWorkerError(error) && error.code).toBe('aborted');
	});

	it('rejects an already-aborted call without hashing', async () => {
		const controller = new AbortController();
		controller.abort();
		const error = await sha256(new Blob(['x']), { signal: controller.signal }).catch((e: unknown) => e);
		expect(isWorkerError(error) && error.code).toBe('aborted');
	});

	it('turns bad input into a typed error that survives the worker boundary', async () => {
		const error = await sha256('not a blob' as unknown as Blob).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(WorkerError);
		expect(isWorkerError(error) && error.code).toBe('invalid-input');
		expect((error as Error).message).toMatch(/File or Blob/);
	});

	it('keeps working after a failed and a cancelled call', async () => {
		expect((await sha256(new Blob(['abc']))).sha256).toMatch(/^ba7816bf/);
	});
});
