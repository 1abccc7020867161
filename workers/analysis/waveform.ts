import { Biquad } from './dsp';
import { FloatList } from './frames';

/** Crossover frequencies of the three waveform bands (low | mid | high), in Hz. */
export const WAVEFORM_BANDS = [250, 2500] as const;

/**
 * Streaming three-band peak follower on the mono mix at the source rate: low (< 250 Hz), mid and high
 * (> 2.5 kHz) peaks per `1 / pointsPerSecond` seconds, kept as floats until packed to bytes at the end.
 */
export class WaveformAnalyser {
	readonly peaks = new FloatList(3 * 4096);
	readonly #low: Biquad[];
	readonly #high: Biquad[];
	readonly #bucket: number;
	#fill = 0;
	#peakLow = 0;
	#peakMid = 0;
	#peakHigh = 0;
	#lowBuf = new Float32Array(0);
	#highBuf = new Float32Array(0);

	constructor(
		readonly sampleRate: number,
		readonly pointsPerSecond: number
	) {
		this.#low = [Biquad.lowpass(sampleRate, WAVEFORM_BANDS[0]), Biquad.lowpass(sampleRate, WAVEFORM_BANDS[0])];
		this.#high = [Biquad.highpass(sampleRate, WAVEFORM_BANDS[1]), Biquad.highpass(sampleRate, WAVEFORM_BANDS[1])];
		this.#bucket = sampleRate / pointsPerSecond;
	}

	push(mono: Float32Array): void {
		const n = mono.length;
		if (this.#lowBuf.length < n) {
			this.#lowBuf = new Float32Array(n);
			this.#highBuf = new Float32Array(n);
		}
		const low = this.#lowBuf;
		const high = this.#highBuf;
		this.#low[0]!.process(mono, low, n);
		this.#low[1]!.process(low, low, n);
		this.#high[0]!.process(mono, high, n);
		this.#high[1]!.process(high, high, n);
		let pl = this.#peakLow;
		let pm = this.#peakMid;
		let ph = this.#peakHigh;
		let fill = this.#fill;
		const bucket = this.#bucket;
		for (let i = 0; i < n; i++) {
			const l = low[i]!;
			const h = high[i]!;
			const m = mono[i]! - l - h;
			const al = l < 0 ? -l : l;
			const am = m < 0 ? -m : m;
			const ah = h < 0 ? -h : h;
			if (al > pl) pl = al;
			if (am > pm) pm = am;
			if (ah > ph) ph = ah;
			if (++fill >= bucket) {
				fill -= bucket;
				this.peaks.push(pl);
				this.peaks.push(pm);
				this.peaks.push(ph);
				pl = pm = ph = 0;
			}
		}
		this.#peakLow = pl;
		this.#peakMid = pm;
		this.#peakHigh = ph;
		this.#fill = fill;
	}

	/** Emits the last partial bucket. */
	flush(): void {
		if (this.#fill > 0) {
			this.peaks.push(this.#peakLow);
			this.peaks.push(this.#peakMid);
			this.peaks.push(this.#peakHigh);
			this.#fill = 0;
		}
	}
}
