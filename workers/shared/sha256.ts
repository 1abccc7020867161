import { createSHA256 } from 'hash-wasm';

export type Sha256Engine = 'native' | 'wasm';

/**
 * SHA-256 of whole buffers with whichever engine is cheaper in this browser, measured once per worker.
 *
 * The browser's `crypto.subtle.digest` is not always the fast one: where its crypto library uses the
 * CPU's SHA instructions it hashes at well over 1 GB/s (Node's OpenSSL: 1.36 GB/s on this machine), but
 * Debian's Chromium 156 digests at ~250 MB/s at best against hash-wasm's ~340 MB/s on the same page, and
 * it copies the buffer first (fresh pages: more system time). Importing 1.6 GB on two cores, native
 * hashing cost 19.6–20.1 CPU-s/GB in all against 17.4–17.5 with hash-wasm (same run, alternating).
 */
type Hasher = Awaited<ReturnType<typeof createSHA256>>;
const freeHashers: Hasher[] = [];

/** A hash-wasm hasher of one's own: calls may overlap, and a hasher's state belongs to one input. */
export async function borrowHasher(): Promise<Hasher> {
	const hasher = freeHashers.pop() ?? (await createSHA256());
	hasher.init();
	return hasher;
}

export function returnHasher(hasher: Hasher): void {
	freeHashers.push(hasher);
}

const SAMPLE_BYTES = 1024 * 1024;
const ROUNDS = 10;

/**
 * Times both engines on the same 1 MiB, interleaved, and keeps each one's fastest of ten runs: on a busy
 * machine most runs are stretched by waiting for a core, the fastest is the engine's own cost. (Best of
 * three 2 MiB runs picked differently from one worker to the next at load 8.) WASM must win by 10 %:
 * the native digest runs on the browser's own threads, beside this worker. About 60 ms, once per worker.
 */
async function measure(): Promise<Sha256Engine> {
	const sample = new Uint8Array(SAMPLE_BYTES);
	for (let i = 0; i < sample.length; i += 65_536) crypto.getRandomValues(sample.subarray(i, i + 65_536));
	const hasher = await borrowHasher();
	let native = Infinity;
	let wasm = Infinity;
	try {
		for (let round = 0; round <= ROUNDS; round++) {
			let start = performance.now();
			await crypto.subtle.digest('SHA-256', sample);
			const nativeMs = performance.now() - start;
			start = performance.now();
			hasher.init();
			hasher.update(sample);
			hasher.digest('binary');
			const wasmMs = performance.now() - start;
			// The first round warms both up (WASM tier-up, the crypto thread) and does not count.
			if (round === 0) continue;
			native = Math.min(native, nativeMs);
			wasm = Math.min(wasm, wasmMs);
		}
	} finally {
		returnHasher(hasher);
	}
	return wasm * 1.1 < native ? 'wasm' : 'native';
}

let chosen: Promise<Sha256Engine> | undefined;

/** The engine this worker uses (measured on first use, unless `useSha256Engine` said it). */
export function sha256Engine(): Promise<Sha256Engine> {
	chosen ??= measure().catch((): Sha256Engine => 'native');
	return chosen;
}

/** Uses `engine` without measuring: another worker of this browser build measured it already. */
export function useSha256Engine(engine: Sha256Engine): void {
	chosen = Promise.resolve(engine);
}

function toHex(bytes: Uint8Array): string {
	let out = '';
	for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
	return out;
}

/** Lowercase hex SHA-256 of a whole buffer, with the cheaper engine. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
	return sha256HexWith(await sha256Engine(), bytes);
}

/** Lowercase hex SHA-256 of a whole buffer with the given engine. */
export async function sha256HexWith(engine: Sha256Engine, bytes: Uint8Array): Promise<string> {
	if (engine === 'native') return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource)));
	const hasher = await borrowHasher();
	try {
		hasher.update(bytes);
		return hasher.digest('hex');
	} finally {
		returnHasher(hasher);
	}
}
