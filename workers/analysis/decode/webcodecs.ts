import { WorkerError } from '../../shared/errors';
import type { AudioBlock } from './source';

export interface EncodedPacket {
	data: Uint8Array;
	/** Microseconds; only needs to increase. */
	timestamp: number;
	/** Instead of data: this many samples of silence in its place (a frame lost to damage). */
	silence?: number;
}

/** At most this many chunks waiting in the decoder: keeps memory flat and the worker responsive. */
const MAX_QUEUE = 24;
/** Silence goes out in blocks of at most this many samples. */
const SILENCE_BLOCK = 65536;

/**
 * Decodes packets with WebCodecs `AudioDecoder`, yielding planar float blocks as they come out.
 * Fails with 'not-audio' when the browser lacks the codec and 'corrupt' when decoding fails.
 */
export async function* decodePackets(
	format: string,
	config: AudioDecoderConfig,
	packets: AsyncIterable<EncodedPacket>,
	signal: AbortSignal
): AsyncGenerator<AudioBlock> {
	if (typeof AudioDecoder === 'undefined') {
		throw new WorkerError('not-audio', `${format}: this browser has no WebCodecs AudioDecoder`, { format });
	}
	const support = await AudioDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
	if (!support.supported) {
		throw new WorkerError('not-audio', `${format}: codec ${config.codec} is not supported by this browser`, { format });
	}
	const ready: AudioBlock[] = [];
	let failure: unknown;
	let wake: (() => void) | undefined;
	const poke = () => {
		wake?.();
		wake = undefined;
	};
	const decoder = new AudioDecoder({
		output(data) {
			try {
				const planes: Float32Array[] = [];
				for (let c = 0; c < data.numberOfChannels; c++) {
					const plane = new Float32Array(data.numberOfFrames);
					data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
					planes.push(plane);
				}
				ready.push({ sampleRate: data.sampleRate, planes });
			} catch (error) {
				failure ??= error;
			} finally {
				data.close();
				poke();
			}
		},
		error(error) {
			failure ??= error;
			poke();
		}
	});
	const waitForRoom = () =>
		new Promise<void>((resolve) => {
			wake = resolve;
			decoder.addEventListener('dequeue', poke, { once: true });
		});
	const check = () => {
		if (failure) {
			const message = failure instanceof Error ? failure.message : String(failure);
			throw new WorkerError('corrupt', `${format}: the audio could not be decoded (${message})`, { format });
		}
		if (signal.aborted) throw new WorkerError('aborted', 'Cancelled');
	};
	let decoded = 0;
	try {
		decoder.configure(config);
		for await (const packet of packets) {
			check();
			if (packet.silence) {
				// After everything before it, in order.
				await decoder.flush().catch((error: unknown) => {
					failure ??= error;
				});
				check();
				while (ready.length) yield ready.shift()!;
				for (let done = 0; done < packet.silence; done += SILENCE_BLOCK) {
					const length = Math.min(SILENCE_BLOCK, packet.silence - done);
					const planes = Array.from({ length: config.numberOfChannels }, () => new Float32Array(length));
					yield { sampleRate: config.sampleRate, planes, lost: true };
				}
				continue;
			}
			decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: packet.timestamp, data: packet.data }));
			decoded++;
			while (decoder.decodeQueueSize > MAX_QUEUE && !failure) await waitForRoom();
			while (ready.length) yield ready.shift()!;
		}
		check();
		if (decoded === 0) throw new WorkerError('truncated', `${format}: no audio frames found`, { format });
		await decoder.flush().catch((error: unknown) => {
			failure ??= error;
		});
		check();
		while (ready.length) yield ready.shift()!;
	} finally {
		if (decoder.state !== 'closed') decoder.close();
	}
}
