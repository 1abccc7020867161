import { expose } from 'comlink';
import { parseBlob } from 'music-metadata';
import { chunkedBlob } from '../library/chunked-reader';
import { SNIFF_BYTES, sniffAudio, type AudioFormat } from '../library/sniff';
import { cleanNumber, cleanText } from '../library/tags';
import { installWorkerErrorTransfer, toWorkerError, WorkerError } from '$workers/shared/errors';

installWorkerErrorTransfer();

export interface ProbeResult {
	mime: string;
	/** From the tags; empty when the file has none. */
	title: string;
	artist: string;
	durationMs: number | null;
}

const MIME: Record<AudioFormat, string> = {
	mp3: 'audio/mpeg',
	flac: 'audio/flac',
	ogg: 'audio/ogg',
	mp4: 'audio/mp4',
	wav: 'audio/wav',
	aiff: 'audio/aiff'
};

const api = {
	/**
	 * Checks that a file is audio (by its bytes, not its name) and reads title, artist and duration for
	 * the upload form's defaults. Only headers are read; covers are skipped.
	 */
	async probe(file: Blob): Promise<ProbeResult> {
		try {
			if (file.size === 0) throw new WorkerError('empty', 'The file is empty (0 bytes)');
			const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
			const sniffed = sniffAudio(head, file.size);
			if (!sniffed) throw new WorkerError('not-audio', 'Not a supported audio file');
			const result: ProbeResult = { mime: MIME[sniffed.format], title: '', artist: '', durationMs: null };
			try {
				const meta = await parseBlob(chunkedBlob(file), { duration: false, skipCovers: true });
				result.title = cleanText(meta.common.title, 500);
				result.artist = cleanText(meta.common.artist ?? meta.common.artists, 500);
				const seconds = cleanNumber(meta.format.duration, 0.001, 86400);
				result.durationMs = seconds === null ? null : Math.max(1, Math.round(seconds * 1000));
			} catch {
				// Unreadable tags are no reason to refuse audio the players can still play: no defaults.
			}
			return result;
		} catch (error) {
			throw toWorkerError(error);
		}
	}
};

expose(api);
export type ProbeApi = typeof api;
