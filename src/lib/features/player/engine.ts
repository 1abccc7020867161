import { decodeAiff, isAiff } from './aiff';

/**
 * The Web Audio engine: two decks of decoded AudioBuffers. Every format the browser can decode plays
 * the same way (AIFF included, which <audio> cannot play). The next track is decoded while the current
 * one plays and started on the audio clock at the exact end of the current one (gapless), or `crossfade`
 * seconds earlier with equal-power fades. Pause suspends the AudioContext, so everything scheduled
 * keeps its place on the audio timeline — except while `keepRunning` is set (a live session's host sends
 * this output to listeners): then pause stops the decks and remembers the position, and the clock keeps
 * running, because a suspended context stops the sent stream and each listener's jitter buffer reads the
 * gap as a network delay spike (their delay jumped by the length of the pause).
 *
 * Not UI state: the controller (playback.svelte.ts) mirrors what it needs into runes.
 */

export interface EngineTrack {
	uid: number;
	hash: string;
	/** Auto-gain in dB (0 = as recorded). */
	gainDb: number;
	/** The encoded bytes; null when they are missing. */
	load: () => Promise<Blob | ArrayBuffer | null>;
}

export type EngineErrorCode = 'missing' | 'decode';

export class EngineError extends Error {
	constructor(
		readonly code: EngineErrorCode,
		message: string
	) {
		super(message);
	}
}

interface Deck {
	track: EngineTrack;
	buffer: AudioBuffer;
	source: AudioBufferSourceNode;
	trim: GainNode;
	fade: GainNode;
	/** Audio-clock time at which `offset` plays. */
	startAt: number;
	offset: number;
	endAt: number;
	stopped: boolean;
}

const CACHE_SIZE = 4;
const LEAD = 0.03;
const FADE_STEPS = 64;

function fadeCurve(out: boolean): Float32Array<ArrayBuffer> {
	const curve = new Float32Array(FADE_STEPS);
	for (let i = 0; i < FADE_STEPS; i++) {
		const x = i / (FADE_STEPS - 1);
		curve[i] = out ? Math.cos((x * Math.PI) / 2) : Math.sin((x * Math.PI) / 2);
	}
	return curve;
}

export class AudioEngine {
	#ctx: AudioContext | null = null;
	#master: GainNode | null = null;
	#analyser: AnalyserNode | null = null;
	#current: Deck | null = null;
	#next: Deck | null = null;
	#crossfade = 0;
	#volume = 1;
	#playGen = 0;
	#nextGen = 0;
	#buffers = new Map<string, Promise<AudioBuffer>>();
	#timer: ReturnType<typeof setInterval> | null = null;
	#keepRunning = false;
	/** Paused with the clock running (`keepRunning`): the current deck's position; its sources are stopped. */
	#pausedAt: number | null = null;

	/** The scheduled next track became the current one (it is audible now). */
	onTransition: (track: EngineTrack) => void = () => {};
	/** The current track ended and nothing was scheduled after it. */
	onEnded: (track: EngineTrack) => void = () => {};

	get context(): AudioContext {
		if (!this.#ctx) {
			const ctx = new AudioContext({ latencyHint: 'playback' });
			this.#master = ctx.createGain();
			this.#master.gain.value = this.#volume;
			this.#analyser = ctx.createAnalyser();
			this.#analyser.fftSize = 2048;
			this.#master.connect(this.#analyser);
			this.#master.connect(ctx.destination);
			this.#ctx = ctx;
		}
		return this.#ctx;
	}

	/** Everything the listener hears passes through here (the bench taps it). */
	get output(): GainNode {
		void this.context;
		return this.#master!;
	}

	get analyser(): AnalyserNode {
		void this.context;
		return this.#analyser!;
	}

	get current(): EngineTrack | null {
		return this.#current?.track ?? null;
	}

	get scheduled(): EngineTrack | null {
		return this.#next?.track ?? null;
	}

	get duration(): number {
		return this.#current?.buffer.duration ?? 0;
	}

