import { describe, expect, it } from 'vitest';
import {
	clockWarning,
	currentDaypart,
	daypartIsCurrent,
	isValidAt,
	localTime,
	selectNext,
	type Daypart,
	type IsoDay,
	type Schedule,
	type ScheduleAsset
} from './select';

/** Small seeded PRNG so property runs are reproducible. */
function mulberry32(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 23, 12); // a Monday
const ZONES = ['UTC', 'America/Sao_Paulo', 'Europe/Paris', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata'];
const hex = (n: number) => n.toString(16).padStart(64, '0');
const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

function randomSchedule(random: () => number) {
	const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
	const assets: ScheduleAsset[] = Array.from({ length: 2 + Math.floor(random() * 14) }, (_, i) => {
		const validFrom = T0 + (random() - 0.6) * 20 * DAY;
		return {
			hash: hex(i + 1),
			validFrom,
			validUntil: validFrom + (0.1 + random() * 30) * DAY,
			emergencyEligible: random() < 0.3
		};
	});
	const playlists = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => ({
		id: `p${i}`,
		name: `Playlist ${i}`,
		hashes: assets.filter(() => random() < 0.5).map((a) => a.hash)
	}));
	const dayparts: Daypart[] = Array.from({ length: Math.floor(random() * 4) }, (_, i) => {
		const start = Math.floor(random() * 48) * 30;
		let end = Math.floor(random() * 49) * 30;
		if (end === start) end = (start + 60) % 1440;
		return {
			id: `d${i}`,
			name: `Daypart ${i}`,
			playlistId: random() < 0.9 ? pick(playlists).id : 'missing',
			days: ([1, 2, 3, 4, 5, 6, 7] as IsoDay[]).filter(() => random() < 0.6),
			start: clock(start),
			end: end === 1440 ? '24:00' : clock(end),
			timeZone: pick(ZONES),
			priority: Math.floor(random() * 3)
		};
	});
	const schedule: Schedule = {
		timeZone: 'UTC',
		dayparts,
		playlists,
		assets,
		syncedAt: null,
		newestServerTime: null
	};
	const present = new Set(assets.filter(() => random() < 0.8).map((a) => a.hash));
	const played = new Map(assets.filter(() => random() < 0.5).map((a) => [a.hash, T0 - random() * 10 * DAY]));
	return { schedule, present, played };
}

