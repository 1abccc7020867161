/**
 * Lays dayparts out on a week (ISO days 1 = Monday … 7 = Sunday, minutes 0–1440), with the same rules
 * as the manifest SQL: a daypart ending before it starts runs past midnight and belongs to the day it
 * started on (drawn as two pieces, the second on the next day), and 24:00 is the end of the day.
 * Overlapping pieces on a day get side-by-side lanes.
 */
export interface DaypartLike {
	id: string;
	days_of_week: number[];
	start_time: string;
	end_time: string;
	priority: number;
}

export interface WeekBlock {
	id: string;
	day: number;
	/** Minutes after local midnight. */
	start: number;
	end: number;
	/** The after-midnight piece of a daypart that started the day before. */
	continued: boolean;
	lane: number;
	lanes: number;
	priority: number;
}

/** "08:30", "08:30:00" or "24:00" → minutes; null when malformed. */
export function parseTime(value: string): number | null {
	const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
	if (!m) return null;
	const h = Number(m[1]);
	const min = Number(m[2]);
	const s = Number(m[3] ?? 0);
	if (min > 59 || s > 59) return null;
	if (h === 24 && min === 0 && s === 0) return 1440;
	if (h > 23) return null;
	return h * 60 + min + s / 60;
}

export function formatTime(minutes: number): string {
	const m = Math.round(minutes);
	return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

const nextDay = (day: number) => (day % 7) + 1;

/** The pieces of one daypart, before lanes are assigned. */
export function pieces(part: DaypartLike): Omit<WeekBlock, 'lane' | 'lanes'>[] {
	const start = parseTime(part.start_time);
	let end = parseTime(part.end_time);
	if (start === null || end === null || start === end) return [];
	if (end === 0) end = 1440;
	const out: Omit<WeekBlock, 'lane' | 'lanes'>[] = [];
	for (const day of [...new Set(part.days_of_week)].sort((a, b) => a - b)) {
		if (day < 1 || day > 7) continue;
		const base = { id: part.id, priority: part.priority };
		if (end > start) out.push({ ...base, day, start, end, continued: false });
		else {
			out.push({ ...base, day, start, end: 1440, continued: false });
			out.push({ ...base, day: nextDay(day), start: 0, end, continued: true });
		}
	}
	return out;
}

/** All blocks of the week, each with a lane among the blocks it overlaps on its day. */
export function layoutWeek(parts: readonly DaypartLike[]): WeekBlock[] {
	const byDay = new Map<number, Omit<WeekBlock, 'lane' | 'lanes'>[]>();
	for (const part of parts) for (const p of pieces(part)) byDay.set(p.day, [...(byDay.get(p.day) ?? []), p]);
	const result: WeekBlock[] = [];
	for (const [, list] of [...byDay].sort(([a], [b]) => a - b)) {
		list.sort((a, b) => a.start - b.start || b.end - a.end || a.id.localeCompare(b.id));
		// Clusters of transitively overlapping blocks share a lane count.
		let cluster: WeekBlock[] = [];
		let clusterEnd = -1;
		const flush = () => {
			const lanes = Math.max(1, ...cluster.map((b) => b.lane + 1));
			for (const b of cluster) b.lanes = lanes;
			result.push(...cluster);
			cluster = [];
		};
		for (const piece of list) {
			if (piece.start >= clusterEnd && cluster.length) flush();
			const laneEnds: number[] = [];
			for (const b of cluster) laneEnds[b.lane] = Math.max(laneEnds[b.lane] ?? 0, b.end);
			let lane = laneEnds.findIndex((end) => end <= piece.start);
			if (lane < 0) lane = laneEnds.length;
			cluster.push({ ...piece, lane, lanes: 1 });
			clusterEnd = Math.max(clusterEnd, piece.end);
		}
		if (cluster.length) flush();
	}
	return result;
}
