import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, FIRST_CHUNK_BYTES, type TrackMeta } from './protocol';
import type { Session } from './session';
import { serveTrack } from './transfers.svelte';

/** A session that records what the sender puts on the wire; the channel never fills up. */
function wire(maxMessageSize: number) {
	const frames: Uint8Array[] = [];
	const control: { type: string }[] = [];
	const session = {
		closed: false,
		bufferedAmount: () => 0,
		maxMessageSize: () => maxMessageSize,
		send: (message: { type: string }) => control.push(message),
		sendBinary: (frame: Uint8Array) => frames.push(new Uint8Array(frame))
	} as unknown as Session;
	return { session, frames, control };
}

const file = (size: number) => {
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 255;
	return bytes;
};
const meta = { title: 'x' } as TrackMeta;

describe('serveTrack framing', () => {
	it('sends 64 KiB frames for the first 256 KiB, then frames as large as the receiver takes, every byte in order', async () => {
		const bytes = file(5 * 1024 * 1024 + 12_345);
		const { session, frames, control } = wire(262_144);
		await serveTrack(session, 'ab'.repeat(32), 0, undefined, async () => ({ blob: new Blob([bytes]), meta }));
		expect(control.map((m) => m.type)).toEqual(['offer', 'sent']);
		expect(frames.slice(0, 4).map((f) => f.byteLength)).toEqual(Array(4).fill(FIRST_CHUNK_BYTES));
		expect(Math.max(...frames.map((f) => f.byteLength))).toBe(CHUNK_BYTES);
		expect(frames.slice(4, 8).every((f) => f.byteLength === CHUNK_BYTES)).toBe(true);
		const joined = new Uint8Array(bytes.byteLength);
		let at = 0;
		for (const frame of frames) {
			joined.set(frame, at);
			at += frame.byteLength;
		}
		expect(at).toBe(bytes.byteLength);
		expect(joined.findIndex((b, i) => b !== bytes[i])).toBe(-1);
	});

	it('keeps to 64 KiB frames when the connection does not say its limit, and to a smaller limit it does say', async () => {
		const bytes = file(1024 * 1024);
		const unknown = wire(0);
		await serveTrack(unknown.session, 'ab'.repeat(32), 0, undefined, async () => ({ blob: new Blob([bytes]), meta }));
		expect(Math.max(...unknown.frames.map((f) => f.byteLength))).toBe(FIRST_CHUNK_BYTES);
		const small = wire(100_000);
		await serveTrack(small.session, 'ab'.repeat(32), 0, undefined, async () => ({ blob: new Blob([bytes]), meta }));
		expect(Math.max(...small.frames.map((f) => f.byteLength))).toBe(100_000);
		// A range from the middle: only its bytes.
		const range = wire(262_144);
		await serveTrack(range.session, 'ab'.repeat(32), 300_000, 700_000, async () => ({
			blob: new Blob([bytes]),
			meta
		}));
		expect(range.frames.reduce((n, f) => n + f.byteLength, 0)).toBe(400_000);
		expect(range.frames[0]![0]).toBe(bytes[300_000]);
	});
});
