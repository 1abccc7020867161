import { transferHandlers, type TransferHandler } from 'comlink';

/** Why a worker call failed, in a form the UI can branch on and translate. */
export type WorkerErrorCode =
	| 'aborted'
	| 'unreadable'
	| 'invalid-input'
	| 'out-of-memory'
	| 'internal'
	// Per-file import outcomes the UI explains to the user.
	| 'empty'
	| 'not-audio'
	| 'truncated'
	| 'corrupt'
	| 'damaged'
	| 'disk-full';

/** The one error type that crosses the worker boundary; `code` survives structured cloning. */
export class WorkerError extends Error {
	override readonly name = 'WorkerError';
	readonly code: WorkerErrorCode;
	readonly details: Record<string, string | number | boolean> | undefined;

	constructor(code: WorkerErrorCode, message: string, details?: Record<string, string | number | boolean>) {
		super(message);
		this.code = code;
		this.details = details;
	}
}

export function isWorkerError(error: unknown): error is WorkerError {
	return error instanceof WorkerError;
}

/** Any thrown value becomes a WorkerError, so callers handle exactly one shape. */
export function toWorkerError(error: unknown): WorkerError {
	if (error instanceof WorkerError) return error;
	if (error instanceof DOMException && error.name === 'AbortError') return new WorkerError('aborted', 'Cancelled');
	if (error instanceof DOMException && error.name === 'NotReadableError') {
		return new WorkerError('unreadable', 'The file could not be read (moved, deleted or permission lost)');
	}
	if (error instanceof DOMException && error.name === 'QuotaExceededError') {
		return new WorkerError('disk-full', 'The disk is full');
	}
	if (error instanceof RangeError) return new WorkerError('out-of-memory', error.message);
	if (error instanceof Error) return new WorkerError('internal', error.message);
	return new WorkerError('internal', String(error));
}

interface SerializedThrow {
	isError: boolean;
	value: unknown;
	workerError?: { code: WorkerErrorCode; message: string; details?: Record<string, string | number | boolean> };
}

let installed = false;

/**
 * Comlink only keeps `message`, `name` and `stack` of a thrown Error. Both sides call this so a
 * WorkerError arrives as a WorkerError (same code and details) instead of a plain Error.
 */
export function installWorkerErrorTransfer(): void {
	if (installed) return;
	installed = true;
	const original = transferHandlers.get('throw') as TransferHandler<{ value: unknown }, SerializedThrow>;
	const handler: TransferHandler<{ value: unknown }, SerializedThrow> = {
		canHandle: (value): value is { value: unknown } => original.canHandle(value),
		serialize({ value }) {
			const error = toWorkerError(value);
			const serialized: SerializedThrow = {
				isError: true,
				value: { message: error.message, name: error.name, stack: error.stack },
				workerError: { code: error.code, message: error.message, details: error.details }
			};
			return [serialized, []];
		},
		deserialize(serialized) {
			if (serialized.workerError) {
				const { code, message, details } = serialized.workerError;
				throw new WorkerError(code, message, details);
			}
			return original.deserialize(serialized);
		}
	};
	transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>);
}
