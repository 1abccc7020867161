import { db, type PlayOutcome, type TrackRow } from '$lib/db';
import { readAudio } from '$lib/storage/audio-store';
import { library } from '$lib/features/library/library.svelte';
import { artworkUrl } from '$lib/features/library/artwork-urls';
import { AudioEngine, EngineError, type EngineTrack } from './engine';
import { player, type NowPlaying } from './player.svelte';
import * as Q from './queue';
import { exposeForTests } from '$lib/test-hooks';

/** A track a provider (the store scheduler) hands to the queue. */
export interface ProvidedTrack {
	hash: string;
	source: string;
	title?: string;
	artist?: string;
	/** Epoch ms: never started at or after this instant. */
	validUntil?: number;
	/** Bytes from somewhere other than the library store (the built-in jingle). */
	load?: () => Promise<Blob | ArrayBuffer | null>;
}

/** Feeds the queue when it runs dry (Player mode). */
export interface QueueProvider {
	/** The next track to start at `startAt` (epoch ms), or null for none. */
	next(startAt: number, exclude: ReadonlySet<string>): Promise<ProvidedTrack | null>;
	/** A provided track could not play (bytes missing or undecodable). */
	failed?(hash: string, reason: string): void;
	/** A track became audible. */
	started?(hash: string, source: string, at: number): void;
}

export interface PlaybackPrefs {
	crossfade: number;
	autoGain: boolean;
	volume: number;
	shuffle: boolean;
	repeat: Q.Repeat;
}

interface TrackInfo {
	title: string;
	artist: string;
	album: string;
	artwork: string | null;
	gainDb: number;
}

const PREFS_KEY = 'player.prefs';
const TARGET_LUFS = -14;

/**
 * Auto-gain from whatever loudness the track row holds (analysis writes it; older rows have none):
 * a number in LUFS, `{ integratedLufs }`, or a ready `gainDb`/`gainDbToTarget`. Clamped to -12…+6 dB.
 */
export function autoGainDb(row: Partial<TrackRow> | undefined, target = TARGET_LUFS): number {
	const r = (row ?? {}) as Record<string, unknown>;
	const loud = r.loudness;
	let gain: number | null = null;
	if (typeof r.gainDb === 'number') gain = r.gainDb;
	else if (typeof loud === 'number') gain = target - loud;
	else if (loud && typeof loud === 'object') {
		const l = loud as Record<string, unknown>;
		if (typeof l.integratedLufs === 'number') gain = target - l.integratedLufs;
		else if (typeof l.gainDbToTarget === 'number') gain = l.gainDbToTarget;
	} else if (typeof r.integratedLufs === 'number') gain = target - r.integratedLufs;
	if (gain === null || !Number.isFinite(gain)) return 0;
	return Math.max(-12, Math.min(6, gain));
}

/**
 * The player: queue + engine + play log + Media Session. Call `playNow`, `playNext`, `addToQueue`
 * with track hashes (the library's selection).
 */
export class Playback {
	#q = $state.raw<Q.QueueState>(Q.emptyQueue());
	#position = $state(0);
	#duration = $state(0);
	#prefs = $state<PlaybackPrefs>({ crossfade: 0, autoGain: true, volume: 1, shuffle: false, repeat: 'off' });
	#failed = $state.raw<ReadonlyMap<string, string>>(new Map());
	#message = $state<string | null>(null);
	#needsGesture = $state(false);
	#peaks = $state.raw<Float32Array | null>(null);
	#infos = $state.raw<ReadonlyMap<string, TrackInfo>>(new Map());

	#engine: AudioEngine | null = null;
	#provided = new Map<number, ProvidedTrack>();
	#logIds = new Map<number, Promise<number | undefined>>();
	#startedAt = new Map<number, number>();
	#provider: QueueProvider | null = null;
	#ticker: ReturnType<typeof setInterval> | null = null;
	#preparing: Promise<void> | null = null;
	#wantPlaying = false;
	#prefsLoaded = false;
	/** performance.now() of the last failure, for the fail-recovery figure. */
	lastFailureAt = 0;
	/** performance.now() when the last track became audible. */
	lastStartAt = 0;

