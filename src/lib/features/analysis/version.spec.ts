import { describe, expect, it } from 'vitest';
import { ANALYSER_VERSION as ENGINE_VERSION } from '$workers/analysis/pipeline';
import { ANALYSER_VERSION } from './version';

describe('analyser version', () => {
	it('matches the engine, so a version bump re-analyses stored results', () => {
		expect(ANALYSER_VERSION).toBe(ENGINE_VERSION);
	});
});
