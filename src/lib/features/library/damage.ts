import { formatDuration } from './audio-files';

/**
 * Audio that could not be read, as the import's frame check (`ImportWarning` 'damaged') or the analysis'
 * decoder (`AnalysisRow.damage`) found it: where the damaged stretches start (seconds, the first
 * `DAMAGE_PLACES`), how many stretches there are, and the seconds lost in all.
 */
export interface AudioDamage {
	places: number[];
	count: number;
	seconds: number;
}

export const DAMAGE_PLACES = 5;

/** The `{places, seconds}` of the damage messages: "0:07, 1:12, …" and "< 1" or whole seconds. */
export function damageWords(damage: AudioDamage): { places: string; seconds: string } {
	const more = damage.count > damage.places.length ? ', …' : '';
	return {
		places: damage.places.map(formatDuration).join(', ') + more,
		seconds: damage.seconds < 1 ? '< 1' : String(Math.round(damage.seconds))
	};
}
