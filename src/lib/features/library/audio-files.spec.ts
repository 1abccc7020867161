import { describe, expect, it } from 'vitest';
import { formatDuration, isAudioFileName } from './audio-files';

describe('audio file names', () => {
	it('accepts the supported formats in any case', () => {
		for (const name of ['a.mp3', 'b.FLAC', 'c.ogg', 'd.opus', 'e.m4a', 'f.wav', 'g.aiff', 'h.AIF'])
			expect(isAudioFileName(name)).toBe(true);
	});
	it('skips everything else', () => {
		for (const name of ['cover.jpg', 'notes.txt', 'mp3', '.DS_Store', 'playlist.m3u', 'track.mp3.part'])
			expect(isAudioFileName(name)).toBe(false);
	});
	it('formats durations like a DJ expects', () => {
		expect(formatDuration(0)).toBe('0:00');
		expect(formatDuration(59.6)).toBe('1:00');
		expect(formatDuration(3 * 60 + 7)).toBe('3:07');
		expect(formatDuration(2 * 3600 + 5)).toBe('2:00:05');
		expect(formatDuration(NaN)).toBe('–');
	});
});
