/**
 * Plays a track from another device while its transfer runs. It taps the ordinary verified transfer
 * (`Transfers.tap`): MP3/AAC bytes are appended to a MediaSource SourceBuffer on a plain `<audio>`
 * element as they arrive; other formats play from the store once the transfer is verified. The bytes
 * still go through the SHA-256-checked store write: a mismatch stops playback and nothing is kept.
 * It is a separate output from the Web Audio player (no gapless, crossfade, auto-gain or waveform).
 */
import { readAudio } from '$lib/storage/audio-store';
import { streamFormat, type StreamFormat } from './stream-format';
import type { TrackMeta } from './protocol';
import type { TransferTap, Transfers } from './transfers.svelte';

export type StreamState = 'idle' | 'waiting' | 'buffering' | 'playing' | 'paused' | 'ended' | 'failed';

/** Bytes sniffed before choosing MediaSource or progressive. */
const SNIFF_BYTES = 16;

export class StreamPlayer implements TransferTap {
	#hash = $state('');
	#title = $state('');
	#state = $state<StreamState>('idle');
	#format = $state<StreamFormat | null>(null);
	#error = $state('');
	#sourceGone = $state(false);
	#received = $state(0);
	#size = $state(0);
	#position = $state(0);
	#duration = $state(0);
	#bufferedEnd = $state(0);
	#kept = $state(false);
	#waitingSeek = $state<number | null>(null);

	#transfers: Transfers;
	#audio: HTMLAudioElement | null = null;
	#source: MediaSource | null = null;
	#buffer: SourceBuffer | null = null;
	#url = '';
	#queue: Uint8Array[] = [];
	#head: Uint8Array[] = [];
	#allIn = false;
	/** playing the verified file from the store (progressive formats, or MP3 after a seek the SourceBuffer could not hold) */
	#fromStore = false;
	#startedAt = 0;
	/** ms from `start` to the first `playing` event, for the bench */
	firstAudioMs = 0;
	/** bytes received when audio first played, and ms from `start` to the verified store write */
	firstAudioBytes = 0;
	keptMs = 0;
	/** ms from `start` to each step towards first audio (offer, first bytes, source open, first append, playing), for the bench */
	firstAudioSteps: Record<string, number> = {};

	constructor(transfers: Transfers) {
		this.#transfers = transfers;
	}

	get hash() {
		return this.#hash;
	}
	get title() {
		return this.#title;
	}
	get state() {
		return this.#state;
	}
	get format() {
		return this.#format;
	}
	get error() {
		return this.#error;
	}
	/** the sending device went away: playing what arrived, the transfer resumes when a device is back */
	get sourceGone() {
		return this.#sourceGone;
	}
	get received() {
		return this.#received;
	}
	get size() {
		return this.#size;
	}
	get position() {
		return this.#position;
	}
	get duration() {
		return this.#duration;
	}
	/** seconds playable so far (seeking beyond waits) */
	get bufferedEnd() {
		return this.#bufferedEnd;
	}
	/** verified and stored: the track is kept on this device */
	get kept() {
		return this.#kept;
	}
	get waitingSeek() {
		return this.#waitingSeek;
	}
	/** the element playing, for tests and the bench */
	get media(): HTMLAudioElement | null {
		return this.#audio;
	}

