import { WorkerError } from '../../shared/errors';
import { openFlac } from './flac';
import { id3Size, mpegHeader, openMp3 } from './mp3';
import { openMp4 } from './mp4';
import { openOgg } from './ogg';
import { openPcm } from './pcm';
import { ascii, readBytes, type AudioStream } from './source';

export type { AudioBlock, AudioStream } from './source';

/**
 * Opens an audio file by its bytes (not its name): WAV/AIFF decoded in JS, MP3, FLAC, Ogg (Opus, Vorbis)
 * and MP4/M4A (AAC) split into packets in JS and decoded by WebCodecs. Throws a WorkerError:
 * 'empty', 'not-audio' (unknown or unsupported format), 'corrupt' or 'truncated'.
 */
export async function openAudio(blob: Blob): Promise<AudioStream> {
	if (blob.size === 0) throw new WorkerError('empty', 'The file is empty');
	const head = await readBytes(blob, 0, 64);
	const tag = ascii(head, 0, 4);
	if ((tag === 'RIFF' || tag === 'RF64') && ascii(head, 8, 4) === 'WAVE') return openPcm(blob, head);
	if (tag === 'FORM' && (ascii(head, 8, 4) === 'AIFF' || ascii(head, 8, 4) === 'AIFC')) return openPcm(blob, head);
	if (tag === 'fLaC') return openFlac(blob);
	if (tag === 'OggS') return openOgg(blob);
	if (ascii(head, 4, 4) === 'ftyp') return openMp4(blob);
	if (id3Size(head) > 0) {
		// ID3 can precede MP3 (or, rarely, FLAC/AAC ADTS); look past it.
		const after = await readBytes(blob, id3Size(head), id3Size(head) + 4);
		if (ascii(after, 0, 4) === 'fLaC') throw new WorkerError('not-audio', 'FLAC behind an ID3 tag is not supported');
		return openMp3(blob, head);
	}
	const mpeg = mpegHeader(head, 0);
	if (mpeg && (head[1]! & 0x06) !== 0) return openMp3(blob, head);
	if (head.length < 12) throw new WorkerError('truncated', 'The file is too short to be audio');
	throw new WorkerError('not-audio', 'Not a recognised audio file (WAV, AIFF, MP3, FLAC, Ogg, M4A)');
}
