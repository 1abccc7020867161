import { DEFAULT_CONFIG, isLocalOnly, loadConfig, type RuntimeConfig } from '$lib/config';

/** Deployment facts the whole UI shows: configuration, local-only mode, network state. */
export class AppState {
	#config = $state.raw<RuntimeConfig>(DEFAULT_CONFIG);
	#online = $state(true);
	#ready = $state(false);
	#whenReady: Promise<void>;
	#resolveReady!: () => void;

	constructor() {
		this.#whenReady = new Promise((resolve) => (this.#resolveReady = resolve));
	}

	/** Resolves once the runtime config is known (child components mount before the layout boots). */
	whenReady(): Promise<void> {
		return this.#whenReady;
	}

	get config(): RuntimeConfig {
		return this.#config;
	}
	get localOnly(): boolean {
		return isLocalOnly(this.#config);
	}
	/** 'onebox' when this server is the backend (accounts, director panel, player sync on the LAN). */
	get backend(): RuntimeConfig['backend'] {
		return this.#config.backend;
	}
	get online(): boolean {
		return this.#online;
	}
	get ready(): boolean {
		return this.#ready;
	}

	async boot(): Promise<void> {
		this.#online = navigator.onLine;
		addEventListener('online', () => (this.#online = true));
		addEventListener('offline', () => (this.#online = false));
		this.#config = await loadConfig();
		this.#ready = true;
		this.#resolveReady();
	}
}

export const app = new AppState();
