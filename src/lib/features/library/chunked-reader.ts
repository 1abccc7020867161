/**
 * A Blob view for parsers that read many small pieces (tag parsers read a few bytes at a time). In a
 * browser every Blob read is a round trip to the process that holds the file, so tiny reads dominate;
 * this serves them from a small cache of aligned chunks, reading each chunk once.
 * Only what parsers use is provided: `size`, `type` and `slice(start, end).arrayBuffer()`.
 */
export function chunkedBlob(blob: Blob, chunkSize = 256 * 1024, maxChunks = 64): Blob {
	const chunks = new Map<number, Promise<Uint8Array>>();

	const chunk = (index: number): Promise<Uint8Array> => {
		let cached = chunks.get(index);
		if (cached) {
			chunks.delete(index);
			chunks.set(index, cached);
			return cached;
		}
		const start = index * chunkSize;
		cached = blob
			.slice(start, Math.min(blob.size, start + chunkSize))
			.arrayBuffer()
			.then((buffer) => new Uint8Array(buffer));
		chunks.set(index, cached);
		if (chunks.size > maxChunks) chunks.delete(chunks.keys().next().value!);
		return cached;
	};

	const read = async (start: number, end: number): Promise<ArrayBuffer> => {
		const from = Math.max(0, Math.min(start, blob.size));
		const to = Math.max(from, Math.min(end, blob.size));
		const out = new Uint8Array(to - from);
		for (let index = Math.floor(from / chunkSize); index * chunkSize < to; index++) {
			const bytes = await chunk(index);
			const chunkStart = index * chunkSize;
			const a = Math.max(from, chunkStart) - chunkStart;
			const b = Math.min(to, chunkStart + bytes.length) - chunkStart;
			out.set(bytes.subarray(a, b), chunkStart + a - from);
		}
		return out.buffer;
	};

	const view = {
		size: blob.size,
		type: blob.type,
		slice(start = 0, end = blob.size) {
			const s = start < 0 ? blob.size + start : start;
			const e = end < 0 ? blob.size + end : end;
			return { size: Math.max(0, e - s), type: blob.type, arrayBuffer: () => read(s, e) };
		},
		arrayBuffer: () => read(0, blob.size)
	};
	return view as unknown as Blob;
}
