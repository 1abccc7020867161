/** A Float32Array that grows by doubling: per-frame features of a 2-hour mix stay a few MB. */
export class FloatList {
	#data: Float32Array;
	length = 0;
	constructor(capacity = 1024) {
		this.#data = new Float32Array(capacity);
	}
	push(value: number): void {
		if (this.length === this.#data.length) {
			const next = new Float32Array(this.#data.length * 2);
			next.set(this.#data);
			this.#data = next;
		}
		this.#data[this.length++] = value;
	}
	/** A view of the values pushed so far (shares memory until the next push). */
	view(): Float32Array {
		return this.#data.subarray(0, this.length);
	}
}

/**
 * Cuts a stream of samples into overlapping frames of `size` every `hop` samples and calls `onFrame`
 * with a reused buffer. The first frame starts at sample 0.
 */
export class Framer {
	readonly #buffer: Float32Array;
	#fill = 0;
	constructor(
		readonly size: number,
		readonly hop: number,
		readonly onFrame: (frame: Float32Array) => void
	) {
		this.#buffer = new Float32Array(size);
	}

	push(samples: Float32Array): void {
		let offset = 0;
		while (offset < samples.length) {
			const take = Math.min(this.size - this.#fill, samples.length - offset);
			this.#buffer.set(samples.subarray(offset, offset + take), this.#fill);
			this.#fill += take;
			offset += take;
			if (this.#fill === this.size) {
				this.onFrame(this.#buffer);
				this.#buffer.copyWithin(0, this.hop);
				this.#fill = this.size - this.hop;
			}
		}
	}

	/** Emits the last partial frame zero-padded, if it holds at least one new hop of samples. */
	flush(): void {
		if (this.#fill > this.size - this.hop) {
			this.#buffer.fill(0, this.#fill);
			this.onFrame(this.#buffer);
			this.#fill = 0;
		}
	}
}
