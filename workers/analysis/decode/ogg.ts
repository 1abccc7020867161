import { WorkerError } from '../../shared/errors';
import { ascii, concat, corrupt, readBytes, sliceStream, type AudioStream } from './source';
import { decodePackets, type EncodedPacket } from './webcodecs';

/** Packets of the first logical stream of an Ogg file, reassembled from pages. */
async function* oggPackets(blob: Blob, signal: AbortSignal): AsyncGenerator<Uint8Array> {
	let pending: Uint8Array = new Uint8Array(0);
	let serial: number | undefined;
	let packet: Uint8Array[] = [];
	for await (const slice of sliceStream(blob, 0, blob.size, signal)) {
		const bytes = concat(pending, slice);
		const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
		let at = 0;
		while (at + 27 <= bytes.length) {
			if (bytes[at] !== 0x4f || ascii(bytes, at, 4) !== 'OggS') {
				at++;
				continue;
			}
			const segments = bytes[at + 26]!;
			if (at + 27 + segments > bytes.length) break;
			let bodySize = 0;
			for (let i = 0; i < segments; i++) bodySize += bytes[at + 27 + i]!;
			const bodyStart = at + 27 + segments;
			if (bodyStart + bodySize > bytes.length) break;
			const pageSerial = view.getUint32(at + 14, true);
			serial ??= pageSerial;
			if (pageSerial === serial) {
				let offset = bodyStart;
				for (let i = 0; i < segments; i++) {
					const lace = bytes[at + 27 + i]!;
					packet.push(bytes.subarray(offset, offset + lace));
					offset += lace;
					if (lace < 255) {
						const total = packet.reduce((n, p) => n + p.length, 0);
						const out = new Uint8Array(total);
						let o = 0;
						for (const p of packet) {
							out.set(p, o);
							o += p.length;
						}
						packet = [];
						yield out;
					}
				}
			}
			at = bodyStart + bodySize;
		}
		pending = bytes.slice(at);
	}
}

function xiphLacing(length: number): number[] {
	const out: number[] = [];
	for (; length >= 255; length -= 255) out.push(255);
	out.push(length);
	return out;
}

/** Granule position of the last page (total samples), read from the file's tail. */
async function lastGranule(blob: Blob): Promise<number | null> {
	const tail = await readBytes(blob, blob.size - 65536, blob.size);
	for (let at = tail.length - 27; at >= 0; at--) {
		if (tail[at] === 0x4f && ascii(tail, at, 4) === 'OggS') {
			const view = new DataView(tail.buffer, tail.byteOffset);
			const granule = view.getUint32(at + 6, true) + view.getUint32(at + 10, true) * 2 ** 32;
			return granule > 0 && granule < 2 ** 52 ? granule : null;
		}
	}
	return null;
}

/** Ogg Opus and Ogg Vorbis: pages parsed in JS, packets decoded by WebCodecs. */
export async function openOgg(blob: Blob): Promise<AudioStream> {
	const probe = oggPackets(blob, new AbortController().signal);
	const headers: Uint8Array[] = [];
	for await (const packet of probe) {
		headers.push(packet);
		if (headers.length === 3 || (headers.length === 1 && ascii(packet, 0, 8) === 'OpusHead')) break;
	}
	await probe.return(undefined);
	const id = headers[0];
	if (!id) throw new WorkerError('truncated', 'ogg: no packets', { format: 'ogg' });
	let config: AudioDecoderConfig;
	let format: string;
	let headerPackets: number;
	let granuleRate: number;
	let preSkip = 0;
	if (ascii(id, 0, 8) === 'OpusHead') {
		format = 'ogg/opus';
		preSkip = id[10]! | (id[11]! << 8);
		config = { codec: 'opus', sampleRate: 48000, numberOfChannels: id[9]!, description: id };
		headerPackets = 2;
		granuleRate = 48000;
	} else if (id[0] === 1 && ascii(id, 1, 6) === 'vorbis') {
		format = 'ogg/vorbis';
		const comment = headers[1];
		const setup = headers[2];
		if (!comment || !setup) throw corrupt(format, 'missing header packets');
		const channels = id[11]!;
		const sampleRate = new DataView(id.buffer, id.byteOffset).getUint32(12, true);
		const lacing = [2, ...xiphLacing(id.length), ...xiphLacing(comment.length)];
		const description = new Uint8Array(lacing.length + id.length + comment.length + setup.length);
		description.set(lacing);
		description.set(id, lacing.length);
		description.set(comment, lacing.length + id.length);
		description.set(setup, lacing.length + id.length + comment.length);
		config = { codec: 'vorbis', sampleRate, numberOfChannels: channels, description };
		headerPackets = 3;
		granuleRate = sampleRate;
	} else {
		throw new WorkerError('not-audio', 'ogg: not an Opus or Vorbis stream', { format: 'ogg' });
	}
	const granule = await lastGranule(blob);

	async function* packets(signal: AbortSignal): AsyncGenerator<EncodedPacket> {
		let index = 0;
		for await (const data of oggPackets(blob, signal)) {
			if (index++ < headerPackets || data.length === 0) continue;
			yield { data, timestamp: index };
		}
	}
	return {
		format,
		durationSec: granule === null ? null : Math.max(0, granule - preSkip) / granuleRate,
		blocks: (signal) => decodePackets(format, config, packets(signal), signal)
	};
}
