import { describe, expect, it } from 'vitest';
import { openAudio } from '$workers/analysis/decode';
import { sniffAudio } from '$lib/features/library/sniff';
import { encodeWav } from './wav';

const ascii = (bytes: Uint8Array, at: number, length: number) =>
	String.fromCharCode(...bytes.subarray(at, at + length));

/** Every field of the 44-byte header, read back as a WAV reader sees it. */
function header(bytes: Uint8Array) {
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	return {
		riff: ascii(bytes, 0, 4),
		riffSize: view.getUint32(4, true),
		wave: ascii(bytes, 8, 4),
		fmt: ascii(bytes, 12, 4),
		fmtSize: view.getUint32(16, true),
		format: view.getUint16(20, true),
		channels: view.getUint16(22, true),
		sampleRate: view.getUint32(24, true),
		byteRate: view.getUint32(28, true),
		blockAlign: view.getUint16(32, true),
		bits: view.getUint16(34, true),
		data: ascii(bytes, 36, 4),
		dataSize: view.getUint32(40, true)
	};
}

const samples16 = (bytes: Uint8Array) => [...new Int16Array(bytes.slice(44).buffer)];

describe('encodeWav', () => {
	it('writes a mono 16-bit PCM header whose sizes match the bytes', () => {
		const bytes = encodeWav([new Float32Array(8000)], 8000);
		expect(bytes.byteLength).toBe(44 + 16_000);
		expect(header(bytes)).toEqual({
			riff: 'RIFF',
			riffSize: bytes.byteLength - 8,
			wave: 'WAVE',
			fmt: 'fmt ',
			fmtSize: 16,
			format: 1,
			channels: 1,
			sampleRate: 8000,
			byteRate: 16_000,
			blockAlign: 2,
			bits: 16,
			data: 'data',
			dataSize: 16_000
		});
	});

	it('interleaves stereo frames (left then right) and sizes the header for 4-byte frames', () => {
		const bytes = encodeWav([Float32Array.of(0.25, 0.5, 1), Float32Array.of(-0.25, -0.5, -1)], 48_000);
		expect(header(bytes)).toMatchObject({
			riffSize: 36 + 12,
			channels: 2,
			sampleRate: 48_000,
			byteRate: 192_000,
			blockAlign: 4,
			dataSize: 12
		});
		expect(samples16(bytes)).toEqual([8192, -8192, 16384, -16383, 32767, -32767]);
	});

	it('clips samples beyond full scale to ±32767 and writes NaN as silence', () => {
		const bytes = encodeWav([[1.5, -3, 1, -1, 0.999999, Number.NaN, 0, 1e-6]], 44_100);
		expect(samples16(bytes)).toEqual([32767, -32767, 32767, -32767, 32767, 0, 0, 0]);
	});

	it('writes an empty data chunk for no frames', () => {
		const bytes = encodeWav([[], []], 44_100);
		expect(bytes.byteLength).toBe(44);
		expect(header(bytes)).toMatchObject({ riffSize: 36, dataSize: 0, channels: 2 });
	});

	it('refuses channels of different lengths, no channels, or a bad sample rate', () => {
		expect(() => encodeWav([[0, 0], [0]], 8000)).toThrow(/channel 1 is not 2 samples long/);
		expect(() => encodeWav([], 8000)).toThrow(RangeError);
		expect(() => encodeWav([[0]], 0)).toThrow(/sample rate/);
		expect(() => encodeWav([[0]], 44_100.5)).toThrow(/sample rate/);
	});

	it("is read back by the app's own sniffer and PCM decoder, sample for sample", async () => {
		const rate = 22_050;
		const left = Float32Array.from({ length: rate }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / rate));
		const right = left.map((v) => -v);
		const bytes = encodeWav([left, right], rate);
		expect(sniffAudio(bytes.subarray(0, 64), bytes.byteLength)).toEqual({
			format: 'wav',
			truncated: false,
			audioStart: 0
		});
		const stream = await openAudio(new Blob([bytes]));
		expect(stream.format).toBe('wav');
		expect(stream.durationSec).toBe(1);
		const decoded = [new Float32Array(rate), new Float32Array(rate)];
		let at = 0;
		for await (const block of stream.blocks(new AbortController().signal)) {
			expect(block.sampleRate).toBe(rate);
			block.planes.forEach((plane, c) => decoded[c]!.set(plane, at));
			at += block.planes[0]!.length;
		}
		expect(at).toBe(rate);
		// Within 16-bit quantisation (the writer scales by 32767, the decoder divides by 32768).
		const error = (a: Float32Array, b: Float32Array) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
		expect(error(decoded[0]!, left)).toBeLessThan(1 / 16384);
		expect(error(decoded[1]!, right)).toBeLessThan(1 / 16384);
	});

	it('is self-contained, so a page can run its source (as the e2e tests and the bench do)', () => {
		const inPage = new Function(`return ${encodeWav.toString()}`)() as typeof encodeWav;
		const channels = [Float32Array.of(0.1, -0.7, 2)];
		expect(inPage(channels, 11_025)).toEqual(encodeWav(channels, 11_025));
	});
});
