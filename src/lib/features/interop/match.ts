/**
 * Which library track a track from another tool is: by file path (the library's folder-relative paths must
 * be a suffix of the other tool's absolute path, compared per segment, NFC, case-insensitively), then by
 * content hash (our own exports carry it), then by title + artist + duration (± 2 s), each only when unique.
 */
import type { TrackRow } from '../../db/schema';
import type { XTrack } from './model';
import { segmentsOf } from './paths';

const foldedSegments = (path: string) => segmentsOf(path).map((s) => s.toLocaleLowerCase('en'));

function suffixLength(x: string[], y: string[]): number {
	let n = 0;
	while (n < x.length && n < y.length && x[x.length - 1 - n] === y[y.length - 1 - n]) n++;
	return n;
}

export type MatchHow = 'path' | 'hash' | 'tags';

export interface MatchResult {
	hash: string;
	how: MatchHow;
}

const DURATION_SLACK_SEC = 2;

export const tagKey = (title: string, artist: string) =>
	`${title}\u0000${artist}`
		.normalize('NFKD')
		.replace(/\p{M}/gu, '')
		.toLocaleLowerCase('en')
		.replace(/\s+/g, ' ')
		.trim();

export class Matcher {
	/** By lower-cased file name: candidates with their folded segments, computed once. */
	#byName = new Map<string, { hash: string; segments: string[] }[]>();
	#hashes = new Set<string>();
	#byTags = new Map<string, TrackRow[]>();

	constructor(tracks: readonly TrackRow[]) {
		for (const track of tracks) {
			this.#hashes.add(track.hash);
			for (const path of new Set([...(track.paths ?? []), track.fileName])) {
				if (!path) continue;
				const segments = foldedSegments(path);
				const key = segments[segments.length - 1] ?? '';
				const list = this.#byName.get(key) ?? [];
				list.push({ hash: track.hash, segments });
				this.#byName.set(key, list);
			}
			if (track.title) {
				const key = tagKey(track.title, track.artist ?? '');
				const list = this.#byTags.get(key) ?? [];
				list.push(track);
				this.#byTags.set(key, list);
			}
		}
	}

	match(track: XTrack): MatchResult | null {
		if (track.path) {
			let best = 0;
			const found = new Set<string>();
			const wanted = foldedSegments(track.path);
			for (const candidate of this.#byName.get(wanted[wanted.length - 1] ?? '') ?? []) {
				const length = candidate.segments.length;
				const shared = suffixLength(wanted, candidate.segments);
				if (shared < length) continue;
				if (shared > best) {
					best = shared;
					found.clear();
				}
				if (shared === best) found.add(candidate.hash);
			}
			if (found.size === 1) return { hash: [...found][0]!, how: 'path' };
		}
		if (track.hash && this.#hashes.has(track.hash)) return { hash: track.hash, how: 'hash' };
		if (track.title) {
			const candidates = (this.#byTags.get(tagKey(track.title, track.artist)) ?? []).filter(
				(row) =>
					track.durationSec === null ||
					!row.duration ||
					Math.abs(row.duration - track.durationSec) <= DURATION_SLACK_SEC
			);
			if (candidates.length === 1) return { hash: candidates[0]!.hash, how: 'tags' };
		}
		return null;
	}
}
