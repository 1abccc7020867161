/**
 * When a new service worker is waiting, the user decides; and even then the page never reloads
 * while a track is playing: the reload waits for playback to stop.
 */
export interface Playback {
	readonly isPlaying: boolean;
	onceStopped(listener: () => void): () => void;
}

export type ReloadOutcome = 'now' | 'after-track';

export function scheduleReload(playback: Playback, reload: () => void): ReloadOutcome {
	if (!playback.isPlaying) {
		reload();
		return 'now';
	}
	playback.onceStopped(reload);
	return 'after-track';
}
