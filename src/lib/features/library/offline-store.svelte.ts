import { db } from '$lib/db';
import { deleteAudio } from '$lib/storage/audio-store';
import { library } from './library.svelte';
import { chooseEvictions, summarise, type StorageSummary, type StoredTrack } from './storage-policy';

const CAP_KEY = 'audioCapBytes';

/**
 * Which tracks keep their audio on this device: pinned ones always; the rest are a cache under an
 * optional size cap, least recently played dropped first. A dropped track stays in the library (tags,
 * analysis, playlists) and can be imported again, or fetched from a peer.
 */
export class OfflineStore {
	#cap = $state<number | null>(null);
	#summary = $state.raw<StorageSummary | null>(null);
	#loaded = false;

	get cap(): number | null {
		return this.#cap;
	}

	get summary(): StorageSummary | null {
		return this.#summary;
	}

	async #stored(): Promise<StoredTrack[]> {
		const out: StoredTrack[] = [];
		// A file a store player's schedule needs (sync's `syncAssets`) is kept like a pinned one.
		const scheduled = new Set(await db().table('syncAssets').toCollection().primaryKeys());
		await db().tracks.each((t) =>
			out.push({
				hash: t.hash,
				size: t.size,
				pinned: t.pinned || scheduled.has(t.hash),
				storage: t.storage,
				lastPlayed: t.lastPlayed,
				dateAdded: t.dateAdded
			})
		);
		return out;
	}

	async refresh(): Promise<void> {
		if (!this.#loaded) {
			this.#loaded = true;
			const row = await db().settings.get(CAP_KEY);
			this.#cap = typeof row?.value === 'number' && row.value >= 0 ? row.value : null;
		}
		this.#summary = summarise(await this.#stored());
	}

	async setCap(bytes: number | null): Promise<string[]> {
		this.#cap = bytes !== null && Number.isFinite(bytes) && bytes >= 0 ? Math.round(bytes) : null;
		if (this.#cap === null) await db().settings.delete(CAP_KEY);
		else await db().settings.put({ key: CAP_KEY, value: this.#cap });
		return this.enforce();
	}

	/** Drops cached audio until under the cap; returns the hashes whose audio was removed. */
	async enforce(): Promise<string[]> {
		await this.refresh();
		const evict = chooseEvictions(await this.#stored(), this.#cap);
		for (const hash of evict) {
			await deleteAudio(hash);
			await db().tracks.update(hash, { storage: 'none' });
		}
		if (evict.length) {
			await library.changed(evict);
			this.#summary = summarise(await this.#stored());
		}
		return evict;
	}

	async setPinned(hashes: readonly string[], pinned: boolean): Promise<void> {
		await db().transaction('rw', db().tracks, async () => {
			for (const hash of hashes) await db().tracks.update(hash, { pinned });
		});
		await library.changed(hashes);
		await this.refresh();
	}
}

export const offlineStore = new OfflineStore();
