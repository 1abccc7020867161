/// <reference lib="webworker" />
import { expose } from 'comlink';
import { createSHA256 } from 'hash-wasm';
import { openDb, type CratemeshDb } from '../src/lib/db/schema';
import { exportDoc, type ExportOptions } from '../src/lib/features/interop/export-model';
import { detectFormat, FORMATS } from '../src/lib/features/interop/formats';
import { applyOps, readExtras, readSnapshot, timelineOffsets } from '../src/lib/features/interop/library-data';
import { Matcher } from '../src/lib/features/interop/match';
import type { ExchangeFormat, XPlaylist } from '../src/lib/features/interop/model';
import { planImport, type ImportPlan } from '../src/lib/features/interop/plan';
import { refused, summarise, type PreviewSummary } from '../src/lib/features/interop/preview';
import { signalFromPort, throwIfAborted, type CancelPort } from './shared/cancel';
import { installWorkerErrorTransfer, toWorkerError, WorkerError } from './shared/errors';
import {
	applyRestore,
	BackupError,
	backupData,
	openBackup,
	planRestore,
	writeBackupZip,
	type AudioSource,
	type OpenedBackup,
	type RestorePlan
} from '../src/lib/features/interop/backup';
import { createAudioWriter, readAudio } from '../src/lib/storage/audio-store';
import { exportTaggedFiles, type TagExportResult } from '../src/lib/features/interop/tags/export-files';
import type { TrackRow } from '../src/lib/db/schema';

installWorkerErrorTransfer();

export type { PreviewSummary };

export interface InteropProgress {
	phase: 'reading' | 'matching' | 'writing';
	done: number;
	total: number;
}

let database: CratemeshDb | undefined;
const db = () => (database ??= openDb());
/** Plans waiting for the user's answer; only the latest is kept (a new preview replaces it). */
let pending: { id: number; plan: ImportPlan } | null = null;
let nextId = 1;

const api = {
	/**
	 * Reads an exchange file and plans the import against the library, changing nothing. The plan stays in
	 * the worker until `apply(id)` or `discard(id)`.
	 */
	async preview(
		file: Blob,
		fileName: string,
		format: ExchangeFormat | 'auto' = 'auto',
		onProgress?: (progress: InteropProgress) => void,
		cancel?: CancelPort
	): Promise<PreviewSummary> {
		const signal = signalFromPort(cancel);
		try {
			if (!(file instanceof Blob)) throw new WorkerError('invalid-input', 'Expected a File or Blob');
			const started = performance.now();
			const kind = format === 'auto' ? await detectFormat(file, fileName) : format;
			const reader = FORMATS[kind];
			const id = nextId++;
			const doc = await reader.parse(file, {
				fileName,
				signal,
				onBytes: (done, total) => onProgress?.({ phase: 'reading', done, total })
			});
			throwIfAborted(signal);
			if (doc.fatal) return refused(id, fileName, kind, doc.fatal, doc.issues);
			const parsed = performance.now();
			onProgress?.({ phase: 'matching', done: 0, total: doc.tracks.length });
			const base = await readSnapshot(db(), []);
			const matcher = new Matcher(base.tracks);
			const hashes = doc.tracks.flatMap((t) => matcher.match(t)?.hash ?? []);
			const library = { ...base, analysis: (await readSnapshot(db(), hashes)).analysis };
			throwIfAborted(signal);
			const byHash = new Map(base.tracks.map((t) => [t.hash, t]));
			const gridTracks = doc.tracks.flatMap((t) => {
				const hash = t.grid ? matcher.match(t)?.hash : undefined;
				return hash && byHash.has(hash) ? [byHash.get(hash)!] : [];
			});
			const plan = planImport(doc, library, { offsetOf: await timelineOffsets(gridTracks, library.analysis) });
			pending = { id, plan };
			onProgress?.({ phase: 'matching', done: doc.tracks.length, total: doc.tracks.length });
			return summarise(id, fileName, plan, { parse: parsed - started, plan: performance.now() - parsed });
		} catch (error) {
			throw toWorkerError(error);
		}
	},

	/** Writes the previewed plan in one transaction; returns the hashes of tracks that changed. */
	async apply(id: number): Promise<{ changed: string[]; playlists: number }> {
		try {
			if (!pending || pending.id !== id) throw new WorkerError('invalid-input', 'This preview is no longer current');
			const { plan } = pending;
			pending = null;
			const changed = await applyOps(db(), plan.ops);
			return { changed, playlists: plan.ops.playlistPuts.length + plan.ops.itemAdds.length };
		} catch (error) {
			throw toWorkerError(error);
		}
	},

	discard(id: number): void {
		if (pending?.id === id) pending = null;
	},

	/** The whole library as an exchange file. */
	async exportLibrary(
		format: ExchangeFormat,
		options: Pick<ExportOptions, 'base'> & { playlistId?: string } = {}
	): Promise<{ blob: Blob; tracks: number; skipped: string[] }> {
		try {
			const writer = FORMATS[format];
			if (!writer) throw new WorkerError('invalid-input', `Unknown format ${format}`);
			const library = await readSnapshot(db());
			const graded = new Set(library.analysis.filter((a) => a.beatGrid.bpm > 0).map((a) => a.hash));
			const offsetOf = await timelineOffsets(
				library.tracks.filter((t) => graded.has(t.hash)),
				library.analysis
			);
			const doc = exportDoc(library, { base: options.base, extras: await readExtras(db()), offsetOf });
			if (format === 'm3u' || format === 'pls') {
				// A playlist file holds one playlist: the chosen one.
				const flat = (list: XPlaylist[]): XPlaylist[] => list.flatMap((p) => [p, ...flat(p.children)]);
				const chosen = flat(doc.playlists).find((p) => p.id === options.playlistId && p.kind === 'playlist');
				if (!chosen) throw new WorkerError('invalid-input', 'Choose a playlist to export');
				doc.playlists = [chosen];
			}
			return {
				blob: writer.write({ ...doc, format }),
				tracks: doc.tracks.length,
				skipped: doc.issues.map((i) => i.where)
			};
		} catch (error) {
			throw toWorkerError(error);
		}
	}
};

