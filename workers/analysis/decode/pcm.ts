import { WorkerError } from '../../shared/errors';
import { ascii, corrupt, readBytes, SLICE, type AudioBlock, type AudioStream } from './source';

interface PcmLayout {
	format: 'wav' | 'aiff';
	sampleRate: number;
	channels: number;
	bits: number;
	float: boolean;
	littleEndian: boolean;
	dataStart: number;
	dataEnd: number;
	truncated: boolean;
}

/** WAV (PCM 8/16/24/32, float 32/64, extensible) and AIFF/AIFC (NONE, sowt, fl32, fl64), decoded in JS. */
export async function openPcm(blob: Blob, head: Uint8Array): Promise<AudioStream> {
	const layout =
		ascii(head, 0, 4) === 'RIFF' || ascii(head, 0, 4) === 'RF64' ? await wavLayout(blob) : await aiffLayout(blob);
	const frameBytes = (layout.bits / 8) * layout.channels;
	const frames = Math.floor((layout.dataEnd - layout.dataStart) / frameBytes);
	if (frames <= 0) throw new WorkerError('truncated', `${layout.format}: no audio data`, { format: layout.format });
	return {
		format: layout.format,
		durationSec: frames / layout.sampleRate,
		async *blocks(signal) {
			const sliceFrames = Math.max(1, Math.floor(SLICE / frameBytes));
			for (let frame = 0; frame < frames; frame += sliceFrames) {
				if (signal.aborted) throw new WorkerError('aborted', 'Cancelled');
				const count = Math.min(sliceFrames, frames - frame);
				const start = layout.dataStart + frame * frameBytes;
				const bytes = await readBytes(blob, start, start + count * frameBytes);
				yield toPlanes(bytes, layout, Math.floor(bytes.length / frameBytes));
			}
		}
	};
}

function toPlanes(bytes: Uint8Array, layout: PcmLayout, frames: number): AudioBlock {
	const { channels, bits, float, littleEndian: le } = layout;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const planes = Array.from({ length: channels }, () => new Float32Array(frames));
	const step = bits / 8;
	for (let c = 0; c < channels; c++) {
		const plane = planes[c]!;
		let at = c * step;
		const stride = channels * step;
		if (float) {
			for (let i = 0; i < frames; i++, at += stride)
				plane[i] = bits === 32 ? view.getFloat32(at, le) : view.getFloat64(at, le);
		} else if (bits === 16) {
			for (let i = 0; i < frames; i++, at += stride) plane[i] = view.getInt16(at, le) / 32768;
		} else if (bits === 24) {
			for (let i = 0; i < frames; i++, at += stride) {
				const b0 = bytes[at]!;
				const b1 = bytes[at + 1]!;
				const b2 = bytes[at + 2]!;
				const v = le ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
				plane[i] = ((v << 8) >> 8) / 8388608;
			}
		} else if (bits === 32) {
			for (let i = 0; i < frames; i++, at += stride) plane[i] = view.getInt32(at, le) / 2147483648;
		} else {
			// 8-bit: WAV is unsigned, AIFF signed.
			for (let i = 0; i < frames; i++, at += stride)
				plane[i] = layout.format === 'wav' ? (bytes[at]! - 128) / 128 : view.getInt8(at) / 128;
		}
	}
	return { sampleRate: layout.sampleRate, planes };
}

async function chunks(
	blob: Blob,
	start: number,
	littleEndian: boolean,
	visit: (id: string, at: number, size: number) => Promise<boolean>
) {
	let at = start;
	while (at + 8 <= blob.size) {
		const header = await readBytes(blob, at, at + 8);
		const id = ascii(header, 0, 4);
		const size = new DataView(header.buffer).getUint32(4, littleEndian);
		if (await visit(id, at + 8, size)) return;
		at += 8 + size + (size & 1);
	}
}

