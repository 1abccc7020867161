/**
 * A copy of an audio file with the library's tags written in, streamed into a writable: the new head, then
 * the original's bytes from disk (through the Ogg renumbering when needed), then any tail. The original
 * Blob is only read; the library's stored file never changes (it is addressed by its content hash).
 */
import { id3Copy, id3v2Length } from './id3';
import { TagWriteError, type ExportTags, type TaggedCopy } from './model';
import { mp4Copy } from './mp4';
import { flacCopy, oggCopy } from './vorbis';

export type TagFormat = 'mp3' | 'flac' | 'ogg' | 'mp4';

/** The format from the file's own bytes (never from its name or MIME type); null: copied as it is. */
export async function sniffTagFormat(file: Blob): Promise<{ format: TagFormat; skip: number } | null> {
	const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
	const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
	if (ascii(0, 4) === 'fLaC') return { format: 'flac', skip: 0 };
	if (ascii(0, 4) === 'OggS') return { format: 'ogg', skip: 0 };
	if (ascii(4, 8) === 'ftyp') return { format: 'mp4', skip: 0 };
	const id3 = id3v2Length(head);
	if (id3) {
		// FLAC files sometimes carry an ID3v2 tag before `fLaC`.
		const after = new Uint8Array(await file.slice(id3, id3 + 4).arrayBuffer());
		if (String.fromCharCode(...after) === 'fLaC') return { format: 'flac', skip: id3 };
		return { format: 'mp3', skip: 0 };
	}
	// A bare MPEG audio frame sync (layer III).
	if (head[0] === 0xff && (head[1]! & 0xe6) === 0xe2) return { format: 'mp3', skip: 0 };
	return null;
}

export type CoverReader = (tagBytes: Blob) => Promise<{ data: Uint8Array; mime: string } | null>;

export async function taggedCopy(file: Blob, tags: ExportTags, readCover: CoverReader): Promise<TaggedCopy> {
	const sniffed = await sniffTagFormat(file);
	if (!sniffed) throw new TagWriteError('untagged', 'This format has no tags we write');
	switch (sniffed.format) {
		case 'mp3':
			return id3Copy(file, tags, readCover);
		case 'flac':
			return flacCopy(file, tags, sniffed.skip);
		case 'ogg':
			return oggCopy(file, tags);
		case 'mp4':
			return mp4Copy(file, tags);
	}
}

/** Writes the copy: head, the original's kept bytes streamed from disk, tail. Closes `out`. */
export async function writeTaggedCopy(copy: TaggedCopy, file: Blob, out: WritableStream<Uint8Array>): Promise<void> {
	const writer = out.getWriter();
	try {
		if (copy.head.length) await writer.write(copy.head);
		let body = file.slice(copy.audioStart, copy.audioEnd).stream() as ReadableStream<Uint8Array>;
		if (copy.transform) body = body.pipeThrough(copy.transform());
		const reader = body.getReader();
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			await writer.write(value);
		}
		if (copy.tail?.length) await writer.write(copy.tail);
		await writer.close();
	} catch (error) {
		await writer.abort(error).catch(() => undefined);
		throw error;
	}
}