	/**
	 * Starts playing `hash` as it arrives; `request` starts the transfer (returns false when no device can
	 * send it). `duration` (from the track's metadata) sizes the seek bar before the end is known.
	 */
	start(hash: string, title: string, duration: number, request: () => boolean): boolean {
		this.stop();
		this.#hash = hash;
		this.#title = title;
		this.#duration = duration;
		this.#startedAt = performance.now();
		this.firstAudioMs = 0;
		this.firstAudioBytes = 0;
		this.keptMs = 0;
		this.firstAudioSteps = {};
		if (this.#transfers.receivedOf(hash) > 0) return this.#failWith('busy');
		this.#state = 'waiting';
		// The element and its MediaSource open while the request goes out (that takes a media task or
		// more); the SourceBuffer is added once the first bytes tell the format.
		if (typeof MediaSource !== 'undefined') this.#openSource();
		this.#transfers.tap(hash, this);
		if (!request()) return this.#failWith('no-device');
		return true;
	}

	toggle(): void {
		const audio = this.#audio;
		if (!audio || this.#state === 'failed' || this.#state === 'waiting') return;
		if (audio.paused) void audio.play().catch(() => undefined);
		else audio.pause();
	}

	/** Seeks within what has arrived; a target beyond it is applied once the bytes are there. */
	seek(seconds: number): void {
		const audio = this.#audio;
		if (!audio) return;
		const target = Math.max(0, Math.min(seconds, this.#duration || seconds));
		if (this.#playable(target)) {
			this.#waitingSeek = null;
			audio.currentTime = target;
		} else if (this.#kept && this.#format?.mode === 'mse') {
			// All bytes are verified in the store but not in the SourceBuffer (its memory limit): play the file.
			this.#waitingSeek = null;
			void this.#playStored(target);
		} else this.#waitingSeek = target;
	}

	seekBy(seconds: number): void {
		this.seek((this.#waitingSeek ?? this.#position) + seconds);
	}

	/** Stops playback (the transfer itself goes on and keeps the track when it completes). */
	stop(): void {
		if (this.#hash) this.#transfers.tap(this.#hash, null);
		this.#teardown();
		this.#state = 'idle';
		this.#hash = '';
		this.#format = null;
		this.#error = '';
		this.#sourceGone = false;
		this.#received = 0;
		this.#size = 0;
		this.#position = 0;
		this.#bufferedEnd = 0;
		this.#kept = false;
		this.#waitingSeek = null;
		this.#head = [];
		this.#queue = [];
		this.#allIn = false;
		this.#fromStore = false;
	}

	// TransferTap

	offer(size: number, _offset: number, meta: TrackMeta): void {
		this.#step('offer');
		this.#size = size;
		if (!this.#duration && meta.duration > 0) this.#duration = meta.duration;
		this.#sourceGone = false;
	}

	bytes(chunk: Uint8Array): void {
		if (!this.#received) this.#step('bytes');
		this.#received += chunk.byteLength;
		if (!this.#format) {
			this.#head.push(chunk);
			const head = join(this.#head);
			if (head.byteLength < SNIFF_BYTES && this.#received < this.#size) return;
			this.#head = [];
			this.#format = streamFormat(
				head,
				(mime) => typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(mime)
			);
			if (this.#format.mode === 'mse') {
				this.#state = 'buffering';
				if (!this.#source) this.#openSource();
				this.#queue.push(head);
				this.#attach();
			} else this.#teardown();
			return;
		}
		if (this.#format.mode === 'mse') {
			this.#queue.push(chunk);
			this.#pump();
		}
	}

	paused(): void {
		this.#sourceGone = true;
	}

	end(ok: boolean, reason: string): void {
		this.#transfers.tap(this.#hash, null);
		if (!ok) {
			this.#teardown();
			this.#failWith(reason);
			return;
		}
		this.#kept = true;
		this.keptMs = performance.now() - this.#startedAt;
		this.#sourceGone = false;
		this.#allIn = true;
		if (this.#format?.mode === 'mse') this.#pump();
		else void this.#playStored();
	}

	// internals

	/** Records the first time a step towards first audio happened. */
	#step(name: string): void {
		if (!this.firstAudioMs && !(name in this.firstAudioSteps))
			this.firstAudioSteps[name] = Math.round((performance.now() - this.#startedAt) * 10) / 10;
	}

	#element(): HTMLAudioElement {
		const audio = new Audio();
		audio.preload = 'auto';
		const on = (event: string, fn: () => void) => audio.addEventListener(event, fn);
		on('playing', () => {
			if (!this.firstAudioMs) {
				this.#step('playing');
				this.firstAudioMs = performance.now() - this.#startedAt;
				this.firstAudioBytes = this.#received;
			}
			this.#state = 'playing';
		});
		on('pause', () => {
			if (this.#state !== 'failed' && !audio.ended) this.#state = 'paused';
		});
		on('waiting', () => {
			if (this.#state !== 'failed') this.#state = 'buffering';
		});
		on('ended', () => (this.#state = 'ended'));
		on('timeupdate', () => {
			this.#position = audio.currentTime;
			if (this.#queue.length) this.#pump();
		});
		on('durationchange', () => {
			if (Number.isFinite(audio.duration) && audio.duration > 0) this.#duration = audio.duration;
		});
		on('error', () => {
			if (this.#audio === audio) this.#failWith('decode');
		});
		this.#audio = audio;
		return audio;
	}

	#openSource(): void {
		const audio = this.#element();
		const source = new MediaSource();
		this.#source = source;
		this.#url = URL.createObjectURL(source);
		source.addEventListener(
			'sourceopen',
			() => {
				if (this.#source !== source) return;
				this.#step('sourceopen');
				this.#attach();
			},
			{ once: true }
		);
		audio.src = this.#url;
	}

	/** Adds the SourceBuffer once the source is open and the bytes said which format it is. */
	#attach(): void {
		const source = this.#source;
		if (!source || this.#buffer || source.readyState !== 'open' || this.#format?.mode !== 'mse') return;
		const buffer = source.addSourceBuffer(this.#format.mime);
		this.#buffer = buffer;
		buffer.addEventListener('updateend', () => this.#appended());
		this.#pump();
	}

	/** Appends everything queued as one append (one in flight at a time, as SourceBuffer requires). */
	#pump(): void {
		const buffer = this.#buffer;
		const source = this.#source;
		if (!buffer || !source || buffer.updating || source.readyState !== 'open') return;
		if (this.#queue.length) {
			const bytes = join(this.#queue);
			this.#queue = [];
			try {
				buffer.appendBuffer(bytes);
			} catch (error) {
				// Over the SourceBuffer's memory limit: drop what was played long ago and try again later.
				if (error instanceof DOMException && error.name === 'QuotaExceededError' && this.#audio) {
					this.#queue.unshift(bytes);
					if (this.#allIn) return void this.#playStored(this.#audio.currentTime);
					// Retried on the next timeupdate (not at once: that would spin while nothing can be freed).
					const before = this.#audio.currentTime - 10;
					if (before > 0 && buffer.buffered.length && buffer.buffered.start(0) < before - 1) buffer.remove(0, before);
				} else this.#failWith('decode');
			}
			return;
		}
		if (this.#allIn) source.endOfStream();
	}

	#appended(): void {
		const audio = this.#audio;
		const buffer = this.#buffer;
		if (!audio || !buffer) return;
		this.#step('appended');
		const ranges = buffer.buffered;
		this.#bufferedEnd = ranges.length ? ranges.end(ranges.length - 1) : 0;
		if (this.#waitingSeek !== null && this.#playable(this.#waitingSeek)) {
			audio.currentTime = this.#waitingSeek;
			this.#waitingSeek = null;
		}
		if (audio.paused && this.#state === 'buffering' && this.#bufferedEnd > 0) void audio.play().catch(() => undefined);
		this.#pump();
	}

	#playable(seconds: number): boolean {
		if (this.#fromStore) return true;
		const ranges = this.#audio?.buffered;
		if (!ranges) return false;
		for (let i = 0; i < ranges.length; i++)
			if (seconds >= ranges.start(i) && seconds < ranges.end(i) - 0.25) return true;
		return this.#allIn && seconds <= this.#bufferedEnd;
	}

	/** Progressive formats: play the verified file from the store. */
	async #playStored(at = 0): Promise<void> {
		const hash = this.#hash;
		const blob = await readAudio(hash);
		if (hash !== this.#hash) return;
		if (!blob) return void this.#failWith('missing');
		this.#teardown();
		this.#fromStore = true;
		const audio = this.#element();
		if (at > 0) audio.addEventListener('loadedmetadata', () => (audio.currentTime = at), { once: true });
		this.#url = URL.createObjectURL(blob);
		audio.src = this.#url;
		this.#bufferedEnd = this.#duration;
		this.#state = 'buffering';
		void audio.play().catch(() => undefined);
	}

	#teardown(): void {
		if (this.#audio) {
			const audio = this.#audio;
			this.#audio = null;
			audio.pause();
			audio.removeAttribute('src');
			audio.load();
		}
		if (this.#url) URL.revokeObjectURL(this.#url);
		this.#url = '';
		this.#source = null;
		this.#buffer = null;
		this.#queue = [];
	}

	#failWith(reason: string): false {
		this.#teardown();
		this.#state = 'failed';
		this.#error = reason;
		this.#kept = false;
		return false;
	}
}

function join(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
	const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
	const out = new Uint8Array(total);
	let at = 0;
	for (const chunk of chunks) {
		out.set(chunk, at);
		at += chunk.byteLength;
	}
	return out;
}
