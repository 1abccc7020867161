import { describe, expect, it } from 'vitest';
import type { AnalysisRow, TrackRow } from '$lib/db';
import { describeKey, displayKey, failedRow, keyText, trackPatch } from './results';

type Track = Pick<TrackRow, 'bpm' | 'key' | 'tagBpm' | 'tagKey' | 'edited' | 'duration' | 'loudness'>;
const track = (over: Partial<Track> = {}): Track => ({
	bpm: null,
	key: '',
	tagBpm: null,
	tagKey: '',
	edited: [],
	duration: 0,
	loudness: null,
	...over
});
const row = (over: Partial<AnalysisRow> = {}): AnalysisRow => ({
	...failedRow('h', 1, 'corrupt', ''),
	error: null,
	durationSec: 301.5,
	bpm: 124,
	beatGrid: { bpm: 124.004, firstDownbeatSec: 0.1, beatsPerBar: 4 },
	key: { tonic: 9, scale: 'minor', strength: 0.7 },
	loudness: { integratedLufs: -8.04, targetLufs: -14, gainDbToTarget: -5.96 },
	...over
});

describe('analysis results on the track', () => {
	it('fills BPM, key (short notation), duration and loudness of an untagged track', () => {
		expect(trackPatch(track(), row(), { replaceTags: false })).toEqual({
			bpm: 124,
			key: 'Am',
			duration: 301.5,
			loudness: -8
		});
	});

	it('keeps tagged values unless the user prefers analysis', () => {
		const tagged = track({ bpm: 125, key: 'C', tagBpm: 125, tagKey: 'C' });
		expect(trackPatch(tagged, row(), { replaceTags: false })).toEqual({ duration: 301.5, loudness: -8 });
		expect(trackPatch(tagged, row(), { replaceTags: true })).toMatchObject({ bpm: 124, key: 'Am' });
	});

	it('never overwrites what the user edited, whatever the preference', () => {
		const edited = track({ bpm: 62, key: '8B', edited: ['bpm', 'key'] });
		const patch = trackPatch(edited, row(), { replaceTags: true });
		expect(patch).not.toHaveProperty('bpm');
		expect(patch).not.toHaveProperty('key');
	});

	it('a beatless or keyless result keeps the tag (or nothing)', () => {
		const none = row({ beatGrid: { bpm: 0, firstDownbeatSec: 0, beatsPerBar: 4 }, key: null });
		expect(trackPatch(track({ tagBpm: 90, bpm: 90 }), none, { replaceTags: true })).not.toHaveProperty('bpm');
		expect(trackPatch(track(), none, { replaceTags: true })).not.toHaveProperty('bpm');
		expect(trackPatch(track({ tagKey: 'Dm', key: 'Dm' }), none, { replaceTags: true })).not.toHaveProperty('key');
	});

	it('a failed analysis changes nothing', () => {
		expect(trackPatch(track(), failedRow('h', 1, 'corrupt', 'bad frame'), { replaceTags: true })).toEqual({});
	});

	it('shows keys in the chosen notation and leaves other text alone', () => {
		expect(displayKey('Am', 'camelot')).toBe('8A');
		expect(displayKey('A minor', 'standard')).toBe('Am');
		expect(displayKey('8B', 'openkey')).toBe('1d');
		expect(displayKey('F#', 'camelot')).toBe('2B');
		expect(displayKey('weird', 'camelot')).toBe('weird');
		expect(displayKey('', 'camelot')).toBe('');
		expect(keyText({ tonic: 10, scale: 'minor' })).toBe('Bbm');
		expect(describeKey({ tonic: 9, scale: 'minor' }, 'camelot')).toBe('8A · A minor · 1m');
		// Minor keys keep their spelling (sharps except Eb/Bb) whatever the word for the scale.
		const pt = (scale: 'major' | 'minor') => (scale === 'major' ? 'maior' : 'menor');
		expect(describeKey({ tonic: 1, scale: 'minor' }, 'standard', pt)).toBe('C# menor · 12A · 5m');
		expect(describeKey({ tonic: 1, scale: 'major' }, 'standard', pt)).toBe('Db maior · 3B · 8d');
		expect(describeKey({ tonic: 2, scale: 'major' }, 'openkey', pt)).toBe('3d · D maior · 10B');
	});

	it('maps unknown error codes to other and bounds the message', () => {
		const failed = failedRow('h', 1, 'weird-code', 'x'.repeat(2000));
		expect(failed.error?.code).toBe('other');
		expect(failed.error?.message.length).toBe(500);
	});
});
