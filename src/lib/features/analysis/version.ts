import type { AnalysisRow } from '../../db/schema';

/**
 * The analyser version the app expects (mirrors `ANALYSER_VERSION` in workers/analysis/pipeline.ts, which
 * the UI thread must not import: it pulls in the WASM glue; `version.spec.ts` keeps the two equal).
 * Stored results carry the version that really produced them.
 *
 * 2: MP3s are analysed on the playback timeline (the decoder skips the encoder's Info frame and trims the
 * LAME delays as the browser's player does); before, their grids, waveforms and auto cues were ~51 ms late.
 * Nothing else changed, so only MP3 results older than that are redone (`isCurrent`).
 */
export const ANALYSER_VERSION = 2;

/** The oldest version whose results still stand, per format. */
export const MINIMUM_VERSION = { mp3: 2, other: 1 } as const;

/** Whether a stored result needs no new analysis. */
export function isCurrent(row: Pick<AnalysisRow, 'analyserVersion' | 'format'>): boolean {
	return row.analyserVersion >= (row.format === 'mp3' ? MINIMUM_VERSION.mp3 : MINIMUM_VERSION.other);
}

/**
 * Whether a stored beat grid is on the analyser's old MP3 timeline (later than the music by the encoder's
 * priming): version 1 results of MP3s. Exchange files move such grids by the priming (interop/offsets.ts).
 * Version 0 rows hold grids imported from other software, on the playback timeline.
 */
export function onDecoderTimeline(row: Pick<AnalysisRow, 'analyserVersion' | 'format'>): boolean {
	return row.format === 'mp3' && row.analyserVersion === 1;
}
