import { afterEach, describe, expect, it } from 'vitest';
import { belowOn } from './channel-low';

/** Two connected peer connections in this page and an open channel from the first to the second. */
async function channelPair() {
	const [a, b] = [new RTCPeerConnection(), new RTCPeerConnection()];
	a.onicecandidate = (event) => event.candidate && void b.addIceCandidate(event.candidate);
	b.onicecandidate = (event) => event.candidate && void a.addIceCandidate(event.candidate);
	const channel = a.createDataChannel('low');
	const received = new Promise<RTCDataChannel>((resolve) => (b.ondatachannel = (event) => resolve(event.channel)));
	await a.setLocalDescription();
	await b.setRemoteDescription(a.localDescription!);
	await b.setLocalDescription();
	await a.setRemoteDescription(b.localDescription!);
	await new Promise((resolve) => (channel.readyState === 'open' ? resolve(undefined) : (channel.onopen = resolve)));
	const remote = await received;
	return { channel, remote, close: () => (a.close(), b.close()) };
}

let close = () => {};
afterEach(() => close());

describe('belowOn', () => {
	it('resolves once the channel has sent down to the mark, not before', async () => {
		const pair = await channelPair();
		close = pair.close;
		let got = 0;
		pair.remote.onmessage = (event) => (got += (event.data as ArrayBuffer).byteLength);
		const frame = new Uint8Array(256 * 1024);
		for (let i = 0; i < 32; i++) pair.channel.send(frame);
		expect(pair.channel.bufferedAmount).toBeGreaterThan(1024 * 1024);
		await belowOn(pair.channel, 1024 * 1024);
		expect(pair.channel.bufferedAmount).toBeLessThanOrEqual(1024 * 1024);
		// The bytes did go out: the other side gets all of them.
		await expect.poll(() => got, { timeout: 20_000 }).toBe(32 * frame.byteLength);
	});

	it('resolves at once when the channel is already below the mark, missing or not open', async () => {
		const pair = await channelPair();
		close = pair.close;
		let settled = false;
		void belowOn(pair.channel, 1024).then(() => (settled = true));
		await Promise.resolve();
		expect(settled).toBe(true);
		await belowOn(undefined, 0);
		pair.channel.close();
		await belowOn(pair.channel, 0);
	});

	it('resolves when the channel closes with bytes still queued', async () => {
		const pair = await channelPair();
		close = pair.close;
		const frame = new Uint8Array(256 * 1024);
		for (let i = 0; i < 64; i++) pair.channel.send(frame);
		const waiting = belowOn(pair.channel, 0);
		pair.close();
		await waiting;
		expect(pair.channel.readyState).not.toBe('open');
	});
});
