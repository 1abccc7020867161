import { describe, expect, it } from 'vitest';
import { dtlsFingerprint } from './channel-binding';

const hex = (byte: string) => Array.from({ length: 32 }, () => byte).join(':');

describe('dtlsFingerprint', () => {
	it('reads and normalises the fingerprint lines of an SDP, session or media level', () => {
		const sdp = [
			'v=0',
			'o=- 1 2 IN IP4 127.0.0.1',
			`a=fingerprint:SHA-256 ${hex('ab')}`,
			'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
			`a=fingerprint:sha-256 ${hex('AB')}`,
			''
		].join('\r\n');
		expect(dtlsFingerprint(sdp)).toBe(`sha-256 ${hex('AB')}`);
	});

	it('keeps every distinct fingerprint, in a stable order', () => {
		const sdp = `a=fingerprint:sha-256 ${hex('02')}\na=fingerprint:sha-1 ${hex('01').slice(0, 59)}\n`;
		expect(dtlsFingerprint(sdp)).toBe(`sha-1 ${hex('01').slice(0, 59)},sha-256 ${hex('02')}`);
	});

	it('finds nothing in an SDP without DTLS or in malformed lines', () => {
		expect(dtlsFingerprint('v=0\r\nm=audio 9 RTP/AVP 0\r\n')).toBeNull();
		expect(dtlsFingerprint('a=fingerprint:sha-256 zz:zz\r\n')).toBeNull();
		expect(dtlsFingerprint('')).toBeNull();
		expect(dtlsFingerprint(null)).toBeNull();
	});
});
