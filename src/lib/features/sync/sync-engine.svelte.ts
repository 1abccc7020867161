/**
 * The player sync loop: at boot, every N minutes (setting `sync.intervalMinutes`, default 10), when the
 * network comes back, on demand, and at the manifest's `next_change_at`. Each sync sends the last
 * manifest hash and the hashes held, applies the delta (rows, deletes, the store player's schedule),
 * hands the downloads to the download worker, and reports what happened. It depends on a
 * `ManifestSource`, not on Supabase (see README).
 */
import { db } from '$lib/db';
import { deleteAudio, storedHashes } from '$lib/storage/audio-store';
import { app } from '$lib/features/shell/app-state.svelte';
import { account } from '$lib/features/account/account.svelte';
import { player } from '$lib/features/player/player.svelte';
import { playback } from '$lib/features/player/playback.svelte';
import { storePlayer } from '$lib/features/scheduler/store-player.svelte';
import { SCHEDULE_KEY } from '$lib/features/scheduler/local-schedule';
import { discardPartials, downloadFiles, type DownloadEvents, type Outcome } from '$lib/workers/download-client';
import {
	applyManifest,
	heldHashes,
	ManifestGapError,
	planDeletes,
	toSchedule,
	type ManifestState,
	type SyncAssetRow
} from './apply';
import type { FileBytes, ManifestSource } from './manifest';
import { backoffDelay, byPriority, type Priority } from './queue';
import {
	DEFAULT_INTERVAL_MINUTES,
	DEVICE_KEY,
	EMPTY_REPORT,
	HISTORY_KEY,
	INTERVAL_KEY,
	loadState,
	PENDING_REPORT_KEY,
	readSetting,
	STATE_KEY,
	syncAssets,
	writeSetting,
	type PendingReport,
	type SyncHistoryEntry
} from './store';
import { exposeForTests } from '$lib/test-hooks';

export type SyncStatus =
	'starting' | 'local-only' | 'signed-out' | 'no-device' | 'idle' | 'syncing' | 'downloading' | 'error';

export interface ActiveDownload {
	hash: string;
	title: string;
	bytes: number;
	size: number;
}

export interface FailedFile {
	hash: string;
	title: string;
	code: string;
	message: string;
	at: number;
	nextAttemptAt: number;
}

/** Failed files are retried at a later sync, after 1 min, 2 min, 4 min … up to 1 h (with jitter). */
const FILE_BACKOFF = { baseMs: 60_000, capMs: 3_600_000 };
/** The RPCs' own limits (supabase/README.md): one manifest a second, one report per 5 s per device. */
const MANIFEST_GAP_MS = 1_100;
const REPORT_GAP_MS = 5_200;
const HISTORY_LIMIT = 20;
const NOW_PLAYING_CHECK_MS = 15_000;
const NOW_PLAYING_MIN_GAP_MS = 30_000;
const NOW_PLAYING_REFRESH_MS = 5 * 60_000;

export class SyncEngine {
	#status = $state<SyncStatus>('starting');
	#deviceId = $state<string | null>(null);
	#deviceName = $state<string | null>(null);
	#intervalMinutes = $state(DEFAULT_INTERVAL_MINUTES);
	#history = $state.raw<SyncHistoryEntry[]>([]);
	#active = $state.raw<ActiveDownload[]>([]);
	#pendingFiles = $state(0);
	#pendingBytes = $state(0);
	#batchBytes = $state(0);
	#batchReceived = $state(0);
	#bytesPerSecond = $state(0);
	#failures = $state.raw<FailedFile[]>([]);
	#readyFiles = $state(0);
	#storage = $state.raw<{ usage: number | null; quota: number | null }>({ usage: null, quota: null });
	#nextSyncAt = $state<number | null>(null);
	/** Bytes of scheduled files that came from other players (mesh) and from the server, since start. */
	#fileBytes = $state.raw<FileBytes>({ peers: 0, server: 0 });
	#error = $state<string | null>(null);

