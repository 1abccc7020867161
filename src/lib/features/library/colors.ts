/**
 * The named colours tracks and cues carry. The one list for every module that stores, checks or draws them
 * (tag editor, cues, backups, exchange files, shared playlists, the sync wire). No imports, so workers can
 * use it.
 */
export const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink'] as const;
export type ColorName = (typeof COLORS)[number];

const NAMES: ReadonlySet<string> = new Set(COLORS);

/** A palette name — never a name Object.prototype happens to have (`constructor`, `toString`…). */
export const isColor = (value: unknown): value is ColorName => typeof value === 'string' && NAMES.has(value);

/** Default colour per hot cue slot, as DJ software cycles them. */
export const SLOT_COLORS: readonly ColorName[] = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'red'];

/** The colour a cue gets when it has none of its own (or an unknown one). */
export function defaultCueColor(kind: 'hot' | 'memory' | 'loop', slot: number): ColorName {
	return kind === 'hot' ? (SLOT_COLORS[slot] ?? 'red') : kind === 'loop' ? 'green' : 'blue';
}
