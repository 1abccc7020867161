import { describe, expect, it } from 'vitest';
import { forgetFrames, framesBelow, framesPending, settleFrames, transferWorker, writeFrame } from './transfer-client';

const bytesOf = (size: number, seed: number) => {
	const out = new Uint8Array(size);
	for (let i = 0; i < size; i++) out[i] = (i * 131 + seed) & 255;
	return out;
};

const sha256 = async (bytes: Uint8Array<ArrayBuffer>) =>
	[...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
		.map((b) => b.toString(16).padStart(2, '0'))
		.join('');

/** Sends `bytes` as frames of `frame` bytes in the order of `order` (indices of frames). */
function sendFrames(id: number, bytes: Uint8Array, frame: number, order: number[]): void {
	for (const index of order) {
		const at = index * frame;
		writeFrame(id, at, bytes.slice(at, Math.min(bytes.byteLength, at + frame)));
	}
}

describe('the transfer worker frame port', () => {
	it('writes and hashes frames sent without an answer each, in and out of order, and settles before the digest', async () => {
		const bytes = bytesOf(3 * 1024 * 1024 + 4321, 5);
		const frame = 256 * 1024;
		const count = Math.ceil(bytes.byteLength / frame);
		const worker = transferWorker();
		const id = await worker.open(bytes.byteLength);
		// The second half first (as from a second device), then the first half.
		const half = Math.floor(count / 2);
		const order = [...Array(count).keys()];
		sendFrames(id, bytes, frame, [...order.slice(half), ...order.slice(0, half)]);
		expect(framesPending(id)).toBeGreaterThan(0);
		expect(await settleFrames(id)).toBe('');
		expect(framesPending(id)).toBe(0);
		expect(await worker.digest(id)).toBe(await sha256(bytes));
		forgetFrames(id);
		await worker.abort(id);
	});

	it('reports a write outside the file as the file’s error, and the other file is not affected', async () => {
		const worker = transferWorker();
		const [bad, good] = [await worker.open(1000), await worker.open(1000)];
		const bytes = bytesOf(1000, 9);
		writeFrame(bad, 900, bytes.slice(0, 200));
		writeFrame(good, 0, bytes.slice());
		expect(await settleFrames(bad)).toMatch(/outside/i);
		expect(await settleFrames(good)).toBe('');
		expect(await worker.digest(good)).toBe(await sha256(bytes));
		for (const id of [bad, good]) {
			forgetFrames(id);
			await worker.abort(id);
		}
	});

	it('lets the receiver wait until few frames are pending', async () => {
		const worker = transferWorker();
		const bytes = bytesOf(40 * 64 * 1024, 3);
		const id = await worker.open(bytes.byteLength);
		sendFrames(id, bytes, 64 * 1024, [...Array(40).keys()]);
		await framesBelow(id, 8);
		expect(framesPending(id)).toBeLessThanOrEqual(8);
		expect(await settleFrames(id)).toBe('');
		expect(await worker.digest(id)).toBe(await sha256(bytes));
		forgetFrames(id);
		await worker.abort(id);
	});
});