	#source: ManifestSource | null = null;
	#started: Promise<void> | null = null;
	#running: Promise<void> | null = null;
	#again = false;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#batch: { controller: AbortController; key: string; done: Promise<void> } | null = null;
	#lastManifestAt = 0;
	#lastReportAt = 0;
	#registered = false;
	#newestServerTime: number | null = null;
	#rateSample: { at: number; received: number } | null = null;
	/** Injected by tests; `app.config.version` otherwise. */
	appVersion: () => string = () => app.config.version;

	get status(): SyncStatus {
		return this.#status;
	}
	get deviceId(): string | null {
		return this.#deviceId;
	}
	get deviceName(): string | null {
		return this.#deviceName;
	}
	get intervalMinutes(): number {
		return this.#intervalMinutes;
	}
	get lastSync(): SyncHistoryEntry | null {
		return this.#history[0] ?? null;
	}
	get history(): readonly SyncHistoryEntry[] {
		return this.#history;
	}
	get active(): readonly ActiveDownload[] {
		return this.#active;
	}
	get pendingFiles(): number {
		return this.#pendingFiles;
	}
	get pendingBytes(): number {
		return this.#pendingBytes;
	}
	/** Bytes received in the current batch and what the batch needs in all. */
	/** Bytes downloaded since start by origin: other players on the mesh, or the server. */
	get fileBytes(): FileBytes {
		return this.#fileBytes;
	}