describe('selectNext over random schedules', () => {
	it('never chooses an expired, not-yet-valid, absent or excluded asset, and falls back in order', () => {
		const random = mulberry32(42);
		for (let run = 0; run < 2000; run++) {
			const { schedule, present, played } = randomSchedule(random);
			const now = T0 + (random() - 0.5) * 14 * DAY;
			const exclude = new Set(schedule.assets.filter(() => random() < 0.1).map((a) => a.hash));
			const selection = selectNext({
				schedule,
				now,
				isPresent: (h) => present.has(h),
				lastPlayed: (h) => played.get(h),
				exclude,
				random
			});
			const assets = new Map(schedule.assets.map((a) => [a.hash, a]));
			const playable = (h: string) =>
				!!assets.get(h) && isValidAt(assets.get(h)!, now) && present.has(h) && !exclude.has(h);
			const daypart = currentDaypart(schedule.dayparts, now);
			const playlist = daypart ? schedule.playlists.find((p) => p.id === daypart.playlistId) : undefined;
			const fromPlaylist = playlist?.hashes.filter(playable) ?? [];

			if (selection.kind !== 'jingle') expect(playable(selection.hash)).toBe(true);
			if (fromPlaylist.length > 0) {
				// Prefers the playlist over emergency, least recently played first.
				expect(selection.kind).toBe('playlist');
				if (selection.kind !== 'playlist') continue;
				const when = (h: string) => played.get(h) ?? -Infinity;
				const min = Math.min(...fromPlaylist.map(when));
				expect(when(selection.hash)).toBe(min);
				expect(selection.hash).toBe(fromPlaylist.find((h) => when(h) === min));
			} else {
				const emergency = schedule.assets.filter((a) => a.emergencyEligible && playable(a.hash));
				expect(selection.kind).toBe(emergency.length > 0 ? 'emergency' : 'jingle');
				if (selection.kind === 'emergency') expect(assets.get(selection.hash)!.emergencyEligible).toBe(true);
			}
		}
		// 2,000 runs take ~2 s alone; beside the browser tests on a loaded two-core machine they passed 5 s.
	}, 60_000);

	it('plays a whole playlist before repeating a track (least recently played)', () => {
		const random = mulberry32(7);
		const assets = Array.from({ length: 5 }, (_, i) => ({
			hash: hex(i + 1),
			validFrom: 0,
			validUntil: T0 + DAY,
			emergencyEligible: false
		}));
		const schedule: Schedule = {
			timeZone: 'UTC',
			dayparts: [
				{
					id: 'd',
					name: 'All day',
					playlistId: 'p',
					days: [1, 2, 3, 4, 5, 6, 7],
					start: '00:00',
					end: '24:00',
					timeZone: 'UTC',
					priority: 0
				}
			],
			playlists: [{ id: 'p', name: 'P', hashes: assets.map((a) => a.hash) }],
			assets,
			syncedAt: null,
			newestServerTime: null
		};
		const played = new Map<string, number>();
		const order: string[] = [];
		for (let i = 0; i < 15; i++) {
			const now = T0 + i * 60_000;
			const s = selectNext({ schedule, now, isPresent: () => true, lastPlayed: (h) => played.get(h), random });
			expect(s.kind).toBe('playlist');
			if (s.kind !== 'playlist') return;
			played.set(s.hash, now);
			order.push(s.hash);
		}
		expect(order.slice(0, 5)).toEqual(assets.map((a) => a.hash));
		expect(order.slice(5, 10)).toEqual(order.slice(0, 5));
		expect(new Set(order.slice(10)).size).toBe(5);
	});

	it('an asset that expires while playing is not chosen again', () => {
		const a = { hash: hex(1), validFrom: 0, validUntil: T0 + 60_000, emergencyEligible: false };
		const b = { hash: hex(2), validFrom: 0, validUntil: T0 + DAY, emergencyEligible: true };
		const schedule: Schedule = {
			timeZone: 'UTC',
			dayparts: [
				{
					id: 'd',
					name: 'x',
					playlistId: 'p',
					days: [1, 2, 3, 4, 5, 6, 7],
					start: '00:00',
					end: '24:00',
					timeZone: 'UTC',
					priority: 0
				}
			],
			playlists: [{ id: 'p', name: 'P', hashes: [a.hash] }],
			assets: [a, b],
			syncedAt: null,
			newestServerTime: null
		};
		const base = { schedule, isPresent: () => true, lastPlayed: () => undefined, random: Math.random };
		expect(selectNext({ ...base, now: T0 })).toMatchObject({ kind: 'playlist', hash: a.hash });
		// The track started at T0 and outlives its validity: the next pick falls back to emergency.
		expect(selectNext({ ...base, now: T0 + 60_000 })).toMatchObject({ kind: 'emergency', hash: b.hash });
		expect(selectNext({ ...base, now: T0 + 2 * DAY })).toMatchObject({ kind: 'jingle', reason: 'playlist-unplayable' });
	});
});

