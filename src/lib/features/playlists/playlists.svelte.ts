import { db, type PlaylistItemRow, type PlaylistKind, type PlaylistRow } from '$lib/db';
import { byPosition } from '../mesh/sync-merge';

const MAX_NAME = 120;
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

export function cleanName(name: string): string {
	return name.replace(UNSAFE, '').trim().slice(0, MAX_NAME);
}

/** Position for an item placed between two neighbours (either may be missing). */
export function positionBetween(before: number | undefined, after: number | undefined): number {
	if (before === undefined && after === undefined) return 1;
	if (before === undefined) return after! - 1;
	if (after === undefined) return before + 1;
	return (before + after) / 2;
}

/**
 * Playlists, smart playlists and crates. Items are ordered by a fractional position, so a move writes
 * one row; a playlist holds each track once (adding it again is a no-op).
 */
export class Playlists {
	#all = $state.raw<PlaylistRow[]>([]);
	#loaded = false;

	get all(): readonly PlaylistRow[] {
		return this.#all;
	}

	/** Crates first, then playlists, each by position; children follow their crate. */
	get tree(): { row: PlaylistRow; depth: number }[] {
		const byParent = new Map<string | null, PlaylistRow[]>();
		for (const row of this.#all) {
			const list = byParent.get(row.parentId) ?? [];
			list.push(row);
			byParent.set(row.parentId, list);
		}
		const out: { row: PlaylistRow; depth: number }[] = [];
		const walk = (parent: string | null, depth: number) => {
			const children = (byParent.get(parent) ?? []).sort(
				(a, b) => (a.kind === 'crate' ? 0 : 1) - (b.kind === 'crate' ? 0 : 1) || a.position - b.position
			);
			for (const row of children) {
				out.push({ row, depth });
				if (row.kind === 'crate') walk(row.id, depth + 1);
			}
		};
		walk(null, 0);
		return out;
	}

	get(id: string | null): PlaylistRow | undefined {
		return id ? this.#all.find((row) => row.id === id) : undefined;
	}

	async load(): Promise<void> {
		if (this.#loaded) return;
		this.#loaded = true;
		this.#all = await db().playlists.toArray();
	}

	/** Re-reads the list (after library sync or an interop import changed it elsewhere). */
	async reload(): Promise<void> {
		this.#loaded = true;
		this.#all = await db().playlists.toArray();
	}

	async create(
		name: string,
		kind: PlaylistKind,
		parentId: string | null = null,
		rules: string | null = null
	): Promise<PlaylistRow> {
		await this.load();
		const siblings = this.#all.filter((row) => row.parentId === parentId);
		const now = Date.now();
		const row: PlaylistRow = {
			id: crypto.randomUUID(),
			name: cleanName(name) || 'Untitled',
			kind,
			parentId: parentId && this.get(parentId)?.kind === 'crate' ? parentId : null,
			position: Math.max(0, ...siblings.map((s) => s.position)) + 1,
			rules: kind === 'smart' ? (rules ?? '') : null,
			createdAt: now,
			updatedAt: now
		};
		await db().playlists.add(row);
		this.#all = [...this.#all, row];
		return row;
	}

	async rename(id: string, name: string): Promise<void> {
		const clean = cleanName(name);
		if (!clean) return;
		await db().playlists.update(id, { name: clean, updatedAt: Date.now() });
		this.#all = this.#all.map((row) => (row.id === id ? { ...row, name: clean } : row));
	}

	async setRules(id: string, rules: string): Promise<void> {
		await db().playlists.update(id, { rules, updatedAt: Date.now() });
		this.#all = this.#all.map((row) => (row.id === id ? { ...row, rules } : row));
	}

	async moveTo(id: string, parentId: string | null): Promise<void> {
		if (id === parentId || (parentId && this.get(parentId)?.kind !== 'crate')) return;
		await db().playlists.update(id, { parentId, updatedAt: Date.now() });
		this.#all = this.#all.map((row) => (row.id === id ? { ...row, parentId } : row));
	}

	/** Deletes a playlist and its items; a crate's playlists move up to the crate's parent. */
	async remove(id: string): Promise<void> {
		const row = this.get(id);
		if (!row) return;
		const database = db();
		await database.transaction('rw', database.playlists, database.playlistItems, async () => {
			await database.playlistItems.where('playlistId').equals(id).delete();
			await database.playlists.where('parentId').equals(id).modify({ parentId: row.parentId });
			await database.playlists.delete(id);
		});
		this.#all = this.#all
			.filter((r) => r.id !== id)
			.map((r) => (r.parentId === id ? { ...r, parentId: row.parentId } : r));
	}

	async items(playlistId: string): Promise<PlaylistItemRow[]> {
		return (
			db()
				.playlistItems.where('[playlistId+position]')
				.between([playlistId, -Infinity], [playlistId, Infinity])
				.toArray()
				// Equal positions (concurrent edits on synced devices) order by hash, the same on every device.
				.then((items) => items.sort(byPosition))
		);
	}

	/** Track hashes in playlist order. */
	async hashes(playlistId: string): Promise<string[]> {
		return (await this.items(playlistId)).map((item) => item.hash);
	}

	/** Appends tracks not already in the playlist; returns how many were added. */
	async add(playlistId: string, hashes: readonly string[]): Promise<number> {
		const database = db();
		return database.transaction('rw', database.playlistItems, database.playlists, async () => {
			const items = await this.items(playlistId);
			const present = new Set(items.map((item) => item.hash));
			let position = items.at(-1)?.position ?? 0;
			const now = Date.now();
			const fresh = [...new Set(hashes)]
				.filter((hash) => !present.has(hash))
				.map((hash) => ({ playlistId, hash, position: ++position, addedAt: now }));
			await database.playlistItems.bulkAdd(fresh);
			await database.playlists.update(playlistId, { updatedAt: now });
			return fresh.length;
		});
	}

	async removeTracks(playlistId: string, hashes: readonly string[]): Promise<void> {
		const drop = new Set(hashes);
		await db()
			.playlistItems.where('playlistId')
			.equals(playlistId)
			.filter((item) => drop.has(item.hash))
			.delete();
	}

	/** Moves tracks (keeping their relative order) to just before `beforeHash`, or to the end. */
	async move(playlistId: string, hashes: readonly string[], beforeHash: string | null): Promise<void> {
		const database = db();
		await database.transaction('rw', database.playlistItems, async () => {
			const items = await this.items(playlistId);
			const moving = new Set(hashes);
			const rest = items.filter((item) => !moving.has(item.hash));
			const moved = items.filter((item) => moving.has(item.hash));
			if (moved.length === 0) return;
			const at = beforeHash === null ? rest.length : rest.findIndex((item) => item.hash === beforeHash);
			const index = at === -1 ? rest.length : at;
			const before = rest[index - 1]?.position;
			const after = rest[index]?.position;
			const low = before ?? (after !== undefined ? after - moved.length - 1 : 0);
			const high = after ?? low + moved.length + 1;
			const step = (high - low) / (moved.length + 1);
			for (const [i, item] of moved.entries())
				await database.playlistItems.update(item.id!, { position: low + step * (i + 1) });
		});
	}
}

export const playlists = new Playlists();
