/**
 * Listening mode's audio. The host taps the player's Web Audio output (everything the host hears passes
 * through `engine.output`) into a MediaStreamAudioDestinationNode and sends that stream as a WebRTC
 * media track. A listener plays the received stream through its own AudioContext (so the level meter
 * and the bench's onset detection see exactly what is played) and holds the room's common jitter-buffer
 * target, so listeners on similar networks play in step.
 */

/** Peak of the dither added to the sent stream: about 2 LSB at 16 bits (−84 dBFS), far below hearing. */
export const DITHER_PEAK = 6e-5;

/**
 * Two seconds of triangular (TPDF) noise at ±`DITHER_PEAK`, looped under the sent stream.
 *
 * Why: when the host's output is digital silence (nothing playing, the gaps of a bench's test bursts),
 * Chromium's WebRTC send path stops delivering packets for about a second now and then, and then carries
 * on with contiguous RTP timestamps. Each listener's NetEq reads that as a 1.2–1.5 s network delay spike,
 * raises its target delay to match and slowly stretches its playout up to it: listeners fell further
 * behind with every second (measured: 130 ms → 750 ms in 15 s, `inserted for deceleration` growing). A
 * signal that is never zero keeps the packets flowing (no such gap in any run with it).
 */
function ditherBuffer(context: BaseAudioContext): AudioBuffer {
	const length = context.sampleRate * 2;
	const buffer = context.createBuffer(1, length, context.sampleRate);
	const data = buffer.getChannelData(0);
	for (let i = 0; i < length; i++) data[i] = (Math.random() + Math.random() - 1) * DITHER_PEAK;
	return buffer;
}

/** The host side: one MediaStream of the player's output, shared by every call. */
export class HostTap {
	#dest: MediaStreamAudioDestinationNode | null = null;
	#dither: AudioBufferSourceNode | null = null;
	constructor(readonly output: () => GainNode) {}

	get stream(): MediaStream {
		if (!this.#dest) {
			const output = this.output();
			const context = output.context as AudioContext;
			const dest = context.createMediaStreamDestination();
			output.connect(dest);
			// Only into the sent stream: the host's own speakers get nothing extra.
			const dither = context.createBufferSource();
			dither.buffer = ditherBuffer(context);
			dither.loop = true;
			dither.connect(dest);
			dither.start();
			this.#dither = dither;
			this.#dest = dest;
		}
		return this.#dest.stream;
	}

	get context(): BaseAudioContext {
		return this.output().context;
	}

	close(): void {
		if (!this.#dest) return;
		try {
			this.output().disconnect(this.#dest);
			this.#dither?.stop();
			this.#dither?.disconnect();
		} catch {
			// already disconnected
		}
		this.#dither = null;
		this.#dest = null;
	}
}

/** The listener side: plays one remote stream and reports its level and estimated delay. */
export class ListenerOutput {
	readonly context: AudioContext;
	readonly analyser: AnalyserNode;
	readonly source: MediaStreamAudioSourceNode;
	#gain: GainNode;
	#element: HTMLAudioElement;
	#samples = new Float32Array(2048);
	#lastStats: { delay: number; emitted: number } | null = null;

	constructor(
		readonly stream: MediaStream,
		readonly connection: RTCPeerConnection | null,
		volume = 1
	) {
		// Chromium only feeds a remote WebRTC stream into Web Audio while a media element also holds it;
		// the element stays muted and Web Audio does the playing.
		this.#element = new Audio();
		this.#element.muted = true;
		this.#element.srcObject = stream;
		void this.#element.play().catch(() => undefined);
		this.context = new AudioContext({ latencyHint: 'interactive' });
		this.source = this.context.createMediaStreamSource(stream);
		this.#gain = this.context.createGain();
		this.#gain.gain.value = volume;
		this.analyser = this.context.createAnalyser();
		this.analyser.fftSize = 2048;
		this.source.connect(this.#gain).connect(this.context.destination);
		this.source.connect(this.analyser);
		void this.context.resume().catch(() => undefined);
	}

	/** A user gesture may be needed before audio starts (autoplay policy). */
	get suspended(): boolean {
		return this.context.state !== 'running';
	}

	resume(): Promise<void> {
		return this.context.resume();
	}

	set volume(value: number) {
		this.#gain.gain.value = Math.max(0, Math.min(1, value));
	}

	#target: number | null = null;

	/** Holds `ms` of jitter buffer on every audio receiver (the room's common target). */
	setTarget(ms: number): void {
		if (ms === this.#target) return;
		this.#target = ms;
		for (const receiver of this.connection?.getReceivers() ?? []) {
			if (receiver.track?.kind !== 'audio') continue;
			try {
				(receiver as RTCRtpReceiver & { jitterBufferTarget: number | null }).jitterBufferTarget = ms;
			} catch {
				// not supported: the browser chooses
			}
		}
	}

	/** RMS level of what is playing now (0–1). */
	level(): number {
		this.analyser.getFloatTimeDomainData(this.#samples);
		let sum = 0;
		for (const sample of this.#samples) sum += sample * sample;
		return Math.sqrt(sum / this.#samples.length);
	}

	/**
	 * An estimate of how far this listener plays behind the host: half the round trip, the jitter buffer's
	 * recent average delay, and this context's output latency. (The bench measures the real figure.)
	 */
	async estimateDelayMs(): Promise<number | null> {
		if (!this.connection) return null;
		const report = await this.connection.getStats();
		let jitter: number | null = null;
		let rtt = 0;
		report.forEach((stat) => {
			if (stat.type === 'inbound-rtp' && stat.kind === 'audio') {
				const delay = Number(stat.jitterBufferDelay ?? 0);
				const emitted = Number(stat.jitterBufferEmittedCount ?? 0);
				const last = this.#lastStats;
				if (last && emitted > last.emitted) jitter = ((delay - last.delay) / (emitted - last.emitted)) * 1000;
				else if (emitted > 0) jitter = (delay / emitted) * 1000;
				this.#lastStats = { delay, emitted };
			}
			if (stat.type === 'candidate-pair' && stat.nominated && typeof stat.currentRoundTripTime === 'number')
				rtt = stat.currentRoundTripTime * 1000;
		});
		if (jitter === null) return null;
		const output = (this.context.outputLatency || 0) * 1000 + this.context.baseLatency * 1000;
		return Math.round(rtt / 2 + jitter + output);
	}

	close(): void {
		this.source.disconnect();
		this.#element.srcObject = null;
		void this.context.close().catch(() => undefined);
	}
}
