import { allPages, check, one, type Db, type Row } from './types';

export type Playlist = Pick<Row<'playlists'>, 'id' | 'name' | 'description' | 'updated_at'>;
export type PlaylistItem = Pick<Row<'playlist_items'>, 'id' | 'playlist_id' | 'asset_id' | 'position'>;

export function listPlaylists(db: Db, tenantId: string): Promise<Playlist[]> {
	return allPages<Playlist>((from, to) =>
		db
			.from('playlists')
			.select('id, name, description, updated_at')
			.eq('tenant_id', tenantId)
			.order('name')
			.order('id')
			.range(from, to)
	);
}

export function listItems(db: Db, tenantId: string): Promise<PlaylistItem[]> {
	return allPages<PlaylistItem>((from, to) =>
		db
			.from('playlist_items')
			.select('id, playlist_id, asset_id, position')
			.eq('tenant_id', tenantId)
			.order('playlist_id')
			.order('position')
			.range(from, to)
	);
}

export async function createPlaylist(db: Db, tenantId: string, name: string): Promise<Playlist> {
	return one(
		await db
			.from('playlists')
			.insert({ tenant_id: tenantId, name })
			.select('id, name, description, updated_at')
			.single()
	);
}

export async function renamePlaylist(db: Db, id: string, name: string): Promise<void> {
	check(await db.from('playlists').update({ name }).eq('id', id));
}

/** Items and schedules of the playlist go with it (foreign keys cascade). */
export async function deletePlaylist(db: Db, id: string): Promise<void> {
	check(await db.from('playlists').delete().eq('id', id));
}

/** Appends assets after `firstPosition` (the current length) in one insert. */
export async function appendItems(
	db: Db,
	tenantId: string,
	playlistId: string,
	assetIds: string[],
	firstPosition: number
): Promise<PlaylistItem[]> {
	if (assetIds.length === 0) return [];
	return one(
		await db
			.from('playlist_items')
			.insert(
				assetIds.map((asset_id, i) => ({
					tenant_id: tenantId,
					playlist_id: playlistId,
					asset_id,
					position: firstPosition + i
				}))
			)
			.select('id, playlist_id, asset_id, position')
	);
}

export async function removeItem(db: Db, id: string): Promise<void> {
	check(await db.from('playlist_items').delete().eq('id', id));
}

/** The whole new order in one atomic call (see the director migration). */
export async function reorderItems(db: Db, playlistId: string, itemIds: string[]): Promise<void> {
	check(await db.rpc('reorder_playlist_items', { p_playlist_id: playlistId, p_item_ids: itemIds }));
}
