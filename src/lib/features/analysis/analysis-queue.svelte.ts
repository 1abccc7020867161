import { db } from '$lib/db';
import { readAudio } from '$lib/storage/audio-store';
import { isWorkerError } from '$workers/shared/errors';
import { library } from '../library/library.svelte';
import { analysisPool } from './analysis-client';
import { analysisSettings } from './analysis-settings.svelte';
import type { AnalysisPool } from './pool';
import { failedRow, reapplyAll, saveResult, toAnalysisRow } from './results';
import { ANALYSER_VERSION, isCurrent, MINIMUM_VERSION } from './version';
import { exposeForTests } from '$lib/test-hooks';

/** Failures listed by name in the panel; beyond that they are only counted. */
const MAX_LISTED_FAILURES = 200;

export interface AnalysisFailure {
	hash: string;
	title: string;
	code: string;
	message: string;
}

const PERMANENT = new Set(['empty', 'not-audio', 'corrupt', 'truncated']);

/** Priority of the track the user opened: ahead of everything the background queued. */
const OPENED = 100;
/** How often finished results are pushed to the library table (each push re-runs its query). */
const REFRESH_MS = 1000;

/**
 * The analysis queue on the UI thread: which tracks wait, which run, counts, ETA, pause/resume, failures.
 * Analysis itself runs in the worker pool; this class only feeds it (a pool slot's worth ahead, so a
 * paused queue stops quickly and the track the user opens can jump the line) and stores results.
 */
export class AnalysisQueue {
	#waiting: string[] = [];
	#queued = new Set<string>();
	#titles = new Map<string, string>();
	#running = $state.raw<ReadonlySet<string>>(new Set());
	#waitingCount = $state(0);
	#done = $state(0);
	#failedCount = $state(0);
	#total = $state(0);
	#paused = $state(false);
	#holds = $state(0);
	#startedAt = $state(0);
	#now = $state(0);
	#seq = $state(0);
	#failures = $state.raw<AnalysisFailure[]>([]);
	#controller = new AbortController();
	#changed = new Set<string>();
	#flushTimer: ReturnType<typeof setTimeout> | undefined;
	#pool: AnalysisPool | undefined;
	#scanned = false;

	/** Tracks waiting (not yet started). */
	get waiting(): number {
		return this.#waitingCount;
	}
	get running(): ReadonlySet<string> {
		return this.#running;
	}
	get done(): number {
		return this.#done;
	}
	get failedCount(): number {
		return this.#failedCount;
	}
	/** Tracks in this batch: finished, failed, running and waiting. */
	get total(): number {
		return this.#total;
	}
	/** Held by other work (an import): queued tracks wait, without the user having paused. */
	get held(): boolean {
		return this.#holds > 0;
	}

	/** Keeps queued tracks waiting until the returned function is called (jobs already running finish). */
	hold(): () => void {
		this.#holds++;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#holds--;
			// The ETA counts from the first job, not from a wait the user did not choose.
			if (this.#done + this.#failedCount === 0) this.#startedAt = this.#now = performance.now();
			this.#pump();
		};
	}

