import { describe, expect, it } from 'vitest';
import { cleanPrefs, DEFAULT_ANALYSIS_PREFS } from './analysis-settings.svelte';

describe('analysis settings', () => {
	it('defaults to 70–180 BPM, standard notation, auto-analysis, -14 LUFS, tags kept', () => {
		expect(cleanPrefs({})).toEqual(DEFAULT_ANALYSIS_PREFS);
		expect(DEFAULT_ANALYSIS_PREFS).toMatchObject({ tempoMin: 70, tempoMax: 180, targetLufs: -14 });
	});

	it('accepts valid values and rejects odd ones', () => {
		expect(cleanPrefs({ tempoMin: 85, tempoMax: 175, notation: 'camelot', autoAnalyse: false })).toMatchObject({
			tempoMin: 85,
			tempoMax: 175,
			notation: 'camelot',
			autoAnalyse: false
		});
		// A range narrower than an octave cannot hold every tempo: refused as a pair.
		expect(cleanPrefs({ tempoMin: 100, tempoMax: 150 })).toMatchObject({ tempoMin: 70, tempoMax: 180 });
		expect(cleanPrefs({ notation: 'solfege', targetLufs: 12, tempoMin: Number.NaN })).toEqual(DEFAULT_ANALYSIS_PREFS);
	});
});
