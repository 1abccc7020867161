import { describe, expect, it } from 'vitest';
import { formatTime, layoutWeek, parseTime, pieces, type DaypartLike } from './week-layout';

const part = (id: string, days: number[], start: string, end: string, priority = 0): DaypartLike => ({
	id,
	days_of_week: days,
	start_time: start,
	end_time: end,
	priority
});

describe('parseTime', () => {
	it('reads HH:MM and HH:MM:SS as minutes, 24:00 as the end of the day', () => {
		expect(parseTime('08:30')).toBe(510);
		expect(parseTime('08:30:00')).toBe(510);
		expect(parseTime('00:00')).toBe(0);
		expect(parseTime('24:00:00')).toBe(1440);
	});
	it('refuses malformed times', () => {
		for (const bad of ['8:30', '24:01', '25:00', '12:60', 'noon', '', '12:00:61']) expect(parseTime(bad)).toBeNull();
	});
	it('formats minutes back', () => {
		expect(formatTime(510)).toBe('08:30');
		expect(formatTime(1440)).toBe('24:00');
	});
});

describe('pieces', () => {
	it('keeps a same-day daypart on each of its days', () => {
		expect(pieces(part('a', [1, 3], '08:00', '12:00'))).toEqual([
			{ id: 'a', day: 1, start: 480, end: 720, continued: false, priority: 0 },
			{ id: 'a', day: 3, start: 480, end: 720, continued: false, priority: 0 }
		]);
	});
	it('splits a daypart past midnight; Sunday continues on Monday', () => {
		expect(pieces(part('n', [7], '22:00', '02:00'))).toEqual([
			{ id: 'n', day: 7, start: 1320, end: 1440, continued: false, priority: 0 },
			{ id: 'n', day: 1, start: 0, end: 120, continued: true, priority: 0 }
		]);
	});
	it('treats an end of 00:00 as midnight, and 24:00 as the end of the day', () => {
		expect(pieces(part('m', [2], '18:00', '00:00'))).toEqual([
			{ id: 'm', day: 2, start: 1080, end: 1440, continued: false, priority: 0 }
		]);
		expect(pieces(part('d', [2], '00:00', '24:00:00'))[0]).toMatchObject({ start: 0, end: 1440 });
	});
	it('draws nothing for equal or malformed times and ignores days outside 1..7', () => {
		expect(pieces(part('x', [1], '08:00', '08:00'))).toEqual([]);
		expect(pieces(part('x', [1], 'x', '08:00'))).toEqual([]);
		expect(pieces(part('x', [0, 8, 2, 2], '08:00', '09:00')).map((p) => p.day)).toEqual([2]);
	});
});

describe('layoutWeek', () => {
	it('puts overlapping blocks side by side and leaves separate ones full width', () => {
		const blocks = layoutWeek([
			part('a', [1], '08:00', '12:00'),
			part('b', [1], '10:00', '14:00'),
			part('c', [1], '13:00', '15:00'),
			part('d', [1], '18:00', '20:00')
		]);
		const by = Object.fromEntries(blocks.map((b) => [b.id, b]));
		expect(by.a).toMatchObject({ lane: 0, lanes: 2 });
		expect(by.b).toMatchObject({ lane: 1, lanes: 2 });
		// c starts after a ended, so it reuses lane 0 within the same cluster.
		expect(by.c).toMatchObject({ lane: 0, lanes: 2 });
		expect(by.d).toMatchObject({ lane: 0, lanes: 1 });
	});
	it('lanes are per day', () => {
		const blocks = layoutWeek([part('a', [1, 2], '08:00', '12:00'), part('b', [2], '09:00', '10:00')]);
		expect(blocks.filter((b) => b.day === 1)).toEqual([expect.objectContaining({ id: 'a', lanes: 1 })]);
		expect(blocks.filter((b) => b.day === 2).map((b) => [b.id, b.lane, b.lanes])).toEqual([
			['a', 0, 2],
			['b', 1, 2]
		]);
	});
	it('an overnight continuation overlaps the next morning', () => {
		const blocks = layoutWeek([part('late', [1], '20:00', '06:00'), part('early', [2], '05:00', '09:00')]);
		const tuesday = blocks.filter((b) => b.day === 2);
		expect(tuesday.map((b) => [b.id, b.continued, b.lane, b.lanes])).toEqual([
			['late', true, 0, 2],
			['early', false, 1, 2]
		]);
	});
});
