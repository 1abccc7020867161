import { transfer, wrap, type Remote } from 'comlink';
import type { TransferApi } from '$workers/transfer.worker';
import { installWorkerErrorTransfer } from '$workers/shared/errors';
import type { FramePortMessage, FramePortReply } from '$workers/shared/frame-port';

let remote: Remote<TransferApi> | undefined;

/** One worker per tab receives every mesh transfer's bytes (write + in-order SHA-256), started on first use. */
export function transferWorker(): Remote<TransferApi> {
	if (!remote) {
		installWorkerErrorTransfer();
		const worker = new Worker(new URL('../../../workers/transfer.worker.ts', import.meta.url), {
			type: 'module',
			name: 'transfer'
		});
		remote = wrap<TransferApi>(worker);
	}
	return remote;
}

interface FileFrames {
	posted: number;
	handled: number;
	/** the first write error the worker reported ('' while none) */
	error: string;
	/** woken when `handled` moves */
	waiters: (() => void)[];
}

let framePort: MessagePort | undefined;
const fileFrames = new Map<number, FileFrames>();
const settling = new Map<number, () => void>();
let nextToken = 1;

function frames(id: number): FileFrames {
	let state = fileFrames.get(id);
	if (!state) fileFrames.set(id, (state = { posted: 0, handled: 0, error: '', waiters: [] }));
	return state;
}

function wake(state: FileFrames): void {
	const waiters = state.waiters;
	state.waiters = [];
	for (const waiter of waiters) waiter();
}

/** The frame port, connected to the worker on first use (messages wait in the port until it is). */
function port(): MessagePort {
	if (framePort) return framePort;
	const channel = new MessageChannel();
	void transferWorker().connectFrames(transfer(channel.port2, [channel.port2]));
	channel.port1.onmessage = (event: MessageEvent<FramePortReply>) => {
		const reply = event.data;
		if (reply[0] === 'settled') {
			settling.get(reply[1])?.();
			settling.delete(reply[1]);
			return;
		}
		const [, id, count, error] = reply;
		const state = fileFrames.get(id);
		if (!state) return;
		state.handled = Math.max(state.handled, count);
		if (error !== null) state.error ||= error;
		wake(state);
	};
	return (framePort = channel.port1);
}

/**
 * Writes a received frame at `at` in file `id`; the frame's buffer moves to the worker (the caller must not
 * use it). No answer per frame: `framesPending` bounds what is on its way, `settleFrames` waits for all.
 */
export function writeFrame(id: number, at: number, bytes: Uint8Array): void {
	frames(id).posted++;
	port().postMessage(['frame', id, at, bytes] satisfies FramePortMessage, [bytes.buffer]);
}

/** Frames of file `id` posted and not yet known to be handled (the worker reports every few frames). */
export function framesPending(id: number): number {
	const state = fileFrames.get(id);
	return state ? state.posted - state.handled : 0;
}

/** Resolves when at most `count` frames of file `id` are pending. */
export function framesBelow(id: number, count: number): Promise<void> {
	const state = frames(id);
	if (state.posted - state.handled <= count) return Promise.resolve();
	return new Promise((resolve) => {
		const check = () => (state.posted - state.handled <= count ? resolve() : state.waiters.push(check));
		state.waiters.push(check);
	});
}

/** Waits until every frame posted so far is handled; resolves with file `id`'s first write error ('' if none). */
export async function settleFrames(id: number): Promise<string> {
	const state = frames(id);
	if (state.posted > state.handled) {
		const token = nextToken++;
		const posted = state.posted;
		await new Promise<void>((resolve) => {
			settling.set(token, resolve);
			port().postMessage(['settle', token] satisfies FramePortMessage);
		});
		state.handled = Math.max(state.handled, posted);
		wake(state);
	}
	return state.error;
}

/** Drops the bookkeeping of a committed or abandoned file. */
export function forgetFrames(id: number): void {
	const state = fileFrames.get(id);
	fileFrames.delete(id);
	if (state) {
		// Nobody waits for a file that is gone.
		state.handled = state.posted;
		wake(state);
	}
}

/** A part fetched again to find a bad sender: true when it differed from (and replaced) the bytes held. */
export function replaceFrame(id: number, at: number, bytes: Uint8Array): Promise<boolean> {
	return transferWorker().replace(id, at, transfer(bytes, [bytes.buffer]));
}

/**
 * Reads a stored file (OPFS `audio/<hash>`, `size` bytes) in the transfer worker, for sending: plain file
 * reads there instead of `Blob` reads through the browser process and the UI thread. Null when this
 * browser cannot (the caller reads the `Blob`).
 */
export async function openStoredReader(
	hash: string,
	size: number
): Promise<{
	read(at: number, length: number, into?: ArrayBuffer): Promise<Uint8Array<ArrayBuffer>>;
	close(): void;
} | null> {
	const worker = transferWorker();
	const id = await worker.openStored(hash, size);
	if (id === null) return null;
	return {
		// `into`: a buffer of an earlier read that is sent already, filled again instead of a new one.
		read: async (at, length, into) =>
			(await worker.readStored(
				id,
				at,
				length,
				into ? transfer(new Uint8Array(into), [into]) : undefined
			)) as Uint8Array<ArrayBuffer>,
		close: () => void worker.closeStored(id).catch(() => undefined)
	};
}
