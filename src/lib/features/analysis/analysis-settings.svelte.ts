import { db } from '$lib/db';
import type { KeyNotation } from './keys';
import { DEFAULT_TEMPO_RANGE, type TempoRange } from './tempo';

export interface AnalysisPrefs {
	tempoMin: number;
	tempoMax: number;
	notation: KeyNotation;
	/** Analyse new imports (and stale results) in the background. */
	autoAnalyse: boolean;
	/** LUFS the gain is computed against. */
	targetLufs: number;
	/** Show analysed BPM/key instead of the values in the file's tags. */
	replaceTags: boolean;
}

export const DEFAULT_ANALYSIS_PREFS: AnalysisPrefs = {
	tempoMin: DEFAULT_TEMPO_RANGE[0],
	tempoMax: DEFAULT_TEMPO_RANGE[1],
	notation: 'standard',
	autoAnalyse: true,
	targetLufs: -14,
	replaceTags: false
};

const NOTATIONS: readonly KeyNotation[] = ['standard', 'camelot', 'openkey'];
const KEYS = Object.keys(DEFAULT_ANALYSIS_PREFS) as (keyof AnalysisPrefs)[];
const settingKey = (name: keyof AnalysisPrefs) => `analysis.${name}`;

/** Validates stored or typed values; anything odd falls back to the default. */
export function cleanPrefs(raw: Partial<Record<keyof AnalysisPrefs, unknown>>): AnalysisPrefs {
	const out = { ...DEFAULT_ANALYSIS_PREFS };
	const num = (v: unknown, min: number, max: number) =>
		typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : null;
	const lo = num(raw.tempoMin, 40, 250);
	const hi = num(raw.tempoMax, 40, 300);
	// A range must span an octave, or some tempi could not be folded into it.
	if (lo !== null && hi !== null && hi >= lo * 2 - 1e-9) {
		out.tempoMin = lo;
		out.tempoMax = hi;
	}
	if (NOTATIONS.includes(raw.notation as KeyNotation)) out.notation = raw.notation as KeyNotation;
	if (typeof raw.autoAnalyse === 'boolean') out.autoAnalyse = raw.autoAnalyse;
	if (typeof raw.replaceTags === 'boolean') out.replaceTags = raw.replaceTags;
	const target = num(raw.targetLufs, -40, 0);
	if (target !== null) out.targetLufs = target;
	return out;
}

/** Analysis preferences (Settings → Analysis), kept in `db().settings` under `analysis.*`. */
export class AnalysisSettings {
	#prefs = $state.raw<AnalysisPrefs>(DEFAULT_ANALYSIS_PREFS);
	#loaded: Promise<void> | undefined;

	get prefs(): AnalysisPrefs {
		return this.#prefs;
	}
	get notation(): KeyNotation {
		return this.#prefs.notation;
	}
	get tempoRange(): TempoRange {
		return [this.#prefs.tempoMin, this.#prefs.tempoMax];
	}

	load(): Promise<void> {
		this.#loaded ??= (async () => {
			try {
				const rows = await db().settings.bulkGet(KEYS.map(settingKey));
				const raw: Partial<Record<keyof AnalysisPrefs, unknown>> = {};
				KEYS.forEach((name, i) => {
					if (rows[i]) raw[name] = rows[i]!.value;
				});
				this.#prefs = cleanPrefs(raw);
			} catch {
				// Storage unavailable: defaults.
			}
		})();
		return this.#loaded;
	}

	/** Applies and stores a change; returns false (and changes nothing) when the values are invalid. */
	async update(patch: Partial<AnalysisPrefs>): Promise<boolean> {
		const next = cleanPrefs({ ...this.#prefs, ...patch });
		for (const name of Object.keys(patch) as (keyof AnalysisPrefs)[]) if (next[name] !== patch[name]) return false;
		this.#prefs = next;
		await db().settings.bulkPut(KEYS.map((name) => ({ key: settingKey(name), value: next[name] })));
		return true;
	}
}

export const analysisSettings = new AnalysisSettings();
