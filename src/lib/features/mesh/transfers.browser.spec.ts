import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, FIRST_CHUNK_BYTES, type TrackMeta } from './protocol';
import type { Session } from './session';
import { prepareServe, serveTrack, ServeQueue, ServeSources, type PreparedServe } from './transfers.svelte';

/** A session that records what the sender puts on the wire; the channel never fills up (or always holds
 * `queued` bytes). */
function wire(maxMessageSize: number, queued = 0, holds = false) {
	const frames: Uint8Array[] = [];
	const control: { type: string }[] = [];
	const session = {
		closed: false,
		bufferedAmount: () => queued,
		whenBelow: () => undefined,
		// `holds`: a connection that keeps frames in a queue of its own (the views themselves, not copies).
		sentAll: () => !holds,
		maxMessageSize: () => maxMessageSize,
		send: (message: { type: string }) => control.push(message),
		sendBinary: (frame: Uint8Array) => frames.push(holds ? frame : new Uint8Array(frame))
	} as unknown as Session;
	return { session, frames, control };
}

const file = (size: number) => {
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 255;
	return bytes;
};
const meta = { title: 'x' } as TrackMeta;

/** The frames put together again, in the order they were sent. */
const joined = (frames: Uint8Array[]) => {
	const out = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0));
	let at = 0;
	for (const frame of frames) {
		out.set(frame, at);
		at += frame.byteLength;
	}
	return out;
};
const same = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);

