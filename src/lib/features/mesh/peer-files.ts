/**
 * Store players fetch scheduled files from each other before the server. `PeerFiles` wraps the sync
 * engine's `ManifestSource` at its file seam: `openFile` asks the connected own devices (a shop's players,
 * paired with each other) one after another for the file by content hash; the first that offers it streams
 * it to the download worker, which verifies the SHA-256 as for any source. No device has it (or none
 * answers within a few seconds): the server's request is used as before. A device that goes away or breaks
 * off mid-file: the same stream continues from the server at that byte (HTTP Range), so the worker never
 * sees the switch. A file whose peer bytes failed verification (asked again from 0) comes from the server.
 * Everything else (manifest, report, telemetry) goes to the wrapped source unchanged.
 */
import type {
	DeviceTelemetry,
	FileBytes,
	FileRef,
	Manifest,
	ManifestRequest,
	ManifestSource,
	NowPlayingReport,
	OpenedFile,
	SyncReport
} from '$lib/features/sync/manifest';
import type { Session } from './session';
import type { PartSink, Transfers } from './transfers.svelte';

/** How long a device may take to answer `want` before the next one (or the server) is asked. */
const ANSWER_MS = 5_000;
/** Bytes queued for the download worker before the channel is slowed down. */
const QUEUED_BYTES = 8 * 1024 * 1024;

export interface PeerFileMesh {
	/** Ready sessions of own devices. */
	holders(): Session[];
	readonly transfers: Transfers;
}

export class PeerFiles implements ManifestSource {
	readonly id: string;
	#inner: ManifestSource;
	#mesh: PeerFileMesh;
	#bytes: FileBytes = { peers: 0, server: 0 };
	/** hashes whose bytes came (partly) from a device: asked again from 0 means they failed verification */
	#fromPeers = new Set<string>();
	#serverOnly = new Set<string>();

	constructor(inner: ManifestSource, mesh: PeerFileMesh) {
		this.#inner = inner;
		this.#mesh = mesh;
		this.id = inner.id;
		if (inner.nowPlaying) this.nowPlaying = (report, signal) => inner.nowPlaying!(report, signal);
		// The engine looks for `ownDevices` with `in` (SupabaseSource): present only when the inner one has it.
		const devices = (inner as { ownDevices?: () => Promise<{ id: string; name: string }[]> }).ownDevices;
		if (devices) Object.assign(this, { ownDevices: () => devices.call(inner) });
	}

	nowPlaying?: (report: NowPlayingReport, signal?: AbortSignal) => Promise<void>;

	/** Bytes delivered to the download worker since start, by origin (peer streams and their server tails;
	 * files the worker fetched from the server itself are not seen here). */
	get bytes(): FileBytes {
		return { ...this.#bytes };
	}

	manifest(request: ManifestRequest, signal?: AbortSignal): Promise<Manifest> {
		return this.#inner.manifest(request, signal);
	}
	report(report: SyncReport, signal?: AbortSignal): Promise<{ serverTime: number | null }> {
		return this.#inner.report(report, signal);
	}
	registerDevice(telemetry: DeviceTelemetry, signal?: AbortSignal): Promise<void> {
		return this.#inner.registerDevice(telemetry, signal);
	}

	async openFile(file: FileRef, offset: number, signal?: AbortSignal): Promise<OpenedFile> {
		if (offset === 0 && this.#fromPeers.has(file.hash)) this.#serverOnly.add(file.hash);
		if (!this.#serverOnly.has(file.hash) && !file.md5) {
			for (const session of this.#mesh.holders()) {
				if (signal?.aborted) break;
				const opened = await this.#ask(session, file, offset, signal);
				if (opened) return opened;
			}
		}
		return this.#inner.openFile(file, offset, signal);
	}

	/** Asks one device; resolves with a stream once it offers the file, or null when it cannot. */
	#ask(session: Session, file: FileRef, offset: number, signal?: AbortSignal): Promise<OpenedFile | null> {
		const transfers = this.#mesh.transfers;
		return new Promise((resolve) => {
			let controller!: ReadableStreamDefaultController<Uint8Array>;
			let at = offset;
			let answered = false;
			let finished = false;
			let wake: (() => void) | null = null;
			const timer = setTimeout(() => answer(null, 'timeout'), ANSWER_MS);
			const answer = (opened: OpenedFile | null, _reason = '') => {
				if (answered) return;
				answered = true;
				clearTimeout(timer);
				if (!opened) transfers.cancelRead(sink);
				resolve(opened);
			};
			const stream = new ReadableStream<Uint8Array>(
				{
					start: (c) => {
						controller = c;
					},
					pull: () => {
						wake?.();
						wake = null;
					},
					cancel: () => {
						finished = true;
						transfers.cancelRead(sink);
					}
				},
				new ByteLengthQueuingStrategy({ highWaterMark: QUEUED_BYTES })
			);
			const sink: PartSink = {
				offer: (size) => {
					if (size !== file.size) {
						transfers.cancelRead(sink);
						return answer(null, 'size');
					}
					answer({ kind: 'stream', stream, offset });
				},
				bytes: (chunk) => {
					if (finished || !answered) return;
					controller.enqueue(chunk);
					at += chunk.byteLength;
					this.#bytes.peers += chunk.byteLength;
					this.#fromPeers.add(file.hash);
					if ((controller.desiredSize ?? 1) <= 0) return new Promise<void>((resume) => (wake = resume));
				},
				end: (ok, reason) => {
					if (!answered) return answer(null, reason);
					if (finished) return;
					if (ok && at === file.size) {
						finished = true;
						return controller.close();
					}
					// The device went away or broke off: the rest comes from the server, in the same stream.
					this.#serverOnly.add(file.hash);
					void this.#rest(file, at, controller, signal).finally(() => (finished = true));
				}
			};
			signal?.addEventListener('abort', () => answer(null, 'aborted'), { once: true });
			transfers.read(session, file.hash, offset, sink);
		});
	}

	/** Continues a peer's stream from the server from byte `at`. */
	async #rest(
		file: FileRef,
		at: number,
		controller: ReadableStreamDefaultController<Uint8Array>,
		signal?: AbortSignal
	): Promise<void> {
		try {
			const opened = await this.#inner.openFile(file, at, signal);
			let body: ReadableStream<Uint8Array>;
			if (opened.kind === 'http') {
				const response = await fetch(opened.url, {
					headers: { ...opened.headers, Range: `bytes=${at}-` },
					signal
				});
				const start = Number(/^bytes (\d+)-/.exec(response.headers.get('Content-Range') ?? '')?.[1] ?? 0);
				if (!response.ok || !response.body || (at > 0 && (response.status !== 206 || start !== at)))
					throw new Error(`The server answered ${response.status} for bytes from ${at}`);
				body = response.body;
			} else {
				if (opened.offset !== at) throw new Error('The source does not start where asked');
				body = opened.stream;
			}
			const reader = body.getReader();
			for (;;) {
				const { done, value } = await reader.read();
				if (done) break;
				this.#bytes.server += value.byteLength;
				controller.enqueue(value);
			}
			controller.close();
		} catch (error) {
			controller.error(error instanceof Error ? error : new Error(String(error)));
		}
	}
}
