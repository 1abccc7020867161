// Materialises the analysis ground-truth set (tests/fixtures/analysis/ground-truth.json) as real files:
// renders each track with synth.js and encodes it with ffmpeg (Debian package `ffmpeg`, already needed by
// the import tests). Files are cached by content of the spec under the given folder.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav, NOTE_NAMES, renderTrack } from './synth.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const GROUND_TRUTH_FILE = join(root, 'tests/fixtures/analysis/ground-truth.json');

/**
 * @typedef {{ name: string, style: import('./synth.js').Style, bpm: number, key: string, format: string, leadInSec?: number }} GroundTruthTrack
 * @typedef {{ seconds: number, tracks: GroundTruthTrack[] }} GroundTruth
 */

/** @returns {GroundTruth} */
export function groundTruth() {
	return JSON.parse(readFileSync(GROUND_TRUTH_FILE, 'utf8'));
}

/** @type {Record<string, string[]>} */
const CODECS = {
	mp3: ['-c:a', 'libmp3lame', '-b:a', '192k'],
	ogg: ['-c:a', 'libvorbis', '-q:a', '4'],
	opus: ['-c:a', 'libopus', '-b:a', '96k'],
	flac: ['-c:a', 'flac'],
	m4a: ['-c:a', 'aac', '-b:a', '160k'],
	aiff: ['-c:a', 'pcm_s16be'],
	wav: ['-c:a', 'pcm_s16le']
};

/** @param {string} key e.g. 'F# minor' */
export function parseKey(key) {
	const [tonicName, scale] = key.split(' ');
	const alias = /** @type {Record<string, string>} */ ({ Db: 'C#', 'D#': 'Eb', Gb: 'F#', 'G#': 'Ab', 'A#': 'Bb' });
	const tonic = NOTE_NAMES.indexOf(alias[tonicName ?? ''] ?? tonicName ?? '');
	if (tonic < 0 || (scale !== 'major' && scale !== 'minor')) throw new Error(`bad key ${key}`);
	return { tonic, scale: /** @type {'major' | 'minor'} */ (scale) };
}

/**
 * Encodes a rendered WAV into `format` with ffmpeg. Returns the output path.
 * @param {Uint8Array} wav @param {string} out @param {string} format @param {string[]} [extra]
 */
export function encode(wav, out, format, extra = []) {
	const codec = CODECS[format];
	if (!codec) throw new Error(`unknown format ${format}`);
	execFileSync(
		'ffmpeg',
		['-hide_banner', '-loglevel', 'error', '-y', '-f', 'wav', '-i', 'pipe:0', ...codec, ...extra, out],
		{ input: wav, stdio: ['pipe', 'ignore', 'inherit'], maxBuffer: 1 << 30 }
	);
	return out;
}

/**
 * Writes every ground-truth track into `dir` (cached). Returns the tracks with their file paths.
 * @param {string} dir @param {{ seconds?: number }} [options]
 */
export function materializeGroundTruth(dir, options = {}) {
	const truth = groundTruth();
	const seconds = options.seconds ?? truth.seconds;
	mkdirSync(dir, { recursive: true });
	return truth.tracks.map((track) => {
		const spec = { ...track, seconds, ...parseKey(track.key) };
		const tag = createHash('sha1')
			.update(JSON.stringify(spec))
			.update(readFileSync(new URL('./synth.js', import.meta.url)))
			.digest('hex')
			.slice(0, 8);
		const path = join(dir, `${track.name.replace(/\.[^.]+$/, '')}-${tag}.${track.format}`);
		if (!existsSync(path)) {
			const audio = renderTrack({ ...spec, leadInSec: track.leadInSec });
			const wav = encodeWav(audio);
			if (track.format === 'wav') writeFileSync(path, wav);
			else encode(wav, path, track.format);
		}
		return { ...track, path };
	});
}

/**
 * A long file for speed and memory figures: `minutes` of a house track (mp3), built by looping a 5-minute
 * render with ffmpeg's stream copy (fast even for 2 hours).
 * @param {string} dir @param {number} minutes
 */
export function materializeLong(dir, minutes) {
	mkdirSync(dir, { recursive: true });
	const base = join(dir, 'long-base-5min.mp3');
	if (!existsSync(base)) {
		const audio = renderTrack({ name: 'long', style: 'house', bpm: 126, tonic: 9, scale: 'minor', seconds: 300 });
		encode(encodeWav(audio), base, 'mp3');
	}
	if (minutes <= 5) return base;
	const path = join(dir, `long-${minutes}min.mp3`);
	if (!existsSync(path)) {
		const loops = Math.ceil(minutes / 5) - 1;
		execFileSync('ffmpeg', [
			'-hide_banner',
			'-loglevel',
			'error',
			'-y',
			'-stream_loop',
			String(loops),
			'-i',
			base,
			'-t',
			String(minutes * 60),
			'-c',
			'copy',
			path
		]);
	}
	return path;
}
