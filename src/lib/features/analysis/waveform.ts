/**
 * Waveform storage: peaks of B bands (3: low, mid, high) interleaved per point, packed one byte per value
 * with a square-root curve so quiet passages stay visible. `packPeaks` → store; `unpackBand` → draw.
 */

/** Packs interleaved float peaks (≥ 0) into bytes, normalised to the loudest value of any band. */
export function packPeaks(peaks: ArrayLike<number>, max?: number): Uint8Array {
	let top = max ?? 0;
	if (max === undefined) for (let i = 0; i < peaks.length; i++) top = Math.max(top, peaks[i]!);
	const out = new Uint8Array(peaks.length);
	if (!(top > 0)) return out;
	for (let i = 0; i < peaks.length; i++) {
		const v = Math.min(1, Math.max(0, peaks[i]! / top));
		out[i] = Math.round(255 * Math.sqrt(v));
	}
	return out;
}

/** Reduces interleaved peaks to `points` points by taking each band's maximum over each span. */
export function downsamplePeaks(peaks: ArrayLike<number>, bands: number, points: number): Float32Array {
	const inPoints = Math.floor(peaks.length / bands);
	const outPoints = Math.min(points, inPoints);
	const out = new Float32Array(outPoints * bands);
	for (let p = 0; p < outPoints; p++) {
		const start = Math.floor((p * inPoints) / outPoints);
		const end = Math.max(start + 1, Math.floor(((p + 1) * inPoints) / outPoints));
		for (let b = 0; b < bands; b++) {
			let m = 0;
			for (let i = start; i < end; i++) m = Math.max(m, peaks[i * bands + b]!);
			out[p * bands + b] = m;
		}
	}
	return out;
}

/** One band of packed bytes back to linear amplitudes 0…1 (e.g. wavesurfer.js `peaks`). */
export function unpackBand(bytes: Uint8Array, band: number, bands = 3): Float32Array {
	const points = Math.floor(bytes.length / bands);
	const out = new Float32Array(points);
	for (let i = 0; i < points; i++) {
		const v = bytes[i * bands + band]! / 255;
		out[i] = v * v;
	}
	return out;
}