describe('dayparts', () => {
	const part = (over: Partial<Daypart>): Daypart => ({
		id: 'd',
		name: 'd',
		playlistId: 'p',
		days: [1, 2, 3, 4, 5, 6, 7],
		start: '08:00',
		end: '12:00',
		timeZone: 'UTC',
		priority: 0,
		...over
	});

	it('start is inclusive, end exclusive, in the daypart zone', () => {
		const morning = part({ timeZone: 'America/Sao_Paulo' }); // UTC-3, no DST since 2019
		expect(daypartIsCurrent(morning, Date.UTC(2026, 10, 23, 11, 0))).toBe(true);
		expect(daypartIsCurrent(morning, Date.UTC(2026, 10, 23, 10, 59, 59))).toBe(false);
		expect(daypartIsCurrent(morning, Date.UTC(2026, 10, 23, 14, 59, 59))).toBe(true);
		expect(daypartIsCurrent(morning, Date.UTC(2026, 10, 23, 15, 0))).toBe(false);
	});

	it('a daypart past midnight belongs to the day it starts', () => {
		const friday = part({ days: [5], start: '22:00', end: '02:00' });
		expect(daypartIsCurrent(friday, Date.UTC(2026, 10, 27, 23))).toBe(true); // Fri 23:00
		expect(daypartIsCurrent(friday, Date.UTC(2026, 10, 28, 1, 59))).toBe(true); // Sat 01:59
		expect(daypartIsCurrent(friday, Date.UTC(2026, 10, 28, 2))).toBe(false);
		expect(daypartIsCurrent(friday, Date.UTC(2026, 10, 28, 23))).toBe(false); // Sat 23:00
		expect(daypartIsCurrent(friday, Date.UTC(2026, 10, 27, 1))).toBe(false); // Fri 01:00 (Thursday's night)
	});

	it('24:00 means end of day', () => {
		const evening = part({ days: [1], start: '18:00', end: '24:00' });
		expect(daypartIsCurrent(evening, Date.UTC(2026, 10, 23, 23, 59, 59))).toBe(true);
		expect(daypartIsCurrent(evening, Date.UTC(2026, 10, 24, 0, 0))).toBe(false);
	});

	it('follows DST: 09:00 Paris is 08:00 UTC in winter and 07:00 UTC in summer', () => {
		const paris = part({ start: '09:00', end: '10:00', timeZone: 'Europe/Paris' });
		expect(daypartIsCurrent(paris, Date.UTC(2026, 0, 12, 8, 0))).toBe(true);
		expect(daypartIsCurrent(paris, Date.UTC(2026, 0, 12, 7, 0))).toBe(false);
		expect(daypartIsCurrent(paris, Date.UTC(2026, 6, 13, 7, 0))).toBe(true);
		expect(daypartIsCurrent(paris, Date.UTC(2026, 6, 13, 8, 0))).toBe(false);
		// The changeover days themselves (29 March and 25 October 2026).
		expect(localTime(Date.UTC(2026, 2, 29, 0, 59), 'Europe/Paris').minutes).toBe(60 + 59);
		expect(localTime(Date.UTC(2026, 2, 29, 1, 0), 'Europe/Paris').minutes).toBe(180);
		expect(localTime(Date.UTC(2026, 9, 25, 0, 30), 'Europe/Paris').minutes).toBe(150);
		expect(localTime(Date.UTC(2026, 9, 25, 1, 30), 'Europe/Paris').minutes).toBe(150);
		// The skipped hour never matches a 02:00–03:00 daypart; the repeated one matches twice.
		const two = part({ start: '02:00', end: '03:00', timeZone: 'Europe/Paris' });
		let spring = 0;
		for (let t = Date.UTC(2026, 2, 28, 22); t < Date.UTC(2026, 2, 29, 4); t += 60_000)
			spring += +daypartIsCurrent(two, t);
		expect(spring).toBe(0);
		let autumn = 0;
		for (let t = Date.UTC(2026, 9, 24, 22); t < Date.UTC(2026, 9, 25, 4); t += 60_000)
			autumn += +daypartIsCurrent(two, t);
		expect(autumn).toBe(120);
	});

	it('matches a brute-force minute scan against the zone offset, over random dayparts', () => {
		const random = mulberry32(99);
		for (let run = 0; run < 300; run++) {
			const zone = ZONES[Math.floor(random() * ZONES.length)]!;
			const now = T0 + Math.floor(random() * 400 * DAY);
			const { isoDay, minutes } = localTime(now, zone);
			// Cross-check weekday/time with an independent route: toLocaleString in that zone.
			const text = new Date(now).toLocaleString('en-GB', {
				timeZone: zone,
				weekday: 'short',
				hour: '2-digit',
				minute: '2-digit',
				hourCycle: 'h23'
			});
			const [, hh, mm] = /(\d{2}):(\d{2})/.exec(text)!.map(Number) as [number, number, number];
			expect(Math.floor(minutes)).toBe(hh * 60 + mm);
			expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][isoDay - 1]).toBe(text.slice(0, 3));
		}
	});

	it('highest priority wins, then list order; unknown zones never match', () => {
		const a = part({ id: 'a', priority: 0 });
		const b = part({ id: 'b', priority: 5 });
		const c = part({ id: 'c', priority: 5 });
		expect(currentDaypart([a, b, c], Date.UTC(2026, 10, 23, 9))?.id).toBe('b');
		expect(currentDaypart([part({ timeZone: 'Mars/Olympus' })], Date.UTC(2026, 10, 23, 9))).toBeNull();
	});
});

describe('clockWarning', () => {
	it('warns when the device clock is behind the newest server time', () => {
		expect(clockWarning(T0, null)).toBeNull();
		expect(clockWarning(T0, T0 + 60_000)).toBeNull();
		expect(clockWarning(T0, T0 + HOUR)).toBe('behind-server');
	});
});
