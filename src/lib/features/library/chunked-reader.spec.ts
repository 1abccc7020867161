import { describe, expect, it } from 'vitest';
import { chunkedBlob } from './chunked-reader';

describe('chunked blob reader', () => {
	const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251);
	const blob = new Blob([bytes]);

	it('returns exactly the bytes a real slice would, across chunk borders and at the ends', async () => {
		const view = chunkedBlob(blob, 1000, 3);
		for (const [start, end] of [
			[0, 10],
			[995, 1005],
			[0, 10_000],
			[9_990, 10_000],
			[2_500, 7_777],
			[9_999, 20_000],
			[-10, 10_000]
		] as const) {
			const expected = new Uint8Array(await blob.slice(start, end).arrayBuffer());
			const actual = new Uint8Array(await view.slice(start, end).arrayBuffer());
			expect(actual, `${start}-${end}`).toEqual(expected);
		}
		expect(view.size).toBe(10_000);
	});

	it('reads each chunk from the file once while it stays cached', async () => {
		let reads = 0;
		const counting = {
			size: blob.size,
			type: '',
			slice: (a: number, b: number) => (reads++, blob.slice(a, b))
		} as unknown as Blob;
		const view = chunkedBlob(counting, 1000, 4);
		for (let i = 0; i < 200; i++) await view.slice(i * 4, i * 4 + 4).arrayBuffer();
		expect(reads).toBe(1);
	});
});
