import { SvelteMap } from 'svelte/reactivity';
import type { DirectorContext } from './context';
import { message } from './context';
import { deleteAsset, listAssets, updateAsset, type AssetPatch, type MediaAsset } from './data/media';

/** The tenant's media assets, with per-asset errors from edits and deletes. */
export class MediaStore {
	#assets = $state.raw<MediaAsset[]>([]);
	#loading = $state(false);
	// False until the first list arrives, so the panel never claims "no media" before it has asked.
	#loaded = $state(false);
	#error = $state<string | null>(null);
	#busy = new SvelteMap<string, boolean>();
	#itemErrors = new SvelteMap<string, string>();

	private readonly ctx: DirectorContext;
	/** Told when an asset is gone, so stores holding references (playlist items) drop them. */
	private readonly onRemoved: (id: string) => void;

	constructor(ctx: DirectorContext, onRemoved: (id: string) => void = () => {}) {
		this.ctx = ctx;
		this.onRemoved = onRemoved;
	}

	get assets(): readonly MediaAsset[] {
		return this.#assets;
	}
	get loading(): boolean {
		return this.#loading;
	}
	get loaded(): boolean {
		return this.#loaded;
	}
	get error(): string | null {
		return this.#error;
	}
	byId(id: string): MediaAsset | undefined {
		return this.#assets.find((a) => a.id === id);
	}
	itemError(id: string): string | null {
		return this.#itemErrors.get(id) ?? null;
	}
	isBusy(id: string): boolean {
		return this.#busy.get(id) ?? false;
	}

	async load(): Promise<void> {
		this.#loading = true;
		this.#error = null;
		try {
			this.#assets = await listAssets(this.ctx.db, this.ctx.tenantId);
			this.#loaded = true;
		} catch (error) {
			this.#error = message(error);
		} finally {
			this.#loading = false;
		}
	}

	/** Called by the upload queue for each new asset. */
	added(asset: MediaAsset): void {
		this.#assets = [asset, ...this.#assets.filter((a) => a.id !== asset.id)];
	}

	async #item(id: string, task: () => Promise<void>): Promise<boolean> {
		this.#busy.set(id, true);
		this.#itemErrors.delete(id);
		try {
			await task();
			return true;
		} catch (error) {
			this.#itemErrors.set(id, message(error));
			return false;
		} finally {
			this.#busy.delete(id);
		}
	}

	update(id: string, patch: AssetPatch): Promise<boolean> {
		return this.#item(id, async () => {
			const updated = await updateAsset(this.ctx.db, id, patch);
			this.#assets = this.#assets.map((a) => (a.id === id ? updated : a));
		});
	}

	async remove(asset: MediaAsset): Promise<boolean> {
		const ok = await this.#item(asset.id, () => deleteAsset(this.ctx.db, this.ctx.tenantId, asset));
		if (ok) {
			this.#assets = this.#assets.filter((a) => a.id !== asset.id);
			this.onRemoved(asset.id);
			return true;
		}
		// The row may be gone although removing its file failed: show what is true, and the error where it stays visible.
		const failure = this.#itemErrors.get(asset.id) ?? null;
		await this.load();
		if (!this.byId(asset.id)) {
			this.onRemoved(asset.id);
			if (failure) this.#error = failure;
		}
		return false;
	}
}
