import { db } from '$lib/db';

/** Object URLs for cover thumbnails, created once per hash and released when the cache is full. */
const urls = new Map<string, Promise<string | null>>();
const LIMIT = 600;

export function artworkUrl(hash: string): Promise<string | null> {
	let url = urls.get(hash);
	if (url) {
		urls.delete(hash);
		urls.set(hash, url);
		return url;
	}
	url = db()
		.artwork.get(hash)
		.then((row) => (row ? URL.createObjectURL(row.blob) : null))
		.catch(() => null);
	urls.set(hash, url);
	if (urls.size > LIMIT) {
		const [oldest, promise] = urls.entries().next().value!;
		urls.delete(oldest);
		void promise.then((u) => u && URL.revokeObjectURL(u));
	}
	return url;
}
