/**
 * Storage usage and persistence. Persistence is requested when the user has something to lose
 * (after their first import) or asks for it in Settings — never on first load, where browsers either
 * deny it silently or show a prompt without context.
 */
import { audioUsage } from '$lib/storage/audio-store';

export type PersistState = 'unknown' | 'persisted' | 'not-persisted' | 'denied' | 'unsupported';

export class StorageStatus {
	#usage = $state<number | null>(null);
	#quota = $state<number | null>(null);
	#persist = $state<PersistState>('unknown');
	#audioBytes = $state<number | null>(null);
	#audioFiles = $state(0);

	get usage(): number | null {
		return this.#usage;
	}

	get quota(): number | null {
		return this.#quota;
	}

	get persist(): PersistState {
		return this.#persist;
	}

	/** Bytes of audio held (OPFS or IndexedDB blobs); the rest of `usage` is metadata and the app. */
	get audioBytes(): number | null {
		return this.#audioBytes;
	}

	get audioFiles(): number {
		return this.#audioFiles;
	}

	async refresh(): Promise<void> {
		const storage = navigator.storage;
		if (!storage?.estimate) {
			this.#persist = 'unsupported';
			return;
		}
		const [estimate, persisted, audio] = await Promise.all([
			storage.estimate(),
			storage.persisted?.() ?? false,
			audioUsage().catch(() => null)
		]);
		if (audio) {
			this.#audioBytes = audio.bytes;
			this.#audioFiles = audio.files;
		}
		this.#usage = estimate.usage ?? null;
		this.#quota = estimate.quota ?? null;
		if (this.#persist !== 'denied' || persisted) this.#persist = persisted ? 'persisted' : 'not-persisted';
	}

	async requestPersistence(): Promise<PersistState> {
		if (!navigator.storage?.persist) {
			this.#persist = 'unsupported';
			return this.#persist;
		}
		const granted = await navigator.storage.persist();
		this.#persist = granted ? 'persisted' : 'denied';
		await this.refresh();
		return this.#persist;
	}
}

export const storageStatus = new StorageStatus();

export function formatBytes(bytes: number, locale = 'en'): string {
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}
	const digits = unit === 0 || value >= 100 ? 0 : 1;
	return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${units[unit]}`;
}
