/**
 * What the player is doing: the small contract other features depend on (`isPlaying`, `onceStopped`:
 * updates wait for playback to stop). The queue and the Web Audio engine live in `playback.svelte.ts`,
 * which drives this state; `isPlaying` stays true across gapless track changes.
 */
export interface NowPlaying {
	hash: string;
	title: string;
	artist: string;
	album?: string;
	/** Hash into the artwork table. */
	artwork?: string | null;
	/** What started it: 'library', a playlist id, 'schedule', 'emergency', 'jingle'. */
	source?: string;
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
