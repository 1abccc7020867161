import { describe, expect, it } from 'vitest';
import {
	encodeRoomMessage,
	MAX_ACTION_CHARS,
	newRoomCode,
	parseRoomCode,
	parseRoomMessage,
	formatRoomCode
} from './room-protocol';

const member = 'cms-0123456789abcdef01234567';

describe('room protocol', () => {
	it('accepts valid frames and cleans peer text', () => {
		const parsed = parseRoomMessage(
			encodeRoomMessage({
				type: 'act',
				action: {
					type: 'request',
					track: { hash: '', title: ' Song\u202e\u0000 ', artist: 'A'.repeat(300), duration: 3, bpm: null, key: '8A' }
				}
			})
		);
		expect(parsed.ok).toBe(true);
		if (!parsed.ok || parsed.message.type !== 'act' || parsed.message.action.type !== 'request') return;
		expect(parsed.message.action.track.title).toBe('Song');
		expect(parsed.message.action.track.artist).toHaveLength(120);
	});

	it('classifies what it refuses', () => {
		expect(parseRoomMessage('{oops')).toEqual({ ok: false, reason: 'malformed' });
		expect(parseRoomMessage(new ArrayBuffer(4))).toEqual({ ok: false, reason: 'malformed' });
		expect(parseRoomMessage('[1]')).toEqual({ ok: false, reason: 'malformed' });
		expect(parseRoomMessage('{"v":2,"type":"ping","t":1}')).toEqual({ ok: false, reason: 'version' });
		expect(parseRoomMessage('{"v":1,"type":"sudo"}')).toEqual({ ok: false, reason: 'unknown' });
		expect(parseRoomMessage(`{"v":1,"type":"ping","t":1,"x":"${'a'.repeat(MAX_ACTION_CHARS)}"}`)).toEqual({
			ok: false,
			reason: 'oversized'
		});
		// Valid JSON, known type, wrong shape.
		expect(parseRoomMessage('{"v":1,"type":"react","reaction":"<script>"}').ok).toBe(false);
		expect(parseRoomMessage('{"v":1,"type":"act","action":{"type":"role","member":"x","role":"host"}}').ok).toBe(false);
		expect(
			parseRoomMessage(`{"v":1,"type":"act","action":{"type":"role","member":"${member}","role":"host"}}`).ok
		).toBe(false);
		expect(parseRoomMessage('{"v":1,"type":"act","action":{"type":"vote","entry":"../x","up":true}}').ok).toBe(false);
		expect(parseRoomMessage('{"v":1,"type":"ping","t":-1}').ok).toBe(false);
		expect(parseRoomMessage('{"v":1,"type":"join","code":"abc234","name":"x","secret":"nothex"}').ok).toBe(false);
	});

	it('makes and reads room codes the way people type them', () => {
		for (let i = 0; i < 200; i++) expect(newRoomCode()).toMatch(/^[2-9a-hjkmnp-z]{6}$/);
		expect(parseRoomCode('ABC-234')).toBe('abc234');
		expect(parseRoomCode(' abc 234 ')).toBe('abc234');
		expect(parseRoomCode('https://dj.example/session?room=abc234')).toBe('abc234');
		expect(parseRoomCode('abc231')).toBeNull(); // 1 is not in the alphabet
		expect(parseRoomCode('abc2345')).toBeNull();
		expect(formatRoomCode('abc234')).toBe('ABC-234');
	});
});