export interface RestoreSummary {
	id: number;
	encrypted: boolean;
	createdAt: number;
	tracksInBackup: number;
	tracksNew: number;
	tracksUpdated: number;
	unchanged: number;
	cuesNew: number;
	playlistsNew: number;
	itemsNew: number;
	settingsNew: number;
	audioToRestore: number;
}

let pendingRestore: { id: number; plan: RestorePlan; opened: OpenedBackup } | null = null;

/** A WorkerError the UI can show, from a backup problem. */
const backupFailure = (error: unknown) =>
	error instanceof BackupError
		? new WorkerError('invalid-input', error.message, { reason: error.code })
		: toWorkerError(error);

const backupApi = {
	/**
	 * Writes a backup zip into OPFS (`backups/`), streaming each audio file into it, and returns the file
	 * (disk-backed: the page downloads it without holding it in memory).
	 */
	async backup(
		options: { audio: boolean; passphrase?: string },
		onProgress?: (progress: InteropProgress) => void,
		cancel?: CancelPort
	): Promise<{ file: File | Blob; name: string; tracks: number; audioFiles: number }> {
		const signal = signalFromPort(cancel);
		try {
			const library = await readSnapshot(db());
			const settings = await db().settings.toArray();
			const data = backupData(library, settings);
			const name = `cratemesh-backup-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.zip`;
			const withAudio = library.tracks.filter((t) => t.storage !== 'none');
			async function* audio(): AsyncGenerator<AudioSource> {
				for (const track of withAudio) {
					throwIfAborted(signal);
					const blob = await readAudio(track.hash);
					if (blob) yield { hash: track.hash, blob };
				}
			}
			let root: FileSystemDirectoryHandle | null = null;
			try {
				root = await (await navigator.storage.getDirectory()).getDirectoryHandle('backups', { create: true });
			} catch {
				root = null;
			}
			let audioFiles = 0;
			const onAudio = (done: number) => {
				audioFiles = done;
				onProgress?.({ phase: 'writing', done, total: withAudio.length });
			};
			const zipOptions = {
				passphrase: options.passphrase || undefined,
				audio: options.audio ? audio() : undefined,
				onAudio,
				signal
			};
			if (root) {
				// Only the latest backup is kept in OPFS: it is a staging file for the download.
				for await (const [entry] of (root as unknown as { entries(): AsyncIterable<[string]> }).entries())
					await root.removeEntry(entry).catch(() => undefined);
				const handle = await root.getFileHandle(name, { create: true });
				const writable = await handle.createWritable();
				try {
					await writeBackupZip(writable, data, zipOptions);
				} catch (error) {
					await writable.abort().catch(() => undefined);
					await root.removeEntry(name).catch(() => undefined);
					throw error;
				}
				return { file: await handle.getFile(), name, tracks: data.tracks.length, audioFiles };
			}
			// No OPFS: the zip is assembled in memory (metadata-only backups are small).
			const chunks: Uint8Array[] = [];
			await writeBackupZip(
				new WritableStream({ write: (chunk: Uint8Array) => void chunks.push(chunk) }),
				data,
				zipOptions
			);
			return {
				file: new Blob(chunks as BlobPart[], { type: 'application/zip' }),
				name,
				tracks: data.tracks.length,
				audioFiles
			};
		} catch (error) {
			throw backupFailure(error);
		}
	},

	/** Opens, decrypts and validates a backup and plans the merge; nothing changes yet. */
	async previewRestore(file: Blob, passphrase = ''): Promise<RestoreSummary> {
		try {
			const opened = await openBackup(file, passphrase);
			const library = await readSnapshot(db());
			const plan = planRestore(opened.data, library, await db().settings.toArray(), new Set(opened.audio.keys()));
			const id = nextId++;
			pendingRestore = { id, plan, opened };
			return {
				id,
				encrypted: opened.encrypted,
				createdAt: opened.data.createdAt,
				tracksInBackup: opened.data.tracks.length,
				tracksNew: plan.tracksNew.length,
				tracksUpdated: plan.tracksUpdated.length,
				unchanged: plan.unchanged,
				cuesNew: plan.cuesNew.length,
				playlistsNew: plan.playlistsNew.length,
				itemsNew: plan.itemsNew.length,
				settingsNew: plan.settingsNew.length,
				audioToRestore: plan.audioToRestore.length
			};
		} catch (error) {
			throw backupFailure(error);
		}
	},

	/**
	 * Restores the previewed backup: audio first (each file hashed while it streams into the store and kept
	 * only if the hash matches), then all rows in one transaction. Returns the hashes that changed.
	 */
	async applyRestore(
		id: number,
		onProgress?: (progress: InteropProgress) => void
	): Promise<{ changed: string[]; audioFailed: string[] }> {
		try {
			if (!pendingRestore || pendingRestore.id !== id)
				throw new WorkerError('invalid-input', 'This preview is no longer current');
			const { plan, opened } = pendingRestore;
			pendingRestore = null;
			const audioFailed: string[] = [];
			const sha = await createSHA256();
			let done = 0;
			for (const hash of plan.audioToRestore) {
				onProgress?.({ phase: 'writing', done: done++, total: plan.audioToRestore.length });
				const entry = opened.audio.get(hash)!;
				const writer = await createAudioWriter();
				sha.init();
				try {
					await entry.getData(
						new WritableStream<Uint8Array>({
							async write(chunk) {
								sha.update(chunk);
								await writer.write(chunk);
							}
						})
					);
					if (sha.digest('hex') !== hash) throw new Error('hash mismatch');
					await writer.commit(hash);
				} catch {
					await writer.abort();
					audioFailed.push(hash);
				}
			}
			const failed = new Set(audioFailed);
			plan.tracksNew = plan.tracksNew.map((t) => (failed.has(t.hash) ? { ...t, storage: 'none', pinned: false } : t));
			await applyRestore(db(), plan);
			return { changed: [...plan.tracksNew.map((t) => t.hash), ...plan.tracksUpdated.map((t) => t.hash)], audioFailed };
		} catch (error) {
			throw backupFailure(error);
		}
	}
};

const tagExportApi = {
	/**
	 * Copies tracks' audio into the folder with the library's tags written in (`hashes` null: the whole
	 * library, in the order added). Per-file problems come back in the result; cancelling keeps the finished
	 * files and removes the one in progress.
	 */
	async exportTagged(
		dir: FileSystemDirectoryHandle,
		hashes: string[] | null,
		onProgress?: (progress: InteropProgress) => void,
		cancel?: CancelPort
	): Promise<TagExportResult> {
		const signal = signalFromPort(cancel);
		try {
			const rows = hashes
				? (await db().tracks.bulkGet(hashes)).filter((row): row is TrackRow => Boolean(row))
				: await db().tracks.orderBy('dateAdded').toArray();
			return await exportTaggedFiles(dir, rows, {
				readAudio,
				signal,
				onProgress: (done, total) => onProgress?.({ phase: 'writing', done, total })
			});
		} catch (error) {
			throw toWorkerError(error);
		}
	}
};

Object.assign(api, backupApi, tagExportApi);

export type InteropApi = typeof api & typeof backupApi & typeof tagExportApi;
expose(api);
