/**
 * The built-in jingle: static/jingle/jingle.json (an Opus chime plus silence, generated with ffmpeg and
 * stored base64 in JSON so the service worker's precache globs include it). If it cannot be read, a
 * chime synthesised as WAV here takes its place: the store is never silent for want of a file.
 */
import { encodeWav } from '$lib/features/player/wav';

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
	const samples = Array.from({ length: sampleRate * seconds }, (_, i) => {
		const t = i / sampleRate;
		let v = 0;
		if (t < 0.6) v += Math.sin(2 * Math.PI * 659.25 * t) * Math.exp(-t * 5);
		if (t >= 0.35 && t < 1.25) v += Math.sin(2 * Math.PI * 880 * (t - 0.35)) * Math.exp(-(t - 0.35) * 4);
		return v * 0.3;
	});
	return encodeWav([samples], sampleRate).buffer;
}
