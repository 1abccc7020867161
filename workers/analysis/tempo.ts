import { foldTempo, type TempoRange } from '../../src/lib/features/analysis/tempo';
import { takeVector, withVector, type EssentiaApi } from './essentia';

export interface TempoEstimate {
	bpm: number;
	/** A beat time (s) of the constant-tempo grid, the downbeat chosen from the kick pattern. */
	firstDownbeatSec: number;
	/** 0…1: how much the onset strength on grid beats stands out from the rest. */
	confidence: number;
	/** Local tempo drifts more than 2 % across the track. */
	variable: boolean;
	/** Raw beat ticks (s) from the beat tracker, for the grid and auto cue. */
	ticks: Float32Array;
	/** What each stage said, for the bench (tracker tempo before the octave choice). */
	trackerBpm: number;
}

/** Subtracts a moving average (~1 s) and half-wave rectifies: leaves only onsets standing out locally. */
export function whiten(odf: Float32Array, frameRate: number): Float32Array {
	const half = Math.round(frameRate / 2);
	const out = new Float32Array(odf.length);
	let sum = 0;
	let count = 0;
	let lo = 0;
	let hi = 0;
	for (let i = 0; i < odf.length; i++) {
		for (; hi < odf.length && hi <= i + half; hi++, count++) sum += odf[hi]!;
		for (; lo < i - half; lo++, count--) sum -= odf[lo]!;
		const v = odf[i]! - sum / count;
		out[i] = v > 0 ? v : 0;
	}
	return out;
}

/** Mean of `odf` sampled (linearly interpolated) on a grid of `period` frames at `phase`. */
function combMean(odf: Float32Array, period: number, phase: number): number {
	let sum = 0;
	let n = 0;
	for (let x = phase; x < odf.length - 1; x += period) {
		const i = Math.floor(x);
		const f = x - i;
		// Max over ±1 frame tolerates the ODF's own 11.6 ms quantisation.
		const a = odf[i]! * (1 - f) + odf[i + 1]! * f;
		sum += Math.max(a, odf[i - 1] ?? 0, odf[i + 1] ?? 0);
		n++;
	}
	return n ? sum / n : 0;
}

/** Best phase (frames) of a grid of `period` frames, and its comb mean. */
function bestPhase(odf: Float32Array, period: number): { phase: number; score: number } {
	let best = { phase: 0, score: -1 };
	for (let phase = 0; phase < period; phase += 0.5) {
		const score = combMean(odf, period, phase);
		if (score > best.score) best = { phase, score };
	}
	return best;
}

/** Autocorrelation tempo strength at `bpm` (harmonics of the period included), normalised by lag 0. */
export function tempoSalience(odf: Float32Array, frameRate: number, bpm: number): number {
	const period = (60 * frameRate) / bpm;
	let zero = 0;
	for (let i = 0; i < odf.length; i++) zero += odf[i]! * odf[i]!;
	if (zero === 0) return 0;
	let total = 0;
	for (let m = 1; m <= 4; m++) {
		const lag = Math.round(period * m);
		let s = 0;
		for (let i = 0; i + lag < odf.length; i++) s += odf[i]! * odf[i + lag]!;
		total += s / (odf.length - lag) / m;
	}
	return (total / (zero / odf.length)) * 0.48;
}

/** Normalised autocorrelation (lag 0 = 1) for lags 0…maxLag. */
export function autocorrelation(x: Float32Array, maxLag: number): Float32Array {
	const out = new Float32Array(maxLag + 1);
	const n = x.length;
	for (let lag = 0; lag <= maxLag && lag < n; lag++) {
		let sum = 0;
		for (let i = 0; i + lag < n; i++) sum += x[i]! * x[i + lag]!;
		out[lag] = sum / (n - lag);
	}
	const zero = out[0]! || 1;
	for (let lag = 0; lag <= maxLag; lag++) out[lag] = out[lag]! / zero;
	return out;
}

/** Value of `acf` at a fractional lag (linear interpolation), max over ±1 frame for jitter. */
function acfAt(acf: Float32Array, lag: number): number {
	const i = Math.floor(lag);
	if (i + 1 >= acf.length || i < 1) return 0;
	const f = lag - i;
	return Math.max(acf[i]! * (1 - f) + acf[i + 1]! * f, Math.min(acf[i]!, acf[i + 1]!));
}

