import { describe, expect, it } from 'vitest';
import { sniffAudio } from './sniff';
import { cleanText, MAX_TAG_LENGTH, tagsFromMetadata } from './tags';

const bytes = (...parts: (string | number[])[]) =>
	new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('tag cleaning', () => {
	it('keeps markup as text but drops control and bidi characters', () => {
		expect(cleanText('<script>alert(1)</script>')).toBe('<script>alert(1)</script>');
		expect(cleanText('A\u0000B\u202eC\u0007')).toBe('ABC');
		expect(cleanText('  many \n\t spaces  ')).toBe('many spaces');
	});

	it('repairs UTF-8 that was read as Latin-1, and leaves real Latin-1 alone', () => {
		expect(cleanText('SÃ£o Paulo')).toBe('São Paulo');
		expect(cleanText('BeyoncÃ©')).toBe('Beyoncé');
		expect(cleanText('Café')).toBe('Café');
		expect(cleanText('Ã and ©')).toBe('Ã and ©');
	});

	it('caps 2,000+ character tags without splitting a surrogate pair', () => {
		expect(cleanText('x'.repeat(5000))).toHaveLength(MAX_TAG_LENGTH);
		const emoji = cleanText('🎧'.repeat(3000));
		expect(emoji.length).toBeLessThanOrEqual(MAX_TAG_LENGTH);
		expect(emoji).toMatch(/^(🎧)+$/u);
	});

	it('maps music-metadata results to library fields, rejecting nonsense numbers', () => {
		const tags = tagsFromMetadata(
			{
				common: {
					title: ' Song ',
					artists: ['A', 'B'],
					album: 'LP',
					genre: ['House', 'Deep House'],
					year: 99999,
					track: { no: 3 },
					comment: [{ text: 'first' }, 'second'],
					label: ['Label'],
					bpm: 124,
					key: 'Am'
				},
				format: {
					container: 'MPEG',
					codec: 'MPEG 1 Layer 3',
					duration: 215.5,
					bitrate: 320000,
					sampleRate: 44100,
					numberOfChannels: 2
				}
			},
			'fallback'
		);
		expect(tags).toMatchObject({
			title: 'Song',
			artist: 'A; B',
			genre: 'House; Deep House',
			year: null,
			trackNo: 3,
			comment: 'first; second',
			tagBpm: 124,
			tagKey: 'Am',
			duration: 215.5,
			channels: 2
		});
		expect(tagsFromMetadata({ common: {}, format: {} }, 'From File Name').title).toBe('From File Name');
	});
});

describe('format sniffing', () => {
	it('recognises each supported container', () => {
		expect(sniffAudio(bytes('fLaC', [0, 0, 0, 34]), 100)?.format).toBe('flac');
		expect(sniffAudio(bytes('OggS', [0, 2]), 100)?.format).toBe('ogg');
		expect(sniffAudio(bytes([0, 0, 0, 32], 'ftypM4A '), 100)?.format).toBe('mp4');
		expect(sniffAudio(bytes('RIFF', [92, 0, 0, 0], 'WAVEfmt '), 100)).toEqual({
			format: 'wav',
			truncated: false,
			audioStart: 0
		});
		expect(sniffAudio(bytes('FORM', [0, 0, 0, 92], 'AIFF'), 100)).toEqual({
			format: 'aiff',
			truncated: false,
			audioStart: 0
		});
		expect(sniffAudio(bytes('ID3', [4, 0, 0, 0, 0, 0, 0], 'fLaC'), 100)?.format).toBe('flac');
		const frame = [0xff, 0xfb, 0x90, 0x64];
		const mp3 = new Uint8Array(2000);
		mp3.set(frame, 0);
		mp3.set(frame, 417);
		expect(sniffAudio(mp3, 2000)?.format).toBe('mp3');
	});

	it('flags WAV and AIFF files shorter than their header says', () => {
		expect(sniffAudio(bytes('RIFF', [0, 0, 1, 0], 'WAVEfmt '), 1000)).toEqual({
			format: 'wav',
			truncated: true,
			audioStart: 0
		});
		expect(sniffAudio(bytes('FORM', [0, 1, 0, 0], 'AIFF'), 1000)).toEqual({
			format: 'aiff',
			truncated: true,
			audioStart: 0
		});
	});

	it('refuses text and images renamed to audio', () => {
		expect(sniffAudio(new TextEncoder().encode('just some text, not a song at all'), 33)).toBeNull();
		expect(sniffAudio(bytes([0x89], 'PNG', [13, 10, 26, 10]), 100)).toBeNull();
		expect(sniffAudio(bytes([0xff, 0xd8, 0xff, 0xe0]), 100)).toBeNull();
		expect(sniffAudio(new Uint8Array(0), 0)).toBeNull();
	});
});
