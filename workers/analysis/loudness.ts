import { Biquad } from './dsp';

/** K-weighting (ITU-R BS.1770-4) for any sample rate: the pre-filter shelf then the RLB high-pass. */
function kWeighting(sampleRate: number): [Biquad, Biquad] {
	// Coefficient derivation as in libebur128, so 48 kHz reproduces the standard's tables.
	let f0 = 1681.974450955533;
	const G = 3.999843853973347;
	let Q = 0.7071752369554196;
	let K = Math.tan((Math.PI * f0) / sampleRate);
	const Vh = 10 ** (G / 20);
	const Vb = Vh ** 0.4996667741545416;
	let a0 = 1 + K / Q + K * K;
	const shelf = new Biquad(
		(Vh + (Vb * K) / Q + K * K) / a0,
		(2 * (K * K - Vh)) / a0,
		(Vh - (Vb * K) / Q + K * K) / a0,
		(2 * (K * K - 1)) / a0,
		(1 - K / Q + K * K) / a0
	);
	f0 = 38.13547087602444;
	Q = 0.5003270373238773;
	K = Math.tan((Math.PI * f0) / sampleRate);
	a0 = 1 + K / Q + K * K;
	const highpass = new Biquad(1, -2, 1, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0);
	return [shelf, highpass];
}

/**
 * Streaming EBU R128 integrated loudness: K-weighted mean square per channel in 100 ms steps, 400 ms
 * gating blocks (75 % overlap), absolute gate -70 LUFS, relative gate -10 LU. Memory: one number per 100 ms.
 */
export class LoudnessMeter {
	readonly #filters: [Biquad, Biquad][];
	readonly #weights: number[];
	readonly #step: number;
	#stepFill = 0;
	#stepSum = 0;
	readonly #steps: number[] = [];
	#scratch = new Float32Array(0);

	constructor(
		readonly sampleRate: number,
		readonly channels: number
	) {
		this.#filters = Array.from({ length: channels }, () => kWeighting(sampleRate));
		// BS.1770 channel weights for 5.1 (L R C LFE Ls Rs): LFE excluded, surrounds +1.5 dB.
		this.#weights = Array.from({ length: channels }, (_, i) =>
			channels === 6 ? ([1, 1, 1, 0, 1.41, 1.41][i] ?? 1) : 1
		);
		this.#step = Math.round(sampleRate / 10);
	}

	/** One block of planar channel data (all channels the same length). */
	push(planes: Float32Array[]): void {
		const length = planes[0]?.length ?? 0;
		if (this.#scratch.length < length * this.channels) this.#scratch = new Float32Array(length * this.channels);
		const filtered: Float32Array[] = [];
		for (let c = 0; c < this.channels; c++) {
			const out = this.#scratch.subarray(c * length, (c + 1) * length);
			const [shelf, highpass] = this.#filters[c]!;
			shelf.process(planes[c] ?? planes[0]!, out, length);
			highpass.process(out, out, length);
			filtered.push(out);
		}
		let i = 0;
		while (i < length) {
			const take = Math.min(this.#step - this.#stepFill, length - i);
			let sum = 0;
			for (let c = 0; c < this.channels; c++) {
				const weight = this.#weights[c]!;
				if (weight === 0) continue;
				const plane = filtered[c]!;
				let s = 0;
				for (let j = i; j < i + take; j++) s += plane[j]! * plane[j]!;
				sum += weight * s;
			}
			this.#stepSum += sum;
			this.#stepFill += take;
			i += take;
			if (this.#stepFill === this.#step) {
				this.#steps.push(this.#stepSum / this.#step);
				this.#stepSum = 0;
				this.#stepFill = 0;
			}
		}
	}

	/** Integrated loudness in LUFS; -Infinity for silence or audio shorter than one 400 ms block. */
	integrated(): number {
		const blocks: number[] = [];
		for (let i = 3; i < this.#steps.length; i++) {
			blocks.push((this.#steps[i]! + this.#steps[i - 1]! + this.#steps[i - 2]! + this.#steps[i - 3]!) / 4);
		}
		const lufs = (power: number) => -0.691 + 10 * Math.log10(power);
		const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
		const absolute = blocks.filter((p) => p > 0 && lufs(p) > -70);
		if (absolute.length === 0) return -Infinity;
		const relativeGate = lufs(mean(absolute)) - 10;
		const gated = absolute.filter((p) => lufs(p) > relativeGate);
		return lufs(mean(gated));
	}
}
