/** Deterministic pseudo-random bytes for specs: slices differ, so a misordered or skipped read shows. */
export function noise(size: number, seed = 1): Uint8Array {
	const bytes = new Uint8Array(size);
	let x = seed;
	for (let i = 0; i < size; i++) {
		x = (x * 1103515245 + 12345) >>> 0;
		bytes[i] = x >>> 24;
	}
	return bytes;
}
