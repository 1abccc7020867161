/**
 * "Online now", derived from what the database actually knows: a player reports after every sync
 * (`last_sync_at`, every 10 minutes by default) and, when it plays, `now_playing_at`. A device heard
 * from within ONLINE_WINDOW_MS (two sync intervals, so one missed poll does not flip it) is online.
 * Nothing pings in between, so a device that died a minute ago still shows online until the window
 * passes; the UI says "last heard" next to it.
 */
export const ONLINE_WINDOW_MS = 20 * 60 * 1000;

export interface HeardFrom {
	last_sync_at: string | null;
	now_playing_at: string | null;
}

export function lastHeard(device: HeardFrom): number | null {
	const times = [device.last_sync_at, device.now_playing_at]
		.map((t) => (t ? Date.parse(t) : NaN))
		.filter((t) => Number.isFinite(t));
	return times.length ? Math.max(...times) : null;
}

export function isOnline(device: HeardFrom, now: number, windowMs = ONLINE_WINDOW_MS): boolean {
	const heard = lastHeard(device);
	// A clock a little ahead of ours still counts as recent.
	return heard !== null && now - heard <= windowMs && heard - now <= windowMs;
}

/** Whole units for "x ago" texts: seconds under a minute, then minutes, hours, days. */
export function ago(then: number, now: number): { value: number; unit: 'second' | 'minute' | 'hour' | 'day' } {
	const s = Math.max(0, Math.round((now - then) / 1000));
	if (s < 60) return { value: s, unit: 'second' };
	if (s < 3600) return { value: Math.floor(s / 60), unit: 'minute' };
	if (s < 86400) return { value: Math.floor(s / 3600), unit: 'hour' };
	return { value: Math.floor(s / 86400), unit: 'day' };
}
