/**
 * What the player is doing. The audio engine (queue, gapless, crossfade) arrives with the player
 * feature; other features already depend on `isPlaying` (e.g. updates wait for the track to stop).
 */
export interface NowPlaying {
	hash: string;
	title: string;
	artist: string;
}

type StopListener = () => void;

export class PlayerState {
	#current = $state<NowPlaying | null>(null);
	#playing = $state(false);
	// Callbacks, not UI state.
	#stopListeners = new Set<StopListener>();

	get current(): NowPlaying | null {
		return this.#current;
	}

	get isPlaying(): boolean {
		return this.#playing;
	}

	load(track: NowPlaying | null): void {
		this.#current = track;
		if (!track) this.setPlaying(false);
	}

	setPlaying(playing: boolean): void {
		const wasPlaying = this.#playing;
		this.#playing = playing;
		if (wasPlaying && !playing) for (const listener of [...this.#stopListeners]) listener();
	}

	/** Calls `listener` the next time playback stops; returns an unsubscribe function. */
	onceStopped(listener: StopListener): () => void {
		const wrapped = () => {
			this.#stopListeners.delete(wrapped);
			listener();
		};
		this.#stopListeners.add(wrapped);
		return () => this.#stopListeners.delete(wrapped);
	}
}

export const player = new PlayerState();
