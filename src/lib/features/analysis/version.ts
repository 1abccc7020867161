/**
 * The analyser version the app expects (mirrors `ANALYSER_VERSION` in workers/analysis/pipeline.ts, which
 * the UI thread must not import: it pulls in the WASM glue; `version.spec.ts` keeps the two equal).
 * Stored results carry the version that really produced them.
 */
export const ANALYSER_VERSION = 1;
