import { parseKey, type MusicalKey } from '../../src/lib/features/analysis/keys';
import { withVector, type EssentiaApi } from './essentia';

/** Key profiles essentia's Key algorithm knows; the default was chosen by measurement (see README). */
export type KeyProfile = 'edma' | 'edmm' | 'bgate' | 'temperley' | 'krumhansl' | 'shaath' | 'noland' | 'braw';

export interface KeyEstimate extends MusicalKey {
	strength: number;
}

/** Key from an averaged 36-bin HPCP (A = bin 0) with essentia's Key algorithm. */
export function estimateKey(api: EssentiaApi, pcp: Float32Array, profile: KeyProfile): KeyEstimate | null {
	if (!pcp.some((v) => v > 0)) return null;
	const result = withVector(api, pcp, (vector) => api.Key(vector, 4, 36, profile, 0.6, false, true, true));
	const key = parseKey(`${result.key} ${result.scale}`);
	return key ? { ...key, strength: result.strength } : null;
}
