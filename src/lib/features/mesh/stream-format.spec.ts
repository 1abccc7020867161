import { describe, expect, it } from 'vitest';
import { streamFormat } from './stream-format';

const bytes = (...values: (number | string)[]) =>
	new Uint8Array(values.flatMap((v) => (typeof v === 'string' ? [...v].map((c) => c.charCodeAt(0)) : [v])));
const all = () => true;
const none = () => false;

describe('streamFormat', () => {
	it('streams MP3 (ID3 or a bare frame) and ADTS AAC through MediaSource when supported', () => {
		expect(streamFormat(bytes('ID3', 4, 0, 0, 0, 0, 0, 0, 0, 0), all)).toEqual({
			mode: 'mse',
			mime: 'audio/mpeg',
			label: 'MP3'
		});
		expect(streamFormat(bytes(0xff, 0xfb, 0x90, 0x64), all)).toMatchObject({ mode: 'mse', mime: 'audio/mpeg' });
		expect(streamFormat(bytes(0xff, 0xf1, 0x50, 0x80), all)).toMatchObject({ mode: 'mse', mime: 'audio/aac' });
	});
	it('falls back to progressive when MediaSource refuses the type', () => {
		expect(streamFormat(bytes('ID3', 4, 0), none)).toEqual({ mode: 'progressive', label: 'MP3' });
	});
	it('plays M4A, FLAC, Ogg, WAV, AIFF and unknown bytes progressively', () => {
		expect(streamFormat(bytes(0, 0, 0, 32, 'ftypM4A ', 0), all)).toEqual({ mode: 'progressive', label: 'M4A' });
		expect(streamFormat(bytes('fLaC', 0, 0, 0, 34), all).label).toBe('FLAC');
		expect(streamFormat(bytes('OggS', 0, 2), all).label).toBe('Ogg');
		expect(streamFormat(bytes('RIFF', 0, 0, 0, 0, 'WAVE'), all)).toEqual({ mode: 'progressive', label: 'WAV' });
		expect(streamFormat(bytes('FORM', 0, 0, 0, 0, 'AIFF'), all).label).toBe('AIFF');
		expect(streamFormat(bytes(1, 2, 3, 4), all)).toEqual({ mode: 'progressive', label: '' });
	});
});
