import { db, type ImportJournalRow, type TrackRow } from '$lib/db';
import { clearIncoming, deleteAudio, storedHashes } from '$lib/storage/audio-store';
import { IMPORT_CONCURRENCY, importFile, type ImportedFile } from '$lib/workers/import-client';
import { isWorkerError, type WorkerErrorCode } from '$workers/shared/errors';
import { analysisQueue } from '../analysis/analysis-queue.svelte';
import { storageStatus } from '../settings/storage.svelte';
import { isAudioFileName } from './audio-files';
import type { ImportWarning } from './frame-check';
import { library } from './library.svelte';
import { offlineStore } from './offline-store.svelte';

export type FailureCode =
	'empty' | 'not-audio' | 'truncated' | 'corrupt' | 'damaged' | 'disk-full' | 'unreadable' | 'other';

export interface ImportFailure {
	file: string;
	code: FailureCode;
	/** The underlying message, shown for 'other'. */
	detail: string;
}

/** A file that imported with something the user should know (damage in the middle, a cut-off end…). */
export interface ImportNotice {
	file: string;
	warnings: readonly ImportWarning[];
}

export type ImportPhase = 'idle' | 'running' | 'finished' | 'cancelled' | 'disk-full';

/** A file to import with the folder-relative path it was found at. */
export interface ImportSource {
	file: File;
	path: string;
	/** Its handle, where the browser gave one (pickers, drops): an interrupted import can reopen it. */
	handle?: FileSystemFileHandle;
	/** The picked or dropped folder it was found in (one permission request after a reload covers it). */
	root?: FileSystemDirectoryHandle;
	/** The journal row of an interrupted import this continues. */
	journalId?: number;
}

type Permission = 'granted' | 'denied' | 'prompt';
type PermissionHandle = FileSystemHandle & {
	queryPermission?(options: { mode: 'read' }): Promise<Permission>;
	requestPermission?(options: { mode: 'read' }): Promise<Permission>;
};

/** Read access to a stored handle: asks only when needed (asking needs the user's click). */
async function readPermission(handle: FileSystemHandle): Promise<boolean> {
	const h = handle as PermissionHandle;
	if (!h.queryPermission) return true;
	if ((await h.queryPermission({ mode: 'read' })) === 'granted') return true;
	return (await h.requestPermission?.({ mode: 'read' })) === 'granted';
}

/** A journal row that an interrupted import left and that this browser can reopen. */
export const isResumable = (row: ImportJournalRow): boolean => row.handle !== undefined;

const FAILURE_CODES: readonly WorkerErrorCode[] = [
	'empty',
	'not-audio',
	'truncated',
	'corrupt',
	'damaged',
	'disk-full',
	'unreadable'
];

/**
 * Walks dropped or picked folders (File System Access handles) recursively. Each file keeps its handle and
 * the folder that was picked, so an interrupted import can reopen it after a reload.
 */
export async function filesFromDirectory(
	dir: FileSystemDirectoryHandle,
	prefix = '',
	root: FileSystemDirectoryHandle = dir
): Promise<ImportSource[]> {
	const out: ImportSource[] = [];
	for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
		const path = `${prefix}${handle.name}`;
		if (handle.kind === 'directory')
			out.push(...(await filesFromDirectory(handle as FileSystemDirectoryHandle, `${path}/`, root)));
		else {
			const file = handle as FileSystemFileHandle;
			out.push({ file: await file.getFile(), path, handle: file, root });
		}
	}
	return out;
}

/** Files picked with the File System Access picker (with handles), in browsers that have one. */
export async function filesFromHandles(handles: readonly FileSystemFileHandle[]): Promise<ImportSource[]> {
	return Promise.all(handles.map(async (handle) => ({ file: await handle.getFile(), path: handle.name, handle })));
}

type HandleItem = DataTransferItem & { getAsFileSystemHandle?(): Promise<FileSystemHandle | null> };

/**
 * Reads files and folders from a drop, recursively. Where the browser gives File System Access handles
 * (Chromium), they are used, so an interrupted import can reopen the files; otherwise webkitGetAsEntry
 * (every browser). Both must be asked for before the drop event returns.
 */
