/**
 * "Export files with tags": copies tracks' audio into a folder the user picked, writing the library's tags
 * into each copy. One file at a time, streamed from the audio store into the folder's file (never a whole
 * library — or a whole file, except small heads and M4A's `moov` — in memory); per-file results; cancellable
 * between and during files (a cancelled or failed file is removed, never left half-written).
 */
import { parseBuffer } from 'music-metadata';
import type { TrackRow } from '../../../db/schema';
import { exportTagsOf, TagWriteError } from './model';
import { taggedCopy, writeTaggedCopy, type CoverReader } from './tagged-copy';

export type ExportFailure = 'no-audio' | 'untagged' | 'read-failed' | 'write-failed' | 'bad-file' | 'other';

export interface TagExportResult {
	written: number;
	tagged: number;
	/** Files not exported, and files copied without tags (`untagged`), with the reason. */
	problems: { name: string; reason: ExportFailure; detail: string }[];
	cancelled: boolean;
}

/** The old tag's front cover, so a new ID3 tag keeps it. */
export const readId3Cover: CoverReader = async (tag) => {
	const meta = await parseBuffer(
		new Uint8Array(await tag.arrayBuffer()),
		{ mimeType: 'audio/mpeg' },
		{ skipPostHeaders: true, skipCovers: false }
	);
	const picture = meta.common.picture?.find((p) => p.type === 'Cover (front)') ?? meta.common.picture?.[0];
	return picture ? { data: picture.data, mime: picture.format } : null;
};

/** A file name safe on Windows, macOS and Linux, unique in this export. */
export function exportName(track: Pick<TrackRow, 'fileName' | 'hash'>, taken: Set<string>): string {
	const raw = (track.fileName || track.hash.slice(0, 12)).split(/[\\/]/).pop() ?? '';
	// eslint-disable-next-line no-control-regex
	const unsafe = /[\u0000-\u001f<>:"|?*\u007f]/g;
	let base =
		raw
			.replace(unsafe, '_')
			.replace(/[. ]+$/, '')
			.slice(0, 200) || track.hash.slice(0, 12);
	if (/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(base)) base = `_${base}`;
	const dot = base.lastIndexOf('.');
	const stem = dot > 0 ? base.slice(0, dot) : base;
	const ext = dot > 0 ? base.slice(dot) : '';
	let name = base;
	for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${stem} (${n})${ext}`;
	taken.add(name.toLowerCase());
	return name;
}

export interface TagExportDeps {
	readAudio(hash: string): Promise<Blob | null>;
	onProgress?(done: number, total: number, bytes: number): void;
	signal?: AbortSignal;
}

export async function exportTaggedFiles(
	dir: FileSystemDirectoryHandle,
	tracks: TrackRow[],
	{ readAudio, onProgress, signal }: TagExportDeps
): Promise<TagExportResult> {
	const result: TagExportResult = { written: 0, tagged: 0, problems: [], cancelled: false };
	const taken = new Set<string>();
	let bytes = 0;
	for (const [i, track] of tracks.entries()) {
		if (signal?.aborted) {
			result.cancelled = true;
			break;
		}
		onProgress?.(i, tracks.length, bytes);
		const name = exportName(track, taken);
		let file: Blob | null;
		try {
			file = track.storage === 'none' ? null : await readAudio(track.hash);
		} catch {
			result.problems.push({ name, reason: 'read-failed', detail: '' });
			continue;
		}
		if (!file) {
			result.problems.push({ name, reason: 'no-audio', detail: '' });
			continue;
		}
		let copy;
		try {
			copy = await taggedCopy(file, exportTagsOf(track), readId3Cover);
		} catch (error) {
			if (error instanceof TagWriteError && error.code === 'untagged') {
				// Formats without a tag we write (WAV, AIFF, multiplexed Ogg…) are still exported, unchanged.
				copy = { head: new Uint8Array(0), audioStart: 0, audioEnd: file.size };
				result.problems.push({ name, reason: 'untagged', detail: error.message });
			} else {
				result.problems.push({
					name,
					reason: error instanceof TagWriteError ? 'bad-file' : 'read-failed',
					detail: error instanceof Error ? error.message : String(error)
				});
				continue;
			}
		}
		try {
			const handle = await dir.getFileHandle(name, { create: true });
			const writable = await handle.createWritable();
			const out = new WritableStream<Uint8Array>({
				write: async (chunk) => {
					if (signal?.aborted) throw new DOMException('Cancelled', 'AbortError');
					await writable.write(chunk as BufferSource);
				},
				close: () => writable.close(),
				abort: () => writable.abort()
			});
			await writeTaggedCopy(copy, file, out);
			result.written++;
			if (copy.head.length || copy.tail) result.tagged++;
			bytes += file.size;
		} catch (error) {
			await dir.removeEntry(name).catch(() => undefined);
			if (signal?.aborted) {
				result.cancelled = true;
				break;
			}
			result.problems.push({
				name,
				reason: 'write-failed',
				detail: error instanceof Error ? error.message : String(error)
			});
		}
	}
	onProgress?.(result.cancelled ? result.written : tracks.length, tracks.length, bytes);
	return result;
}
