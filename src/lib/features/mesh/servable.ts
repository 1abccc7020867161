/**
 * What this device sends when another device asks for a hash: a library track, or a store player's
 * scheduled file (`syncAssets`, verified when it was downloaded) — so players of the same shop fetch
 * scheduled files from each other before the server. Metadata of an asset is its title/artist/mime only.
 */
import { readStoredAudio } from '$lib/storage/audio-store';
import { syncAssets } from '$lib/features/sync/store';
import type { TrackMeta } from './protocol';
import { servableTrack, type Servable } from './transfers.svelte';

export async function servable(hash: string): Promise<Servable | null> {
	const track = await servableTrack(hash);
	if (track) return track;
	const asset = await syncAssets()
		.get(hash)
		.catch(() => undefined);
	if (!asset || (asset.state !== 'ready' && asset.state !== 'retired')) return null;
	const held = await readStoredAudio(hash);
	if (!held || held.blob.size !== asset.size) return null;
	return {
		blob: held.blob,
		meta: assetMeta(asset.title, asset.artist, asset.mime, asset.durationMs, asset.bpm, asset.key),
		stored: held.opfs
	};
}

function assetMeta(
	title: string,
	artist: string,
	mime: string,
	durationMs: number | null,
	bpm: number | null,
	key: string
): TrackMeta {
	const s = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');
	const finite = (value: number | null, max: number) =>
		typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(0, value)) : null;
	return {
		fileName: s(title, 1024),
		mime: s(mime, 128),
		title: s(title, 1024),
		artist: s(artist, 1024),
		album: '',
		albumArtist: '',
		genre: '',
		year: null,
		trackNo: null,
		discNo: null,
		comment: '',
		label: '',
		isrc: '',
		tagBpm: null,
		tagKey: '',
		bpm: finite(bpm, 1000),
		key: s(key, 32),
		duration: (finite(durationMs, 1e10) ?? 0) / 1000,
		container: '',
		codec: '',
		bitrate: 0,
		sampleRate: 0,
		channels: 0,
		rating: 0,
		freeTags: []
	};
}