/** Tatum threshold, relative to the strongest periodicity (measured on the ground truth). */
export const TATUM_THRESHOLD = 0.5;

/**
 * The fastest local maximum of the autocorrelation between 110 and 720 events per minute whose height is at
 * least TATUM_THRESHOLD × the strongest peak in 0.25–2 s; refined by parabolic interpolation. 0 if none.
 */
export function findTatum(acf: Float32Array, frameRate: number): number {
	let strongest = 0;
	for (let lag = Math.round(frameRate * 0.25); lag < acf.length; lag++) strongest = Math.max(strongest, acf[lag]!);
	if (strongest <= 0) return 0;
	const minLag = Math.max(2, Math.floor((60 * frameRate) / 720));
	const maxLag = Math.min(acf.length - 2, Math.ceil((60 * frameRate) / 110));
	for (let lag = minLag; lag <= maxLag; lag++) {
		const v = acf[lag]!;
		if (v < acf[lag - 1]! || v < acf[lag + 1]! || v < TATUM_THRESHOLD * strongest) continue;
		const a = acf[lag - 1]!;
		const c = acf[lag + 1]!;
		const denom = a - 2 * v + c;
		return lag + (denom === 0 ? 0 : (0.5 * (a - c)) / denom);
	}
	return 0;
}

/** Searches ±3 % around `bpm` for the tempo whose beat multiples (1…8 beats) correlate best. */
export function refineTempo(acf: Float32Array, frameRate: number, bpm: number): number {
	let best = bpm;
	let bestScore = -Infinity;
	for (let candidate = bpm * 0.97; candidate <= bpm * 1.03; candidate += bpm * 0.0002) {
		const period = (60 * frameRate) / candidate;
		let score = 0;
		let count = 0;
		for (let m = 1; m * period < acf.length - 1; m++, count++) score += acfAt(acf, m * period);
		if (count && score / count > bestScore) {
			bestScore = score / count;
			best = candidate;
		}
	}
	return best;
}

/**
 * Sharpens the tempo with autocorrelation peaks at 8, 16, 32 … 128 beats: a lag error of a fraction of a frame
 * over many beats gives the period to ~0.01 %, so a 2-hour grid does not drift.
 */
export function fineTempo(odf: Float32Array, frameRate: number, bpm: number): number {
	let period = (60 * frameRate) / bpm;
	const at = (lag: number) => {
		let sum = 0;
		for (let i = 0; i + lag < odf.length; i++) sum += odf[i]! * odf[i + lag]!;
		return sum / (odf.length - lag);
	};
	for (let beats = 8; beats <= 128 && beats * period * 1.5 < odf.length; beats *= 2) {
		const centre = beats * period;
		const width = Math.max(2, Math.ceil(centre * 0.004));
		const from = Math.max(1, Math.floor(centre - width));
		const values: number[] = [];
		for (let lag = from; lag <= centre + width + 1; lag++) values.push(at(lag));
		let best = 1;
		for (let i = 1; i < values.length - 1; i++) if (values[i]! > values[best]!) best = i;
		if (best === 0 || best === values.length - 1) break;
		const a = values[best - 1]!;
		const b = values[best]!;
		const c = values[best + 1]!;
		const denom = a - 2 * b + c;
		if (!(b > a && b >= c)) break;
		period = (from + best + (denom === 0 ? 0 : (0.5 * (a - c)) / denom)) / beats;
	}
	return (60 * frameRate) / period;
}

