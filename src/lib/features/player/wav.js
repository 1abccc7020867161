/**
 * 16-bit PCM WAV bytes (RIFF/WAVE, the canonical 44-byte header) from float samples: the scheduler's
 * synthesised jingle and every spec, e2e test and bench figure that needs a WAV use this one writer. The e2e
 * tests and the Node bench also run it inside the page (`page.evaluate(\`… = ${encodeWav}\`)`), so it is
 * plain JavaScript and self-contained: no imports, nothing referenced outside its own body.
 *
 * @param {ArrayLike<number>[]} channels one array of samples per channel, all of the same length (the frame
 *   count), interleaved on write. Samples are floats: clipped to [-1, 1], scaled by 32767 and rounded
 *   (NaN writes 0).
 * @param {number} sampleRate frames per second
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function encodeWav(channels, sampleRate) {
	const count = channels.length;
	if (count < 1 || count > 0xffff) throw new RangeError(`WAV: ${count} channels`);
	if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`WAV: sample rate ${sampleRate}`);
	const frames = channels[0]?.length ?? 0;
	const blockAlign = count * 2;
	const dataBytes = frames * blockAlign;
	// The RIFF size field is 32-bit and counts the 36 header bytes after it.
	if (36 + dataBytes > 0xffffffff) throw new RangeError(`WAV: ${dataBytes} bytes of audio is over 4 GiB`);
	const bytes = new Uint8Array(44 + dataBytes);
	const view = new DataView(bytes.buffer);
	const text = (/** @type {number} */ at, /** @type {string} */ s) => {
		for (let i = 0; i < s.length; i++) bytes[at + i] = s.charCodeAt(i);
	};
	text(0, 'RIFF');
	view.setUint32(4, 36 + dataBytes, true);
	text(8, 'WAVE');
	text(12, 'fmt ');
	view.setUint32(16, 16, true); // fmt chunk size
	view.setUint16(20, 1, true); // integer PCM
	view.setUint16(22, count, true);
	view.setUint32(24, sampleRate, true);
	view.setUint32(28, sampleRate * blockAlign, true); // bytes per second
	view.setUint16(32, blockAlign, true);
	view.setUint16(34, 16, true); // bits per sample
	text(36, 'data');
	view.setUint32(40, dataBytes, true);
	for (let c = 0; c < count; c++) {
		const samples = channels[c];
		if (samples?.length !== frames) throw new RangeError(`WAV: channel ${c} is not ${frames} samples long`);
		for (let i = 0, at = 44 + c * 2; i < frames; i++, at += blockAlign)
			view.setInt16(at, Math.round(Math.max(-1, Math.min(1, samples[i] ?? 0)) * 32767), true);
	}
	return bytes;
}
