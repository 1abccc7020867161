/**
 * The PeerJS seam, against the pinned PeerJS and real WebRTC in Chromium: two Peers whose server
 * connection is a `SignallingSocket` connect, exchange data, survive their signalling going away, and
 * never let a malformed message from the network reach PeerJS.
 */
import type { DataConnection, Peer } from 'peerjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createPeer } from './peer';
import { SignallingSocket, type ServerMessage } from './socket';

/** An in-page signalling "server": messages are serialised like on a network and stamped with `src`. */
class Hub {
	sockets = new Map<string, HubSocket>();
	up = true;
	relayed: string[] = [];
}

class HubSocket extends SignallingSocket {
	constructor(readonly hub: Hub) {
		super();
	}
	start(id: string): void {
		this.peerId = id;
		this.hub.sockets.set(id, this);
		this.setState('online');
		setTimeout(() => this.inject({ type: 'OPEN' }));
	}
	send(message: ServerMessage): void {
		if (!this.hub.up || !message.dst) return;
		const target = this.hub.sockets.get(message.dst);
		const wire = JSON.parse(JSON.stringify({ ...message, src: this.peerId }));
		this.hub.relayed.push(message.type);
		setTimeout(() => (target ? target.inject(wire) : this.inject({ type: 'EXPIRE', src: message.dst })));
	}
	close(): void {
		this.hub.sockets.delete(this.peerId!);
	}
	reconnectNow(): void {}
	/** What the network delivers (validated by the base class before PeerJS sees it). */
	inject(raw: unknown): void {
		this.deliver(raw);
	}
}

const peers: Peer[] = [];
afterEach(() => {
	for (const peer of peers.splice(0)) peer.destroy();
});

async function peerOn(hub: Hub, id: string): Promise<{ peer: Peer; socket: HubSocket }> {
	const socket = new HubSocket(hub);
	const peer = await createPeer(id, { debug: 0, config: { iceServers: [] } }, socket);
	peers.push(peer);
	await new Promise<void>((resolve, reject) => {
		peer.once('open', () => resolve());
		peer.once('error', reject);
	});
	return { peer, socket };
}

function opened(connection: DataConnection): Promise<void> {
	return new Promise((resolve, reject) => {
		connection.once('open', () => resolve());
		connection.once('error', reject);
	});
}

function nextData(connection: DataConnection): Promise<unknown> {
	return new Promise((resolve) => connection.once('data', resolve));
}

describe('PeerJS over a SignallingSocket', () => {
	it('connects two peers and carries data; the DataConnection outlives its signalling', async () => {
		const hub = new Hub();
		const a = await peerOn(hub, 'cm-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
		const b = await peerOn(hub, 'cm-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
		const incoming = new Promise<DataConnection>((resolve) => b.peer.once('connection', resolve));
		const dial = a.peer.connect(b.peer.id, { reliable: true, serialization: 'raw' });
		const answer = await incoming;
		await Promise.all([opened(dial), opened(answer)]);
		expect(hub.relayed).toContain('OFFER');
		expect(hub.relayed).toContain('ANSWER');
		expect(hub.relayed).toContain('CANDIDATE');

		// Signalling goes away (server restart): the peer-to-peer channel carries on.
		hub.up = false;
		a.socket.close();
		b.socket.close();
		const received = nextData(answer);
		dial.send('still here');
		expect(await received).toBe('still here');
		expect(dial.open && answer.open).toBe(true);
	});

	it('reports an unknown device as unavailable', async () => {
		const hub = new Hub();
		const a = await peerOn(hub, 'cm-cccccccccccccccccccccccccccccccc');
		const error = new Promise<{ type: string; message: string }>((resolve) => a.peer.once('error', resolve));
		a.peer.connect('cm-dddddddddddddddddddddddddddddddd', { serialization: 'raw' });
		const reported = await error;
		expect(reported.type).toBe('peer-unavailable');
		expect(reported.message).toContain('cm-dddddddddddddddddddddddddddddddd');
	});

	it('refuses and counts malformed or hostile signalling without reaching PeerJS', async () => {
		const hub = new Hub();
		const a = await peerOn(hub, 'cm-eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee');
		let connections = 0;
		a.peer.on('connection', () => connections++);
		const errors: string[] = [];
		a.peer.on('error', (error) => errors.push(error.type));
		const offer = (payload: Record<string, unknown>) => ({
			type: 'OFFER',
			src: 'cm-ffffffffffffffffffffffffffffffff',
			payload: {
				type: 'data',
				connectionId: 'dc_x',
				sdp: { type: 'offer', sdp: 'v=0' },
				serialization: 'raw',
				...payload
			}
		});
		a.socket.inject(offer({ serialization: '__proto__' })); // would index PeerJS's serializer table
		a.socket.inject(offer({ serialization: 'constructor' }));
		a.socket.inject(offer({ type: 'media' })); // calls are not part of the mesh
		a.socket.inject(offer({ connectionId: 'x'.repeat(500) }));
		a.socket.inject({ type: 'CANDIDATE', src: 'cm-ffffffffffffffffffffffffffffffff', payload: 'nope' });
		a.socket.inject({ type: 'OFFER', payload: {} }); // no sender
		a.socket.inject('not an object');
		a.socket.inject({ ...offer({}), src: a.peer.id }); // claims to come from us
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(a.socket.rejected).toBe(8);
		expect(connections).toBe(0);
		expect(errors).toEqual([]);
		expect(a.peer.destroyed).toBe(false);
	});

	it('rate-limits one sender flooding offers', async () => {
		const hub = new Hub();
		const a = await peerOn(hub, 'cm-11111111111111111111111111111111');
		a.peer.on('connection', (connection) => connection.close());
		for (let i = 0; i < 200; i++)
			a.socket.inject({
				type: 'CANDIDATE',
				src: 'cm-22222222222222222222222222222222',
				payload: { type: 'data', connectionId: `dc_${i}`, candidate: { candidate: '' } }
			});
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(a.socket.rejected).toBeGreaterThanOrEqual(130);
		expect(a.socket.rejected).toBeLessThan(200);
	});
});