function lowOnsetOf(low: Float32Array): Float32Array {
	const out = new Float32Array(low.length);
	for (let i = 1; i < low.length; i++) {
		const rise = Math.log1p(low[i]!) - Math.log1p(low[i - 1]!);
		out[i] = rise > 0 ? rise : 0;
	}
	return out;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export interface TempoInputs {
	odf: Float32Array;
	/** Per-frame low-band energy (kick), same rate as `odf`. */
	low: Float32Array;
	/** How late onsets show in the onset function, seconds (added to the grid). */
	latencySec?: number;
	frameRate: number;
	range: TempoRange;
}

/**
 * Tempo, beat grid, confidence and variable-tempo flag from the onset function: essentia's
 * TempoTapDegara tracks the beats, a least-squares fit of the ticks gives the grid, and the octave is
 * chosen between ×½, ×1, ×2 by onset salience at each tempo weighted by a log-normal prior around
 * 125 BPM, then folded into the user's range.
 */
export function estimateTempo(
	api: EssentiaApi,
	{ odf, low, frameRate, range, latencySec = 0 }: TempoInputs
): TempoEstimate {
	const clean = whiten(odf, frameRate);
	const ticks = withVector(api, clean, (vector) =>
		takeVector(api, api.TempoTapDegara(vector, 208, 40, 'none', frameRate).ticks)
	);
	const empty = { bpm: 0, firstDownbeatSec: 0, confidence: 0, variable: false, ticks, trackerBpm: 0 };
	if (ticks.length < 8) return empty;
	const ibis: number[] = [];
	for (let i = 1; i < ticks.length; i++) ibis.push(ticks[i]! - ticks[i - 1]!);
	const trackerPeriod = median(ibis);
	const trackerBpm = 60 / trackerPeriod;

	// Tempo: the tatum (fastest strong periodicity of the onsets: 8th or 16th notes) from the onset
	// autocorrelation, halved and folded into the range; then refined over many beats.
	const acf = autocorrelation(clean, Math.ceil(frameRate * 2.2));
	const tatumLag = findTatum(acf, frameRate);
	let bpm = foldTempo(tatumLag > 0 ? (60 * frameRate) / tatumLag / 2 : trackerBpm, range);
	bpm = refineTempo(acf, frameRate, bpm);
	bpm = fineTempo(clean, frameRate, bpm);
	const period = (60 / bpm) * frameRate;
	// Phase: the best grid on the onset function, then on-beat vs off-beat (hats and stabs sit on off-beats)
	// decided by low-band (kick) onsets. Measured on the ground truth: 'low' 6/23 flips, full-band loudness 8, none 7.
	let phaseFrames = bestPhase(clean, period).phase;
	const offbeat = (phaseFrames + period / 2) % period;
	const kick = lowOnsetOf(low);
	if (combMean(kick, period, offbeat) > combMean(kick, period, phaseFrames)) phaseFrames = offbeat;

	// Downbeat: of the four beat phases, the one with the most low-band onset (kick) energy.
	const lowOnset = new Float32Array(low.length);
	for (let i = 1; i < low.length; i++) {
		const rise = Math.log1p(low[i]!) - Math.log1p(low[i - 1]!);
		lowOnset[i] = rise > 0 ? rise : 0;
	}
	let downbeat = 0;
	let bestLow = -1;
	for (let k = 0; k < 4; k++) {
		const score = combMean(lowOnset, period * 4, phaseFrames + k * period);
		if (score > bestLow + 1e-9) {
			bestLow = score;
			downbeat = k;
		}
	}
	const firstDownbeatSec = (phaseFrames + downbeat * period) / frameRate + latencySec;

	// Confidence: onset strength on the grid against the average.
	const onGrid = combMean(clean, period, phaseFrames);
	let mean = 0;
	for (let i = 0; i < clean.length; i++) mean += clean[i]!;
	mean /= clean.length || 1;
	const confidence = mean > 0 ? Math.max(0, Math.min(1, (onGrid / mean - 1) / 4)) : 0;

	// Variable tempo: where the constant grid's local phase wanders (8-beat windows) by > 15 % of a beat.
	const offsets: number[] = [];
	const window = 8 * period;
	for (let start = phaseFrames; start + window < clean.length; start += window) {
		let best = 0;
		let bestScore = -1;
		let total = 0;
		for (let shift = -0.3 * period; shift <= 0.3 * period; shift += 0.5) {
			let score = 0;
			for (let k = 0; k < 8; k++) {
				const x = Math.round(start + k * period + shift);
				score += clean[x] ?? 0;
			}
			total += score;
			if (score > bestScore) {
				bestScore = score;
				best = shift;
			}
		}
		if (bestScore > 0 && bestScore * 0.5 > total / (1.2 * period)) offsets.push(best / period);
	}
	let variable = false;
	if (offsets.length >= 4) {
		const sorted = [...offsets].sort((a, b) => a - b);
		variable = sorted[Math.floor(sorted.length * 0.9)]! - sorted[Math.floor(sorted.length * 0.1)]! > 0.15;
	}
	return { bpm, firstDownbeatSec, confidence, variable, ticks, trackerBpm };
}
