import { describe, expect, it } from 'vitest';
import { shortDate } from './date-format';

describe('shortDate', () => {
	it('builds one formatter per locale and reuses it', () => {
		expect(shortDate('en')).toBe(shortDate('en'));
		expect(shortDate('pt-BR')).not.toBe(shortDate('en'));
	});

	it("formats in the locale's own order", () => {
		const day = Date.UTC(2026, 11, 6, 12);
		expect(shortDate('pt-BR').format(day)).toBe('06/12/2026');
		expect(shortDate('en').format(day)).toBe('12/6/26');
	});
});
