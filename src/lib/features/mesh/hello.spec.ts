import { describe, expect, it } from 'vitest';
import { defaultDeviceName, helloMessage, parseHello, sanitizeName } from './hello';

describe('hello message', () => {
	it('round-trips a valid hello', () => {
		expect(parseHello(helloMessage('Studio PC'))).toEqual({ v: 1, type: 'hello', name: 'Studio PC' });
	});

	it('rejects malformed and foreign messages', () => {
		for (const bad of [
			null,
			'hello',
			42,
			{},
			{ v: 2, type: 'hello', name: 'x' },
			{ v: 1, type: 'bye', name: 'x' },
			{ v: 1, type: 'hello', name: 7 },
			{ v: 1, type: 'hello', name: 'x'.repeat(1000) }
		]) {
			expect(parseHello(bad)).toBeNull();
		}
	});

	it('strips control and bidi characters and caps the length', () => {
		expect(sanitizeName('Evil\u202eFDP.exe\u0000')).toBe('EvilFDP.exe');
		expect(sanitizeName('   ')).toBe('Unnamed device');
		expect([...sanitizeName('🎧'.repeat(100))]).toHaveLength(64);
		// Markup stays text: it is rendered with text interpolation, never as HTML.
		expect(sanitizeName('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
	});

	it('names a device after its browser and platform', () => {
		expect(
			defaultDeviceName(
				'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36'
			)
		).toBe('Chromium on Linux');
		expect(
			defaultDeviceName('Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/150 Mobile Safari/537.36')
		).toBe('Chromium on Android');
		expect(
			defaultDeviceName(
				'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1'
			)
		).toBe('Safari on iOS');
	});
});
