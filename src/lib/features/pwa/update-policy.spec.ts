import { describe, expect, it, vi } from 'vitest';
import { PlayerState } from '../player/player.svelte';
import { scheduleReload } from './update-policy';

describe('update reload policy', () => {
	it('reloads at once when nothing plays', () => {
		const player = new PlayerState();
		const reload = vi.fn();
		expect(scheduleReload(player, reload)).toBe('now');
		expect(reload).toHaveBeenCalledOnce();
	});

	it('never reloads under a playing track, but does once it stops', () => {
		const player = new PlayerState();
		player.load({ hash: 'a'.repeat(64), title: 'Song', artist: 'Artist' });
		player.setPlaying(true);
		const reload = vi.fn();
		expect(scheduleReload(player, reload)).toBe('after-track');
		expect(reload).not.toHaveBeenCalled();
		player.setPlaying(true);
		expect(reload).not.toHaveBeenCalled();
		player.setPlaying(false);
		expect(reload).toHaveBeenCalledOnce();
		player.setPlaying(true);
		player.setPlaying(false);
		expect(reload).toHaveBeenCalledOnce();
	});
});
