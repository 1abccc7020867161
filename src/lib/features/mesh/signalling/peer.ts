/**
 * The one place that reaches into PeerJS: a Peer whose server connection is a `SignallingSocket`.
 *
 * PeerJS has no custom-signalling hook (peers/peerjs#775). Its Peer builds its server connection in
 * one method, `_createServerConnection()`, called from the constructor, and only ever uses the result
 * through `on('message' | 'error' | …)`, `removeAllListeners()`, `start(id, token)`, `send(message)` and
 * `close()`; messages go to `_handleMessage`, fatal errors to `_abort`. A subclass overriding that
 * method is the whole adapter. The version is pinned (package.json `"peerjs": "1.5.5"`) and
 * `signalling.browser.spec.ts` runs real Peers over this seam, so an upgrade that moves it fails a test
 * instead of failing in the field; `assertSeam` also refuses to start on a build without it.
 */
import type { Peer, PeerOptions } from 'peerjs';
import type { SignallingSocket } from './socket';

interface PeerInternals {
	_handleMessage(message: unknown): void;
	_abort(type: string, message: unknown): void;
}

export function assertSeam(PeerClass: typeof Peer): void {
	const proto = PeerClass.prototype as unknown as Record<string, unknown>;
	for (const name of ['_createServerConnection', '_handleMessage', '_abort', '_initialize'])
		if (typeof proto[name] !== 'function')
			throw new Error(`PeerJS ${name} is missing: the signalling seam needs peerjs 1.5.5 (see mesh README)`);
}

/** A PeerJS Peer with id `id` that signals through `socket` instead of its own WebSocket. */
export async function createPeer(id: string, options: PeerOptions, socket: SignallingSocket): Promise<Peer> {
	const { Peer: PeerClass } = await import('peerjs');
	assertSeam(PeerClass);
	const Adapted = class extends PeerClass {};
	Object.defineProperty(Adapted.prototype, '_createServerConnection', {
		value(this: PeerInternals) {
			socket.on('message', (message) => this._handleMessage(message));
			// Same as PeerJS's own socket: a fatal transport error ends this Peer's signalling.
			socket.on('error', (error) => this._abort('socket-error', error));
			return socket;
		}
	});
	return new Adapted(id, options);
}
