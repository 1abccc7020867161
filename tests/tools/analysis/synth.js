// Renders ground-truth music in plain JS: drums, bass, chords and a melody at an exact tempo in a known
// key, in several styles. Deterministic (seeded), runs in Node and in the browser; its only import is the
// app's self-contained WAV writer.

import { encodeWav as encodePcmWav } from '../../../src/lib/features/player/wav.js';

/** @typedef {'house' | 'techno' | 'breakbeat' | 'dnb' | 'hiphop' | 'trap' | 'waltz' | 'ambient' | 'pop'} Style */
/**
 * @typedef {object} TrackSpec
 * @property {string} name
 * @property {Style} style
 * @property {number} bpm
 * @property {number} tonic pitch class, 0 = C
 * @property {'major' | 'minor'} scale
 * @property {number} seconds
 * @property {number} [seed]
 * @property {number} [leadInSec] silence before the first beat
 * @property {number} [bpmEnd] tempo at the end (linear ramp): a variable-tempo track
 * @property {number} [gainDb] overall level, default -10 dBFS-ish
 */

export const NOTE_NAMES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'];

/** @param {number} seed */
function rng(seed) {
	let x = seed >>> 0 || 1;
	return () => {
		x ^= x << 13;
		x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		return x / 4294967296;
	};
}

const midiHz = (/** @type {number} */ midi) => 440 * 2 ** ((midi - 69) / 12);

/** Scale degrees (semitones from tonic). */
const SCALES = { major: [0, 2, 4, 5, 7, 9, 11], minor: [0, 2, 3, 5, 7, 8, 10] };
/** Chord progressions as scale-degree indices (0-based), each a bar. */
const PROGRESSIONS = {
	major: [
		[0, 4, 5, 3],
		[0, 3, 4, 0],
		[0, 5, 3, 4]
	],
	minor: [
		[0, 5, 2, 6],
		[0, 3, 4, 0],
		[0, 3, 5, 4]
	]
};

/**
 * Beats per bar and the drum pattern per style, in 16th-note steps over one bar.
 * @type {Record<Style, { beats: number, kick: number[], snare: number[], clap: number[], hat: number[], bass: number[] }>}
 */
const STYLES = {
	house: { beats: 4, kick: [0, 4, 8, 12], snare: [], clap: [4, 12], hat: [2, 6, 10, 14], bass: [2, 6, 10, 14] },
	techno: {
		beats: 4,
		kick: [0, 4, 8, 12],
		snare: [],
		clap: [4, 12],
		hat: [0, 2, 4, 6, 8, 10, 12, 14],
		bass: [2, 6, 10, 14]
	},
	breakbeat: {
		beats: 4,
		kick: [0, 6, 10],
		snare: [4, 12],
		clap: [],
		hat: [0, 2, 4, 6, 8, 10, 12, 14],
		bass: [0, 6, 10]
	},
	dnb: { beats: 4, kick: [0, 10], snare: [4, 12], clap: [], hat: [0, 2, 4, 6, 8, 10, 12, 14], bass: [0, 10] },
	hiphop: { beats: 4, kick: [0, 7, 10], snare: [4, 12], clap: [], hat: [0, 2, 4, 6, 8, 10, 12, 14], bass: [0, 7, 10] },
	trap: { beats: 4, kick: [0, 11], snare: [8], clap: [], hat: [0, 1, 2, 4, 6, 8, 10, 12, 13, 14], bass: [0, 11] },
	waltz: { beats: 3, kick: [0], snare: [], clap: [], hat: [4, 8], bass: [0] },
	ambient: { beats: 4, kick: [0], snare: [], clap: [], hat: [], bass: [0] },
	pop: { beats: 4, kick: [0, 8], snare: [4, 12], clap: [], hat: [0, 2, 4, 6, 8, 10, 12, 14], bass: [0, 8] }
};

/**
 * Renders a track. Returns interleaved-free channel data (stereo), float32 in -1..1.
 * @param {TrackSpec} spec
 * @param {number} [sampleRate]
 * @returns {{ left: Float32Array, right: Float32Array, sampleRate: number, firstBeatSec: number }}
 */
