/// <reference lib="webworker" />
import { expose } from 'comlink';
import { parseBlob, parseBuffer } from 'music-metadata';
import { audioLocation, createAudioWriter, hasOpfsAudio, storageBackend } from '../src/lib/storage/audio-store';
import { chunkedBlob } from '../src/lib/features/library/chunked-reader';
import { formatDuration } from '../src/lib/features/library/audio-files';
import {
	createFrameChecker,
	frameVerdict,
	type FrameChecker,
	type ImportWarning
} from '../src/lib/features/library/frame-check';
import { SNIFF_BYTES, sniffAudio, type AudioFormat } from '../src/lib/features/library/sniff';
import { tagsFromMetadata, type ParsedTags, type TrackTags } from '../src/lib/features/library/tags';
import { signalFromPort, throwIfAborted, type CancelPort } from './shared/cancel';
import { installWorkerErrorTransfer, toWorkerError, WorkerError } from './shared/errors';
import {
	borrowHasher,
	returnHasher,
	sha256Engine,
	sha256Hex,
	useSha256Engine,
	type Sha256Engine
} from './shared/sha256';

installWorkerErrorTransfer();

export interface ImportProgress {
	bytesDone: number;
	bytesTotal: number;
}

export interface ImportedFile {
	hash: string;
	size: number;
	format: AudioFormat;
	/** 'existed' when the same bytes were already in the library. */
	stored: 'stored' | 'existed';
	storage: 'opfs' | 'idb';
	tags: TrackTags;
	artwork: { hash: string; blob: Blob } | null;
	/** Problems that did not stop the import (damage in the middle, an unreadable cover…). */
	warnings: ImportWarning[];
	/** Milliseconds per stage, for diagnostics and the bench. */
	timings: ImportTimings;
	/** The SHA-256 this worker found cheaper (diagnostics and the bench). */
	hashEngine: Sha256Engine;
}

/** Wall time per stage of one file in its worker (ms). */
export interface ImportTimings {
	read: number;
	parse: number;
	/** The structural check of the frames (MP3, FLAC, Ogg). */
	check: number;
	artwork: number;
	hash: number;
	/** Is the content already held? */
	lookup: number;
	/** Temp file and its sync access handle. */
	open: number;
	write: number;
	/** Close, and move to the content address. */
	commit: number;
}

/**
 * Files up to this size are read once and handled in memory: one Blob read instead of many (each is a
 * round trip to the browser process), hashed with whichever SHA-256 is cheaper here (shared/sha256.ts).
 * Larger files (long mixes, WAV) stream through hash-wasm.
 */
const WHOLE_BYTES = 48 * 1024 * 1024;
const THUMB_SIZE = 128;

function titleFrom(name: string): string {
	const dot = name.lastIndexOf('.');
	return (dot > 0 ? name.slice(0, dot) : name).trim() || name;
}

async function thumbnail(data: Uint8Array, format: string): Promise<{ hash: string; blob: Blob }> {
	const bitmap = await createImageBitmap(new Blob([data as BlobPart], { type: format }), {
		resizeWidth: THUMB_SIZE,
		resizeHeight: THUMB_SIZE,
		resizeQuality: 'medium'
	});
	const canvas = new OffscreenCanvas(THUMB_SIZE, THUMB_SIZE);
	canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
	bitmap.close();
	const blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
	return { hash: await sha256Hex(new Uint8Array(await blob.arrayBuffer())), blob };
}

/**
 * Where content is held already. With OPFS, new bytes only ever go there, so one directory lookup
 * answers (a browser-process round trip each: under load they were ~15 % of a file's time); the
 * IndexedDB fallback is asked only when there is no OPFS.
 */
async function heldAt(hash: string): Promise<'opfs' | 'idb' | null> {
	if ((await storageBackend()) !== 'opfs') return audioLocation(hash);
	return (await hasOpfsAudio(hash)) ? 'opfs' : null;
}

/**
 * Applies the frame check: refuses a file that is mostly unreadable or shorter than its header says,
 * takes the counted duration, and adds the warnings of a file that imports anyway.
 */
function judge(checker: FrameChecker, tags: TrackTags, warnings: ImportWarning[]): void {
	const verdict = frameVerdict(checker.result());
	if (!verdict.ok) {
		const detail = `${formatDuration(verdict.found)} / ${formatDuration(verdict.of)}`;
		if (verdict.code === 'truncated')
			throw new WorkerError('truncated', `The file is truncated: its audio stops at ${detail}`);
		throw new WorkerError('damaged', detail);
	}
	// Counted frames beat a header's estimate (a VBR MP3 without a Xing header has none, Ogg keeps it at the end).
	if (verdict.duration) tags.duration = verdict.duration;
	warnings.push(...verdict.warnings);
}

