/** Streaming building blocks shared by the analysers: biquads and a mono resampler. */

/** Direct form II transposed biquad, state kept across blocks. */
export class Biquad {
	#z1 = 0;
	#z2 = 0;
	constructor(
		readonly b0: number,
		readonly b1: number,
		readonly b2: number,
		readonly a1: number,
		readonly a2: number
	) {}

	/** Filters `input` into `output` (may be the same array). */
	process(input: Float32Array, output: Float32Array, length = input.length): void {
		const { b0, b1, b2, a1, a2 } = this;
		let z1 = this.#z1;
		let z2 = this.#z2;
		for (let i = 0; i < length; i++) {
			const x = input[i]!;
			const y = b0 * x + z1;
			z1 = b1 * x - a1 * y + z2;
			z2 = b2 * x - a2 * y;
			output[i] = y;
		}
		this.#z1 = z1;
		this.#z2 = z2;
	}

	/** RBJ cookbook low-pass. */
	static lowpass(sampleRate: number, freq: number, q = Math.SQRT1_2): Biquad {
		const w = (2 * Math.PI * freq) / sampleRate;
		const alpha = Math.sin(w) / (2 * q);
		const cos = Math.cos(w);
		const a0 = 1 + alpha;
		return new Biquad((1 - cos) / 2 / a0, (1 - cos) / a0, (1 - cos) / 2 / a0, (-2 * cos) / a0, (1 - alpha) / a0);
	}

	/** RBJ cookbook high-pass. */
	static highpass(sampleRate: number, freq: number, q = Math.SQRT1_2): Biquad {
		const w = (2 * Math.PI * freq) / sampleRate;
		const alpha = Math.sin(w) / (2 * q);
		const cos = Math.cos(w);
		const a0 = 1 + alpha;
		return new Biquad((1 + cos) / 2 / a0, -(1 + cos) / a0, (1 + cos) / 2 / a0, (-2 * cos) / a0, (1 - alpha) / a0);
	}
}

/** Q values of the biquad sections of an even-order Butterworth filter. */
export function butterworthQs(order: number): number[] {
	const qs: number[] = [];
	for (let k = 0; k < order / 2; k++) qs.push(1 / (2 * Math.cos((Math.PI * (2 * k + 1)) / (2 * order))));
	return qs;
}

/**
 * Streaming mono resampler: an 8th-order Butterworth anti-alias low-pass at 0.45 × the output rate, then
 * linear interpolation. Plenty for onset and pitch analysis (aliases land ≥ 30 dB down) and far cheaper
 * than a long sinc kernel. Output rate ≥ input rate just interpolates.
 */
export class Resampler {
	readonly #ratio: number;
	readonly #filters: Biquad[];
	#scratch = new Float32Array(0);
	/** Position of the next output sample, in input samples relative to the start of the next block. */
	#pos = 0;
	/** Last input sample of the previous block (for interpolation across the boundary). */
	#prev = 0;

	constructor(
		readonly inRate: number,
		readonly outRate: number
	) {
		this.#ratio = inRate / outRate;
		this.#filters = outRate < inRate ? butterworthQs(8).map((q) => Biquad.lowpass(inRate, 0.45 * outRate, q)) : [];
	}

	/** Resamples one block; returns the output samples produced (a new array, possibly empty). */
	process(input: Float32Array): Float32Array {
		if (this.#scratch.length < input.length) this.#scratch = new Float32Array(input.length);
		const x = this.#scratch;
		x.set(input);
		for (const filter of this.#filters) filter.process(x, x, input.length);
		const n = input.length;
		const count = Math.max(0, Math.ceil((n - this.#pos) / this.#ratio));
		const out = new Float32Array(count);
		let pos = this.#pos;
		for (let i = 0; i < count; i++, pos += this.#ratio) {
			const at = pos - 1;
			const i0 = Math.floor(at);
			const frac = at - i0;
			const a = i0 < 0 ? this.#prev : x[i0]!;
			const b = x[i0 + 1] ?? a;
			out[i] = a + (b - a) * frac;
		}
		this.#pos = pos - n;
		this.#prev = n > 0 ? x[n - 1]! : this.#prev;
		return out;
	}
}
