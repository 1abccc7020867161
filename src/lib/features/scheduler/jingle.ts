/**
 * The built-in jingle: static/jingle/jingle.json (an Opus chime plus silence, generated with ffmpeg and
 * stored base64 in JSON so the service worker's precache globs include it). If it cannot be read, a
 * chime synthesised as WAV here takes its place: the store is never silent for want of a file.
 */
export const JINGLE_HASH = 'jingle';
export const JINGLE_URL = '/jingle/jingle.json';

let cached: Promise<ArrayBuffer> | null = null;

export function loadJingle(): Promise<ArrayBuffer> {
	cached ??= (async () => {
		try {
			const response = await fetch(JINGLE_URL);
			if (!response.ok) throw new Error(`HTTP ${response.status}`);
			const { data } = (await response.json()) as { data: string };
			const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
			return bytes.buffer;
		} catch (error) {
			console.warn('built-in jingle unavailable, synthesising one', error);
			return synthJingle();
		}
	})();
	// The engine's decodeAudioData detaches the buffer it is given: hand out copies.
	return cached.then((buffer) => buffer.slice(0));
}

/** Two decaying sine chimes then silence, 5 s, 16-bit mono WAV. */
export function synthJingle(sampleRate = 22050, seconds = 5): ArrayBuffer {
	const frames = sampleRate * seconds;
	const out = new ArrayBuffer(44 + frames * 2);
	const view = new DataView(out);
	const text = (offset: number, s: string) => [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
	text(0, 'RIFF');
	view.setUint32(4, 36 + frames * 2, true);
	text(8, 'WAVE');
	text(12, 'fmt ');
	view.setUint32(16, 16, true);
	view.setUint16(20, 1, true);
	view.setUint16(22, 1, true);
	view.setUint32(24, sampleRate, true);
	view.setUint32(28, sampleRate * 2, true);
	view.setUint16(32, 2, true);
	view.setUint16(34, 16, true);
	text(36, 'data');
	view.setUint32(40, frames * 2, true);
	for (let i = 0; i < frames; i++) {
		const t = i / sampleRate;
		let v = 0;
		if (t < 0.6) v += Math.sin(2 * Math.PI * 659.25 * t) * Math.exp(-t * 5);
		if (t >= 0.35 && t < 1.25) v += Math.sin(2 * Math.PI * 880 * (t - 0.35)) * Math.exp(-(t - 0.35) * 4);
		view.setInt16(44 + i * 2, Math.round(v * 0.3 * 32767), true);
	}
	return out;
}
