import type { Workbox } from 'workbox-window';
import { player } from '../player/player.svelte';
import { scheduleReload, type ReloadOutcome } from './update-policy';

/** Registers the generated service worker and tracks whether a new version waits. */
export class AppUpdates {
	#needRefresh = $state(false);
	#offlineReady = $state(false);
	#reloadPending = $state(false);
	#workbox: Workbox | undefined;

	get needRefresh(): boolean {
		return this.#needRefresh;
	}

	get offlineReady(): boolean {
		return this.#offlineReady;
	}

	get reloadPending(): boolean {
		return this.#reloadPending;
	}

	async register(): Promise<void> {
		if (!('serviceWorker' in navigator) || this.#workbox) return;
		const { Workbox } = await import('workbox-window');
		const workbox = new Workbox('/sw.js', { scope: '/', type: 'classic' });
		this.#workbox = workbox;
		workbox.addEventListener('waiting', () => {
			this.#needRefresh = true;
		});
		workbox.addEventListener('installed', (event) => {
			if (!event.isUpdate) this.#offlineReady = true;
		});
		await workbox.register();
		// The service worker keeps the last /config.json for offline starts, but on a first visit the page
		// fetched it before the worker took control: fetch it once more through the worker.
		const warm = () => void fetch('/config.json', { cache: 'no-cache' }).catch(() => undefined);
		if (navigator.serviceWorker.controller) warm();
		else navigator.serviceWorker.addEventListener('controllerchange', warm, { once: true });
	}

	/** Asks the browser to look for a newer service worker now (also runs on every navigation). */
	async checkForUpdate(): Promise<void> {
		await this.#workbox?.update();
	}

	applyUpdate(): ReloadOutcome {
		this.#reloadPending = true;
		return scheduleReload(player, () => {
			// Once the waiting worker takes control, a reload picks up the new shell. (Workbox's own
			// 'controlling' event does not fire for updates found after registration.)
			navigator.serviceWorker.addEventListener('controllerchange', () => window.location.reload(), { once: true });
			this.#workbox?.messageSkipWaiting();
		});
	}

	dismiss(): void {
		this.#needRefresh = false;
		this.#offlineReady = false;
	}
}

export const updates = new AppUpdates();
