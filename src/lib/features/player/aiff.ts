/**
 * AIFF / AIFF-C to PCM. Chromium's decodeAudioData (like <audio>) does not read AIFF, so the player
 * parses it here: big-endian integer PCM (8–32 bit), AIFF-C 'NONE'/'twos', little-endian 'sowt', and
 * float 'fl32'/'fl64'.
 */

export interface Pcm {
	sampleRate: number;
	/** One Float32Array per channel, in [-1, 1]. */
	channels: Float32Array[];
}

export function isAiff(bytes: ArrayBuffer): boolean {
	if (bytes.byteLength < 12) return false;
	const head = new Uint8Array(bytes, 0, 12);
	const tag = (o: number) => String.fromCharCode(head[o]!, head[o + 1]!, head[o + 2]!, head[o + 3]!);
	return tag(0) === 'FORM' && (tag(8) === 'AIFF' || tag(8) === 'AIFC');
}

/** IEEE 754 80-bit extended (the COMM sample rate). */
function extended(view: DataView, offset: number): number {
	const exponent = view.getUint16(offset) & 0x7fff;
	const sign = view.getUint16(offset) & 0x8000 ? -1 : 1;
	const hi = view.getUint32(offset + 2);
	const lo = view.getUint32(offset + 6);
	if (exponent === 0 && hi === 0 && lo === 0) return 0;
	return sign * (hi * 2 ** (exponent - 16383 - 31) + lo * 2 ** (exponent - 16383 - 63));
}

export function decodeAiff(bytes: ArrayBuffer): Pcm {
	const view = new DataView(bytes);
	const aifc = isAiff(bytes) && view.getUint32(8) === 0x41494643;
	let channels = 0;
	let frames = 0;
	let bits = 16;
	let rate = 44100;
	let compression = 'NONE';
	let data = -1;
	let offset = 12;
	while (offset + 8 <= bytes.byteLength) {
		const id = String.fromCharCode(...new Uint8Array(bytes, offset, 4));
		const size = view.getUint32(offset + 4);
		const body = offset + 8;
		if (id === 'COMM') {
			channels = view.getUint16(body);
			frames = view.getUint32(body + 2);
			bits = view.getUint16(body + 6);
			rate = extended(view, body + 8);
			if (aifc && size >= 22) compression = String.fromCharCode(...new Uint8Array(bytes, body + 18, 4));
		} else if (id === 'SSND') {
			data = body + 8 + view.getUint32(body);
		}
		offset = body + size + (size % 2);
	}
	if (channels < 1 || data < 0 || !(rate > 0)) throw new Error('not a readable AIFF file');
	const float = compression === 'fl32' || compression === 'FL32' || compression === 'fl64' || compression === 'FL64';
	const little = compression === 'sowt';
	if (!float && !little && compression !== 'NONE' && compression !== 'twos')
		throw new Error(`AIFF-C compression ${compression} is not supported`);
	const width = float ? (compression.toLowerCase() === 'fl64' ? 8 : 4) : Math.ceil(bits / 8);
	const available = Math.floor((bytes.byteLength - data) / (width * channels));
	const count = Math.min(frames, available);
	const out = Array.from({ length: channels }, () => new Float32Array(count));
	const scale = 2 ** (width * 8 - 1);
	for (let i = 0; i < count; i++) {
		for (let c = 0; c < channels; c++) {
			const at = data + (i * channels + c) * width;
			let v: number;
			if (float) v = width === 8 ? view.getFloat64(at) : view.getFloat32(at);
			else if (width === 1) v = view.getInt8(at) / scale;
			else if (width === 2) v = view.getInt16(at, little) / scale;
			else if (width === 3) {
				const b0 = view.getUint8(at);
				const b1 = view.getUint8(at + 1);
				const b2 = view.getUint8(at + 2);
				const raw = little ? (b2 << 16) | (b1 << 8) | b0 : (b0 << 16) | (b1 << 8) | b2;
				v = ((raw << 8) >> 8) / scale;
			} else v = view.getInt32(at, little) / scale;
			out[c]![i] = v;
		}
	}
	return { sampleRate: rate, channels: out };
}
