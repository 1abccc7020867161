import { describe, expect, it } from 'vitest';
import { ago, isOnline, lastHeard, ONLINE_WINDOW_MS } from './device-status';

const now = Date.parse('2030-01-07T12:00:00Z');
const at = (msAgo: number) => new Date(now - msAgo).toISOString();

describe('device status', () => {
	it('a device never heard from is offline', () => {
		expect(lastHeard({ last_sync_at: null, now_playing_at: null })).toBeNull();
		expect(isOnline({ last_sync_at: null, now_playing_at: null }, now)).toBe(false);
	});
	it('is online within the window after the latest report of either kind', () => {
		expect(isOnline({ last_sync_at: at(ONLINE_WINDOW_MS - 1000), now_playing_at: null }, now)).toBe(true);
		expect(isOnline({ last_sync_at: at(ONLINE_WINDOW_MS + 1000), now_playing_at: null }, now)).toBe(false);
		expect(isOnline({ last_sync_at: at(3 * ONLINE_WINDOW_MS), now_playing_at: at(60_000) }, now)).toBe(true);
		expect(lastHeard({ last_sync_at: at(5000), now_playing_at: at(60_000) })).toBe(now - 5000);
	});
	it('ignores unparsable times', () => {
		expect(isOnline({ last_sync_at: 'yesterday', now_playing_at: null }, now)).toBe(false);
	});
	it('says how long ago in whole units', () => {
		expect(ago(now - 42_000, now)).toEqual({ value: 42, unit: 'second' });
		expect(ago(now - 5 * 60_000 - 59_000, now)).toEqual({ value: 5, unit: 'minute' });
		expect(ago(now - 3 * 3600_000, now)).toEqual({ value: 3, unit: 'hour' });
		expect(ago(now - 2 * 86400_000, now)).toEqual({ value: 2, unit: 'day' });
		expect(ago(now + 5000, now)).toEqual({ value: 0, unit: 'second' });
	});
});
