/**
 * Messages on the port that carries received mesh frames from the UI thread to the transfer worker
 * (`connectFrames`), shared by both sides.
 */

/** UI thread → worker: a frame (its buffer moves along) for file `id` at byte `at`; or "tell me when
 * every earlier message is handled". */
export type FramePortMessage = ['frame', id: number, at: number, bytes: Uint8Array] | ['settle', token: number];

/** Worker → UI thread: how many frames of file `id` are handled so far (every few frames, and at once
 * with the first write error); or the answer to `settle`. */
export type FramePortReply = ['handled', id: number, count: number, error: string | null] | ['settled', token: number];
