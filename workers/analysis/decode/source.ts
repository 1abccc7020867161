import { WorkerError } from '../../shared/errors';

/** Decoded audio as a stream of planar float blocks (one Float32Array per channel, equal lengths). */
export interface AudioStream {
	/** Container/codec, e.g. 'wav', 'aiff', 'mp3', 'flac', 'ogg/vorbis', 'ogg/opus', 'mp4/aac'. */
	format: string;
	/** Duration from the container when it says (null when unknown until decoded). */
	durationSec: number | null;
	/** Blocks of decoded audio. The rate can only be trusted from the blocks (HE-AAC doubles it). */
	blocks(signal: AbortSignal): AsyncGenerator<AudioBlock>;
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
