/** Tempo maths: range folding, halve/double, accuracy measures, beat grids and tap tempo. */

export type TempoRange = readonly [min: number, max: number];

/** The default preferred range (Settings can change it). */
export const DEFAULT_TEMPO_RANGE: TempoRange = [70, 180];

/**
 * Brings `bpm` into `[min, max]` by doubling or halving (a range narrower than an octave keeps the
 * closest octave). Tempos already inside are kept: the detector chose that octave.
 */
export function foldTempo(bpm: number, [min, max]: TempoRange): number {
	if (!(bpm > 0) || !Number.isFinite(bpm)) return bpm;
	let value = bpm;
	while (value < min && value * 2 <= max * 1.0001) value *= 2;
	while (value > max && value / 2 >= min * 0.9999) value /= 2;
	if (value < min || value > max) {
		// Narrow range: choose the octave whose distance (in log terms) to the range is smallest.
		const candidates = [value / 2, value, value * 2];
		const distance = (v: number) => (v < min ? Math.log(min / v) : v > max ? Math.log(v / max) : 0);
		value = candidates.reduce((best, v) => (distance(v) < distance(best) ? v : best));
	}
	return value;
}

export const halveTempo = (bpm: number) => bpm / 2;
export const doubleTempo = (bpm: number) => bpm * 2;

/** Accuracy1: within `tolerance` (4 %) of the reference. */
export function tempoAccuracy1(estimate: number, reference: number, tolerance = 0.04): boolean {
	return Math.abs(estimate - reference) <= tolerance * reference;
}

/** Accuracy2: Accuracy1 at the reference, or at ×2, ×½, ×3, ×⅓ of it. */
export function tempoAccuracy2(estimate: number, reference: number, tolerance = 0.04): boolean {
	return [1, 2, 0.5, 3, 1 / 3].some((factor) => tempoAccuracy1(estimate, reference * factor, tolerance));
}

export interface BeatGrid {
	bpm: number;
	/** Time of a downbeat (beat 1 of a bar) in seconds; the grid extends both ways from it. */
	firstDownbeatSec: number;
	/** Beats per bar, 4 unless said otherwise. */
	beatsPerBar?: number;
}

export const beatPeriod = (grid: BeatGrid) => 60 / grid.bpm;

/** Fractional beat index at time `t` (0 at the first downbeat, negative before it). */
export function beatIndexAt(grid: BeatGrid, t: number): number {
	return (t - grid.firstDownbeatSec) / beatPeriod(grid);
}

/** Time of beat number `index`. */
export function beatTime(grid: BeatGrid, index: number): number {
	return grid.firstDownbeatSec + index * beatPeriod(grid);
}

/** Beat times within [from, to]. */
export function beatsBetween(grid: BeatGrid, from: number, to: number): number[] {
	const first = Math.ceil(beatIndexAt(grid, from) - 1e-9);
	const out: number[] = [];
	for (let i = first; ; i++) {
		const t = beatTime(grid, i);
		if (t > to + 1e-9) break;
		out.push(t);
	}
	return out;
}

/** The grid line nearest to `t` (for snapping cues and loops). */
export function snapToBeat(grid: BeatGrid, t: number, subdivision = 1): number {
	const step = beatPeriod(grid) / subdivision;
	return grid.firstDownbeatSec + Math.round((t - grid.firstDownbeatSec) / step) * step;
}

/** Position in the bar (0 … beatsPerBar-1) of the beat nearest to `t`. */
export function beatInBar(grid: BeatGrid, t: number): number {
	const perBar = grid.beatsPerBar ?? 4;
	const index = Math.round(beatIndexAt(grid, t));
	return ((index % perBar) + perBar) % perBar;
}

/**
 * Normalises the downbeat to the earliest one at or after 0 s (keeps the phase and bar alignment),
 * so grids from different edits compare equal.
 */
export function normaliseGrid(grid: BeatGrid): BeatGrid {
	const bar = beatPeriod(grid) * (grid.beatsPerBar ?? 4);
	let first = grid.firstDownbeatSec % bar;
	if (first < 0) first += bar;
	if (bar - first < 1e-9) first = 0;
	return { ...grid, firstDownbeatSec: first };
}

/** Moves the grid by `beats` (e.g. +1 makes the next beat the downbeat) or by `seconds` (nudge). */
export function shiftGrid(grid: BeatGrid, { beats = 0, seconds = 0 }: { beats?: number; seconds?: number }): BeatGrid {
	return { ...grid, firstDownbeatSec: grid.firstDownbeatSec + beats * beatPeriod(grid) + seconds };
}

/** Changes the tempo keeping the beat at time `anchor` in place (for halve/double or tap tempo). */
export function retempoGrid(grid: BeatGrid, bpm: number, anchor = grid.firstDownbeatSec): BeatGrid {
	const anchorBeat = snapToBeat(grid, anchor);
	return { ...grid, bpm, firstDownbeatSec: anchorBeat };
}

/**
 * Tap tempo: least-squares line through the tap times (seconds). Needs ≥ 2 taps; returns null otherwise
 * or when the taps are not increasing.
 */
export function tapTempo(taps: readonly number[]): number | null {
	const n = taps.length;
	if (n < 2) return null;
	let sx = 0;
	let sy = 0;
	let sxx = 0;
	let sxy = 0;
	for (let i = 0; i < n; i++) {
		const y = taps[i]!;
		sx += i;
		sy += y;
		sxx += i * i;
		sxy += i * y;
	}
	const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	return slope > 0 ? 60 / slope : null;
}