export async function filesFromDrop(transfer: DataTransfer): Promise<ImportSource[]> {
	const items = [...transfer.items].filter((item) => item.kind === 'file');
	const handles = items.map((item) => (item as HandleItem).getAsFileSystemHandle?.());
	const entries = items.map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => Boolean(e));
	const fallbackFiles = [...transfer.files];
	if (handles.length > 0 && handles.every(Boolean)) {
		const resolved = await Promise.all(handles.map((handle) => handle!.catch(() => null)));
		if (resolved.every(Boolean)) {
			const out: ImportSource[] = [];
			for (const handle of resolved as FileSystemHandle[]) {
				if (handle.kind === 'directory')
					out.push(...(await filesFromDirectory(handle as FileSystemDirectoryHandle, `${handle.name}/`)));
				else out.push(...(await filesFromHandles([handle as FileSystemFileHandle])));
			}
			return out;
		}
	}
	if (entries.length === 0) return fallbackFiles.map((file) => ({ file, path: file.name }));
	const out: ImportSource[] = [];
	const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
		const path = `${prefix}${entry.name}`;
		if (entry.isFile) {
			const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
			out.push({ file, path });
			return;
		}
		const reader = (entry as FileSystemDirectoryEntry).createReader();
		for (;;) {
			// readEntries returns at most 100 entries per call.
			const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
			if (batch.length === 0) break;
			for (const child of batch) await walk(child, `${path}/`);
		}
	};
	for (const entry of entries) await walk(entry, '');
	return out;
}

