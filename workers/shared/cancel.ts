import { transfer } from 'comlink';
import { WorkerError } from './errors';

/**
 * AbortSignal cannot cross postMessage, so a call that should be cancellable takes a MessagePort:
 * the caller keeps one end and posts to it on abort; the worker turns the other end back into a signal.
 */
export type CancelPort = MessagePort;

/** Caller side: a port to pass as the call's last argument (already marked for transfer). */
export function cancelPortFor(signal: AbortSignal | undefined): CancelPort | undefined {
	if (!signal) return undefined;
	const { port1, port2 } = new MessageChannel();
	const abort = () => {
		port1.postMessage('abort');
		port1.close();
	};
	if (signal.aborted) abort();
	else signal.addEventListener('abort', abort, { once: true });
	return transfer(port2, [port2]);
}

/** Worker side: a signal that aborts when the caller aborts. */
export function signalFromPort(port: CancelPort | undefined): AbortSignal {
	const controller = new AbortController();
	if (port) {
		port.onmessage = () => {
			controller.abort(new WorkerError('aborted', 'Cancelled'));
			port.close();
		};
	}
	return controller.signal;
}

export function throwIfAborted(signal: AbortSignal): void {
	if (signal.aborted) throw new WorkerError('aborted', 'Cancelled');
}