export function renderTrack(spec, sampleRate = 44100) {
	const random = rng(spec.seed ?? hashName(spec.name));
	const n = Math.round(spec.seconds * sampleRate);
	const left = new Float32Array(n);
	const right = new Float32Array(n);
	const style = STYLES[spec.style];
	const leadIn = spec.leadInSec ?? 0;
	const bpmEnd = spec.bpmEnd ?? spec.bpm;
	const scale = SCALES[spec.scale];
	const progression = PROGRESSIONS[spec.scale][Math.floor(random() * 3)] ?? [0, 3, 4, 0];
	const stepsPerBar = style.beats * 4;
	const ambient = spec.style === 'ambient';
	const halfTime = spec.style === 'trap' || spec.style === 'dnb';

	/** Time of a 16th step, integrating a linear tempo ramp. */
	const total = spec.seconds - leadIn;
	/** @param {number} beat */
	const beatTime = (beat) => {
		if (bpmEnd === spec.bpm) return leadIn + (beat * 60) / spec.bpm;
		// tempo(t) linear in time: beats(t) = (bpm0 t + (bpm1-bpm0) t^2 / (2T)) / 60 → solve for t.
		const a = (bpmEnd - spec.bpm) / (2 * total);
		const b = spec.bpm;
		const c = -beat * 60;
		return leadIn + (-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a);
	};

	/** @param {Float32Array} out @param {number} start @param {Float32Array} sound @param {number} gain */
	const add = (out, start, sound, gain) => {
		const s = Math.round(start * sampleRate);
		const end = Math.min(n, s + sound.length);
		for (let i = Math.max(0, s); i < end; i++) out[i] = (out[i] ?? 0) + (sound[i - s] ?? 0) * gain;
	};
	/** @param {number} start @param {Float32Array} sound @param {number} gain @param {number} pan -1..1 */
	const mix = (start, sound, gain, pan = 0) => {
		add(left, start, sound, gain * Math.sqrt((1 - pan) / 2) * Math.SQRT2);
		add(right, start, sound, gain * Math.sqrt((1 + pan) / 2) * Math.SQRT2);
	};

	const kick = renderKick(sampleRate);
	const snare = renderSnare(sampleRate, random);
	const clap = renderClap(sampleRate, random);
	const hat = renderHat(sampleRate, random);
	const drumGain = ambient ? 0.25 : 1;

	const beatsTotal = (() => {
		let b = 0;
		while (beatTime(b) < spec.seconds) b++;
		return b;
	})();
	const bars = Math.ceil(beatsTotal / style.beats);
	for (let bar = 0; bar < bars; bar++) {
		const degree = progression[bar % progression.length] ?? 0;
		const root = spec.tonic + (scale[degree] ?? 0);
		const third = spec.tonic + (scale[(degree + 2) % 7] ?? 0) + (degree + 2 >= 7 ? 12 : 0);
		const fifth = spec.tonic + (scale[(degree + 4) % 7] ?? 0) + (degree + 4 >= 7 ? 12 : 0);
		const barStart = beatTime(bar * style.beats);
		const barEnd = beatTime((bar + 1) * style.beats);
		if (barStart >= spec.seconds) break;
		// Drums.
		for (let step = 0; step < stepsPerBar; step++) {
			const t = beatTime(bar * style.beats + step / 4);
			if (t >= spec.seconds) break;
			const humanize = (random() - 0.5) * 0.002;
			if (style.kick.includes(step)) mix(t, kick, 0.9 * drumGain);
			if (style.snare.includes(step)) mix(t + humanize, snare, 0.55 * drumGain, 0.1);
			if (style.clap.includes(step)) mix(t + humanize, clap, 0.45 * drumGain, -0.1);
			if (style.hat.includes(step)) mix(t + humanize, hat, (step % 4 === 2 ? 0.22 : 0.14) * drumGain, 0.3);
			if (style.bass.includes(step)) {
				const len = ambient ? barEnd - barStart : (60 / spec.bpm) * (halfTime ? 1 : 0.45);
				mix(t, renderTone(sampleRate, midiHz(36 + ((root + 12) % 12)), len, 'bass'), 0.35);
			}
		}
		// Chords: a pad over the bar (ambient) or stabs on the beats.
		const chordNotes = [root, third, fifth].map((pc) => 60 + (((pc % 12) + 12) % 12));
		if (ambient || spec.style === 'waltz' || spec.style === 'pop') {
			for (const note of chordNotes)
				mix(barStart, renderTone(sampleRate, midiHz(note - 12), barEnd - barStart, 'pad'), 0.09);
		} else {
			for (let beat = 0; beat < style.beats; beat++) {
				const t = beatTime(bar * style.beats + beat + 0.5);
				if (t >= spec.seconds) break;
				for (const note of chordNotes) mix(t, renderTone(sampleRate, midiHz(note), 0.18, 'stab'), 0.07, -0.2);
			}
		}
		// Melody: eighth notes from the scale, leaning on chord tones.
		if (!ambient || bar % 2 === 0) {
			for (let e = 0; e < style.beats * 2; e++) {
				if (random() < 0.45) continue;
				const t = beatTime(bar * style.beats + e / 2);
				if (t >= spec.seconds) break;
				const pool = random() < 0.6 ? chordNotes : scale.map((s) => 60 + ((spec.tonic + s) % 12));
				const note = (pool[Math.floor(random() * pool.length)] ?? 60) + 12;
				mix(t, renderTone(sampleRate, midiHz(note), (60 / spec.bpm) * 0.45, 'lead'), 0.06, 0.25);
			}
		}
	}
	// Silence the lead-in (chord tails from negative times never exist, but keep it exact) and normalise.
	const gain = 10 ** ((spec.gainDb ?? -1) / 20);
	let peak = 1e-9;
	for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(left[i] ?? 0), Math.abs(right[i] ?? 0));
	const scaleBy = gain / peak;
	for (let i = 0; i < n; i++) {
		left[i] = (left[i] ?? 0) * scaleBy;
		right[i] = (right[i] ?? 0) * scaleBy;
	}
	return { left, right, sampleRate, firstBeatSec: leadIn };
}