	get paused(): boolean {
		return this.#paused;
	}
	get active(): boolean {
		return this.#waitingCount + this.#running.size > 0;
	}
	get failures(): readonly AnalysisFailure[] {
		return this.#failures;
	}
	/** Bumps whenever a result (or failure) is stored: views showing one track reload on it. */
	get seq(): number {
		return this.#seq;
	}
	/** Seconds left at the pace so far, or null while unknown. */
	get eta(): number | null {
		const finished = this.#done + this.#failedCount;
		const elapsed = (this.#now - this.#startedAt) / 1000;
		if (finished === 0 || elapsed <= 0) return null;
		return ((this.#total - finished) * elapsed) / finished;
	}

	status(hash: string): 'running' | 'waiting' | null {
		if (this.#running.has(hash)) return 'running';
		return this.#queued.has(hash) ? 'waiting' : null;
	}

	/**
	 * At start-up: queues tracks never analysed, or analysed by an older analyser (when auto-analysis is
	 * on). Failures of the current version are not retried; the user can ask for them.
	 */
	async scan(): Promise<void> {
		if (this.#scanned) return;
		this.#scanned = true;
		await analysisSettings.load();
		if (!analysisSettings.prefs.autoAnalyse) return;
		// Only tracks whose bytes are on this device: the others (synced from a peer, evicted) would each
		// fail as missing, and come back at every start.
		// Current: analysed with a version that still stands for its format (`isCurrent`), read from the
		// indexes alone (no rows: a row holds its waveform).
		const [all, analysed, oldMp3] = await Promise.all([
			db().tracks.where('storage').anyOf(['opfs', 'idb']).primaryKeys(),
			db().analysis.where('analyserVersion').aboveOrEqual(MINIMUM_VERSION.other).primaryKeys(),
			db()
				.analysis.where('[format+analyserVersion]')
				.between(['mp3', MINIMUM_VERSION.other], ['mp3', MINIMUM_VERSION.mp3])
				.primaryKeys()
		]);
		const stale = new Set(oldMp3);
		const fresh = new Set(analysed.filter((hash) => !stale.has(hash)));
		this.enqueue(all.filter((hash) => !fresh.has(hash)));
	}

	/** New imports: queued when auto-analysis is on, unless already analysed (a re-imported file). */
	async enqueueNew(hashes: readonly string[]): Promise<void> {
		await analysisSettings.load();
		if (!analysisSettings.prefs.autoAnalyse || hashes.length === 0) return;
		const rows = await db().analysis.bulkGet([...hashes]);
		this.enqueue(hashes.filter((_, i) => !rows[i] || !isCurrent(rows[i]!)));
	}

	/** Queues tracks (again, even if analysed): "Analyse again" from the menu. */
	enqueue(hashes: readonly string[]): void {
		const added = hashes.filter((hash) => !this.#queued.has(hash) && !this.#running.has(hash));
		if (added.length === 0) return;
		if (!this.active) {
			// A new batch: counts and ETA start over.
			this.#done = this.#failedCount = 0;
			this.#total = 0;
			this.#failures = [];
			this.#startedAt = this.#now = performance.now();
		}
		for (const hash of added) {
			this.#queued.add(hash);
			this.#waiting.push(hash);
		}
		this.#total += added.length;
		this.#waitingCount = this.#waiting.length;
		this.#pump();
	}

	/** The user opened this track: analyse it next (now, even while paused, if it has no current result). */
	async prioritise(hash: string): Promise<void> {
		if (this.#running.has(hash)) {
			this.#pool?.prioritise(hash, OPENED);
			return;
		}
		const index = this.#waiting.indexOf(hash);
		if (index >= 0) this.#waiting.splice(index, 1);
		else {
			const row = await db().analysis.get(hash);
			if (row && isCurrent(row)) return;
			if (this.#running.has(hash)) return;
			if (!this.active) {
				this.#done = this.#failedCount = this.#total = 0;
				this.#failures = [];
				this.#startedAt = this.#now = performance.now();
			}
			this.#queued.add(hash);
			this.#total++;
		}
		this.#waitingCount = this.#waiting.length;
		void this.#start(hash, OPENED);
	}

	pause(): void {
		this.#paused = true;
	}

	resume(): void {
		this.#paused = false;
		this.#pump();
	}

	/** Drops everything waiting and cancels running analyses. */
	cancel(): void {
		this.#waiting = [];
		this.#queued.clear();
		this.#waitingCount = 0;
		this.#total = this.#done + this.#failedCount;
		this.#controller.abort();
		this.#controller = new AbortController();
	}

	#pump(): void {
		this.#pool ??= analysisPool();
		// One more than the pool runs, so a worker never waits for the UI thread between jobs.
		while (!this.#paused && this.#holds === 0 && this.#waiting.length > 0 && this.#running.size < this.#pool.size + 1) {
			void this.#start(this.#waiting.shift()!, 0);
			this.#waitingCount = this.#waiting.length;
		}
	}

	async #start(hash: string, priority: number): Promise<void> {
		this.#running = new Set(this.#running).add(hash);
		const signal = this.#controller.signal;
		try {
			this.#pool ??= analysisPool();
			const track = await db().tracks.get(hash);
			if (!track) return; // Deleted meanwhile: nothing to report.
			this.#titles.set(hash, track.title);
			const file = await readAudio(hash);
			if (!file) {
				await this.#fail(hash, 'missing', 'The audio is not on this device');
				return;
			}
			const prefs = analysisSettings.prefs;
			const result = await this.#pool.analyse(file, {
				id: hash,
				priority,
				signal,
				tempoRange: [prefs.tempoMin, prefs.tempoMax],
				targetLufs: prefs.targetLufs
			});
			const changed = await saveResult(
				hash,
				toAnalysisRow(hash, result),
				analysisSettings.prefs.replaceTags,
				result.leadSec
			);
			this.#done++;
			if (changed) this.#markChanged(hash);
		} catch (error) {
			if (signal.aborted) return;
			const code = isWorkerError(error) ? error.code : 'other';
			const message = error instanceof Error ? error.message : String(error);
			await this.#fail(hash, code, message).catch(() => undefined);
		} finally {
			const running = new Set(this.#running);
			running.delete(hash);
			this.#running = running;
			this.#queued.delete(hash);
			this.#now = performance.now();
			this.#seq++;
			if (!this.active) this.#flush();
			this.#pump();
		}
	}

	async #fail(hash: string, code: string, message: string): Promise<void> {
		this.#failedCount++;
		const row = failedRow(hash, ANALYSER_VERSION, code, message);
		// The list shows the first ones by name (copying it per failure is quadratic over a big batch);
		// `failedCount` keeps the total.
		if (this.#failures.length < MAX_LISTED_FAILURES)
			this.#failures = [
				...this.#failures,
				{ hash, title: this.#titles.get(hash) ?? hash.slice(0, 12), code: row.error!.code, message: row.error!.message }
			];
		// Only what the file itself causes is remembered (and not retried until the analyser changes); a
		// crashed worker, low memory or missing bytes may go away, so those tracks are tried again next start.
		if (PERMANENT.has(row.error!.code) && (await db().tracks.get(hash))) await db().analysis.put(row);
	}

	#markChanged(hash: string): void {
		this.#changed.add(hash);
		this.#flushTimer ??= setTimeout(() => this.#flush(), REFRESH_MS);
	}

	#flush(): void {
		clearTimeout(this.#flushTimer);
		this.#flushTimer = undefined;
		if (this.#changed.size === 0) return;
		const hashes = [...this.#changed];
		this.#changed.clear();
		void library.changed(hashes);
	}

	/** Clears the finished batch's summary. */
	dismiss(): void {
		if (this.active) return;
		this.#done = this.#failedCount = this.#total = 0;
		this.#failures = [];
	}
}

export const analysisQueue = new AnalysisQueue();

/** Settings: tags or analysis for BPM/key; every analysed track is updated to match. */
export async function applyTagPreference(replaceTags: boolean): Promise<void> {
	await analysisSettings.update({ replaceTags });
	const changed = await reapplyAll(replaceTags);
	if (changed.length) await library.changed(changed);
}

exposeForTests('__cratemeshAnalysis', analysisQueue);
