import type { AudioStream } from './source';

/** Every decoded sample of a stream's first channel, in one array (for specs: short files only). */
export async function firstChannel(stream: AudioStream): Promise<Float32Array> {
	const parts: Float32Array[] = [];
	for await (const block of stream.blocks(new AbortController().signal)) parts.push(block.planes[0]!);
	const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const part of parts) {
		all.set(part, at);
		at += part.length;
	}
	return all;
}