/** @param {string} name */
function hashName(name) {
	let h = 2166136261;
	for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
	return h >>> 0;
}

/** @param {number} sr */
function renderKick(sr) {
	const n = Math.round(0.35 * sr);
	const out = new Float32Array(n);
	let phase = 0;
	for (let i = 0; i < n; i++) {
		const t = i / sr;
		const f = 48 + 110 * Math.exp(-t * 30);
		phase += (2 * Math.PI * f) / sr;
		out[i] = Math.sin(phase) * Math.exp(-t * 9) + (i < sr * 0.003 ? (1 - i / (sr * 0.003)) * 0.5 : 0);
	}
	return out;
}

/** @param {number} sr @param {() => number} random */
function renderSnare(sr, random) {
	const n = Math.round(0.22 * sr);
	const out = new Float32Array(n);
	let prev = 0;
	for (let i = 0; i < n; i++) {
		const t = i / sr;
		const white = random() * 2 - 1;
		const bright = white - prev * 0.6;
		prev = white;
		out[i] = bright * Math.exp(-t * 22) * 0.8 + Math.sin(2 * Math.PI * 185 * t) * Math.exp(-t * 30) * 0.6;
	}
	return out;
}

/** @param {number} sr @param {() => number} random */
function renderClap(sr, random) {
	const n = Math.round(0.2 * sr);
	const out = new Float32Array(n);
	for (let i = 0; i < n; i++) {
		const t = i / sr;
		const burst = [0, 0.01, 0.02].reduce((env, start) => env + (t >= start ? Math.exp(-(t - start) * 60) : 0), 0);
		out[i] = (random() * 2 - 1) * (burst * 0.5 + Math.exp(-t * 18) * 0.4);
	}
	return out;
}

/** @param {number} sr @param {() => number} random */
function renderHat(sr, random) {
	const n = Math.round(0.06 * sr);
	const out = new Float32Array(n);
	let prev = 0;
	for (let i = 0; i < n; i++) {
		const white = random() * 2 - 1;
		out[i] = (white - prev) * Math.exp((-i / sr) * 70) * 0.5;
		prev = white;
	}
	return out;
}

/**
 * A harmonic tone with an envelope. `pad` swells, `stab`/`lead` pluck, `bass` is nearly sinusoidal.
 * @param {number} sr @param {number} freq @param {number} seconds @param {'pad' | 'stab' | 'lead' | 'bass'} kind
 */
function renderTone(sr, freq, seconds, kind) {
	const n = Math.max(1, Math.round(seconds * sr));
	const out = new Float32Array(n);
	const harmonics =
		kind === 'bass' ? [1, 0.35, 0.1] : kind === 'pad' ? [1, 0.5, 0.33, 0.25, 0.2] : [1, 0.6, 0.4, 0.25, 0.15, 0.1];
	const step = (2 * Math.PI * freq) / sr;
	const attack = kind === 'pad' ? Math.min(0.3 * seconds, 0.4) : 0.005;
	const release = kind === 'pad' ? Math.min(0.3 * seconds, 0.4) : 0.03;
	for (let i = 0; i < n; i++) {
		const t = i / sr;
		let env = Math.min(1, t / attack, (seconds - t) / release);
		if (kind === 'stab' || kind === 'lead') env *= Math.exp(-t * 6);
		let v = 0;
		for (let h = 0; h < harmonics.length; h++) {
			const f = freq * (h + 1);
			if (f > sr / 2.2) break;
			v += Math.sin(step * (h + 1) * i) * (harmonics[h] ?? 0);
		}
		out[i] = v * Math.max(0, env);
	}
	return out;
}

/**
 * 16-bit PCM WAV bytes of a stereo render.
 * @param {{ left: Float32Array, right: Float32Array, sampleRate: number }} audio
 */
export function encodeWav({ left, right, sampleRate }) {
	return encodePcmWav([left, right], sampleRate);
}
