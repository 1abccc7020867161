// Plain-JS copies of the accuracy measures for the bench (Node runs it without a TypeScript loader).
// src/lib/features/analysis/scoring.spec.ts checks they agree with keys.ts / tempo.ts.

/** @param {number} estimate @param {number} reference */
export const tempoAccuracy1 = (estimate, reference, tolerance = 0.04) =>
	Math.abs(estimate - reference) <= tolerance * reference;

/** @param {number} estimate @param {number} reference */
export const tempoAccuracy2 = (estimate, reference, tolerance = 0.04) =>
	[1, 2, 0.5, 3, 1 / 3].some((factor) => tempoAccuracy1(estimate, reference * factor, tolerance));

/**
 * MIREX weighted key score (mir_eval): 1 same, 0.5 fifth above, 0.3 relative, 0.2 parallel.
 * @param {{ tonic: number, scale: string }} estimate @param {{ tonic: number, scale: string }} reference
 */
export function mirexKeyScore(estimate, reference) {
	const diff = (((estimate.tonic - reference.tonic) % 12) + 12) % 12;
	if (estimate.scale === reference.scale) return diff === 0 ? 1 : diff === 7 ? 0.5 : 0;
	if (diff === 0) return 0.2;
	if (reference.scale === 'major' && diff === 9) return 0.3;
	if (reference.scale === 'minor' && diff === 3) return 0.3;
	return 0;
}
