import { describe, expect, it } from 'vitest';
import { AudioEngine, type EngineTrack } from './engine';

/** A mono 16-bit WAV of a 440 Hz tone. */
function wav(seconds: number, rate = 44_100): ArrayBuffer {
	const frames = Math.round(seconds * rate);
	const buffer = new ArrayBuffer(44 + frames * 2);
	const view = new DataView(buffer);
	const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
	text(0, 'RIFF');
	view.setUint32(4, 36 + frames * 2, true);
	text(8, 'WAVEfmt ');
	view.setUint32(16, 16, true);
	view.setUint16(20, 1, true);
	view.setUint16(22, 1, true);
	view.setUint32(24, rate, true);
	view.setUint32(28, rate * 2, true);
	view.setUint16(32, 2, true);
	view.setUint16(34, 16, true);
	text(36, 'data');
	view.setUint32(40, frames * 2, true);
	for (let i = 0; i < frames; i++) view.setInt16(44 + i * 2, Math.sin((2 * Math.PI * 440 * i) / rate) * 8000, true);
	return buffer;
}

const track = (uid: number, seconds = 20): EngineTrack => ({
	uid,
	hash: `h${uid}`.padEnd(64, '0'),
	gainDb: 0,
	load: async () => wav(seconds)
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('AudioEngine pause', () => {
	it('suspends the audio clock by default', async () => {
		const engine = new AudioEngine();
		await engine.play(track(1));
		await sleep(200);
		await engine.pause();
		expect(engine.context.state).toBe('suspended');
		await engine.context.close();
	});

	it('with keepRunning (the output is sent live): the clock runs on, the track holds its place and resumes there', async () => {
		const engine = new AudioEngine();
		engine.keepRunning = true;
		await engine.play(track(2));
		await engine.setNext(track(3));
		await sleep(300);
		await engine.pause();
		const heldAt = engine.position;
		const clock = engine.context.currentTime;
		expect(engine.held).toBe(true);
		await sleep(400);
		// The context keeps rendering (the sent stream never stalls) but nothing plays and nothing moves on.
		expect(engine.context.state).toBe('running');
		expect(engine.context.currentTime).toBeGreaterThan(clock + 0.2);
		expect(engine.position).toBe(heldAt);
		expect(engine.current?.uid).toBe(2);
		// Silence at the output while held.
		const samples = new Float32Array(engine.analyser.fftSize);
		engine.analyser.getFloatTimeDomainData(samples);
		expect(Math.max(...samples.map(Math.abs))).toBeLessThan(1e-4);
		// A seek while held moves the place, still without playing.
		engine.seek(5);
		expect(engine.position).toBe(5);
		await engine.resume();
		expect(engine.held).toBe(false);
		await sleep(300);
		expect(engine.position).toBeGreaterThan(5);
		expect(engine.position).toBeLessThan(6);
		engine.analyser.getFloatTimeDomainData(samples);
		expect(Math.max(...samples.map(Math.abs))).toBeGreaterThan(0.05);
		// The next track is scheduled again after the resumed one.
		expect(engine.scheduled?.uid).toBe(3);
		engine.stop();
		await engine.context.close();
	});

	it('turning keepRunning on while paused the ordinary way holds the track, so resuming the clock plays nothing', async () => {
		const engine = new AudioEngine();
		await engine.play(track(4));
		await sleep(200);
		await engine.pause();
		const at = engine.position;
		engine.keepRunning = true;
		await engine.unlock();
		await sleep(300);
		expect(engine.context.state).toBe('running');
		expect(engine.held).toBe(true);
		expect(engine.position).toBe(at);
		await engine.resume();
		await sleep(200);
		expect(engine.position).toBeGreaterThan(at);
		engine.stop();
		await engine.context.close();
	});
});