	get position(): number {
		const deck = this.#current;
		if (!deck || !this.#ctx) return 0;
		if (this.#pausedAt !== null) return this.#pausedAt;
		return Math.max(0, Math.min(deck.buffer.duration, this.#ctx.currentTime - deck.startAt + deck.offset));
	}

	/** The decoded audio of the current track (for the waveform). */
	get buffer(): AudioBuffer | null {
		return this.#current?.buffer ?? null;
	}

	get suspended(): boolean {
		return this.#ctx?.state !== 'running';
	}

	/** Paused while the clock runs on (see `keepRunning`). */
	get held(): boolean {
		return this.#pausedAt !== null;
	}

	/**
	 * Keep the audio clock running through pauses (the output is being sent live). Turning it on while
	 * paused the ordinary way turns that pause into a held one, so resuming the clock plays nothing.
	 */
	set keepRunning(on: boolean) {
		this.#keepRunning = on;
		const ctx = this.#ctx;
		if (!on || !ctx || ctx.state === 'running' || ctx.state === 'closed') return;
		if (this.#current && this.#pausedAt === null) this.#hold();
	}

	get keepRunning(): boolean {
		return this.#keepRunning;
	}

	set crossfade(seconds: number) {
		this.#crossfade = Math.max(0, Math.min(12, seconds));
		// Re-plan the pending transition with the new length.
		if (this.#next && this.#current) this.#reschedule();
	}

	get crossfade(): number {
		return this.#crossfade;
	}

	set volume(value: number) {
		this.#volume = Math.max(0, Math.min(1, value));
		if (this.#master) this.#master.gain.value = this.#volume;
	}

	get volume(): number {
		return this.#volume;
	}

	/** Resumes the audio clock; call it inside a user gesture the first time. */
	unlock(): Promise<void> {
		return this.context.state === 'running' ? Promise.resolve() : this.context.resume();
	}

	decode(track: EngineTrack): Promise<AudioBuffer> {
		let pending = this.#buffers.get(track.hash);
		if (pending) {
			// Most recently used last.
			this.#buffers.delete(track.hash);
			this.#buffers.set(track.hash, pending);
			return pending;
		}
		pending = (async () => {
			const bytes = await track.load();
			if (!bytes) throw new EngineError('missing', 'the audio bytes are not on this device');
			const data = bytes instanceof ArrayBuffer ? bytes : await bytes.arrayBuffer();
			try {
				if (isAiff(data)) {
					const pcm = decodeAiff(data);
					const frames = pcm.channels[0]!.length;
					if (frames === 0) throw new Error('no audio frames');
					const buffer = this.context.createBuffer(pcm.channels.length, frames, pcm.sampleRate);
					pcm.channels.forEach((samples, c) => buffer.copyToChannel(samples as Float32Array<ArrayBuffer>, c));
					return buffer;
				}
				return await this.context.decodeAudioData(data);
			} catch (error) {
				throw new EngineError('decode', error instanceof Error ? error.message : String(error));
			}
		})();
		pending.catch(() => this.#buffers.delete(track.hash));
		this.#buffers.set(track.hash, pending);
		while (this.#buffers.size > CACHE_SIZE) this.#buffers.delete(this.#buffers.keys().next().value!);
		return pending;
	}

	/** Forget a decoded track (e.g. its bytes were deleted). */
	forget(hash: string): void {
		this.#buffers.delete(hash);
	}

	/**
	 * Starts `track` now at `offset` seconds, replacing whatever plays. Resolves once it is audible;
	 * rejects with EngineError when its bytes are missing or undecodable (what played keeps playing).
	 * Resolves false when a newer play() superseded this one.
	 */
	async play(track: EngineTrack, offset = 0): Promise<boolean> {
		const gen = ++this.#playGen;
		const ctx = this.context;
		if (ctx.state !== 'running') void ctx.resume().catch(() => undefined);
		const buffer = await this.decode(track);
		if (gen !== this.#playGen) return false;
		this.#stopDeck(this.#next);
		this.#next = null;
		this.#nextGen++;
		this.#stopDeck(this.#current);
		this.#pausedAt = null;
		this.#current = this.#startDeck(track, buffer, ctx.currentTime + LEAD, offset);
		this.#watch();
		return true;
	}

	/**
	 * Decodes `track` and schedules it right after the current one (or null to cancel). Rejects with
	 * EngineError when it cannot play; resolves false when superseded.
	 */
	async setNext(track: EngineTrack | null): Promise<boolean> {
		const gen = ++this.#nextGen;
		if (!track) {
			this.#stopDeck(this.#next);
			this.#next = null;
			this.#restoreFade();
			return true;
		}
		if (this.#next?.track.uid === track.uid) return true;
		const buffer = await this.decode(track);
		if (gen !== this.#nextGen || !this.#current) return false;
		this.#stopDeck(this.#next);
		this.#restoreFade();
		this.#next = this.#startDeck(track, buffer, this.#nextStart(buffer), 0);
		// Held: scheduled from the resume instead.
		if (this.#pausedAt !== null) this.#stopDeck(this.#next);
		else this.#applyCrossfade();
		return true;
	}

	seek(seconds: number): void {
		const deck = this.#current;
		if (!deck || !this.#ctx) return;
		const offset = Math.max(0, Math.min(deck.buffer.duration - 0.05, seconds));
		if (this.#pausedAt !== null) {
			this.#pausedAt = offset;
			return;
		}
		this.#stopDeck(deck);
		this.#current = this.#startDeck(deck.track, deck.buffer, this.#ctx.currentTime + LEAD, offset);
		if (this.#next) this.#reschedule();
	}

	pause(): Promise<void> {
		if (!this.#ctx || this.#ctx.state !== 'running') return Promise.resolve();
		if (!this.#keepRunning) return this.#ctx.suspend();
		if (this.#current && this.#pausedAt === null) this.#hold();
		return Promise.resolve();
	}

	resume(): Promise<void> {
		const deck = this.#current;
		const at = this.#pausedAt;
		if (deck && at !== null) {
			this.#pausedAt = null;
			this.#current = this.#startDeck(deck.track, deck.buffer, this.context.currentTime + LEAD, at);
			if (this.#next) this.#reschedule();
		}
		return this.unlock();
	}

	/** Stops the decks where they are; `resume` starts them again from there. */
	#hold(): void {
		this.#pausedAt = this.position;
		this.#stopDeck(this.#next);
		this.#stopDeck(this.#current);
		this.#restoreFade();
	}

	stop(): void {
		this.#pausedAt = null;
		this.#playGen++;
		this.#nextGen++;
		this.#stopDeck(this.#next);
		this.#stopDeck(this.#current);
		this.#next = null;
		this.#current = null;
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = null;
	}

	#startDeck(track: EngineTrack, buffer: AudioBuffer, startAt: number, offset: number): Deck {
		const ctx = this.context;
		const source = ctx.createBufferSource();
		source.buffer = buffer;
		const trim = ctx.createGain();
		trim.gain.value = Math.pow(10, track.gainDb / 20);
		const fade = ctx.createGain();
		source.connect(trim).connect(fade).connect(this.#master!);
		source.start(startAt, offset);
		const deck: Deck = {
			track,
			buffer,
			source,
			trim,
			fade,
			startAt,
			offset,
			endAt: startAt + buffer.duration - offset,
			stopped: false
		};
		source.onended = () => {
			source.disconnect();
			fade.disconnect();
			if (!deck.stopped) this.#check(deck);
		};
		return deck;
	}

	#stopDeck(deck: Deck | null): void {
		if (!deck || deck.stopped) return;
		deck.stopped = true;
		try {
			deck.source.stop();
		} catch {
			// never started
		}
	}

	#nextStart(buffer: AudioBuffer): number {
		const current = this.#current!;
		const fade = this.#fadeLength(current, buffer);
		return Math.max(this.context.currentTime + LEAD, current.endAt - fade);
	}

	#fadeLength(current: Deck, next: AudioBuffer): number {
		return Math.min(this.#crossfade, (current.endAt - current.startAt) / 2, next.duration / 2);
	}

	#applyCrossfade(): void {
		const current = this.#current;
		const next = this.#next;
		if (!current || !next) return;
		const fade = current.endAt - next.startAt;
		if (fade <= 0.001) return;
		current.fade.gain.setValueCurveAtTime(fadeCurve(true), next.startAt, fade);
		next.fade.gain.setValueCurveAtTime(fadeCurve(false), next.startAt, fade);
	}

	#restoreFade(): void {
		const current = this.#current;
		if (!current || !this.#ctx) return;
		current.fade.gain.cancelScheduledValues(0);
		current.fade.gain.setValueAtTime(1, this.#ctx.currentTime);
	}

	#reschedule(): void {
		const next = this.#next;
		if (!next || !this.#current) return;
		this.#stopDeck(next);
		this.#restoreFade();
		this.#next = this.#startDeck(next.track, next.buffer, this.#nextStart(next.buffer), 0);
		this.#applyCrossfade();
	}

	#watch(): void {
		this.#timer ??= setInterval(() => this.#check(), 100);
	}

	/** Promotes the next deck once it plays; reports the end when nothing follows. */
	#check(ended?: Deck): void {
		const ctx = this.#ctx;
		if (!ctx || this.#pausedAt !== null) return;
		const next = this.#next;
		if (next && ctx.currentTime >= next.startAt) {
			this.#current = next;
			this.#next = null;
			this.onTransition(next.track);
			return;
		}
		if (ended && ended === this.#current && !next) {
			this.#current = null;
			if (this.#timer) clearInterval(this.#timer);
			this.#timer = null;
			this.onEnded(ended.track);
		}
	}
}
