import { isWorkerError } from '$workers/shared/errors';
import { proxy } from 'comlink';
import type { MessageKey } from '$lib/i18n/en';
import { t } from '$lib/i18n/i18n.svelte';
import type { RestoreSummary } from '$workers/interop.worker';
import { interopWorker, previewImport, type InteropProgress, type PreviewSummary } from '$lib/workers/interop-client';
import { library } from '../library/library.svelte';
import { playlists } from '../playlists/playlists.svelte';
import type { ExchangeFormat } from './model';
import { backupPlaces, type PlacedBackup } from './backup-places.svelte';
import { DeviceBackupError, deviceBackups } from './device-backups.svelte';
import { CloudBackupError } from './cloud-backups';

export type InteropPhase = 'idle' | 'reading' | 'preview' | 'applying' | 'applied' | 'cancelled' | 'failed';

/** Tells the library table about changed rows in slices, so a 10,000-track import never blocks the UI long. */
async function refreshLibrary(hashes: readonly string[]): Promise<void> {
	if (!hashes.length) return library.refresh();
	for (let i = 0; i < hashes.length; i += 1000) await library.changed(hashes.slice(i, i + 1000));
}

/** Saves a Blob through the browser's download (an object URL freed right after). */
export function download(blob: Blob, name: string): void {
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	a.click();
	setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The import / export dialog's state: a file is read and planned in the interop worker, the preview shown,
 * and only "Apply" writes (one transaction in the worker); the library and playlists are then refreshed.
 */
export class Interop {
	#phase = $state<InteropPhase>('idle');
	#progress = $state<InteropProgress | null>(null);
	#preview = $state.raw<PreviewSummary | null>(null);
	#applied = $state<{ changed: number; playlists: number } | null>(null);
	#error = $state('');
	#exporting = $state(false);
	#exportError = $state('');
	#eta = $state<number | null>(null);
	#abort: AbortController | null = null;

	get phase() {
		return this.#phase;
	}
	get progress() {
		return this.#progress;
	}
	get preview() {
		return this.#preview;
	}
	get applied() {
		return this.#applied;
	}
	get error() {
		return this.#error;
	}
	/** Seconds left while reading, once the rate is known. */
	get eta() {
		return this.#eta;
	}
	get exportError() {
		return this.#exportError;
	}
	get exporting() {
		return this.#exporting;
	}

	async read(file: File, format: ExchangeFormat | 'auto' = 'auto'): Promise<void> {
		this.#abort?.abort();
		const abort = new AbortController();
		this.#abort = abort;
		if (this.#preview) void interopWorker().discard(this.#preview.id);
		this.#phase = 'reading';
		this.#preview = null;
		this.#applied = null;
		this.#error = '';
		this.#progress = null;
		this.#eta = null;
		const started = performance.now();
		try {
			const preview = await previewImport(file, format, {
				signal: abort.signal,
				onProgress: (progress) => {
					if (this.#abort !== abort) return;
					this.#progress = progress;
					// ETA from the read rate so far (reading dominates; matching is a fraction of it).
					const elapsed = (performance.now() - started) / 1000;
					this.#eta =
						progress.phase === 'reading' && progress.done > 0 && elapsed > 0.5
							? ((progress.total - progress.done) * elapsed) / progress.done
							: null;
				}
			});
			if (this.#abort !== abort) return;
			this.#preview = preview;
			this.#phase = 'preview';
		} catch (error) {
			if (this.#abort !== abort) return;
			if (isWorkerError(error) && error.code === 'aborted') this.#phase = 'cancelled';
			else {
				this.#error = error instanceof Error ? error.message : String(error);
				this.#phase = 'failed';
			}
		}
	}

	cancel(): void {
		this.#abort?.abort();
		if (this.#preview) void interopWorker().discard(this.#preview.id);
		this.#abort = null;
		this.#preview = null;
		this.#phase = 'cancelled';
	}

	async apply(): Promise<void> {
		const preview = this.#preview;
		if (!preview || preview.fatal || this.#phase !== 'preview') return;
		this.#phase = 'applying';
		try {
			const result = await interopWorker().apply(preview.id);
			this.#applied = { changed: result.changed.length, playlists: result.playlists };
			this.#phase = 'applied';
			await playlists.reload();
			await refreshLibrary(result.changed);
		} catch (error) {
			this.#error = error instanceof Error ? error.message : String(error);
			this.#phase = 'failed';
		}
	}

	reset(): void {
		if (this.#phase === 'reading') this.cancel();
		if (this.#preview) void interopWorker().discard(this.#preview.id);
		this.#preview = null;
		this.#phase = 'idle';
		this.#error = '';
	}

	async export(format: ExchangeFormat, base: string, playlistId = ''): Promise<void> {
		this.#exporting = true;
		this.#exportError = '';
		try {
			const { blob } = await interopWorker().exportLibrary(format, { base, playlistId });
			const date = new Date().toISOString().slice(0, 10);
			const ext = format === 'traktor' ? 'nml' : format === 'm3u' ? 'm3u8' : format === 'pls' ? 'pls' : 'xml';
			download(blob, `cratemesh-${format}-${date}.${ext}`);
		} catch (error) {
			this.#exportError = error instanceof Error ? error.message : String(error);
		} finally {
			this.#exporting = false;
		}
	}
}

export type BackupPhase =
	'idle' | 'writing' | 'sending' | 'written' | 'fetching' | 'reading' | 'preview' | 'restoring' | 'restored' | 'failed';

/** Where a backup goes: a downloaded file, the signed-in user's cloud folder, or one of their own devices. */
export type BackupTarget = { kind: 'file' } | { kind: 'cloud' } | { kind: 'device'; peerId: string; name: string };

/** Backups that leave this device for a server or another device must be encrypted with at least this. */
export const MIN_REMOTE_PASSPHRASE = 8;

/** Backups (one zip, optional audio, optional passphrase) and restores with a preview. */
export class Backups {
	#phase = $state<BackupPhase>('idle');
	#progress = $state<InteropProgress | null>(null);
	#written = $state<{
		name: string;
		tracks: number;
		audioFiles: number;
		bytes: number;
		target: BackupTarget;
	} | null>(null);
	#preview = $state.raw<RestoreSummary | null>(null);
	#restored = $state<{ changed: number; audioFailed: number } | null>(null);
	#error = $state('');
	#abort: AbortController | null = null;

	get phase() {
		return this.#phase;
	}
	get progress() {
		return this.#progress;
	}
	get written() {
		return this.#written;
	}
	get preview() {
		return this.#preview;
	}
	get restored() {
		return this.#restored;
	}
	get error() {
		return this.#error;
	}

	async backup(audio: boolean, passphrase: string, target: BackupTarget = { kind: 'file' }): Promise<void> {
		this.#abort = new AbortController();
		this.#error = '';
		this.#progress = null;
		this.#written = null;
		const remote = target.kind !== 'file';
		if (remote && passphrase.length < MIN_REMOTE_PASSPHRASE) {
			this.#error = t('backup.error.remote-passphrase', { min: MIN_REMOTE_PASSPHRASE });
			this.#phase = 'failed';
			return;
		}
		this.#phase = 'writing';
		try {
			const { cancelPortFor } = await import('$workers/shared/cancel');
			// Remote copies are metadata only: the audio is on the devices already, and uploads stay small.
			const result = await interopWorker().backup(
				{ audio: audio && !remote, passphrase },
				proxy((progress: InteropProgress) => (this.#progress = progress)),
				cancelPortFor(this.#abort.signal)
			);
			if (target.kind === 'file') download(result.file, result.name);
			else {
				this.#phase = 'sending';
				if (target.kind === 'cloud') await backupPlaces.toCloud(result.file);
				else await deviceBackups.send(target.peerId, result.file);
			}
			this.#written = {
				name: result.name,
				tracks: result.tracks,
				audioFiles: result.audioFiles,
				bytes: result.file.size,
				target
			};
			this.#phase = 'written';
		} catch (error) {
			this.#fail(error);
		}
	}

	/** Fetches a backup kept in the cloud or by a device, then previews it like a file. */
	async readPlaced(item: PlacedBackup, passphrase: string): Promise<void> {
		this.#phase = 'fetching';
		this.#error = '';
		this.#preview = null;
		this.#restored = null;
		this.#progress = null;
		try {
			const blob = await backupPlaces.fetch(
				item,
				(done, total) => (this.#progress = { phase: 'reading', done, total })
			);
			await this.read(blob, passphrase);
		} catch (error) {
			this.#fail(error);
		}
	}

	cancel(): void {
		this.#abort?.abort();
	}

	async read(file: Blob, passphrase: string): Promise<void> {
		this.#phase = 'reading';
		this.#error = '';
		this.#preview = null;
		this.#restored = null;
		try {
			this.#preview = await interopWorker().previewRestore(file, passphrase);
			this.#phase = 'preview';
		} catch (error) {
			this.#fail(error);
		}
	}

	async apply(): Promise<void> {
		const preview = this.#preview;
		if (!preview || this.#phase !== 'preview') return;
		this.#phase = 'restoring';
		try {
			const result = await interopWorker().applyRestore(
				preview.id,
				proxy((progress: InteropProgress) => (this.#progress = progress))
			);
			this.#restored = { changed: result.changed.length, audioFailed: result.audioFailed.length };
			this.#phase = 'restored';
			await playlists.reload();
			await refreshLibrary(result.changed);
		} catch (error) {
			this.#fail(error);
		}
	}

	discard(): void {
		this.#preview = null;
		this.#phase = 'idle';
	}

	#fail(error: unknown) {
		if (isWorkerError(error) && error.code === 'aborted') {
			this.#phase = 'idle';
			return;
		}
		const reason = isWorkerError(error) ? error.details?.reason : undefined;
		const place = error instanceof CloudBackupError || error instanceof DeviceBackupError ? error.code : undefined;
		this.#error =
			typeof reason === 'string' && BACKUP_ERRORS.includes(reason)
				? t(`backup.error.${reason}` as MessageKey)
				: place
					? `${t(`backup.place.error.${place}` as MessageKey)} (${(error as Error).message})`
					: error instanceof Error
						? error.message
						: String(error);
		this.#phase = 'failed';
	}
}

const BACKUP_ERRORS = ['not-backup', 'invalid', 'passphrase', 'wrong-passphrase', 'too-new'];

export const interop = new Interop();
export const backups = new Backups();
