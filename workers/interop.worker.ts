/// <reference lib="webworker" />
import { expose } from 'comlink';
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
			const plan = planImport(doc, library, { offsetOf: await timelineOffsets(gridTracks) });
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
			const offsetOf = await timelineOffsets(library.tracks.filter((t) => graded.has(t.hash)));
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

export type InteropApi = typeof api;
expose(api);
