import { FFT, hann } from './fft';
import { Framer } from './frames';

export interface ChromaOptions {
	/** Peak weight = magnitude ** power (after whitening). */
	power?: number;
	minFreq?: number;
	whiten?: boolean;
	/** Weight of the h-th sub-harmonic contribution: decay ** h. */
	harmonicDecay?: number;
}

/**
 * Streaming harmonic pitch class profile (HPCP), accumulated over the whole track: spectral peaks
 * between 50 and 3500 Hz, each adding to 36 pitch-class bins (A = bin 0, 440 Hz reference) and to the bins
 * of its lower harmonics, as essentia's HPCP does. The average profile goes to essentia's Key algorithm.
 */
export class ChromaAnalyser {
	static readonly SIZE = 36;
	readonly #sum = new Float64Array(ChromaAnalyser.SIZE);
	readonly #framer: Framer;
	frames = 0;

	constructor(
		readonly sampleRate: number,
		frameSize = 4096,
		hop = 4096,
		readonly harmonics = 1,
		options: ChromaOptions = {}
	) {
		const { power = 1, minFreq = 50, whiten = true, harmonicDecay = 0.6 } = options;
		const fft = new FFT(frameSize);
		const window = hann(frameSize);
		const re = new Float32Array(frameSize);
		const im = new Float32Array(frameSize);
		const bins = frameSize / 2 + 1;
		const mag = new Float32Array(bins);
		const hz = sampleRate / frameSize;
		const minBin = Math.max(2, Math.floor(minFreq / hz));
		const prefix = new Float64Array(bins + 1);
		const maxBin = Math.min(bins - 2, Math.ceil(3500 / hz));
		const frameHpcp = new Float64Array(ChromaAnalyser.SIZE);
		const size = ChromaAnalyser.SIZE;
		const peakFreqs = new Float32Array(128);
		const peakMags = new Float32Array(128);
		this.#framer = new Framer(frameSize, hop, (frame) => {
			for (let i = 0; i < frameSize; i++) re[i] = frame[i]! * window[i]!;
			im.fill(0);
			fft.transform(re, im);
			let max = 0;
			for (let k = 0; k < bins; k++) {
				const m = Math.sqrt(re[k]! * re[k]! + im[k]! * im[k]!);
				mag[k] = m;
				if (k >= minBin && k <= maxBin && m > max) max = m;
			}
			if (max <= 1e-6) return;
			if (whiten) for (let k = 0; k < bins; k++) prefix[k + 1] = prefix[k]! + mag[k]!;
			// Spectral peaks above -60 dB of the frame maximum, refined by parabolic interpolation.
			const floor = max * 1e-3;
			let peaks = 0;
			for (let k = minBin; k <= maxBin && peaks < peakFreqs.length; k++) {
				const m = mag[k]!;
				if (m < floor || m < mag[k - 1]! || m <= mag[k + 1]!) continue;
				const a = Math.log(mag[k - 1]! + 1e-12);
				const b = Math.log(m + 1e-12);
				const c = Math.log(mag[k + 1]! + 1e-12);
				const denom = a - 2 * b + c;
				const offset = denom === 0 ? 0 : (0.5 * (a - c)) / denom;
				peakFreqs[peaks] = (k + offset) * hz;
				let peakMag = Math.exp(b - 0.25 * (a - c) * offset);
				if (whiten) {
					// Divide by the mean magnitude over a third of an octave around the peak (spectral whitening).
					const lo = Math.max(0, Math.floor(k * 0.89));
					const hi = Math.min(bins, Math.ceil(k * 1.12) + 1);
					const envelope = (prefix[hi]! - prefix[lo]!) / (hi - lo);
					peakMag /= envelope + max * 1e-4;
				}
				peakMags[peaks] = peakMag;
				peaks++;
			}
			frameHpcp.fill(0);
			for (let p = 0; p < peaks; p++) {
				const f = peakFreqs[p]!;
				const weight = peakMags[p]! ** power;
				for (let h = 0; h < this.harmonics; h++) {
					const f0 = f / (h + 1);
					if (f0 < 40) break;
					const hw = weight * harmonicDecay ** h;
					// Position in 36-bin units from A; cos² window one semitone (3 bins) wide.
					const position = ((((size * Math.log2(f0 / 440)) % size) + size) % size) as number;
					const centre = Math.round(position);
					for (let d = -1; d <= 1; d++) {
						const distance = position - (centre + d);
						if (Math.abs(distance) >= 1.5) continue;
						const w = Math.cos((Math.PI / 2) * (distance / 1.5)) ** 2;
						const bin = (((centre + d) % size) + size) % size;
						frameHpcp[bin] = frameHpcp[bin]! + hw * w;
					}
				}
			}
			let frameMax = 0;
			for (let i = 0; i < size; i++) frameMax = Math.max(frameMax, frameHpcp[i]!);
			if (frameMax <= 0) return;
			for (let i = 0; i < size; i++) this.#sum[i] = this.#sum[i]! + frameHpcp[i]! / frameMax;
			this.frames++;
		});
	}

	push(samples: Float32Array): void {
		this.#framer.push(samples);
	}

	/** The average profile, normalised to a maximum of 1 (all zeros for silence). */
	profile(): Float32Array {
		const out = new Float32Array(ChromaAnalyser.SIZE);
		let max = 0;
		for (let i = 0; i < out.length; i++) max = Math.max(max, this.#sum[i]!);
		if (max > 0) for (let i = 0; i < out.length; i++) out[i] = this.#sum[i]! / max;
		return out;
	}
}