	get batchProgress(): { received: number; total: number } {
		return { received: this.#batchReceived, total: this.#batchBytes };
	}
	get bytesPerSecond(): number {
		return this.#bytesPerSecond;
	}
	/** Seconds left for the pending downloads at the current rate, or null when unknown. */
	get etaSeconds(): number | null {
		if (this.#bytesPerSecond <= 0 || this.#pendingBytes <= 0) return null;
		return Math.max(0, (this.#pendingBytes - this.#batchReceived) / this.#bytesPerSecond);
	}
	get failures(): readonly FailedFile[] {
		return this.#failures;
	}
	get readyFiles(): number {
		return this.#readyFiles;
	}
	get storage(): { usage: number | null; quota: number | null } {
		return this.#storage;
	}
	get nextSyncAt(): number | null {
		return this.#nextSyncAt;
	}
	get error(): string | null {
		return this.#error;
	}
	get busy(): boolean {
		return this.#running !== null;
	}

	/** Starts the loop once (Player mode mounts call it); safe to call again. */
	start(source?: ManifestSource): Promise<void> {
		this.#started ??= this.#start(source);
		return this.#started;
	}

	async #start(source?: ManifestSource): Promise<void> {
		this.#intervalMinutes = await readSetting(INTERVAL_KEY, DEFAULT_INTERVAL_MINUTES);
		this.#history = await readSetting<SyncHistoryEntry[]>(HISTORY_KEY, []);
		const device = await readSetting<{ id: string; name: string } | null>(DEVICE_KEY, null);
		if (device) {
			this.#deviceId = device.id;
			this.#deviceName = device.name;
		}
		await this.#refreshCounts();
		addEventListener('online', () => this.syncNow());
		setInterval(() => void this.#sendNowPlaying(), NOW_PLAYING_CHECK_MS);
		if (source) this.#source = source;
		else {
			await app.whenReady();
			await account.start();
			if (account.status === 'local-only') {
				this.#status = 'local-only';
				return;
			}
			this.#source = await this.#supabaseSource();
		}
		this.#source = await withPeerFiles(this.#source);
		await this.#connect();
	}

	async #supabaseSource(): Promise<ManifestSource> {
		const { supabaseClient } = await import('$lib/supabase/client');
		const { SupabaseSource } = await import('./supabase-source');
		const { supabaseUrl, supabaseAnonKey } = app.config;
		return new SupabaseSource(await supabaseClient(supabaseUrl!, supabaseAnonKey!), supabaseUrl!, supabaseAnonKey!);
	}

	/** Finds this device (a player user has one device row), then syncs. */
	async #connect(): Promise<void> {
		const source = this.#source;
		if (!source) return;
		if (!this.#deviceId && 'ownDevices' in source) {
			if (account.status !== 'signed-in' && !navigator.onLine) {
				this.#status = 'signed-out';
				return;
			}
			try {
				const devices = await (
					source as unknown as { ownDevices(): Promise<{ id: string; name: string }[]> }
				).ownDevices();
				if (devices.length === 0) {
					this.#status = account.status === 'signed-in' ? 'no-device' : 'signed-out';
					return;
				}
				await this.useDevice(devices[0]!.id, devices[0]!.name);
				return;
			} catch (error) {
				this.#status = 'error';
				this.#error = message(error);
				return;
			}
		}
		if (!this.#deviceId) {
			this.#status = 'no-device';
			return;
		}
		this.#status = 'idle';
		this.syncNow();
	}

	/** Sets the device this install syncs as (found after sign-in, or given by tests). */
	async useDevice(id: string, name: string): Promise<void> {
		this.#deviceId = id;
		this.#deviceName = name;
		this.#registered = false;
		await writeSetting(DEVICE_KEY, { id, name });
		this.#status = 'idle';
		this.syncNow();
	}

	/** Signs this player in with the credentials from its enrolment, then finds its device. */
	async signIn(email: string, password: string): Promise<boolean> {
		await account.start();
		await account.signIn(email, password);
		if (account.status !== 'signed-in') return false;
		this.#source ??= await this.#supabaseSource();
		// Another account may have used this browser: look the device up again for this one.
		this.#deviceId = null;
		await this.#connect();
		return true;
	}

	async setIntervalMinutes(minutes: number): Promise<void> {
		const value = Math.min(24 * 60, Math.max(1, Math.round(minutes)));
		this.#intervalMinutes = value;
		await writeSetting(INTERVAL_KEY, value);
		this.#schedule(await loadState());
	}

	/** Syncs now (a sync already running is followed by one more). */
	syncNow(): void {
		if (!this.#source || !this.#deviceId) return;
		if (this.#running) {
			this.#again = true;
			return;
		}
		this.#running = this.#cycle().finally(() => {
			this.#running = null;
			if (this.#again) {
				this.#again = false;
				this.syncNow();
			}
		});
	}

	/** Resolves when the current sync (not its downloads) has finished. */
	async settled(): Promise<void> {
		while (this.#running) await this.#running;
	}

	/** Resolves when the current download batch has finished. */
	async downloadsSettled(): Promise<void> {
		await this.settled();
		while (this.#batch) await this.#batch.done;
	}

	async #cycle(): Promise<void> {
		const source = this.#source!;
		const deviceId = this.#deviceId!;
		const wait = this.#lastManifestAt + MANIFEST_GAP_MS - Date.now();
		if (wait > 0) await sleep(wait);
		this.#status = 'syncing';
		this.#error = null;
		const now = Date.now();
		let state = await loadState();
		try {
			if (!this.#registered) {
				this.#registered = true;
				void this.#register(source, deviceId);
			}
			const rows = new Map((await syncAssets().toArray()).map((r) => [r.hash, r]));
			const present = await presentHashes();
			// A file that disappeared (evicted, cleared) is wanted again.
			const lost = [...rows.values()].filter((r) => r.state === 'ready' && !present.has(r.hash));
			for (const row of lost) rows.set(row.hash, { ...row, state: 'pending', updatedAt: now });
			if (lost.length) await syncAssets().bulkPut(lost.map((r) => rows.get(r.hash)!));
			const have = heldHashes(rows.values(), (h) => present.has(h));
			this.#lastManifestAt = Date.now();
			// What the last manifest listed: every pending or ready row, when none were held back.
			const listed =
				state.downloadsRemaining === 0
					? [...rows.values()].filter((r) => r.state !== 'retired').map((r) => r.hash)
					: null;
			const manifest = await source.manifest({ deviceId, lastManifestHash: state.hash, have, listed });
			// Applied on fresh rows, in turn with download outcomes, so a file that finished while the
			// manifest was on its way stays ready.
			const applied = await this.#serial(async () => {
				const current = new Map((await syncAssets().toArray()).map((r) => [r.hash, r]));
				const result = applyManifest(state, current, manifest, now);
				if (!manifest.unchanged) {
					await syncAssets().bulkPut(result.put);
					if (result.drop.length) await syncAssets().bulkDelete(result.drop);
				}
				return result;
			});
			state = applied.state;
			let deletedNow: string[] = [];
			if (!manifest.unchanged) {
				if (applied.drop.length) await discardPartials(applied.drop).catch(() => undefined);
				deletedNow = await this.#applyDeletes(applied.deletes);
			}
			await writeSetting(STATE_KEY, state);
			await this.#publishSchedule(state);
			await this.#note({
				at: now,
				result: manifest.unchanged ? 'unchanged' : 'changed',
				message: null,
				downloads: manifest.unchanged ? 0 : manifest.downloads.length,
				deleted: deletedNow.length,
				failed: 0
			});
			await this.#addToReport({ deleted: deletedNow });
			await this.#refreshCounts();
			const started = await this.#startDownloads(state);
			if (!started) await this.#report(state);
			this.#status = this.#batch ? 'downloading' : 'idle';
		} catch (error) {
			this.#status = 'error';
			this.#error = message(error);
			await this.#note({ at: now, result: 'error', message: this.#error, downloads: 0, deleted: 0, failed: 0 });
			await this.#addToReport({ error: this.#error });
			if ((error as { code?: string }).code === 'PT429') this.#again = true;
			if (error instanceof ManifestGapError) {
				// Our copy is out of step with what the server last issued: ask as a device that knows nothing.
				state = { ...state, hash: null };
				await writeSetting(STATE_KEY, state).catch(() => undefined);
				this.#again = true;
			}
		} finally {
			this.#schedule(state);
		}
	}

	#nowPlayingSent: { key: string; at: number } | null = null;

	/** Tells the server what plays: on a change (checked every 15 s, at most every 30 s), else every 5 min while playing. */
	async #sendNowPlaying(): Promise<void> {
		const source = this.#source;
		const deviceId = this.#deviceId;
		if (!source?.nowPlaying || !deviceId || !navigator.onLine) return;
		const current = player.current;
		const key = current ? `${current.hash}:${current.title}` : '';
		const now = Date.now();
		const last = this.#nowPlayingSent;
		if (last && now - last.at < NOW_PLAYING_MIN_GAP_MS) return;
		if (last && last.key === key && (!current || now - last.at < NOW_PLAYING_REFRESH_MS)) return;
		this.#nowPlayingSent = { key, at: now };
		try {
			await source.nowPlaying({
				deviceId,
				hash: current && /^[0-9a-f]{64}$/.test(current.hash) ? current.hash : null,
				title: current?.title ?? null,
				at: now
			});
		} catch {
			this.#nowPlayingSent = last;
		}
	}

	async #register(source: ManifestSource, deviceId: string): Promise<void> {
		let publicKey: string | null = null;
		try {
			const { loadIdentity } = await import('$lib/features/mesh/identity');
			publicKey = (await loadIdentity()).spki;
		} catch {
			// no key on this device
		}
		try {
			await source.registerDevice({ deviceId, appVersion: this.appVersion(), publicKey });
		} catch {
			this.#registered = false;
		}
	}

	/** Applies the server's deletes: only what is not scheduled, not playing and not the user's own. */
	async #applyDeletes(hashes: string[]): Promise<string[]> {
		if (hashes.length === 0) return [];
		const rows = await syncAssets().toArray();
		const deleting = new Set(hashes);
		const wanted = new Set(rows.filter((r) => !deleting.has(r.hash)).map((r) => r.hash));
		const playing = new Set<string>();
		if (player.current) playing.add(player.current.hash);
		for (const entry of playback.upcoming) playing.add(entry.hash);
		const library = new Set((await db().tracks.bulkGet(hashes)).filter((t) => !!t).map((t) => t!.hash));
		const plan = planDeletes(hashes, { wanted, playing, library });
		for (const hash of plan.remove) await deleteAudio(hash);
		await discardPartials([...plan.remove, ...plan.release]).catch(() => undefined);
		await syncAssets().bulkDelete([...plan.remove, ...plan.release]);
		const deferred = rows.filter((r) => plan.defer.includes(r.hash)).map((r) => ({ ...r, state: 'retired' as const }));
		await syncAssets().bulkPut(deferred);
		return [...plan.remove, ...plan.release];
	}

	async #publishSchedule(state: ManifestState): Promise<void> {
		const rows = await syncAssets().toArray();
		const schedule = toSchedule(state, rows, Date.now(), this.#newestServerTime);
		await writeSetting(SCHEDULE_KEY, schedule);
		if (storePlayer.running) storePlayer.setSchedule(schedule);
	}

	/** Starts (or keeps) the download batch for pending files; false when there is nothing to fetch. */
	async #startDownloads(state: ManifestState): Promise<boolean> {
		const now = Date.now();
		const rows = await syncAssets().where('state').equals('pending').toArray();
		const due = byPriority(rows.filter((r) => r.nextAttemptAt <= now).map((r, i) => ({ ...r, order: i })));
		const jobs = due.map((r, order) => ({
			hash: r.hash,
			size: r.size,
			urlPath: r.urlPath ?? undefined,
			priority: r.priority as Priority,
			order
		}));
		const key = jobs.map((j) => `${j.hash}:${j.priority}`).join(',');
		if (this.#batch?.key === key) return true;
		this.#batch?.controller.abort();
		if (this.#batch) await this.#batch.done.catch(() => undefined);
		if (jobs.length === 0) return false;
		const titles = new Map(rows.map((r) => [r.hash, r.title || r.hash.slice(0, 12)]));
		const controller = new AbortController();
		this.#batchBytes = jobs.reduce((sum, j) => sum + j.size, 0);
		this.#batchReceived = 0;
		this.#rateSample = { at: performance.now(), received: 0 };
		const source = this.#source!;
		const seen = new Set<string>();
		const peersBefore = peerBytesOf(source);
		const done = downloadFiles(jobs, {
			open: (file, offset) => source.openFile(file, offset),
			onEvents: (events) => this.#onEvents(events, titles, seen),
			signal: controller.signal
		})
			.then(async (outcomes) => {
				await this.#recordOutcomes(outcomes, seen);
				await this.#noteBytes(peerBytesOf(source) - peersBefore);
				if (this.#batch?.controller === controller) this.#batch = null;
				this.#active = [];
				await this.#refreshCounts();
				await this.#publishSchedule(await loadState());
				await this.#report(await loadState());
				if (this.#status === 'downloading') this.#status = 'idle';
				// Paged manifests: fetch the next page once this one is in.
				if (state.downloadsRemaining > 0) this.syncNow();
			})
			.catch(async (error) => {
				if (this.#batch?.controller === controller) this.#batch = null;
				if ((error as { code?: string }).code !== 'aborted') {
					this.#error = message(error);
					this.#status = 'error';
				}
			});
		this.#batch = { controller, key, done };
		return true;
	}

	#onEvents(events: DownloadEvents, titles: Map<string, string>, seen: Set<string>): void {
		this.#active = events.active.map((a) => ({ ...a, title: titles.get(a.hash) ?? a.hash.slice(0, 12) }));
		this.#batchReceived = events.received;
		const now = performance.now();
		const sample = this.#rateSample;
		if (sample && now - sample.at >= 1000) {
			const rate = ((events.received - sample.received) * 1000) / (now - sample.at);
			// Smoothed so the ETA does not jump with every chunk.
			this.#bytesPerSecond = this.#bytesPerSecond ? this.#bytesPerSecond * 0.7 + rate * 0.3 : rate;
			this.#rateSample = { at: now, received: events.received };
		}
		if (events.outcomes.length) void this.#recordOutcomes(events.outcomes, seen).then(() => this.#refreshCounts());
	}

	#recording: Promise<void> = Promise.resolve();

	/** Runs `task` after the row writes queued before it (manifest application and download outcomes). */
	#serial<T>(task: () => Promise<T>): Promise<T> {
		const run = this.#recording.then(task);
		this.#recording = run.then(
			() => undefined,
			() => undefined
		);
		return run;
	}

	/** Outcomes arrive with progress events and again at the end of the batch: each is applied once. */
	#recordOutcomes(outcomes: Outcome[], seen: Set<string>): Promise<void> {
		const fresh = outcomes.filter((o) => !seen.has(o.hash));
		for (const o of fresh) seen.add(o.hash);
		this.#recording = this.#recording.then(() => this.#applyOutcomes(fresh)).catch(() => undefined);
		return this.#recording;
	}

	async #applyOutcomes(outcomes: Outcome[]): Promise<void> {
		if (outcomes.length === 0) return;
		const now = Date.now();
		const rows = await syncAssets().bulkGet(outcomes.map((o) => o.hash));
		const put: SyncAssetRow[] = [];
		const downloaded: string[] = [];
		const failed: string[] = [];
		outcomes.forEach((outcome, i) => {
			const row = rows[i];
			if (!row || row.state !== 'pending') return;
			if (outcome.status === 'stored' || outcome.status === 'existed') {
				put.push({ ...row, state: 'ready', attempts: 0, nextAttemptAt: 0, failure: null, updatedAt: now });
				downloaded.push(row.hash);
			} else if (outcome.status === 'failed' || outcome.status === 'stopped') {
				const attempts = row.attempts + 1;
				// A future file stopped by a full disk waits for the next regular sync (deletes may free room).
				const delay =
					outcome.status === 'stopped' ? this.#intervalMinutes * 60_000 : backoffDelay(attempts, FILE_BACKOFF);
				put.push({
					...row,
					attempts,
					nextAttemptAt: now + delay,
					failure: { code: outcome.code, message: outcome.message, at: now },
					updatedAt: now
				});
				failed.push(row.hash);
			}
		});
		if (put.length) await syncAssets().bulkPut(put);
		await this.#addToReport({ downloaded, failed });
	}

	async #addToReport(add: Partial<PendingReport>): Promise<void> {
		const report = await readSetting<PendingReport>(PENDING_REPORT_KEY, EMPTY_REPORT);
		const merged: PendingReport = {
			downloaded: [...new Set([...report.downloaded, ...(add.downloaded ?? [])])],
			deleted: [...new Set([...report.deleted, ...(add.deleted ?? [])])],
			failed: [...new Set([...report.failed, ...(add.failed ?? [])])],
			error: add.error ?? report.error,
			peerBytes: (report.peerBytes ?? 0) + (add.peerBytes ?? 0),
			serverBytes: (report.serverBytes ?? 0) + (add.serverBytes ?? 0)
		};
		await writeSetting(PENDING_REPORT_KEY, merged);
	}

	/** Reports what happened since the last report (at most one per 5 s, split at 2,000 hashes per kind). */
	async #report(state: ManifestState): Promise<void> {
		const source = this.#source;
		const deviceId = this.#deviceId;
		if (!source || !deviceId) return;
		const wait = this.#lastReportAt + REPORT_GAP_MS - Date.now();
		if (wait > 0) await sleep(wait);
		const pending = await readSetting<PendingReport>(PENDING_REPORT_KEY, EMPTY_REPORT);
		const ready = await syncAssets().where('state').notEqual('pending').count();
		const take = (list: string[]) => list.slice(0, 2000);
		try {
			this.#lastReportAt = Date.now();
			const { serverTime } = await source.report({
				deviceId,
				manifestHash: state.hash,
				downloaded: take(pending.downloaded),
				deleted: take(pending.deleted),
				failed: take(pending.failed),
				cachedAssetsCount: ready,
				appVersion: this.appVersion(),
				error: pending.error,
				peerBytes: pending.peerBytes ?? 0,
				serverBytes: pending.serverBytes ?? 0
			});
			if (serverTime) this.#newestServerTime = Math.max(this.#newestServerTime ?? 0, serverTime);
			const rest: PendingReport = {
				downloaded: pending.downloaded.slice(2000),
				deleted: pending.deleted.slice(2000),
				failed: pending.failed.slice(2000),
				error: null,
				peerBytes: 0,
				serverBytes: 0
			};
			await writeSetting(PENDING_REPORT_KEY, rest);
		} catch {
			// Kept for the next report.
		}
	}

	/** The batch's bytes by origin, on the sync log entry that started it and in the running totals. */
	async #noteBytes(peers: number): Promise<void> {
		const server = Math.max(0, this.#batchReceived - peers);
		this.#fileBytes = { peers: this.#fileBytes.peers + peers, server: this.#fileBytes.server + server };
		await this.#addToReport({ peerBytes: peers, serverBytes: server });
		const [latest, ...rest] = this.#history;
		if (!latest) return;
		this.#history = [
			{ ...latest, peerBytes: (latest.peerBytes ?? 0) + peers, serverBytes: (latest.serverBytes ?? 0) + server },
			...rest
		];
		await writeSetting(HISTORY_KEY, this.#history);
	}

	async #note(entry: SyncHistoryEntry): Promise<void> {
		this.#history = [entry, ...this.#history].slice(0, HISTORY_LIMIT);
		await writeSetting(HISTORY_KEY, this.#history);
	}

	async #refreshCounts(): Promise<void> {
		const rows = await syncAssets().toArray();
		const pending = rows.filter((r) => r.state === 'pending');
		this.#pendingFiles = pending.length;
		this.#pendingBytes = pending.reduce((sum, r) => sum + r.size, 0);
		this.#readyFiles = rows.length - pending.length;
		this.#failures = pending
			.filter((r) => r.failure)
			.map((r) => ({
				hash: r.hash,
				title: r.title || r.hash.slice(0, 12),
				code: r.failure!.code,
				message: r.failure!.message,
				at: r.failure!.at,
				nextAttemptAt: r.nextAttemptAt
			}))
			.sort((a, b) => b.at - a.at);
		try {
			const estimate = await navigator.storage?.estimate?.();
			this.#storage = { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null };
		} catch {
			// unknown
		}
	}

	/** The next sync: the interval, the manifest's next change, or the earliest failed file's retry. */
	#schedule(state: ManifestState): void {
		if (this.#timer) clearTimeout(this.#timer);
		const now = Date.now();
		let at = now + this.#intervalMinutes * 60_000;
		if (state.nextChangeAt && state.nextChangeAt > now) at = Math.min(at, state.nextChangeAt + 500);
		// Already past by our clock: soon, but not in a loop if this device's clock runs ahead of the server's.
		else if (state.nextChangeAt) at = Math.min(at, now + 30_000);
		void syncAssets()
			.where('state')
			.equals('pending')
			.toArray()
			.then((rows) => {
				const retry = Math.min(...rows.filter((r) => r.nextAttemptAt > now).map((r) => r.nextAttemptAt));
				const when = Number.isFinite(retry) ? Math.min(at, retry + 250) : at;
				if (this.#timer) clearTimeout(this.#timer);
				this.#nextSyncAt = when;
				this.#timer = setTimeout(() => this.syncNow(), Math.max(1_000, when - Date.now()));
			});
	}
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function message(error: unknown): string {
	if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string')
		return error.message;
	return String(error);
}

/** Hashes whose bytes are in the store (OPFS listing; the IndexedDB fallback by key). */
async function presentHashes(): Promise<Set<string>> {
	const present = new Set<string>();
	for await (const hash of storedHashes()) present.add(hash);
	for (const key of await db().audioBlobs.toCollection().primaryKeys()) present.add(key as string);
	return present;
}

export const syncEngine = new SyncEngine();

exposeForTests('__cratemeshSync', syncEngine);
exposeForTests('__cratemeshDownloads', { downloadFiles, discardPartials });

/** Bytes a source says it delivered from peers (the mesh's PeerFiles wrapper), 0 for plain sources. */
function peerBytesOf(source: ManifestSource): number {
	return (source as { bytes?: FileBytes }).bytes?.peers ?? 0;
}

/** Store players look for a scheduled file on their paired players before the server (issue 8): the mesh
 * wraps the source at its file seam. Loaded on demand, like the source itself. */
async function withPeerFiles(source: ManifestSource): Promise<ManifestSource> {
	const [{ mesh }, { PeerFiles }] = await Promise.all([
		import('$lib/features/mesh/mesh.svelte'),
		import('$lib/features/mesh/peer-files')
	]);
	return new PeerFiles(source, mesh);
}