describe('serveTrack framing', () => {
	it('sends 64 KiB frames for the first 256 KiB, then frames as large as the receiver takes, every byte in order', async () => {
		const bytes = file(5 * 1024 * 1024 + 12_345);
		const { session, frames, control } = wire(262_144);
		await serveTrack(session, 'ab'.repeat(32), 0, undefined, async () => ({ blob: new Blob([bytes]), meta }));
		expect(control.map((m) => m.type)).toEqual(['offer', 'sent']);
		expect(frames.slice(0, 4).map((f) => f.byteLength)).toEqual(Array(4).fill(FIRST_CHUNK_BYTES));
		expect(Math.max(...frames.map((f) => f.byteLength))).toBe(CHUNK_BYTES);
		expect(frames.slice(4, 8).every((f) => f.byteLength === CHUNK_BYTES)).toBe(true);
		expect(same(joined(frames), bytes)).toBe(true);
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

describe('answering wants one after another', () => {
	it('looks up and reads the next want while the current one is sent, but puts nothing on the wire before its turn', async () => {
		const bytes = file(2 * 1024 * 1024);
		const { session, frames, control } = wire(262_144);
		const reads: number[] = [];
		const find = async () => {
			reads.push(performance.now());
			return { blob: new Blob([bytes]), meta };
		};
		const first = prepareServe(session, 'ab'.repeat(32), 0, 1024 * 1024, find);
		const second = prepareServe(session, 'ab'.repeat(32), 1024 * 1024, undefined, find);
		await new Promise((resolve) => setTimeout(resolve, 20));
		// Both looked up already; nothing sent yet.
		expect(reads).toHaveLength(2);
		expect(control).toEqual([]);
		expect(frames).toEqual([]);
		await first.send();
		await second.send();
		expect(control.map((m) => m.type)).toEqual(['offer', 'sent', 'offer', 'sent']);
		expect(same(joined(frames), bytes)).toBe(true);
	});

	it('answers a want it cannot serve with none, in its turn', async () => {
		const { session, control } = wire(262_144);
		const missing = prepareServe(session, 'ab'.repeat(32), 0, undefined, async () => null);
		const beyond = prepareServe(session, 'ab'.repeat(32), 10, 5, async () => ({ blob: new Blob([file(100)]), meta }));
		await missing.send();
		await beyond.send();
		expect(control).toEqual([
			{ type: 'none', hash: 'ab'.repeat(32), reason: 'not-found' },
			{ type: 'none', hash: 'ab'.repeat(32), reason: 'bad-offset' }
		]);
	});

	it('sends a range behind queued bytes in full-size frames (small first frames are for an idle channel)', async () => {
		const bytes = file(1024 * 1024);
		const busy = wire(262_144, 512 * 1024);
		await serveTrack(busy.session, 'ab'.repeat(32), 0, undefined, async () => ({ blob: new Blob([bytes]), meta }));
		expect(busy.frames.map((f) => f.byteLength)).toEqual(Array(4).fill(CHUNK_BYTES));
		const idle = wire(262_144, 0);
		await serveTrack(idle.session, 'ab'.repeat(32), 0, undefined, async () => ({ blob: new Blob([bytes]), meta }));
		expect(idle.frames.slice(0, 4).map((f) => f.byteLength)).toEqual(Array(4).fill(FIRST_CHUNK_BYTES));
	});
});

describe('a peer’s queue of wants', () => {
	it('prepares only the next want while one is sent, however many are asked for, and sends them all in order', async () => {
		const prepared: number[] = [];
		const sent: number[] = [];
		const gates: (() => void)[] = [];
		const serve = (n: number): PreparedServe => {
			prepared.push(n);
			return {
				send: () =>
					new Promise<void>((resolve) =>
						gates.push(() => {
							sent.push(n);
							resolve();
						})
					)
			};
		};
		const queue = new ServeQueue();
		for (let n = 0; n < 50; n++)
			queue.push(
				() => serve(n),
				() => undefined
			);
		await Promise.resolve();
		// The one being sent and the next: not 50 read-aheads.
		expect(prepared).toEqual([0, 1]);
		gates.shift()!();
		await new Promise((resolve) => setTimeout(resolve, 0));
		expect(prepared).toEqual([0, 1, 2]);
		while (sent.length < 50) {
			gates.shift()?.();
			await new Promise((resolve) => setTimeout(resolve, 0));
		}
		expect(sent).toEqual([...Array(50).keys()]);
	});

	it('looks nothing up for wants still queued when the peer goes away', async () => {
		let lookups = 0;
		const blob = new Blob([file(300_000)]);
		const find = async () => (lookups++, { blob, meta });
		const { session } = wire(262_144);
		const queue = new ServeQueue();
		for (const hash of ['d1', 'd2', 'd3', 'd4'])
			queue.push(
				() => prepareServe(session, hash.repeat(32), 0, undefined, find, queue.sources),
				() => undefined
			);
		(session as unknown as { closed: boolean }).closed = true;
		await new Promise((resolve) => setTimeout(resolve, 50));
		// The first two were prepared already (one sent, one read ahead); the other two are dropped.
		expect(lookups).toBe(2);
	});

	it('reports a want whose answer failed and goes on with the next', async () => {
		const failed: number[] = [];
		const sent: number[] = [];
		const queue = new ServeQueue();
		for (const n of [0, 1, 2])
			queue.push(
				() => ({
					send: async () => {
						if (n === 1) throw new Error('read failed');
						sent.push(n);
					}
				}),
				() => failed.push(n)
			);
		await new Promise((resolve) => setTimeout(resolve, 10));
		expect(sent).toEqual([0, 2]);
		expect(failed).toEqual([1]);
	});
});

describe('serveTrack reading a stored file', () => {
	/** Writes `bytes` as the stored OPFS file of `hash` and returns its `File`. */
	async function store(hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<File> {
		const audio = await (await navigator.storage.getDirectory()).getDirectoryHandle('audio', { create: true });
		const handle = await audio.getFileHandle(hash, { create: true });
		const writable = await handle.createWritable();
		await writable.write(bytes);
		await writable.close();
		return handle.getFile();
	}

	it('sends every byte of a stored file, also to two devices at once (the read lock is shared)', async () => {
		const hash = 'c1'.repeat(32);
		const bytes = file(9 * 1024 * 1024 + 777);
		const blob = await store(hash, bytes);
		const [one, two] = [wire(262_144), wire(262_144)];
		const find = async () => ({ blob, meta, stored: true });
		await Promise.all([
			serveTrack(one.session, hash, 0, undefined, find),
			serveTrack(two.session, hash, 1_000_000, 6_000_000, find)
		]);
		expect(one.control.map((m) => m.type)).toEqual(['offer', 'sent']);
		expect(same(joined(one.frames), bytes)).toBe(true);
		expect(same(joined(two.frames), bytes.subarray(1_000_000, 6_000_000))).toBe(true);
		// The file is still readable (and deletable) once both are sent.
		expect((await (await store(hash, bytes)).arrayBuffer()).byteLength).toBe(bytes.byteLength);
		await (await navigator.storage.getDirectory()).getDirectoryHandle('audio').then((d) => d.removeEntry(hash));
	});

	it('does not read into a buffer again while the connection still holds frames of it', async () => {
		const hash = 'c3'.repeat(32);
		const bytes = file(13 * 1024 * 1024 + 5);
		const blob = await store(hash, bytes);
		const held = wire(262_144, 0, true);
		await serveTrack(held.session, hash, 0, undefined, async () => ({ blob, meta, stored: true }));
		expect(same(joined(held.frames), bytes)).toBe(true);
		await (await navigator.storage.getDirectory()).getDirectoryHandle('audio').then((d) => d.removeEntry(hash));
	});

	it('answers consecutive wants for one track with one lookup and one open file, closed after the last', async () => {
		const hash = 'c4'.repeat(32);
		const bytes = file(10 * 1024 * 1024 + 3);
		await store(hash, bytes);
		// A Blob of the same size with other bytes shows where each range's first slice was read from.
		const other = new Blob([new Uint8Array(bytes.byteLength).fill(7)]);
		let lookups = 0;
		const find = async () => (lookups++, { blob: other, meta, stored: true });
		const { session, frames, control } = wire(262_144);
		const queue = new ServeQueue();
		const failed: number[] = [];
		const ranges = [0, 4_000_000, 8_000_000, bytes.byteLength];
		for (let i = 0; i < 3; i++)
			queue.push(
				() => prepareServe(session, hash, ranges[i]!, ranges[i + 1], find, queue.sources),
				() => failed.push(i)
			);
		await expect.poll(() => control.length, { timeout: 20_000 }).toBe(6);
		expect(failed).toEqual([]);
		expect(lookups).toBe(1);
		const sent = joined(frames);
		// Only the very first slice came from the Blob, while the worker opened the file; the later ranges
		// read their first bytes from the open file.
		expect(sent.subarray(0, 256 * 1024).every((b) => b === 7)).toBe(true);
		expect(same(sent.subarray(256 * 1024), bytes.subarray(256 * 1024))).toBe(true);
		// The file is closed once the last range is sent: it can be removed (an open handle would lock it).
		await expect
			.poll(
				() =>
					navigator.storage
						.getDirectory()
						.then((root) => root.getDirectoryHandle('audio'))
						.then((audio) => audio.removeEntry(hash))
						.then(
							() => true,
							() => false
						),
				{ timeout: 5_000 }
			)
			.toBe(true);
	});

	it('looks a track up again for a want that comes after the earlier ones are done', async () => {
		let lookups = 0;
		const blob = new Blob([file(1000)]);
		const find = async () => (lookups++, { blob, meta });
		const sources = new ServeSources();
		const { session, frames } = wire(262_144);
		await prepareServe(session, 'c5'.repeat(32), 0, 500, find, sources).send();
		await prepareServe(session, 'c5'.repeat(32), 500, undefined, find, sources).send();
		expect(lookups).toBe(2);
		expect(same(joined(frames), file(1000))).toBe(true);
	});

	it('reads past the first slice from the stored file itself, and only from the Blob when the stored file is not the same size', async () => {
		const hash = 'c2'.repeat(32);
		const bytes = file(3 * 1024 * 1024);
		await store(hash, bytes);
		// A Blob of the same size with other bytes: the first 256 KiB go out from it (while the worker opens
		// the file), everything after from the stored file.
		const other = new Uint8Array(bytes.byteLength).fill(7);
		const mixed = wire(262_144);
		await serveTrack(mixed.session, hash, 0, undefined, async () => ({ blob: new Blob([other]), meta, stored: true }));
		const sent = joined(mixed.frames);
		expect(sent.subarray(0, 256 * 1024).every((b) => b === 7)).toBe(true);
		expect(same(sent.subarray(256 * 1024), bytes.subarray(256 * 1024))).toBe(true);
		// A Blob of another size than the stored file: the stored file is not used at all.
		const shorter = new Uint8Array(bytes.byteLength - 1).fill(9);
		const fallback = wire(262_144);
		await serveTrack(fallback.session, hash, 0, undefined, async () => ({
			blob: new Blob([shorter]),
			meta,
			stored: true
		}));
		expect(same(joined(fallback.frames), shorter)).toBe(true);
		await (await navigator.storage.getDirectory()).getDirectoryHandle('audio').then((d) => d.removeEntry(hash));
	});
});
