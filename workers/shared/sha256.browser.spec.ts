import { describe, expect, it } from 'vitest';
import { borrowHasher, returnHasher, sha256Engine, sha256Hex, sha256HexWith, useSha256Engine } from './sha256';
import { noise } from './test-bytes';

describe('SHA-256 with the cheaper engine (real Chromium)', () => {
	it('gives the known digests with both engines', async () => {
		for (const engine of ['native', 'wasm'] as const) {
			expect(await sha256HexWith(engine, new Uint8Array(0))).toBe(
				'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
			);
			expect(await sha256HexWith(engine, new TextEncoder().encode('abc'))).toBe(
				'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
			);
		}
	});

	it('both engines agree on a multi-megabyte buffer and on a view into a larger one', async () => {
		const bytes = noise(5 * 1024 * 1024 + 3);
		const view = bytes.subarray(1_000, bytes.length - 1_000);
		expect(await sha256HexWith('wasm', bytes)).toBe(await sha256HexWith('native', bytes));
		expect(await sha256HexWith('wasm', view)).toBe(await sha256HexWith('native', view));
		expect(await sha256HexWith('wasm', view)).not.toBe(await sha256HexWith('wasm', bytes));
	});

	it('picks one engine once and hashes with it; overlapping calls do not share state', async () => {
		const engine = await sha256Engine();
		expect(['native', 'wasm']).toContain(engine);
		expect(await sha256Engine()).toBe(engine);
		const inputs = [noise(300_000, 1), noise(300_000, 2), noise(300_000, 3)];
		const together = await Promise.all(inputs.map((bytes) => sha256Hex(bytes)));
		for (const [i, bytes] of inputs.entries()) expect(together[i]).toBe(await sha256HexWith('native', bytes));
		expect(new Set(together).size).toBe(3);
	});

	it('lends a fresh hasher even after one was returned mid-use', async () => {
		const used = await borrowHasher();
		used.update(noise(1_000));
		returnHasher(used);
		const again = await borrowHasher();
		again.update(new TextEncoder().encode('abc'));
		expect(again.digest('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
		returnHasher(again);
	});

	// Last: it sets this page's engine for good.
	it('takes an engine measured elsewhere without measuring, and hashes with it', async () => {
		for (const engine of ['wasm', 'native'] as const) {
			useSha256Engine(engine);
			expect(await sha256Engine()).toBe(engine);
			expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
				'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
			);
		}
	});
});
