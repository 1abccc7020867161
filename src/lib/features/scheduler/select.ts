/**
 * The store player's selection rules as pure functions. Nothing here reads the clock, storage or
 * randomness on its own: `now`, presence, play history and `random` are passed in, so tests can drive
 * them over random schedules, daypart boundaries and DST changes.
 *
 * Field meanings follow the server tables (supabase/migrations: media_assets, schedules), so issue 7's
 * sync can hand its rows over with a plain mapping: ISO days (1 = Monday … 7 = Sunday), local wall-clock
 * times in the daypart's IANA zone, `end <= start` crosses midnight and belongs to the day it starts on,
 * '24:00' is the end of the day, higher `priority` wins when dayparts overlap.
 */

export type IsoDay = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface ScheduleAsset {
	/** SHA-256 of the audio bytes (the library's track hash). */
	hash: string;
	title?: string;
	artist?: string;
	/** Epoch ms; valid when validFrom <= now < validUntil. Both required (licences expire). */
	validFrom: number;
	validUntil: number;
	emergencyEligible: boolean;
}

export interface Daypart {
	id: string;
	name: string;
	playlistId: string;
	days: IsoDay[];
	/** 'HH:MM' local time, inclusive. */
	start: string;
	/** 'HH:MM' local time, exclusive; '24:00' = end of day; <= start runs past midnight. */
	end: string;
	/** IANA zone, e.g. 'America/Sao_Paulo'. */
	timeZone: string;
	priority: number;
}

export interface SchedulePlaylist {
	id: string;
	name: string;
	/** Track hashes in playlist order (ties in "least recently played" keep this order). */
	hashes: string[];
}

export interface Schedule {
	/** The store's zone, for display and for dayparts created locally. */
	timeZone: string;
	dayparts: Daypart[];
	playlists: SchedulePlaylist[];
	assets: ScheduleAsset[];
	/** When this schedule last came from a server (epoch ms); null for a local schedule. */
	syncedAt: number | null;
	/** Newest server timestamp seen in synced data: a device clock behind it is wrong. */
	newestServerTime: number | null;
}

export interface LocalTime {
	isoDay: IsoDay;
	/** Minutes since local midnight, with seconds as a fraction. */
	minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Record<string, IsoDay> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Wall-clock weekday and time of `now` in `timeZone` (Intl handles DST). */
export function localTime(now: number, timeZone: string): LocalTime {
	let format = formatters.get(timeZone);
	if (!format) {
		format = new Intl.DateTimeFormat('en-US', {
			timeZone,
			weekday: 'short',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
			hourCycle: 'h23'
		});
		formatters.set(timeZone, format);
	}
	let isoDay: IsoDay = 1;
	let hour = 0;
	let minute = 0;
	let second = 0;
	for (const part of format.formatToParts(now)) {
		if (part.type === 'weekday') isoDay = WEEKDAYS[part.value] ?? 1;
		else if (part.type === 'hour') hour = Number(part.value) % 24;
		else if (part.type === 'minute') minute = Number(part.value);
		else if (part.type === 'second') second = Number(part.value);
	}
	return { isoDay, minutes: hour * 60 + minute + second / 60 };
}

/** 'HH:MM' → minutes; '24:00' → 1440. */
export function parseClock(value: string): number {
	const match = /^(\d{1,2}):(\d{2})$/.exec(value.trim());
	if (!match) return NaN;
	const minutes = Number(match[1]) * 60 + Number(match[2]);
	return minutes <= 1440 && Number(match[2]) < 60 ? minutes : NaN;
}

export function isValidTimeZone(timeZone: string): boolean {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone });
		return true;
	} catch {
		return false;
	}
}

const previousDay = (day: IsoDay): IsoDay => (((day + 5) % 7) + 1) as IsoDay;

