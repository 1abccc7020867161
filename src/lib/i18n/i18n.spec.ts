import { describe, expect, it, vi } from 'vitest';
import { en } from './en';
import { format, i18n, matchLocale, t } from './i18n.svelte';
import { ptBR } from './pt-br';

describe('i18n', () => {
	it('picks Brazilian Portuguese for any Portuguese browser language', () => {
		expect(matchLocale(['pt-BR', 'en'])).toBe('pt-BR');
		expect(matchLocale(['pt'])).toBe('pt-BR');
		expect(matchLocale(['de-DE', 'en-GB'])).toBe('en');
		expect(matchLocale(['fr'])).toBe('en');
		expect(matchLocale([])).toBe('en');
	});

	it('fills placeholders and keeps unknown ones visible', () => {
		expect(format('{done} of {total} files', { done: 3, total: 10 })).toBe('3 of 10 files');
		expect(format('{missing} here')).toBe('{missing} here');
		expect(format('{toString} {constructor}')).toBe('{toString} {constructor}');
	});

	it('shows a missing key as itself (warning once in dev) instead of throwing', () => {
		const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
		try {
			expect(t('color.red')).toBe('Red');
			// A track colour from a backup or a peer reaches the grid as `color.${name}`.
			for (const key of ['color.constructor', 'color.__proto__', 'constructor', 'toString', 'color.aqua'])
				expect(t(key as never), key).toBe(key);
			t('color.aqua' as never);
			expect(warn.mock.calls.filter(([message]) => String(message).includes('color.aqua'))).toHaveLength(1);
			i18n.choose('pt-BR');
			expect(t('color.red')).toBe(ptBR['color.red']);
			expect(t('color.constructor' as never)).toBe('color.constructor');
		} finally {
			i18n.choose(null);
			warn.mockRestore();
		}
	});

	it('translates every English string and keeps the same placeholders', () => {
		for (const key of Object.keys(en) as (keyof typeof en)[]) {
			const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
			expect(ptBR[key], key).toBeTruthy();
			expect(placeholders(ptBR[key]), key).toEqual(placeholders(en[key]));
		}
	});
});
