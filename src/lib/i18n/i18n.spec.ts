import { describe, expect, it } from 'vitest';
import { en } from './en';
import { format, matchLocale } from './i18n.svelte';
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
	});

	it('translates every English string and keeps the same placeholders', () => {
		for (const key of Object.keys(en) as (keyof typeof en)[]) {
			const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
			expect(ptBR[key], key).toBeTruthy();
			expect(placeholders(ptBR[key]), key).toEqual(placeholders(en[key]));
		}
	});
});
