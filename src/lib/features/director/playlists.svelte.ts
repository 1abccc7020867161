import { SvelteMap } from 'svelte/reactivity';
import { message, type DirectorContext } from './context';
import {
	appendItems,
	createPlaylist,
	deletePlaylist,
	listItems,
	listPlaylists,
	removeItem,
	renamePlaylist,
	reorderItems,
	type Playlist,
	type PlaylistItem
} from './data/playlists';
import { move } from './reorder';

/** Playlists and their ordered items. Reorders show at once and are undone if the server refuses. */
export class PlaylistsStore {
	#playlists = $state.raw<Playlist[]>([]);
	#items = $state.raw<PlaylistItem[]>([]);
	#selected = $state<string | null>(null);
	#error = $state<string | null>(null);
	#itemErrors = new SvelteMap<string, string>();

	private readonly ctx: DirectorContext;

	constructor(ctx: DirectorContext) {
		this.ctx = ctx;
	}

	get playlists(): readonly Playlist[] {
		return this.#playlists;
	}
	get selected(): Playlist | null {
		return this.#playlists.find((p) => p.id === this.#selected) ?? null;
	}
	get error(): string | null {
		return this.#error;
	}
	/** An error about one playlist (rename, delete, add, reorder). */
	playlistError(id: string): string | null {
		return this.#itemErrors.get(id) ?? null;
	}
	items(playlistId: string): PlaylistItem[] {
		return this.#items.filter((i) => i.playlist_id === playlistId).sort((a, b) => a.position - b.position);
	}
	select(id: string | null): void {
		this.#selected = id;
	}

	async load(): Promise<void> {
		this.#error = null;
		try {
			const [playlists, items] = await Promise.all([
				listPlaylists(this.ctx.db, this.ctx.tenantId),
				listItems(this.ctx.db, this.ctx.tenantId)
			]);
			this.#playlists = playlists;
			this.#items = items;
			if (this.#selected && !playlists.some((p) => p.id === this.#selected)) this.#selected = null;
		} catch (error) {
			this.#error = message(error);
		}
	}

	async #about(id: string, task: () => Promise<void>): Promise<boolean> {
		this.#itemErrors.delete(id);
		try {
			await task();
			return true;
		} catch (error) {
			this.#itemErrors.set(id, message(error));
			return false;
		}
	}

	/** An asset was deleted: its items went with it on the server (cascade). */
	forgetAsset(assetId: string): void {
		this.#items = this.#items.filter((i) => i.asset_id !== assetId);
	}

	async create(name: string): Promise<Playlist | null> {
		this.#error = null;
		try {
			const playlist = await createPlaylist(this.ctx.db, this.ctx.tenantId, name.trim());
			this.#playlists = [...this.#playlists, playlist].sort((a, b) => a.name.localeCompare(b.name));
			this.#selected = playlist.id;
			return playlist;
		} catch (error) {
			this.#error = message(error);
			return null;
		}
	}

	rename(id: string, name: string): Promise<boolean> {
		return this.#about(id, async () => {
			await renamePlaylist(this.ctx.db, id, name.trim());
			this.#playlists = this.#playlists.map((p) => (p.id === id ? { ...p, name: name.trim() } : p));
		});
	}

	remove(id: string): Promise<boolean> {
		return this.#about(id, async () => {
			await deletePlaylist(this.ctx.db, id);
			this.#playlists = this.#playlists.filter((p) => p.id !== id);
			this.#items = this.#items.filter((i) => i.playlist_id !== id);
			if (this.#selected === id) this.#selected = null;
		});
	}

	addAssets(playlistId: string, assetIds: string[]): Promise<boolean> {
		return this.#about(playlistId, async () => {
			const current = this.items(playlistId);
			const next = current.length ? Math.max(...current.map((i) => i.position)) + 1 : 0;
			const added = await appendItems(this.ctx.db, this.ctx.tenantId, playlistId, assetIds, next);
			this.#items = [...this.#items, ...added];
		});
	}

	removeItem(playlistId: string, itemId: string): Promise<boolean> {
		return this.#about(playlistId, async () => {
			await removeItem(this.ctx.db, itemId);
			this.#items = this.#items.filter((i) => i.id !== itemId);
		});
	}

	/** Moves one item; the new order is sent as a whole (one atomic RPC). */
	move(playlistId: string, from: number, to: number): Promise<boolean> {
		const before = this.items(playlistId);
		const after = move(before, from, to);
		if (after.every((item, i) => item.id === before[i]?.id)) return Promise.resolve(true);
		const others = this.#items.filter((i) => i.playlist_id !== playlistId);
		this.#items = [...others, ...after.map((item, position) => ({ ...item, position }))];
		return this.#about(playlistId, async () => {
			try {
				await reorderItems(
					this.ctx.db,
					playlistId,
					after.map((i) => i.id)
				);
			} catch (error) {
				this.#items = [...this.#items.filter((i) => i.playlist_id !== playlistId), ...before];
				throw error;
			}
		});
	}
}
