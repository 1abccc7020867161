import { describe, expect, it } from 'vitest';
import { decodeAiff, isAiff } from './aiff';
import { shortcutFor, type KeyLike } from './shortcuts';

const key = (k: string, over: Partial<KeyLike> = {}): KeyLike => ({
	key: k,
	shiftKey: false,
	ctrlKey: false,
	altKey: false,
	metaKey: false,
	target: { tagName: 'MAIN', closest: () => null },
	...over
});

describe('shortcuts', () => {
	it('maps keys to actions and leaves text fields and widgets alone', () => {
		expect(shortcutFor(key(' '))).toBe('toggle');
		expect(shortcutFor(key('k'))).toBe('toggle');
		expect(shortcutFor(key('ArrowRight', { shiftKey: true }))).toBe('next');
		expect(shortcutFor(key('?', { shiftKey: true }))).toBe('help');
		expect(shortcutFor(key('k', { ctrlKey: true }))).toBeNull();
		expect(shortcutFor(key('k', { target: { tagName: 'INPUT' } }))).toBeNull();
		expect(shortcutFor(key(' ', { target: { tagName: 'BUTTON', closest: () => ({}) } }))).toBeNull();
		expect(shortcutFor(key('j', { target: { tagName: 'BUTTON', closest: () => ({}) } }))).toBe('back10');
	});
});

describe('aiff', () => {
	it('reads 16-bit big-endian PCM with an 80-bit sample rate', () => {
		const frames = 4;
		const buffer = new ArrayBuffer(12 + 26 + 16 + frames * 2);
		const view = new DataView(buffer);
		const tag = (o: number, s: string) => [...s].forEach((c, i) => view.setUint8(o + i, c.charCodeAt(0)));
		tag(0, 'FORM');
		view.setUint32(4, buffer.byteLength - 8);
		tag(8, 'AIFF');
		tag(12, 'COMM');
		view.setUint32(16, 18);
		view.setUint16(20, 1);
		view.setUint32(22, frames);
		view.setUint16(26, 16);
		// 44100 as IEEE extended: exponent 16383 + 15, mantissa 44100 << 48.
		view.setUint16(28, 16383 + 15);
		view.setUint32(30, 44100 * 2 ** 16);
		view.setUint32(34, 0);
		tag(38, 'SSND');
		view.setUint32(42, 8 + frames * 2);
		[0, 16384, -16384, 32767].forEach((v, i) => view.setInt16(54 + i * 2, v));
		expect(isAiff(buffer)).toBe(true);
		const pcm = decodeAiff(buffer);
		expect(pcm.sampleRate).toBe(44100);
		expect([...pcm.channels[0]!]).toEqual([0, 0.5, -0.5, 32767 / 32768]);
	});
});
