import { sha256 } from '$lib/workers/hash-client';
import { message, type DirectorContext } from './context';
import { insertAsset, titlesByHash, uploadMediaFile, type MediaAsset } from './data/media';
import { probeFile } from './probe-client';

export type UploadStatus =
	'queued' | 'hashing' | 'uploading' | 'saving' | 'done' | 'duplicate' | 'failed' | 'cancelled';

export interface UploadItem {
	key: number;
	name: string;
	size: number;
	status: UploadStatus;
	/** 0..1 of the current phase. */
	progress: number;
	/** For duplicates: the title already in the library (or the earlier file of this batch). */
	duplicateOf: string | null;
	error: string | null;
}

/** A new asset is valid from now for a year unless the director says otherwise (the schema needs an end). */
export const DEFAULT_VALIDITY_DAYS = 365;

const FINISHED: readonly UploadStatus[] = ['done', 'duplicate', 'failed', 'cancelled'];

/**
 * Uploads files one at a time: check it is audio and read its tags (worker), hash it (worker), skip it
 * when the tenant already has that hash, upload the bytes to `media/<tenant>/<sha256>`, insert the row.
 * A failing file gets its own error and the rest continue.
 */
export class UploadQueue {
	#items = $state<UploadItem[]>([]);
	#running = $state(false);
	#bytesTotal = $state(0);
	#bytesDone = $state(0);
	#startedAt = $state(0);
	#now = $state(0);
	#controller: AbortController | null = null;
	#files = new Map<number, File>();
	#nextKey = 0;

	private readonly ctx: DirectorContext;
	private readonly onAdded: (asset: MediaAsset) => void;

	constructor(ctx: DirectorContext, onAdded: (asset: MediaAsset) => void) {
		this.ctx = ctx;
		this.onAdded = onAdded;
	}

	get items(): readonly UploadItem[] {
		return this.#items;
	}
	get running(): boolean {
		return this.#running;
	}
	get total(): number {
		return this.#items.length;
	}
	get finished(): number {
		return this.#items.filter((i) => FINISHED.includes(i.status)).length;
	}
	count(status: UploadStatus): number {
		return this.#items.filter((i) => i.status === status).length;
	}
	get bytesTotal(): number {
		return this.#bytesTotal;
	}
	get bytesDone(): number {
		return this.#bytesDone;
	}
	/** Bytes per second since this batch started. */
	get speed(): number {
		const seconds = (this.#now - this.#startedAt) / 1000;
		return seconds > 0.2 ? this.#bytesDone / seconds : 0;
	}
	/** Seconds left at the current speed; null while unknown. */
	get eta(): number | null {
		return this.speed > 0 ? Math.max(0, this.#bytesTotal - this.#bytesDone) / this.speed : null;
	}

	add(files: Iterable<File>): void {
		const fresh: UploadItem[] = [];
		for (const file of files) {
			const key = this.#nextKey++;
			this.#files.set(key, file);
			fresh.push({
				key,
				name: file.name,
				size: file.size,
				status: 'queued',
				progress: 0,
				duplicateOf: null,
				error: null
			});
		}
		if (!fresh.length) return;
		if (!this.#running) {
			// A new batch: the previous one's rows and counters make way.
			this.#items = this.#items.filter((i) => !FINISHED.includes(i.status));
			this.#bytesTotal = 0;
			this.#bytesDone = 0;
			this.#startedAt = performance.now();
		}
		this.#bytesTotal += fresh.reduce((sum, i) => sum + i.size, 0);
		this.#items = [...this.#items, ...fresh];
		if (!this.#running) void this.#run();
	}

	cancel(): void {
		this.#controller?.abort();
	}

	clearFinished(): void {
		this.#items = this.#items.filter((i) => !FINISHED.includes(i.status));
	}

	#set(key: number, patch: Partial<UploadItem>): void {
		const index = this.#items.findIndex((i) => i.key === key);
		if (index >= 0) this.#items[index] = { ...this.#items[index]!, ...patch };
	}

	#tick(): void {
		this.#now = performance.now();
	}

	async #run(): Promise<void> {
		this.#running = true;
		this.#controller = new AbortController();
		const signal = this.#controller.signal;
		// Hashes uploaded in this batch, so a second copy of the same file is a duplicate too.
		const seen = new Map<string, string>();
		try {
			for (;;) {
				const item = this.#items.find((i) => i.status === 'queued');
				if (!item) break;
				const file = this.#files.get(item.key)!;
				if (signal.aborted) {
					this.#set(item.key, { status: 'cancelled' });
					this.#bytesTotal -= item.size;
					continue;
				}
				const doneBefore = this.#bytesDone;
				try {
					await this.#one(item.key, file, seen, signal);
				} catch (error) {
					const aborted = signal.aborted;
					this.#set(item.key, { status: aborted ? 'cancelled' : 'failed', error: aborted ? null : message(error) });
				}
				// Whatever happened, the file's bytes are accounted for (skipped or sent).
				this.#bytesDone = doneBefore + item.size;
				this.#files.delete(item.key);
				this.#tick();
			}
		} finally {
			this.#running = false;
			this.#controller = null;
		}
	}

	async #one(key: number, file: File, seen: Map<string, string>, signal: AbortSignal): Promise<void> {
		const { db, tenantId, baseUrl, anonKey } = this.ctx;
		this.#set(key, { status: 'hashing', progress: 0 });
		const probe = await probeFile(file);
		const { sha256: hash } = await sha256(file, {
			signal,
			onProgress: ({ bytesDone, bytesTotal }) => this.#set(key, { progress: bytesTotal ? bytesDone / bytesTotal : 1 })
		});
		const earlier = seen.get(hash);
		if (earlier !== undefined) return this.#set(key, { status: 'duplicate', duplicateOf: earlier, progress: 1 });
		const existing = (await titlesByHash(db, tenantId, [hash])).get(hash);
		if (existing !== undefined) return this.#set(key, { status: 'duplicate', duplicateOf: existing, progress: 1 });
		this.#set(key, { status: 'uploading', progress: 0 });
		const base = this.#bytesDone;
		await uploadMediaFile(db, baseUrl, anonKey, tenantId, hash, new Blob([file], { type: probe.mime }), {
			signal,
			onProgress: (loaded, total) => {
				this.#set(key, { progress: total ? loaded / total : 0 });
				this.#bytesDone = base + Math.min(loaded, file.size);
				this.#tick();
			}
		});
		this.#set(key, { status: 'saving', progress: 1 });
		const title = probe.title || file.name.replace(/\.[^.]+$/, '').trim() || file.name;
		const now = Date.now();
		const asset = await insertAsset(db, tenantId, {
			sha256: hash,
			size_bytes: file.size,
			mime: probe.mime,
			title: title.slice(0, 500),
			artist: probe.artist || null,
			duration_ms: probe.durationMs,
			valid_from: new Date(now).toISOString(),
			valid_until: new Date(now + DEFAULT_VALIDITY_DAYS * 86_400_000).toISOString(),
			emergency_eligible: false
		});
		seen.set(hash, asset.title);
		this.#set(key, { status: 'done' });
		this.onAdded(asset);
	}
}
