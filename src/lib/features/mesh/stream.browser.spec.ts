import { describe, expect, it } from 'vitest';
import { createAudioWriter } from '$lib/storage/audio-store';
import { encodeWav } from '$lib/features/player/wav';
import type { TrackMeta } from './protocol';
import { StreamPlayer } from './stream.svelte';
import type { TransferTap, Transfers } from './transfers.svelte';

/** 1 s of 8 kHz mono 16-bit PCM WAV (a 440 Hz tone). */
function wav(): Uint8Array {
	const rate = 8000;
	return encodeWav(
		[Float32Array.from({ length: rate }, (_, i) => (8000 / 32767) * Math.sin((2 * Math.PI * 440 * i) / rate))],
		rate
	);
}

const meta = { duration: 1 } as TrackMeta;

/** Transfers as the stream player sees it: the tap is what the real transfer would drive. */
function transfers(received = 0) {
	const seen: { tap: TransferTap | null } = { tap: null };
	const fake = {
		tap: (_hash: string, tap: TransferTap | null) => (seen.tap = tap),
		receivedOf: () => received
	} as unknown as Transfers;
	return { fake, seen };
}

async function sha256(bytes: Uint8Array): Promise<string> {
	const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

describe('StreamPlayer', () => {
	it('plays a progressive format (WAV) from the store once the transfer is verified', async () => {
		const bytes = wav();
		const hash = await sha256(bytes);
		const { fake, seen } = transfers();
		const player = new StreamPlayer(fake);
		expect(player.start(hash, 'Tone', 0, () => true)).toBe(true);
		expect(player.state).toBe('waiting');
		seen.tap!.offer(bytes.byteLength, 0, meta);
		for (let at = 0; at < bytes.byteLength; at += 4096) seen.tap!.bytes(bytes.subarray(at, at + 4096));
		expect(player.format).toEqual({ mode: 'progressive', label: 'WAV' });
		expect(player.media).toBeNull();
		// What Transfers does on a hash match: the verified bytes are committed to the store.
		const writer = await createAudioWriter();
		await writer.write(bytes);
		await writer.commit(hash);
		seen.tap!.end(true, '');
		expect(player.kept).toBe(true);
		await expect.poll(() => player.state, { timeout: 10_000 }).toBe('playing');
		expect(player.media!.paused).toBe(false);
		player.stop();
		expect(player.state).toBe('idle');
		expect(player.media).toBeNull();
	});

	it('stops with the reason and keeps nothing when the hash does not match', () => {
		const bytes = wav();
		const { fake, seen } = transfers();
		const player = new StreamPlayer(fake);
		player.start('ab'.repeat(32), 'Tone', 0, () => true);
		const tap = seen.tap!;
		tap.offer(bytes.byteLength, 0, meta);
		tap.bytes(bytes);
		tap.end(false, 'hash-mismatch');
		expect(player.state).toBe('failed');
		expect(player.error).toBe('hash-mismatch');
		expect(player.kept).toBe(false);
		expect(player.media).toBeNull();
		expect(seen.tap).toBeNull();
	});

	it('refuses a track already being fetched, and says when no device can send it', () => {
		const busy = new StreamPlayer(transfers(1024).fake);
		expect(busy.start('cd'.repeat(32), 'x', 0, () => true)).toBe(false);
		expect(busy.error).toBe('busy');
		const alone = new StreamPlayer(transfers().fake);
		expect(alone.start('cd'.repeat(32), 'x', 0, () => false)).toBe(false);
		expect(alone.error).toBe('no-device');
	});
});
