/**
 * Which audio to drop when the library's audio exceeds the user's cap: never pinned tracks; among the
 * rest, least recently played first (never-played ones by when they were added), until under the cap.
 */
export interface StoredTrack {
	hash: string;
	size: number;
	pinned: boolean;
	storage: 'opfs' | 'idb' | 'none';
	lastPlayed: number | null;
	dateAdded: number;
}

export function chooseEvictions(tracks: readonly StoredTrack[], capBytes: number | null): string[] {
	if (capBytes === null) return [];
	const stored = tracks.filter((t) => t.storage !== 'none');
	let total = stored.reduce((sum, t) => sum + t.size, 0);
	if (total <= capBytes) return [];
	const candidates = stored
		.filter((t) => !t.pinned)
		.sort((a, b) => (a.lastPlayed ?? a.dateAdded) - (b.lastPlayed ?? b.dateAdded) || a.hash.localeCompare(b.hash));
	const out: string[] = [];
	for (const track of candidates) {
		if (total <= capBytes) break;
		out.push(track.hash);
		total -= track.size;
	}
	return out;
}

export interface StorageSummary {
	pinned: { count: number; bytes: number };
	cached: { count: number; bytes: number };
	missing: number;
}

export function summarise(tracks: readonly StoredTrack[]): StorageSummary {
	const summary: StorageSummary = { pinned: { count: 0, bytes: 0 }, cached: { count: 0, bytes: 0 }, missing: 0 };
	for (const t of tracks) {
		if (t.storage === 'none') summary.missing++;
		else if (t.pinned) {
			summary.pinned.count++;
			summary.pinned.bytes += t.size;
		} else {
			summary.cached.count++;
			summary.cached.bytes += t.size;
		}
	}
	return summary;
}
