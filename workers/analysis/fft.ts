/**
 * In-place iterative radix-2 complex FFT, with tables precomputed per size. Small and allocation-free
 * per call: the analysers run thousands of fixed-size transforms per track.
 */
export class FFT {
	readonly size: number;
	readonly #cos: Float32Array;
	readonly #sin: Float32Array;
	readonly #rev: Uint32Array;

	constructor(size: number) {
		if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two, got ${size}`);
		this.size = size;
		this.#cos = new Float32Array(size / 2);
		this.#sin = new Float32Array(size / 2);
		for (let i = 0; i < size / 2; i++) {
			this.#cos[i] = Math.cos((2 * Math.PI * i) / size);
			this.#sin[i] = -Math.sin((2 * Math.PI * i) / size);
		}
		this.#rev = new Uint32Array(size);
		const bits = Math.log2(size);
		for (let i = 0; i < size; i++) {
			let r = 0;
			for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
			this.#rev[i] = r;
		}
	}

	/** Transforms (re, im) in place. */
	transform(re: Float32Array, im: Float32Array): void {
		const n = this.size;
		const rev = this.#rev;
		for (let i = 0; i < n; i++) {
			const j = rev[i]!;
			if (j > i) {
				const tr = re[i]!;
				re[i] = re[j]!;
				re[j] = tr;
				const ti = im[i]!;
				im[i] = im[j]!;
				im[j] = ti;
			}
		}
		const cos = this.#cos;
		const sin = this.#sin;
		for (let len = 2; len <= n; len <<= 1) {
			const half = len >> 1;
			const step = n / len;
			for (let start = 0; start < n; start += len) {
				for (let k = 0, t = 0; k < half; k++, t += step) {
					const wr = cos[t]!;
					const wi = sin[t]!;
					const a = start + k;
					const b = a + half;
					const xr = re[b]! * wr - im[b]! * wi;
					const xi = re[b]! * wi + im[b]! * wr;
					re[b] = re[a]! - xr;
					im[b] = im[a]! - xi;
					re[a] = re[a]! + xr;
					im[a] = im[a]! + xi;
				}
			}
		}
	}

	/** Magnitude spectrum (size/2 + 1 bins) of a real frame; `re`/`im` are scratch buffers of `size`. */
	magnitudes(frame: Float32Array, re: Float32Array, im: Float32Array, out: Float32Array): void {
		re.set(frame);
		im.fill(0);
		this.transform(re, im);
		for (let k = 0; k <= this.size / 2; k++) out[k] = Math.sqrt(re[k]! * re[k]! + im[k]! * im[k]!);
	}
}

/** A Hann window of `size` points. */
export function hann(size: number): Float32Array {
	const w = new Float32Array(size);
	for (let i = 0; i < size; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size);
	return w;
}