export function sourcesFromFileList(files: FileList | readonly File[]): ImportSource[] {
	return [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/**
 * Adds files to the library, one at a time in the import worker (checks, tags, hash, store), so the UI
 * thread only records results. Every file is journalled before work starts: after a reload the
 * library can say exactly which files did not finish. The same content is one track: re-importing a
 * moved or renamed file adds its path and keeps ratings, analysis and playlists.
 */
export class Importer {
	#phase = $state<ImportPhase>('idle');
	#total = $state(0);
	#done = $state(0);
	#added = $state(0);
	#duplicates = $state(0);
	#skipped = $state(0);
	#bytesTotal = $state(0);
	#bytesDone = $state(0);
	#current = $state<string | null>(null);
	#startedAt = $state(0);
	#now = $state(0);
	#failures = $state.raw<ImportFailure[]>([]);
	#notices = $state.raw<ImportNotice[]>([]);
	#interrupted = $state.raw<ImportJournalRow[]>([]);
	#controller: AbortController | undefined;
	#queue: { source: ImportSource; journalId: number }[] = [];
	#jobId = '';
	#recovery: Promise<void> | undefined;

	get phase() {
		return this.#phase;
	}
	get total() {
		return this.#total;
	}
	get done() {
		return this.#done;
	}
	get added() {
		return this.#added;
	}
	get duplicates() {
		return this.#duplicates;
	}
	get skipped() {
		return this.#skipped;
	}
	get current() {
		return this.#current;
	}
	get failures(): readonly ImportFailure[] {
		return this.#failures;
	}
	/** Files that imported with warnings (damage in the middle, a cut-off end, an unreadable cover). */
	get notices(): readonly ImportNotice[] {
		return this.#notices;
	}
	/** Files of an earlier import that a reload or crash interrupted. */
	get interrupted(): readonly ImportJournalRow[] {
		return this.#interrupted;
	}
	/** How many of them can be reopened (they came with a handle) and so resumed. */
	get resumable(): number {
		return this.#interrupted.filter(isResumable).length;
	}
	get fraction(): number {
		return this.#bytesTotal ? this.#bytesDone / this.#bytesTotal : 0;
	}
	/** Bytes per second since the import started. */
	get speed(): number {
		const seconds = (this.#now - this.#startedAt) / 1000;
		return seconds > 0.2 ? this.#bytesDone / seconds : 0;
	}
	/** Seconds left at the current speed, or null while unknown. */
	get eta(): number | null {
		return this.speed > 0 ? (this.#bytesTotal - this.#bytesDone) / this.speed : null;
	}

	/** Clears a finished (or cancelled) import's summary, its warnings and failures included. */
	dismiss(): void {
		if (this.#phase === 'running') return;
		this.#phase = 'idle';
		this.#failures = [];
		this.#notices = [];
	}

	/** At start-up: report files an interrupted import left unfinished, and drop their temp bytes. */
	recover(): Promise<void> {
		// Once, and never while an import writes temp files.
		this.#recovery ??= this.#recover();
		return this.#recovery;
	}

	async #recover(): Promise<void> {
		const journal = db().importJournal;
		const pending = await journal.where('status').equals('pending').count();
		await clearIncoming();
		if (pending > 0) {
			await journal.where('status').equals('pending').modify({ status: 'interrupted' });
			// A file may have reached its content address just before the reload, without its track row.
			await collectOrphanAudio().catch(() => undefined);
		}
		// Rows of files that finished or failed in an interrupted job are of no further use (a finished job
		// deletes its own); no import runs yet, so nothing else is in the journal.
		await journal.where('status').anyOf('done', 'failed', 'skipped').delete();
		// Also those of an earlier reload that were neither resumed nor dismissed.
		this.#interrupted = await journal.where('status').equals('interrupted').toArray();
	}

	/** Forgets the interrupted files (the rows of a running import stay). */
	async dismissInterrupted(): Promise<void> {
		this.#interrupted = [];
		await db().importJournal.where('status').equals('interrupted').delete();
	}

	/**
	 * Continues an interrupted import with exactly the files that did not finish and can be reopened.
	 * Call it from the user's click: reading a picked file again after a reload needs the user's permission,
	 * asked once per picked folder (or per file picked on its own). Files that cannot be reopened stay listed.
	 */
	async resumeInterrupted(): Promise<void> {
		const rows = this.#interrupted.filter(isResumable);
		if (rows.length === 0) return;
		// One request per picked folder: a grant covers every file in it.
		const targets: FileSystemHandle[] = [];
		const targetOf = async (row: ImportJournalRow): Promise<FileSystemHandle> => {
			const wanted = row.root ?? row.handle!;
			for (const known of targets) if (await known.isSameEntry(wanted)) return known;
			targets.push(wanted);
			return wanted;
		};
		const allowed = new Map<FileSystemHandle, boolean>();
		const sources: ImportSource[] = [];
		const failed: ImportFailure[] = [];
		const taken = new Set<number | undefined>();
		for (const row of rows) {
			const target = await targetOf(row);
			if (!allowed.has(target)) allowed.set(target, await readPermission(target).catch(() => false));
			// Without permission the file stays listed as interrupted (and can be resumed later).
			if (!allowed.get(target)) continue;
			taken.add(row.id);
			try {
				const file = await row.handle!.getFile();
				sources.push({ file, path: row.path, handle: row.handle, root: row.root, journalId: row.id });
			} catch (error) {
				// Moved, deleted or renamed since: said per file, like any other failure.
				failed.push({
					file: row.path,
					code: 'unreadable',
					detail: error instanceof Error ? error.message : String(error)
				});
				await db().importJournal.delete(row.id!);
			}
		}
		this.#interrupted = this.#interrupted.filter((row) => !taken.has(row.id));
		if (taken.size > 0) await this.import(sources, failed);
	}

	cancel(): void {
		this.#queue = [];
		this.#controller?.abort();
	}

	/**
	 * Adds files to the running import, or starts one. `failures`: files already known not to import (a
	 * resumed import's files that could not be reopened), reported with the rest.
	 */
	async import(sources: readonly ImportSource[], failures: readonly ImportFailure[] = []): Promise<void> {
		const audio = sources.filter((source) => isAudioFileName(source.file.name));
		const skipped = sources.length - audio.length;
		if (this.#phase === 'running') {
			this.#queue.push(...(await this.#journal(audio)));
			this.#skipped += skipped;
			this.#total += audio.length + failures.length;
			this.#done += failures.length;
			this.#failures = [...this.#failures, ...failures];
			void this.#addSizes(audio);
			return;
		}
		this.#phase = 'running';
		await this.recover().catch(() => undefined);
		this.#jobId = crypto.randomUUID();
		// Every file is journalled before any work starts, so a reload can name all that did not finish.
		this.#queue = await this.#journal(audio);
		this.#skipped = skipped;
		this.#total = audio.length + failures.length;
		this.#done = this.#added = this.#duplicates = 0;
		this.#failures = [...failures];
		this.#notices = [];
		this.#bytesTotal = 0;
		void this.#addSizes(audio);
		this.#bytesDone = 0;
		this.#startedAt = this.#now = performance.now();
		this.#controller = new AbortController();
		const { signal } = this.#controller;
		const jobId = this.#jobId;
		let diskFull = false;

		// Bytes of finished files plus progress of those in flight, for the bar, MB/s and ETA.
		let finishedBytes = 0;
		const inflight = new Map<ImportSource, number>();
		let doneCount = failures.length;
		let currentPath: string | null = null;
		// Progress reaches the UI at most four times a second: a state change per file and per progress
		// event re-rendered the panel hundreds of times and made long tasks of its own, and at ten a second
		// layout, paint and compositing of the panel still took ~1 s of a 200-file import's UI-thread time.
		let published: ReturnType<typeof setTimeout> | undefined;
		const publish = () => {
			published = undefined;
			let bytes = finishedBytes;
			for (const done of inflight.values()) bytes += done;
			this.#bytesDone = bytes;
			this.#done = doneCount;
			// The file in flight longest (a long mix stays named while short files pass beside it).
			this.#current = inflight.keys().next().value?.path ?? currentPath;
			this.#now = performance.now();
		};
		const tick = () => {
			published ??= setTimeout(publish, 250);
		};

		// Finished files are recorded in batches, one IndexedDB transaction each, while the workers go on
		// with the next files: a transaction per file cost ~9 ms of the UI thread and kept a worker idle.
		let pending: { result: ImportedFile; source: ImportSource; journalId: number }[] = [];
		// Summed stage times of the workers and the UI thread's row writes: the bench reads them from a mark.
		const stages: Record<string, number> = { files: 0, record: 0 };
		let hashEngine: ImportedFile['hashEngine'] | undefined;
		let flushing: Promise<void> | undefined;
		// New rows reach the table once a second: each update re-runs the query and the genre list in the
		// catalog worker and re-renders the table, work that competes with the import for the cores.
		let changed: string[] = [];
		let changedTimer: ReturnType<typeof setTimeout> | undefined;
		const showChanged = () => {
			clearTimeout(changedTimer);
			changedTimer = undefined;
			if (changed.length) void library.changed(changed);
			changed = [];
		};
		const announce = (hashes: string[]) => {
			changed.push(...hashes);
			changedTimer ??= setTimeout(showChanged, 1000);
		};
		// Rows of files that finish close together share a transaction: written once 8 wait, or 250 ms after
		// the first (a transaction per file kept the browser's IndexedDB busy ~200 times per 200 files).
		let flushTimer: ReturnType<typeof setTimeout> | undefined;
		const scheduleFlush = () => {
			if (pending.length < 8) {
				flushTimer ??= setTimeout(() => {
					flushTimer = undefined;
					void flush();
				}, 250);
				return;
			}
			clearTimeout(flushTimer);
			flushTimer = undefined;
			void flush();
		};
		const flush = (): Promise<void> => {
			flushing ??= (async () => {
				while (pending.length > 0) {
					const batch = pending;
					pending = [];
					try {
						// Counted as done only once their rows are written (or failed): a reload right after shows
						// every file the panel called done in the library.
						const recordStart = performance.now();
						const fresh = await this.#record(batch);
						stages.record! += performance.now() - recordStart;
						this.#added += fresh;
						this.#duplicates += batch.length - fresh;
					} catch (error) {
						// The bytes are stored but the rows are not: these files failed (their new bytes go) and the
						// import goes on, unless the disk is full.
						await dropUnreferenced(
							batch.flatMap((item) => (item.result.stored === 'stored' ? [item.result.hash] : []))
						);
						const failures = batch.map((item) => describeFailure(item.source.path, error));
						this.#failures = [...this.#failures, ...failures];
						if (failures[0]?.code === 'disk-full') {
							diskFull = true;
							this.#queue = [];
						}
						doneCount += batch.length;
						tick();
						continue;
					}
					doneCount += batch.length;
					tick();
					const hashes = batch.map((item) => item.result.hash);
					announce(hashes);
					// New content is analysed in the background (when auto-analysis is on), after the import.
					void analysisQueue.enqueueNew(hashes);
				}
			})().finally(() => (flushing = undefined));
			return flushing;
		};

		const importOne = async (source: ImportSource, journalId: number) => {
			currentPath = source.path;
			inflight.set(source, 0);
			tick();
			let recording = false;
			try {
				const result = await importFile(source.file, {
					signal,
					onProgress: ({ bytesDone }) => {
						inflight.set(source, bytesDone);
						tick();
					}
				});
				pending.push({ result, source, journalId });
				// Only what the user can act on: "length unknown" is filled in by analysis anyway.
				const warnings = result.warnings.filter((w) => w.code !== 'duration-unknown');
				if (warnings.length) this.#notices = [...this.#notices, { file: source.path, warnings }];
				stages.files!++;
				for (const [stage, ms] of Object.entries(result.timings)) stages[stage] = (stages[stage] ?? 0) + ms;
				hashEngine = result.hashEngine;
				// Rows of files that finish during a write go into the next one.
				recording = true;
				scheduleFlush();
			} catch (error) {
				// Only the user's cancel ends the import; any other error is this file's failure.
				if (signal.aborted) return;
				const failure = describeFailure(source.path, error);
				this.#failures = [...this.#failures, failure];
				await db()
					.importJournal.update(journalId, { status: 'failed', reason: failure.code })
					.catch(() => undefined);
				if (failure.code === 'disk-full') {
					// Stop: every further file would fail the same way. What finished is kept.
					diskFull = true;
					this.#queue = [];
				}
			} finally {
				inflight.delete(source);
				finishedBytes += source.file.size;
				// A file waiting for its row is counted when the row is written (flush).
				if (!recording) doneCount++;
				tick();
			}
		};

		// Analysis waits while files import: on a small machine both compete for the same cores, and a
		// library that is complete sooner is worth more than a first BPM a few seconds earlier.
		const release = analysisQueue.hold();
		try {
			// A pool, not batches: a worker takes the next file as soon as it is free (files added while
			// this runs join the same queue).
			await Promise.all(
				Array.from({ length: IMPORT_CONCURRENCY }, async () => {
					while (this.#queue.length > 0 && !signal.aborted && !diskFull) {
						const next = this.#queue.shift()!;
						await importOne(next.source, next.journalId);
					}
				})
			);
			clearTimeout(flushTimer);
			await flush();
		} finally {
			clearTimeout(flushTimer);
			release();
			clearTimeout(published);
			publish();
			showChanged();
		}
		performance.mark('cratemesh:import-stages', {
			detail: { ...stages, ms: performance.now() - this.#startedAt, hashEngine }
		});
		// Anything still pending was cancelled: it is not an interrupted import.
		await db().importJournal.where('jobId').equals(jobId).delete();
		this.#current = null;
		this.#phase = diskFull ? 'disk-full' : signal.aborted ? 'cancelled' : 'finished';
		// Keep unpinned audio under the user's cap (newly added tracks count as recently used).
		await offlineStore.enforce().catch(() => undefined);
		// The user now has something to lose: the right moment to ask for persistent storage.
		if (this.#added > 0 && storageStatus.persist !== 'persisted') {
			await storageStatus.requestPersistence().catch(() => undefined);
		}
	}

	/**
	 * Journal rows (path and handle; not the size: reading sizes can be slow, see #addSizes), in chunks. A
	 * resumed file's row joins this job as it is.
	 */
	async #journal(sources: readonly ImportSource[]): Promise<{ source: ImportSource; journalId: number }[]> {
		const out: { source: ImportSource; journalId: number }[] = [];
		const resumed = sources.filter((source) => source.journalId !== undefined);
		if (resumed.length > 0) {
			await db().importJournal.bulkUpdate(
				resumed.map((source) => ({
					key: source.journalId!,
					changes: { jobId: this.#jobId, status: 'pending' as const }
				}))
			);
			for (const source of resumed) out.push({ source, journalId: source.journalId! });
		}
		const fresh = sources.filter((source) => source.journalId === undefined);
		for (let i = 0; i < fresh.length; i += 500) {
			const chunk = fresh.slice(i, i + 500);
			const ids = (await db().importJournal.bulkAdd(
				chunk.map((s) => ({
					jobId: this.#jobId,
					path: s.path,
					status: 'pending' as const,
					...(s.handle ? { handle: s.handle } : {}),
					...(s.root ? { root: s.root } : {})
				})),
				{ allKeys: true }
			)) as number[];
			chunk.forEach((source, j) => out.push({ source, journalId: ids[j]! }));
		}
		return out;
	}

	/**
	 * Reading `File.size` of a picked file can cost a synchronous round trip to the browser process;
	 * for thousands of files that would freeze the page, so sizes are summed a few at a time.
	 */
	async #addSizes(sources: readonly ImportSource[]): Promise<void> {
		// A time budget, not a count: each read blocks for as long as the browser process takes to answer,
		// which during an import on a loaded machine was ~8 ms per file (trace, load 10), so 20 at a time
		// made tasks of 160 ms.
		let i = 0;
		while (i < sources.length) {
			const sliceStart = performance.now();
			let bytes = 0;
			do bytes += sources[i++]!.file.size;
			while (i < sources.length && performance.now() - sliceStart < 8);
			this.#bytesTotal += bytes;
			await new Promise((resolve) => setTimeout(resolve, 0));
		}
	}

	/**
	 * Writes the rows of finished files in one transaction (journal, artwork, tracks); returns how many
	 * were new content. The same content twice (also within one batch) is one track with both paths.
	 */
	async #record(batch: readonly { result: ImportedFile; source: ImportSource; journalId: number }[]): Promise<number> {
		const database = db();
		return database.transaction('rw', database.tracks, database.artwork, database.importJournal, async () => {
			const hashes = [...new Set(batch.map((item) => item.result.hash))];
			const artHashes = [...new Set(batch.flatMap((item) => (item.result.artwork ? [item.result.artwork.hash] : [])))];
			const [existingRows, existingArt] = await Promise.all([
				database.tracks.bulkGet(hashes),
				database.artwork.bulkGet(artHashes)
			]);
			const tracks = new Map<string, TrackRow>();
			const known = new Set<string>();
			hashes.forEach((hash, i) => {
				const row = existingRows[i];
				if (row) {
					tracks.set(hash, row);
					known.add(hash);
				}
			});
			const art = new Map<string, { hash: string; blob: Blob }>();
			const heldArt = new Set(artHashes.filter((_, i) => existingArt[i]));
			let fresh = 0;
			for (const { result, source } of batch) {
				if (result.artwork && !heldArt.has(result.artwork.hash)) art.set(result.artwork.hash, result.artwork);
				const existing = tracks.get(result.hash);
				if (existing) {
					tracks.set(result.hash, {
						...existing,
						paths: existing.paths.includes(source.path) ? existing.paths : [...existing.paths, source.path],
						storage: existing.storage === 'none' ? result.storage : existing.storage,
						artwork: existing.artwork ?? result.artwork?.hash ?? null
					});
					continue;
				}
				fresh++;
				tracks.set(result.hash, {
					hash: result.hash,
					fileName: source.file.name,
					size: result.size,
					mime: source.file.type,
					dateAdded: Date.now(),
					...result.tags,
					bpm: result.tags.tagBpm,
					key: result.tags.tagKey,
					artwork: result.artwork?.hash ?? null,
					rating: 0,
					color: null,
					freeTags: [],
					playCount: 0,
					lastPlayed: null,
					storage: result.storage,
					pinned: false,
					paths: [source.path]
				});
			}
			if (art.size) await database.artwork.bulkAdd([...art.values()]);
			// Existing tracks get only the import's fields: a full put would undo a concurrent tag edit.
			const updates = [...known].map((hash) => {
				const row = tracks.get(hash)!;
				return { key: hash, changes: { paths: row.paths, storage: row.storage, artwork: row.artwork } };
			});
			if (updates.length) await database.tracks.bulkUpdate(updates);
			await database.tracks.bulkAdd([...tracks.values()].filter((row) => !known.has(row.hash)));
			await database.importJournal.bulkUpdate(
				batch.map((item) => ({ key: item.journalId, changes: { status: 'done' as const, hash: item.result.hash } }))
			);
			return fresh;
		});
	}
}

/** Deletes these files' bytes unless a track refers to them. */
async function dropUnreferenced(hashes: readonly string[]): Promise<void> {
	const rows = await db()
		.tracks.bulkGet([...hashes])
		.catch(() => hashes.map(() => 'unknown'));
	await Promise.all(hashes.map((hash, i) => (rows[i] ? undefined : deleteAudio(hash).catch(() => undefined))));
}

/**
 * Deletes stored audio that nothing refers to: no track, and no asset of a store player's schedule (those
 * live in the sync feature's `syncAssets` table); returns how many files went.
 */
export async function collectOrphanAudio(): Promise<number> {
	let removed = 0;
	let batch: string[] = [];
	const flush = async () => {
		const [rows, assets] = await Promise.all([db().tracks.bulkGet(batch), db().table('syncAssets').bulkGet(batch)]);
		for (const [i, hash] of batch.entries()) {
			if (rows[i] || assets[i]) continue;
			await deleteAudio(hash);
			removed++;
		}
		batch = [];
	};
	for await (const hash of storedHashes()) {
		batch.push(hash);
		if (batch.length === 500) await flush();
	}
	if (batch.length) await flush();
	return removed;
}

function describeFailure(file: string, error: unknown): ImportFailure {
	const detail = error instanceof Error ? error.message : String(error);
	// A DOMException from OPFS, or Dexie's own error class of the same name from IndexedDB.
	if ((error as { name?: unknown } | null)?.name === 'QuotaExceededError') return { file, code: 'disk-full', detail };
	if (isWorkerError(error) && (FAILURE_CODES as string[]).includes(error.code))
		return { file, code: error.code as FailureCode, detail };
	return { file, code: 'other', detail };
}

export const importer = new Importer();
