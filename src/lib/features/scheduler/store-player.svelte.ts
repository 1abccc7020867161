import { db } from '$lib/db';
import { hasAudio } from '$lib/storage/audio-store';
import { playback, type ProvidedTrack, type QueueProvider } from '$lib/features/player/playback.svelte';
import { JINGLE_HASH, loadJingle } from './jingle';
import { loadSchedule } from './local-schedule';
import {
	clockWarning,
	currentDaypart,
	selectNext,
	type Daypart,
	type FallbackReason,
	type Schedule,
	type Selection
} from './select';

export type EventLevel = 'warning' | 'catastrophic';

export interface SchedulerEvent {
	at: number;
	level: EventLevel;
	kind: 'emergency' | 'jingle' | 'failed';
	reason: FallbackReason | 'missing' | 'decode';
	hash?: string;
	title?: string;
}

const PRESENT_TTL = 60_000;
const ABSENT_TTL = 4_000;
const FAILED_TTL = 10 * 60_000;
const EVENT_LIMIT = 50;

/**
 * Player mode: feeds the player from the schedule (selection rules in select.ts), one track at a time,
 * chosen for the instant it will start. Never lets the music stop: faults become warnings and skips,
 * and with nothing playable the built-in jingle plays and selection is retried after it (every 5 s).
 */
export class StorePlayer implements QueueProvider {
	#schedule = $state.raw<Schedule | null>(null);
	#running = $state(false);
	#now = $state(Date.now());
	#events = $state.raw<SchedulerEvent[]>([]);
	#last = $state.raw<Selection | null>(null);

	#presence = new Map<string, { present: boolean; at: number }>();
	#failedUntil = new Map<string, number>();
	#recent = new Map<string, number>();
	#lastPlayed = new Map<string, number>();
	#clock: ReturnType<typeof setInterval> | null = null;

	/** Injected for tests; Date.now in the app. */
	now: () => number = () => Date.now();
	random: () => number = Math.random;

	get schedule(): Schedule | null {
		return this.#schedule;
	}
	get running(): boolean {
		return this.#running;
	}
	get events(): readonly SchedulerEvent[] {
		return this.#events;
	}
	get lastSelection(): Selection | null {
		return this.#last;
	}
	get daypart(): Daypart | null {
		return this.#schedule ? currentDaypart(this.#schedule.dayparts, this.#now) : null;
	}
	get playlistName(): string | null {
		const daypart = this.daypart;
		return daypart ? (this.#schedule?.playlists.find((p) => p.id === daypart.playlistId)?.name ?? null) : null;
	}
	get clockWarning(): boolean {
		return clockWarning(this.#now, this.#schedule?.newestServerTime ?? null) !== null;
	}

	/** Replaces the schedule (issue 7's sync calls this with the server's). */
	setSchedule(schedule: Schedule): void {
		this.#schedule = schedule;
		this.#presence.clear();
	}

	async reload(): Promise<void> {
		this.setSchedule(await loadSchedule());
		const hashes = this.#schedule!.assets.map((a) => a.hash);
		const rows = await db().tracks.bulkGet(hashes);
		rows.forEach((row) => row?.lastPlayed && this.#lastPlayed.set(row.hash, row.lastPlayed));
	}

	async start(): Promise<void> {
		if (this.#running) return;
		await this.reload();
		this.#running = true;
		this.#clock ??= setInterval(() => (this.#now = this.now()), 15_000);
		playback.setProvider(this);
		if (!playback.currentEntry) return;
		// Something from the library was playing: let it finish, the schedule follows.
	}

	stop(): void {
		this.#running = false;
		playback.setProvider(null);
		if (this.#clock) clearInterval(this.#clock);
		this.#clock = null;
	}

	// ── QueueProvider ───────────────────────────────────────────────────────

	async next(startAt: number, exclude: ReadonlySet<string>): Promise<ProvidedTrack | null> {
		const schedule = this.#schedule;
		if (!schedule) return this.#jingle(null, 'no-daypart');
		this.#now = this.now();
		const wall = this.now();
		const blocked = new Set(exclude);
		for (const [hash, until] of this.#failedUntil) {
			if (until > wall) blocked.add(hash);
			else this.#failedUntil.delete(hash);
		}
		await this.#checkPresence(schedule, startAt);
		const selection = selectNext({
			schedule,
			now: startAt,
			isPresent: (hash) => this.#presence.get(hash)?.present ?? false,
			lastPlayed: (hash) => this.#recent.get(hash) ?? this.#lastPlayed.get(hash),
			exclude: blocked,
			random: this.random
		});
		this.#last = selection;
		if (selection.kind === 'jingle') return this.#jingle(selection.daypart, selection.reason);
		const asset = schedule.assets.find((a) => a.hash === selection.hash)!;
		if (selection.kind === 'emergency') {
			this.#log({ at: wall, level: 'warning', kind: 'emergency', reason: selection.reason, hash: asset.hash });
			console.warn(`scheduler: emergency pool (${selection.reason})`);
		}
		return {
			hash: asset.hash,
			source: selection.kind === 'playlist' ? 'schedule' : 'emergency',
			title: asset.title,
			artist: asset.artist,
			validUntil: asset.validUntil
		};
	}

	failed(hash: string, reason: string): void {
		if (hash === JINGLE_HASH) return;
		this.#failedUntil.set(hash, this.now() + FAILED_TTL);
		this.#presence.delete(hash);
		const title = this.#schedule?.assets.find((a) => a.hash === hash)?.title;
		this.#log({
			at: this.now(),
			level: 'warning',
			kind: 'failed',
			reason: reason === 'missing' ? 'missing' : 'decode',
			hash,
			title
		});
	}

	started(hash: string, _source: string, at: number): void {
		this.#recent.set(hash, at);
	}

	// ── internals ───────────────────────────────────────────────────────────

	#jingle(daypart: Daypart | null, reason: FallbackReason): ProvidedTrack {
		this.#log({ at: this.now(), level: 'catastrophic', kind: 'jingle', reason });
		console.error(`scheduler: nothing playable (${reason}), playing the built-in jingle`);
		void daypart;
		return { hash: JINGLE_HASH, source: 'jingle', title: 'Cratemesh', artist: '', load: loadJingle };
	}

	/** Checks which candidates' bytes are here (cached: present 60 s, absent 4 s). */
	async #checkPresence(schedule: Schedule, at: number): Promise<void> {
		const wall = this.now();
		const daypart = currentDaypart(schedule.dayparts, at);
		const wanted = new Set(schedule.playlists.find((p) => p.id === daypart?.playlistId)?.hashes ?? []);
		for (const asset of schedule.assets) if (asset.emergencyEligible) wanted.add(asset.hash);
		const stale = [...wanted].filter((hash) => {
			const known = this.#presence.get(hash);
			return !known || wall - known.at > (known.present ? PRESENT_TTL : ABSENT_TTL);
		});
		const results = await Promise.all(stale.map((hash) => hasAudio(hash).catch(() => false)));
		stale.forEach((hash, i) => this.#presence.set(hash, { present: results[i]!, at: wall }));
	}

	#log(event: SchedulerEvent): void {
		this.#events = [event, ...this.#events].slice(0, EVENT_LIMIT);
	}
}

export const storePlayer = new StorePlayer();
