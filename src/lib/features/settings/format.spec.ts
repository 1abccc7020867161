import { describe, expect, it } from 'vitest';
import { formatBytes } from './storage.svelte';

describe('formatBytes', () => {
	it('uses decimal units with sensible precision', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(999)).toBe('999 B');
		expect(formatBytes(1500)).toBe('1.5 KB');
		expect(formatBytes(2_330_000)).toBe('2.3 MB');
		expect(formatBytes(123_456_789_012)).toBe('123 GB');
		expect(formatBytes(1500, 'pt-BR')).toBe('1,5 KB');
	});
});