const api = {
	/** The SHA-256 engine this worker hashes with (measured here on first use, ~60 ms). */
	sha256Engine(): Promise<Sha256Engine> {
		return sha256Engine();
	},

	/** Hash with `engine` without measuring (the first worker, or an earlier page load, measured it). */
	useSha256Engine(engine: Sha256Engine): void {
		if (engine === 'native' || engine === 'wasm') useSha256Engine(engine);
	},

	/**
	 * Checks, tags, hashes and stores one file. Bytes stream through in 4 MiB slices (hashed and written
	 * to a temp file at once) and land at their content address only when complete.
	 */
	async importFile(
		file: File,
		onProgress?: (progress: ImportProgress) => void,
		cancel?: CancelPort
	): Promise<ImportedFile> {
		const signal = signalFromPort(cancel);
		const warnings: ImportWarning[] = [];
		let writer: Awaited<ReturnType<typeof createAudioWriter>> | undefined;
		// Milliseconds per stage (wall time in this worker), summed by the importer for the bench.
		const timings: ImportTimings = {
			read: 0,
			parse: 0,
			check: 0,
			artwork: 0,
			hash: 0,
			lookup: 0,
			open: 0,
			write: 0,
			commit: 0
		};
		let mark = performance.now();
		const lap = (stage: keyof ImportTimings) => {
			const now = performance.now();
			timings[stage] += now - mark;
			mark = now;
		};
		try {
			if (!(file instanceof Blob)) throw new WorkerError('invalid-input', 'Expected a File');
			if (file.size === 0) throw new WorkerError('empty', 'The file is empty (0 bytes)');
			const whole = file.size <= WHOLE_BYTES ? new Uint8Array(await file.arrayBuffer()) : null;
			const head = whole
				? whole.subarray(0, SNIFF_BYTES)
				: new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
			lap('read');
			// A native digest runs on the browser's own thread: started now, it overlaps the tag parsing. The
			// WASM one runs on this thread, so it waits until the hash stage (and is timed as such).
			const native = (await sha256Engine()) === 'native';
			const digest = whole && native ? sha256Hex(whole) : null;
			// A rejected digest is awaited below; do not let it count as unhandled while a parse error is thrown.
			digest?.catch(() => undefined);
			const sniffed = sniffAudio(head, file.size);
			if (!sniffed)
				throw new WorkerError('not-audio', 'This is not an audio file (its contents match no supported format)');
			if (sniffed.truncated)
				throw new WorkerError('truncated', 'The file is truncated: it is shorter than its header says');

			// The frames are walked over bytes already in memory (whole files here, slices as they stream
			// below): it finds damage and counts the exact length without a second pass over the file.
			const checker = createFrameChecker(sniffed.format, sniffed.audioStart);
			let meta: ParsedTags;
			try {
				// Durations from headers only: where they give none (VBR MP3 without a Xing header, Ogg), the
				// frame check counts it, so the parser never scans the whole file.
				const options = { duration: false, skipCovers: false };
				meta = (whole
					? await parseBuffer(whole, { size: file.size }, options)
					: await parseBlob(chunkedBlob(file), options)) as unknown as ParsedTags;
			} catch (error) {
				throw new WorkerError(
					'corrupt',
					`The file could not be read as ${sniffed.format.toUpperCase()}: ${error instanceof Error ? error.message : error}`
				);
			}
			throwIfAborted(signal);
			const tags = tagsFromMetadata(meta, titleFrom(file.name));
			lap('parse');
			if (whole && checker) {
				checker.push(whole, true);
				judge(checker, tags, warnings);
			}
			lap('check');

			let artwork: ImportedFile['artwork'] = null;
			const picture = (meta.common as { picture?: { data: Uint8Array; format: string }[] }).picture?.[0];
			if (picture) {
				try {
					artwork = await thumbnail(picture.data, picture.format);
				} catch {
					warnings.push({ code: 'cover-unreadable' });
				}
			}
			lap('artwork');

			let sha256 = '';
			let held: 'opfs' | 'idb' | null = null;
			if (whole) {
				// Hash before writing: content already in the store (a folder imported again) is not written twice.
				sha256 = await (digest ?? sha256Hex(whole));
				lap('hash');
				held = await heldAt(sha256);
				lap('lookup');
				if (!held) {
					writer = await createAudioWriter();
					lap('open');
					await writer.write(whole);
					lap('write');
				}
				onProgress?.({ bytesDone: file.size, bytesTotal: file.size });
			} else {
				writer = await createAudioWriter();
				lap('open');
				const hash = await borrowHasher();
				let offset = 0;
				let lastReport = 0;
				// The browser's own stream of the file: small chunks that the young generation collects at once
				// (4 MiB slices piled up until a full GC: the renderer grew by ~0.8× a mix's size).
				const reader = file.stream().getReader();
				for (;;) {
					throwIfAborted(signal);
					const { done, value: bytes } = await reader.read();
					lap('read');
					if (done) break;
					hash.update(bytes);
					lap('hash');
					checker?.push(bytes, false);
					lap('check');
					await writer.write(bytes);
					lap('write');
					offset += bytes.length;
					const now = performance.now();
					if (onProgress && now - lastReport > 100) {
						lastReport = now;
						onProgress({ bytesDone: offset, bytesTotal: file.size });
					}
				}
				if (offset !== file.size) throw new WorkerError('unreadable', 'The file changed while it was read');
				onProgress?.({ bytesDone: offset, bytesTotal: file.size });
				checker?.push(new Uint8Array(0), true);
				lap('check');
				sha256 = hash.digest('hex');
				returnHasher(hash);
				if (checker) judge(checker, tags, warnings);
			}
			if (!tags.duration) warnings.push({ code: 'duration-unknown' });
			throwIfAborted(signal);
			const stored = writer ? await writer.commit(sha256, { checked: whole !== null }) : 'existed';
			const storage = writer ? writer.kind : held!;
			writer = undefined;
			lap('commit');
			return {
				hash: sha256,
				size: file.size,
				format: sniffed.format,
				stored,
				storage,
				tags,
				artwork,
				warnings,
				timings,
				hashEngine: await sha256Engine()
			};
		} catch (error) {
			await writer?.abort();
			throw toWorkerError(error);
		}
	}
};

expose(api);
export type ImportApi = typeof api;