	get queue(): Q.QueueState {
		return this.#q;
	}
	get upcoming(): readonly Q.QueueEntry[] {
		return this.#q.upcoming;
	}
	get history(): readonly Q.QueueEntry[] {
		return this.#q.history;
	}
	get currentEntry(): Q.QueueEntry | null {
		return this.#q.current;
	}
	get position(): number {
		return this.#position;
	}
	get duration(): number {
		return this.#duration;
	}
	get prefs(): Readonly<PlaybackPrefs> {
		return this.#prefs;
	}
	/** Hashes that failed this session, with the reason ('missing' | 'decode'). */
	get failed(): ReadonlyMap<string, string> {
		return this.#failed;
	}
	get message(): string | null {
		return this.#message;
	}
	/** The browser blocked audio until the user interacts (kiosk after a reload). */
	get needsGesture(): boolean {
		return this.#needsGesture;
	}
	/** Peaks (0…1) of the playing track for the waveform. */
	get peaks(): Float32Array | null {
		return this.#peaks;
	}
	get hasProvider(): boolean {
		return this.#provider !== null;
	}

	/** Title/artist for a queued hash once loaded (see `describe`). */
	info(hash: string): TrackInfo | undefined {
		return this.#infos.get(hash);
	}

	/** The engine (created on first use; the bench taps its output). */
	get engine(): AudioEngine {
		if (!this.#engine) {
			const engine = new AudioEngine();
			engine.crossfade = this.#prefs.crossfade;
			engine.volume = this.#prefs.volume;
			engine.onTransition = (track) => void this.#onTransition(track);
			engine.onEnded = (track) => void this.#onEnded(track);
			engine.context.addEventListener('statechange', () => this.#checkContext());
			this.#engine = engine;
			if (typeof document !== 'undefined')
				document.addEventListener('visibilitychange', () => {
					if (document.visibilityState === 'visible') this.#checkContext();
				});
		}
		return this.#engine;
	}

	// ── public API ──────────────────────────────────────────────────────────

	/** Replaces the queue with `hashes` and plays `hashes[startIndex]`. */
	playNow = (hashes: string[], startIndex = 0, source = 'library'): Promise<void> => {
		void this.engine.unlock().catch(() => undefined);
		this.#endCurrent('skipped');
		this.#q = Q.playNow(this.#q, hashes, startIndex, source, Math.random);
		return this.#startCurrent();
	};

	/** Inserts `hashes` right after the playing track. */
	playNext = (hashes: string[], source = 'library'): Promise<void> => {
		const wasIdle = !this.#q.current;
		this.#q = Q.playNext(this.#q, hashes, source);
		return wasIdle ? this.#startCurrent() : this.#prepareNext();
	};

	/** Appends `hashes` to the end of the queue. */
	addToQueue = (hashes: string[], source = 'library'): Promise<void> => {
		const wasIdle = !this.#q.current;
		this.#q = Q.addToQueue(this.#q, hashes, source);
		return wasIdle ? this.#startCurrent() : this.#prepareNext();
	};

	toggle = (): void => {
		if (player.isPlaying) this.pause();
		else void this.resume();
	};

	pause = (): void => {
		this.#wantPlaying = false;
		void this.#engine?.pause();
		player.setPlaying(false);
		this.#updateSession();
	};

	resume = async (): Promise<void> => {
		if (!this.#q.current) {
			if (this.#provider) return this.#fromProvider();
			return;
		}
		this.#wantPlaying = true;
		if (!this.engine.current) return this.#startCurrent();
		await this.engine.resume();
		this.#needsGesture = this.engine.suspended;
		player.setPlaying(!this.engine.suspended);
		this.#updateSession();
	};

	next = (): Promise<void> => {
		if (!this.#q.current && !this.#provider) return Promise.resolve();
		this.#endCurrent('skipped');
		this.#q = Q.advance(this.#q, 'skip');
		return this.#startCurrent();
	};

	previous = (): Promise<void> => {
		if (this.engine.position > 3 || this.#q.history.length === 0) {
			this.seek(0);
			return Promise.resolve();
		}
		this.#endCurrent('skipped');
		this.#q = Q.previous(this.#q);
		return this.#startCurrent();
	};

	seek = (seconds: number): void => {
		this.#engine?.seek(seconds);
		this.#tick();
	};

	seekBy = (delta: number): void => this.seek(this.engine.position + delta);

	move = (from: number, to: number): void => {
		this.#q = Q.move(this.#q, from, to);
		void this.#prepareNext();
	};

	remove = (uid: number): void => {
		this.#q = Q.remove(this.#q, uid);
		void this.#prepareNext();
	};

	clear = (): void => {
		this.#q = Q.clear(this.#q);
		void this.#prepareNext();
	};

	setShuffle = (on: boolean): void => {
		this.#q = Q.setShuffle(this.#q, on, Math.random);
		this.#savePrefs({ shuffle: on });
		void this.#prepareNext();
	};

	setRepeat = (repeat: Q.Repeat): void => {
		this.#q = Q.setRepeat(this.#q, repeat);
		this.#savePrefs({ repeat });
		void this.#prepareNext();
	};

	cycleRepeat = (): void => {
		const order: Q.Repeat[] = ['off', 'all', 'one'];
		this.setRepeat(order[(order.indexOf(this.#q.repeat) + 1) % order.length]!);
	};

	setCrossfade = (seconds: number): void => {
		const value = Math.max(0, Math.min(12, Math.round(seconds * 2) / 2));
		if (this.#engine) this.#engine.crossfade = value;
		this.#savePrefs({ crossfade: value });
	};

	setAutoGain = (on: boolean): void => this.#savePrefs({ autoGain: on });

	setVolume = (value: number): void => {
		const volume = Math.max(0, Math.min(1, value));
		if (this.#engine) this.#engine.volume = volume;
		this.#savePrefs({ volume });
	};

	/** Player mode: `provider` chooses every next track once the queue is empty. */
	setProvider(provider: QueueProvider | null): void {
		this.#provider = provider;
		if (provider && !this.#q.current) void this.#fromProvider();
		else void this.#prepareNext();
	}

	async loadPrefs(): Promise<void> {
		if (this.#prefsLoaded) return;
		this.#prefsLoaded = true;
		const row = await db()
			.settings.get(PREFS_KEY)
			.catch(() => undefined);
		const saved = (row?.value ?? {}) as Partial<PlaybackPrefs>;
		this.#prefs = { ...this.#prefs, ...saved };
		this.#q = Q.setRepeat(Q.setShuffle(this.#q, this.#prefs.shuffle, Math.random), this.#prefs.repeat);
		if (this.#engine) {
			this.#engine.crossfade = this.#prefs.crossfade;
			this.#engine.volume = this.#prefs.volume;
		}
	}

	/** Loads title/artist for hashes shown in the queue. */
	async describe(hashes: readonly string[]): Promise<void> {
		const missing = [...new Set(hashes)].filter((h) => !this.#infos.has(h) && !this.#providedInfo(h));
		if (missing.length === 0) return;
		const rows = await db().tracks.bulkGet(missing);
		const infos = new Map(this.#infos);
		missing.forEach((hash, i) => infos.set(hash, toInfo(rows[i], hash)));
		this.#infos = infos;
	}

	// ── internals ───────────────────────────────────────────────────────────

	#providedInfo(hash: string): ProvidedTrack | undefined {
		for (const p of this.#provided.values()) if (p.hash === hash) return p;
		return undefined;
	}

	async #fromProvider(): Promise<void> {
		const provider = this.#provider;
		if (!provider || this.#q.current) return;
		const track = await provider.next(Date.now(), this.#excluded()).catch(() => null);
		if (!track || this.#q.current || provider !== this.#provider) return;
		this.#q = { ...this.#q, current: this.#provide(track) };
		return this.#startCurrent();
	}

	#provide(track: ProvidedTrack): Q.QueueEntry {
		const [entry] = Q.entries([track.hash], track.source);
		this.#provided.set(entry!.uid, track);
		if (track.title !== undefined && !this.#infos.has(track.hash)) {
			this.#infos = new Map(this.#infos).set(track.hash, {
				title: track.title,
				artist: track.artist ?? '',
				album: '',
				artwork: null,
				gainDb: 0
			});
		}
		return entry!;
	}

	#excluded(): Set<string> {
		const out = new Set<string>();
		for (const [hash] of this.#failed) out.add(hash);
		return out;
	}

	async #info(hash: string): Promise<TrackInfo> {
		const known = this.#infos.get(hash);
		if (known) return known;
		const row = await db()
			.tracks.get(hash)
			.catch(() => undefined);
		const info = toInfo(row, hash);
		this.#infos = new Map(this.#infos).set(hash, info);
		return info;
	}

	async #engineTrack(entry: Q.QueueEntry): Promise<EngineTrack> {
		const provided = this.#provided.get(entry.uid);
		const info = await this.#info(entry.hash);
		return {
			uid: entry.uid,
			hash: entry.hash,
			gainDb: this.#prefs.autoGain ? info.gainDb : 0,
			load: provided?.load ?? (() => readAudio(entry.hash))
		};
	}

	#expired(entry: Q.QueueEntry, at: number): boolean {
		const until = this.#provided.get(entry.uid)?.validUntil;
		return until !== undefined && at >= until;
	}

	/** Plays `q.current` now; skips (and marks) entries that cannot play, within the time to decode the next. */
	async #startCurrent(): Promise<void> {
		this.#wantPlaying = true;
		for (let guard = 0; guard < 500; guard++) {
			const entry = this.#q.current;
			if (!entry) {
				if (this.#provider) {
					const track = await this.#provider.next(Date.now(), this.#excluded()).catch(() => null);
					if (track && !this.#q.current) {
						this.#q = { ...this.#q, current: this.#provide(track) };
						continue;
					}
				}
				this.#engine?.stop();
				this.#stopped();
				return;
			}
			if (this.#expired(entry, Date.now())) {
				void this.#logInstant(entry, 'expired');
				this.#q = Q.advance(this.#q, 'skip');
				continue;
			}
			try {
				const track = await this.#engineTrack(entry);
				const started = await this.engine.play(track);
				if (!started) return; // superseded by a newer action
				if (this.#q.current?.uid !== entry.uid) return;
				this.#onAudible(entry);
				void this.#prepareNext();
				return;
			} catch (error) {
				if (this.#q.current?.uid !== entry.uid) return;
				this.#fail(entry, error);
				this.#q = Q.advance(this.#q, 'skip');
			}
		}
	}

	/** Decodes the entry after the current one and schedules it on the audio clock. */
	#prepareNext(): Promise<void> {
		const run = async () => {
			for (let guard = 0; guard < 200; guard++) {
				const current = this.#q.current;
				if (!current || !this.#engine?.current) return;
				let next = Q.peekNext(this.#q);
				if (!next && this.#q.repeat === 'all' && this.#q.cycle.length > 0) {
					const ordered = Q.entries(this.#q.cycle, this.#q.cycleSource);
					this.#q = {
						...this.#q,
						ordered,
						upcoming: this.#q.shuffle ? Q.shuffled(ordered, Math.random) : ordered
					};
					next = this.#q.upcoming[0] ?? null;
				}
				const startAt = Date.now() + (this.engine.duration - this.engine.position) * 1000;
				if (!next && this.#provider) {
					const track = await this.#provider.next(startAt, this.#excluded()).catch(() => null);
					if (!track || this.#q.current?.uid !== current.uid || this.#q.upcoming.length > 0) {
						if (!track) return;
						continue;
					}
					next = this.#provide(track);
					this.#q = { ...this.#q, upcoming: [next], ordered: [next] };
				}
				if (!next) {
					await this.#engine.setNext(null);
					return;
				}
				if (this.#expired(next, startAt)) {
					void this.#logInstant(next, 'expired');
					this.#q = Q.remove(this.#q, next.uid);
					continue;
				}
				try {
					await this.engine.setNext(await this.#engineTrack(next));
					return;
				} catch (error) {
					if (Q.peekNext(this.#q)?.uid !== next.uid) continue;
					this.#fail(next, error);
					this.#q = Q.remove(this.#q, next.uid);
				}
			}
		};
		// One preparation at a time; a newer request runs after the current one.
		const previous = this.#preparing ?? Promise.resolve();
		const mine = previous.then(run, run).catch((error) => console.warn('prepare next failed', error));
		this.#preparing = mine;
		return mine;
	}

	async #onTransition(track: EngineTrack): Promise<void> {
		this.#endCurrent('finished');
		this.#q = Q.advance(this.#q, 'ended');
		const entry = this.#q.current;
		if (!entry || entry.hash !== track.hash) {
			// The queue changed under a scheduled track: follow what actually plays.
			const [fixed] = Q.entries([track.hash], 'library');
			this.#q = { ...this.#q, current: fixed! };
		}
		this.#onAudible(this.#q.current!);
		void this.#prepareNext();
	}

	async #onEnded(_track: EngineTrack): Promise<void> {
		this.#endCurrent('finished');
		this.#q = Q.advance(this.#q, 'ended');
		if (this.#q.current || this.#provider) await this.#startCurrent();
		else this.#stopped();
	}

	#onAudible(entry: Q.QueueEntry): void {
		this.lastStartAt = performance.now();
		const now = Date.now();
		this.#startedAt.set(entry.uid, now);
		this.#logIds.set(
			entry.uid,
			db()
				.playLog.add({ hash: entry.hash, startedAt: now, endedAt: null, outcome: null, source: entry.source })
				.catch(() => undefined)
		);
		this.#provider?.started?.(entry.hash, entry.source, now);
		this.#message = null;
		this.#needsGesture = this.engine.suspended && this.#wantPlaying;
		this.#startTicker();
		void this.#info(entry.hash).then((info) => {
			if (this.#q.current?.uid !== entry.uid) return;
			const now: NowPlaying = {
				hash: entry.hash,
				title: info.title,
				artist: info.artist,
				album: info.album,
				artwork: info.artwork,
				source: entry.source
			};
			player.load(now);
			player.setPlaying(!this.engine.suspended || this.#wantPlaying);
			this.#updateSession();
		});
		player.setPlaying(true);
		this.#peaks = null;
		const buffer = this.engine.buffer;
		if (buffer) setTimeout(() => this.#engine?.buffer === buffer && (this.#peaks = computePeaks(buffer, 600)), 0);
	}

	/** Completes the play-log row of the current entry with `outcome`. */
	#endCurrent(outcome: PlayOutcome): void {
		const entry = this.#q.current;
		if (!entry) return;
		const id = this.#logIds.get(entry.uid);
		const startedAt = this.#startedAt.get(entry.uid);
		this.#logIds.delete(entry.uid);
		this.#startedAt.delete(entry.uid);
		this.#provided.delete(entry.uid);
		if (!id) return;
		const endedAt = Date.now();
		void (async () => {
			const rowId = await id;
			const d = db();
			if (rowId !== undefined) await d.playLog.update(rowId, { endedAt, outcome }).catch(() => undefined);
			if (outcome !== 'finished') return;
			const updated = await d.tracks
				.where('hash')
				.equals(entry.hash)
				.modify((row) => {
					row.playCount = (row.playCount ?? 0) + 1;
					row.lastPlayed = startedAt ?? endedAt;
				})
				.catch(() => 0);
			if (updated) await library.changed([entry.hash]).catch(() => undefined);
		})();
	}

	async #logInstant(entry: Q.QueueEntry, outcome: PlayOutcome): Promise<void> {
		const now = Date.now();
		this.#provided.delete(entry.uid);
		await db()
			.playLog.add({ hash: entry.hash, startedAt: now, endedAt: now, outcome, source: entry.source })
			.catch(() => undefined);
	}

	#fail(entry: Q.QueueEntry, error: unknown): void {
		this.lastFailureAt = performance.now();
		const code = error instanceof EngineError ? error.code : 'decode';
		console.warn(`track ${entry.hash} cannot play (${code})`, error);
		this.#engine?.forget(entry.hash);
		this.#failed = new Map(this.#failed).set(entry.hash, code);
		this.#message = code;
		this.#provider?.failed?.(entry.hash, code);
		void this.#logInstant(entry, 'failed');
	}

	#stopped(): void {
		this.#wantPlaying = false;
		player.setPlaying(false);
		if (!this.#q.current) player.load(null);
		this.#stopTicker();
		this.#tick();
		this.#updateSession();
	}

	#checkContext(): void {
		const engine = this.#engine;
		if (!engine || !this.#wantPlaying) return;
		if (engine.suspended) void engine.resume().catch(() => undefined);
		setTimeout(() => (this.#needsGesture = this.#wantPlaying && !!this.#engine?.suspended), 500);
	}

	#startTicker(): void {
		this.#ticker ??= setInterval(() => this.#tick(), 250);
	}

	#stopTicker(): void {
		if (this.#ticker) clearInterval(this.#ticker);
		this.#ticker = null;
	}

	#tick(): void {
		const engine = this.#engine;
		this.#position = engine?.position ?? 0;
		this.#duration = engine?.duration ?? 0;
		const session = typeof navigator !== 'undefined' ? navigator.mediaSession : undefined;
		if (session?.setPositionState && this.#duration > 0) {
			try {
				session.setPositionState({ duration: this.#duration, position: this.#position, playbackRate: 1 });
			} catch {
				// position outside duration during a transition
			}
		}
	}

	#savePrefs(change: Partial<PlaybackPrefs>): void {
		this.#prefs = { ...this.#prefs, ...change };
		void db()
			.settings.put({ key: PREFS_KEY, value: { ...this.#prefs } })
			.catch(() => undefined);
	}

	#sessionReady = false;
	#updateSession(): void {
		if (typeof navigator === 'undefined' || !('mediaSession' in navigator)) return;
		const session = navigator.mediaSession;
		if (!this.#sessionReady) {
			this.#sessionReady = true;
			const handlers: [MediaSessionAction, MediaSessionActionHandler][] = [
				['play', () => void this.resume()],
				['pause', () => this.pause()],
				['stop', () => this.pause()],
				['nexttrack', () => void this.next()],
				['previoustrack', () => void this.previous()],
				['seekbackward', (d) => this.seekBy(-(d.seekOffset ?? 10))],
				['seekforward', (d) => this.seekBy(d.seekOffset ?? 10)],
				['seekto', (d) => d.seekTime !== undefined && this.seek(d.seekTime)]
			];
			for (const [action, handler] of handlers) {
				try {
					session.setActionHandler(action, handler);
				} catch {
					// action not supported here
				}
			}
		}
		session.playbackState = player.current ? (player.isPlaying ? 'playing' : 'paused') : 'none';
		const now = player.current;
		if (!now) {
			session.metadata = null;
			return;
		}
		const metadata = new MediaMetadata({ title: now.title, artist: now.artist, album: now.album ?? '' });
		session.metadata = metadata;
		if (now.artwork)
			void artworkUrl(now.artwork).then((src) => {
				if (src && session.metadata === metadata) metadata.artwork = [{ src, sizes: '300x300' }];
			});
	}
}

function toInfo(row: TrackRow | undefined, hash: string): TrackInfo {
	return {
		title: row?.title || hash.slice(0, 12),
		artist: row?.artist ?? '',
		album: row?.album ?? '',
		artwork: row?.artwork ?? null,
		gainDb: autoGainDb(row)
	};
}

/** Peak amplitude per bucket across channels (plain JS, ~20 ms for a few minutes of audio). */
export function computePeaks(buffer: AudioBuffer, buckets: number): Float32Array {
	const peaks = new Float32Array(buckets);
	const size = Math.max(1, Math.floor(buffer.length / buckets));
	for (let c = 0; c < buffer.numberOfChannels; c++) {
		const data = buffer.getChannelData(c);
		for (let b = 0; b < buckets; b++) {
			let max = peaks[b]!;
			const end = Math.min(data.length, (b + 1) * size);
			// Every 4th sample is enough for a picture.
			for (let i = b * size; i < end; i += 4) {
				const v = Math.abs(data[i]!);
				if (v > max) max = v;
			}
			peaks[b] = max;
		}
	}
	return peaks;
}

export const playback = new Playback();

export const playNow = playback.playNow;
export const playNext = playback.playNext;
export const addToQueue = playback.addToQueue;

exposeForTests('__cratemeshPlayback', playback);