async function wavLayout(blob: Blob): Promise<PcmLayout> {
	const head = await readBytes(blob, 0, 12);
	if (ascii(head, 8, 4) !== 'WAVE') throw corrupt('wav', 'not a WAVE file');
	let fmt: DataView | undefined;
	let layout: PcmLayout | undefined;
	await chunks(blob, 12, true, async (id, at, size) => {
		if (id === 'fmt ') fmt = new DataView((await readBytes(blob, at, at + Math.min(size, 64))).buffer);
		if (id === 'data') {
			if (!fmt) throw corrupt('wav', 'data before fmt');
			let tag = fmt.getUint16(0, true);
			const channels = fmt.getUint16(2, true);
			const sampleRate = fmt.getUint32(4, true);
			const bits = fmt.getUint16(14, true);
			if (tag === 0xfffe && fmt.byteLength >= 26) tag = fmt.getUint16(24, true);
			if (tag !== 1 && tag !== 3)
				throw new WorkerError('not-audio', `wav: unsupported encoding ${tag} (only PCM and float)`, { format: 'wav' });
			if (!channels || !sampleRate || ![8, 16, 24, 32, 64].includes(bits)) throw corrupt('wav', 'bad fmt chunk');
			const declaredEnd = size === 0xffffffff ? blob.size : at + size;
			layout = {
				format: 'wav',
				sampleRate,
				channels,
				bits,
				float: tag === 3,
				littleEndian: true,
				dataStart: at,
				dataEnd: Math.min(declaredEnd, blob.size),
				truncated: declaredEnd > blob.size
			};
			return true;
		}
		return false;
	});
	if (!layout) throw new WorkerError('truncated', 'wav: no data chunk', { format: 'wav' });
	return layout;
}

/** 80-bit IEEE extended (AIFF sample rate). */
function extended(view: DataView, at: number): number {
	const exponent = view.getUint16(at) & 0x7fff;
	const hi = view.getUint32(at + 2);
	const lo = view.getUint32(at + 6);
	if (exponent === 0 && hi === 0 && lo === 0) return 0;
	return (hi * 2 ** 32 + lo) * 2 ** (exponent - 16383 - 63);
}

async function aiffLayout(blob: Blob): Promise<PcmLayout> {
	const head = await readBytes(blob, 0, 12);
	const kind = ascii(head, 8, 4);
	if (kind !== 'AIFF' && kind !== 'AIFC') throw corrupt('aiff', 'not an AIFF file');
	let comm: { channels: number; bits: number; sampleRate: number; float: boolean; littleEndian: boolean } | undefined;
	let layout: PcmLayout | undefined;
	await chunks(blob, 12, false, async (id, at, size) => {
		if (id === 'COMM') {
			const bytes = await readBytes(blob, at, at + Math.min(size, 64));
			const view = new DataView(bytes.buffer);
			let bits = view.getUint16(6);
			const compression = kind === 'AIFC' && size >= 22 ? ascii(bytes, 18, 4) : 'NONE';
			let float = false;
			let littleEndian = false;
			if (compression === 'sowt') littleEndian = true;
			else if (compression === 'fl32' || compression === 'FL32') {
				float = true;
				bits = 32;
			} else if (compression === 'fl64' || compression === 'FL64') {
				float = true;
				bits = 64;
			} else if (compression !== 'NONE' && compression !== 'twos')
				throw new WorkerError('not-audio', `aiff: unsupported compression ${compression}`, { format: 'aiff' });
			comm = {
				channels: view.getUint16(0),
				bits: Math.ceil(bits / 8) * 8,
				sampleRate: extended(view, 8),
				float,
				littleEndian
			};
		}
		if (id === 'SSND') {
			if (!comm) throw corrupt('aiff', 'SSND before COMM');
			if (!comm.channels || !comm.sampleRate) throw corrupt('aiff', 'bad COMM chunk');
			const offset = new DataView((await readBytes(blob, at, at + 4)).buffer).getUint32(0);
			const declaredEnd = at + size;
			layout = {
				format: 'aiff',
				...comm,
				dataStart: at + 8 + offset,
				dataEnd: Math.min(declaredEnd, blob.size),
				truncated: declaredEnd > blob.size
			};
			return true;
		}
		return false;
	});
	if (!layout) throw new WorkerError('truncated', 'aiff: no sound data', { format: 'aiff' });
	return layout;
}
