import { describe, expect, it } from 'vitest';
import { AudioEngine, type EngineTrack } from './engine';
import { encodeWav } from './wav';

/** A mono 16-bit WAV of a 440 Hz tone. */
function wav(seconds: number, rate = 44_100): ArrayBuffer {
	const tone = Float32Array.from(
		{ length: Math.round(seconds * rate) },
		(_, i) => (8000 / 32767) * Math.sin((2 * Math.PI * 440 * i) / rate)
	);
	return encodeWav([tone], rate).buffer;
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