/** Same rule as cratemesh.daypart_is_current on the server. */
export function daypartIsCurrent(daypart: Daypart, now: number): boolean {
	const start = parseClock(daypart.start);
	const end = parseClock(daypart.end);
	if (!Number.isFinite(start) || !Number.isFinite(end) || start === end || !isValidTimeZone(daypart.timeZone))
		return false;
	const { isoDay, minutes } = localTime(now, daypart.timeZone);
	if (start < end) return daypart.days.includes(isoDay) && minutes >= start && minutes < end;
	return (
		(daypart.days.includes(isoDay) && minutes >= start) || (daypart.days.includes(previousDay(isoDay)) && minutes < end)
	);
}

/** The daypart in force: highest priority among those current, then the earliest listed. */
export function currentDaypart(dayparts: readonly Daypart[], now: number): Daypart | null {
	let best: Daypart | null = null;
	for (const daypart of dayparts) {
		if (!daypartIsCurrent(daypart, now)) continue;
		if (!best || daypart.priority > best.priority) best = daypart;
	}
	return best;
}

export function isValidAt(asset: Pick<ScheduleAsset, 'validFrom' | 'validUntil'>, now: number): boolean {
	return asset.validFrom <= now && now < asset.validUntil;
}

export interface SelectionInput {
	schedule: Schedule;
	/** The instant the chosen track would start (epoch ms, device clock). */
	now: number;
	/** Whether the audio bytes are held locally. */
	isPresent: (hash: string) => boolean;
	/** When the hash last started playing here (epoch ms), or undefined if never. */
	lastPlayed: (hash: string) => number | undefined;
	/** Hashes never to choose now (failed to read or decode, or already queued). */
	exclude?: ReadonlySet<string>;
	/** In [0, 1). */
	random: () => number;
}

export type FallbackReason = 'no-daypart' | 'no-playlist' | 'playlist-unplayable';

export type Selection =
	| { kind: 'playlist'; hash: string; daypart: Daypart; playlist: SchedulePlaylist }
	| { kind: 'emergency'; hash: string; daypart: Daypart | null; reason: FallbackReason }
	| { kind: 'jingle'; daypart: Daypart | null; reason: FallbackReason };

/**
 * Chooses what plays next: the current daypart's playlist, valid and present tracks, least recently
 * played first (never-played first, ties in playlist order); else a random valid, present,
 * emergency-eligible asset; else the built-in jingle.
 */
export function selectNext(input: SelectionInput): Selection {
	const { schedule, now, isPresent, lastPlayed, exclude, random } = input;
	const assets = new Map(schedule.assets.map((asset) => [asset.hash, asset]));
	const playable = (hash: string) => {
		const asset = assets.get(hash);
		return !!asset && isValidAt(asset, now) && !exclude?.has(hash) && isPresent(hash);
	};

	const daypart = currentDaypart(schedule.dayparts, now);
	let reason: FallbackReason = 'no-daypart';
	if (daypart) {
		const playlist = schedule.playlists.find((p) => p.id === daypart.playlistId);
		reason = playlist ? 'playlist-unplayable' : 'no-playlist';
		if (playlist) {
			let best: string | null = null;
			let bestPlayed = Infinity;
			const seen = new Set<string>();
			for (const hash of playlist.hashes) {
				if (seen.has(hash)) continue;
				seen.add(hash);
				if (!playable(hash)) continue;
				const played = lastPlayed(hash) ?? -Infinity;
				if (played < bestPlayed) {
					best = hash;
					bestPlayed = played;
				}
			}
			if (best) return { kind: 'playlist', hash: best, daypart, playlist };
		}
	}

	const emergency = schedule.assets.filter((asset) => asset.emergencyEligible && playable(asset.hash));
	if (emergency.length > 0) {
		const pick = emergency[Math.min(emergency.length - 1, Math.floor(random() * emergency.length))]!;
		return { kind: 'emergency', hash: pick.hash, daypart, reason };
	}
	return { kind: 'jingle', daypart, reason };
}

export type ClockWarning = 'behind-server' | null;

/** A device clock earlier than the newest server timestamp we have seen is wrong (tolerance 2 min). */
export function clockWarning(now: number, newestServerTime: number | null, toleranceMs = 120_000): ClockWarning {
	return newestServerTime !== null && now < newestServerTime - toleranceMs ? 'behind-server' : null;
}
