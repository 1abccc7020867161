import { WorkerError } from '../../shared/errors';

/** Decoded audio as a stream of planar float blocks (one Float32Array per channel, equal lengths). */
export interface AudioStream {
	/** Container/codec, e.g. 'wav', 'aiff', 'mp3', 'flac', 'ogg/vorbis', 'ogg/opus', 'mp4/aac'. */
	format: string;
	/** Duration from the container when it says (null when unknown until decoded). */
	durationSec: number | null;
	/** Blocks of decoded audio. The rate can only be trusted from the blocks (HE-AAC doubles it). */
	blocks(signal: AbortSignal): AsyncGenerator<AudioBlock>;
	/** Seconds at the start this decoder drops that analyser version 1 kept (an MP3's encoder frame and
	 * LAME delays): version 1 results of this file are that much later than the music. 0 or absent: none. */
	leadSec?: number;
}

export interface AudioBlock {
	sampleRate: number;
	planes: Float32Array[];
	/** Silence standing in for audio that could not be decoded (a damaged frame): the timeline is kept. */
	lost?: boolean;
}

/** Bytes read from a Blob slice by slice: `SLICE` at a time, never the whole file. */
export const SLICE = 1024 * 1024;

export async function readBytes(blob: Blob, start: number, end: number): Promise<Uint8Array> {
	return new Uint8Array(await blob.slice(Math.max(0, start), Math.min(blob.size, end)).arrayBuffer());
}

/** Reads the blob sequentially from `start` to `end` in slices. */
export async function* sliceStream(
	blob: Blob,
	start = 0,
	end = blob.size,
	signal?: AbortSignal
): AsyncGenerator<Uint8Array> {
	for (let offset = start; offset < end; offset += SLICE) {
		if (signal?.aborted) throw new WorkerError('aborted', 'Cancelled');
		yield await readBytes(blob, offset, Math.min(end, offset + SLICE));
	}
}

export const ascii = (bytes: Uint8Array, at: number, length: number) =>
	String.fromCharCode(...bytes.subarray(at, at + length));

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
	if (a.length === 0) return b;
	const out = new Uint8Array(a.length + b.length);
	out.set(a);
	out.set(b, a.length);
	return out;
}

export function corrupt(format: string, message: string): WorkerError {
	return new WorkerError('corrupt', `${format}: ${message}`, { format });
}

/**
 * Drops the first `skip` samples of `blocks` and ends after `keep` samples: a codec's priming and padding
 * (encoder and decoder delay), so times match what the browser plays.
 */
export async function* trimBlocks(
	blocks: AsyncGenerator<AudioBlock>,
	skip: number,
	keep = Infinity
): AsyncGenerator<AudioBlock> {
	let toSkip = skip;
	let left = keep;
	for await (const block of blocks) {
		if (left <= 0) continue;
		const length = block.planes[0]?.length ?? 0;
		const from = Math.min(length, toSkip);
		toSkip -= from;
		const to = Math.min(length, from + left);
		if (to <= from) continue;
		left -= to - from;
		yield from === 0 && to === length ? block : { ...block, planes: block.planes.map((p) => p.subarray(from, to)) };
	}
}
