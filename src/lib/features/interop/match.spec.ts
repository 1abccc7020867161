import { describe, expect, it } from 'vitest';
import { CUE_COLORS } from '../analysis/cues';
import { COLORS } from '../library/colors';
import { Matcher } from './match';
import { CUE_COLOR_HEX, emptyTrack, TRACK_COLOR_RGB, type XTrack } from './model';
import { locationFromPath, pathFromLocation, pathFromTraktor, pathFromTraktorKey, traktorKey } from './paths';
import { hashOf, track } from './test-library';

const x = (patch: Partial<XTrack>): XTrack => ({ ...emptyTrack('1'), ...patch });

describe('locations', () => {
	it('decodes rekordbox, Traktor and plain forms', () => {
		expect(pathFromLocation('file://localhost/C:/Users/DJ/Music/a%20b.mp3')).toBe('C:/Users/DJ/Music/a b.mp3');
		expect(pathFromLocation('file://localhost/Users/dj/M%C3%BAsica/x.mp3')).toBe('/Users/dj/Música/x.mp3');
		expect(pathFromLocation('file:///Users/dj/x.mp3')).toBe('/Users/dj/x.mp3');
		expect(pathFromLocation('C:\\Music\\Ação.mp3')).toBe('C:/Music/Ação.mp3');
		// NFD (as macOS writes names) becomes NFC.
		expect(pathFromLocation('/Users/dj/Ac\u0327a\u0303o.mp3')).toBe('/Users/dj/Ação.mp3');
		expect(pathFromLocation('file://localhost/C:/bad%E0%A4%A.mp3')).toBeNull();
		expect(locationFromPath('C:/Users/DJ/a b#1?.mp3')).toBe('file://localhost/C:/Users/DJ/a%20b%231%3F.mp3');
		expect(locationFromPath('/Users/dj/Ação.mp3')).toBe('file://localhost/Users/dj/A%C3%A7%C3%A3o.mp3');
		expect(pathFromTraktor('C:', '/:Users/:DJ/:Music/:', 'a.mp3')).toBe('C:/Users/DJ/Music/a.mp3');
		expect(pathFromTraktor('Macintosh HD', '/:Users/:dj/:', 'a.mp3')).toBe('/Users/dj/a.mp3');
		expect(traktorKey('C:/Users/DJ/a.mp3')).toBe('C:/:Users/:DJ/:a.mp3');
		expect(traktorKey('/Users/dj/a.mp3')).toBe('Macintosh HD/:Users/:dj/:a.mp3');
		expect(pathFromTraktorKey('Macintosh HD/:Users/:dj/:a.mp3')).toBe('/Users/dj/a.mp3');
	});

	it('keeps the cue colours equal to the cue editor’s', () => {
		expect(CUE_COLOR_HEX).toEqual(CUE_COLORS);
		expect(Object.keys(CUE_COLOR_HEX)).toEqual([...COLORS]);
		expect(Object.keys(TRACK_COLOR_RGB).sort()).toEqual([...COLORS].sort());
	});
});

describe('matching', () => {
	const library = [
		track(1, { paths: ['Music/House/Tone.mp3'] }),
		track(2, { paths: ['Music/Techno/Tone.mp3'] }),
		track(3, { paths: ['Ação.flac'], title: 'Ação', artist: 'Zoë', duration: 200 }),
		track(4, { paths: ['Other/x.wav'], title: 'Same Name', artist: 'Same', duration: 100 }),
		track(5, { paths: ['Other2/y.wav'], title: 'Same Name', artist: 'Same', duration: 300 })
	];
	const matcher = new Matcher(library);

	it('matches by the longest path suffix, on Windows and macOS, case-insensitively', () => {
		expect(matcher.match(x({ path: 'C:/Users/DJ/Music/House/Tone.mp3' }))).toEqual({ hash: hashOf(1), how: 'path' });
		expect(matcher.match(x({ path: '/Users/dj/music/techno/tone.MP3' }))).toEqual({ hash: hashOf(2), how: 'path' });
		expect(matcher.match(x({ path: 'D:/Ação.flac' }))).toEqual({ hash: hashOf(3), how: 'path' });
	});

	it('does not guess between two files of the same name: falls back to hash, then tags + duration', () => {
		expect(matcher.match(x({ path: '/Volumes/USB/Tone.mp3' }))).toBeNull();
		expect(matcher.match(x({ path: '/Volumes/USB/Tone.mp3', hash: hashOf(2) }))).toEqual({
			hash: hashOf(2),
			how: 'hash'
		});
		expect(matcher.match(x({ title: 'ACAO', artist: 'zoe', durationSec: 201 }))).toEqual({
			hash: hashOf(3),
			how: 'tags'
		});
		expect(matcher.match(x({ title: 'Ação', artist: 'Zoë', durationSec: 230 }))).toBeNull();
		expect(matcher.match(x({ title: 'Same Name', artist: 'Same', durationSec: 299 }))).toEqual({
			hash: hashOf(5),
			how: 'tags'
		});
		expect(matcher.match(x({ title: 'Same Name', artist: 'Same' }))).toBeNull();
	});
});
