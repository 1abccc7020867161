/** How often a wait re-checks the channel by itself, in case its event never comes. */
const RECHECK_MS = 100;

/**
 * Resolves once `channel` holds at most `bytes` (its `bufferedamountlow` event), or at once when it
 * already does, is not open or is missing; also when it closes. A sender waits on this instead of
 * polling `bufferedAmount` on timers (a wake-up of the UI thread every few ms while the channel drains).
 * One wait per channel at a time: each sets the channel's threshold.
 */
export function belowOn(channel: RTCDataChannel | undefined, bytes: number): Promise<void> {
	if (!channel || channel.readyState !== 'open' || channel.bufferedAmount <= bytes) return Promise.resolve();
	return new Promise((resolve) => {
		// `bufferedAmount` only changes between tasks, so nothing is missed between the check above and here.
		channel.bufferedAmountLowThreshold = bytes;
		const recheck = setInterval(() => {
			if (channel.readyState !== 'open' || channel.bufferedAmount <= bytes) done();
		}, RECHECK_MS);
		const done = () => {
			clearInterval(recheck);
			channel.removeEventListener('bufferedamountlow', done);
			channel.removeEventListener('close', done);
			resolve();
		};
		channel.addEventListener('bufferedamountlow', done);
		channel.addEventListener('close', done);
	});
}
