import { DEFAULT_TEMPO_RANGE, type TempoRange } from '../../src/lib/features/analysis/tempo';
import { DAMAGE_PLACES, type AudioDamage } from '../../src/lib/features/library/damage';
import { toCamelot, toOpenKey, toStandard, type Scale } from '../../src/lib/features/analysis/keys';
import { downsamplePeaks, packPeaks } from '../../src/lib/features/analysis/waveform';
import { WorkerError } from '../shared/errors';
import { ChromaAnalyser } from './chroma';
import { openAudio, type AudioStream } from './decode';
import { Resampler } from './dsp';
import { takeVector, withVector, type EssentiaApi } from './essentia';
import { FloatList } from './frames';
import { estimateKey, type KeyProfile } from './key';
import { LoudnessMeter } from './loudness';
import { OnsetAnalyser } from './onset';
import { estimateTempo } from './tempo';
import { WaveformAnalyser } from './waveform';

/** Bumped whenever results could change: stored analyses with an older version get redone. */
export const ANALYSER_VERSION = 2;
/** Rate the tempo and key analysers run at (measured: same accuracy as 22.05 kHz, twice as fast). */
export const ANALYSIS_RATE = 11025;
/** Shorter decodable audio is treated as a truncated file: no tempo or key can come out of it. */
export const MIN_SECONDS = 1;
export const DEFAULT_KEY_PROFILE: KeyProfile = 'temperley';

export interface AnalysisOptions {
	tempoRange?: TempoRange;
	/** Target for `gainDbToTarget`, LUFS (default -14). */
	targetLufs?: number;
	keyProfile?: KeyProfile;
	/** Points per second of the detail waveform (default 50); the overview has `overviewPoints` (1000). */
	detailPointsPerSecond?: number;
	overviewPoints?: number;
	/**
	 * Bench only: also run alternative essentia algorithms on the whole analysis-rate signal (keeps it in
	 * memory — never for long files) and report them in `experiments`.
	 */
	experiments?: ('percival' | 'rhythm-degara' | 'rhythm-multifeature' | 'key-extractor' | 'key-profiles')[];
}

export interface AnalysisProgress {
	/** Seconds of audio decoded and analysed so far. */
	doneSec: number;
	totalSec: number | null;
	stage: 'decode' | 'tempo' | 'key' | 'done';
}

/** Collects the stretches of lost audio as blocks go by (adjacent lost blocks are one stretch). */
class DamageLog {
	#places: number[] = [];
	#count = 0;
	#lost = 0;
	#openUntil = -1;

	/** A lost block of `frames` starting at frame `at`. */
	add(at: number, frames: number): void {
		if (at !== this.#openUntil) {
			this.#count++;
			if (this.#places.length < DAMAGE_PLACES) this.#places.push(at);
		}
		this.#lost += frames;
		this.#openUntil = at + frames;
	}

	report(sampleRate: number): AudioDamage | null {
		if (this.#count === 0) return null;
		const round = (frames: number) => Math.round((frames / sampleRate) * 1000) / 1000;
		return { places: this.#places.map(round), count: this.#count, seconds: round(this.#lost) };
	}
}

export interface AnalysisResult {
	analyserVersion: number;
	format: string;
	/** How much later than this result version 1 results of the file were (`AudioStream.leadSec`): a grid
	 * kept across re-analysis moves by it. Not stored. */
	leadSec: number;
	durationSec: number;
	sampleRate: number;
	channels: number;
	/** 0 when no beat was found (e.g. beatless ambient). */
	bpm: number;
	beatGrid: { bpm: number; firstDownbeatSec: number; beatsPerBar: number };
	tempoConfidence: number;
	variableTempo: boolean;
	key: { tonic: number; scale: Scale; notation: string; camelot: string; openKey: string; strength: number } | null;
	loudness: { integratedLufs: number; targetLufs: number; gainDbToTarget: number };
	waveform: {
		bands: 3;
		/** low, mid, high interleaved per point, one byte each (√ curve). */
		overview: Uint8Array;
		detail: Uint8Array;
		pointsPerSecond: number;
		overviewPointsPerSecond: number;
	};
	/** First beat at or after the end of leading silence, seconds. */
	autoCueSec: number;
	/** Audio that could not be decoded (damaged frames), analysed as silence in its place; null when none. */
	damage: AudioDamage | null;
	timings: { decodeMs: number; tempoMs: number; keyMs: number; totalMs: number };
	experiments?: Record<string, number | string>;
}

function downmix(planes: Float32Array[]): Float32Array {
	const first = planes[0]!;
	if (planes.length === 1) return first;
	const out = new Float32Array(first.length);
	const scale = 1 / planes.length;
	for (const plane of planes) for (let i = 0; i < out.length; i++) out[i] = out[i]! + plane[i]! * scale;
	return out;
}

/** Decode only (for the bench's ratio): reads every block, returns seconds of audio. */
export async function decodeOnly(blob: Blob, signal: AbortSignal): Promise<{ durationSec: number; format: string }> {
	const stream = await openAudio(blob);
	let frames = 0;
	let rate = 0;
	for await (const block of stream.blocks(signal)) {
		frames += block.planes[0]?.length ?? 0;
		rate = block.sampleRate;
	}
	return { durationSec: rate ? frames / rate : 0, format: stream.format };
}

/** The whole analysis, streaming: the full-rate PCM of a long mix is never held at once. */
export async function analyse(
	api: () => Promise<EssentiaApi>,
	blob: Blob,
	options: AnalysisOptions,
	signal: AbortSignal,
	onProgress?: (progress: AnalysisProgress) => void
): Promise<AnalysisResult> {
	const started = performance.now();
	const stream: AudioStream = await openAudio(blob);
	const essentiaReady = api();
	const pointsPerSecond = options.detailPointsPerSecond ?? 50;
	let sampleRate = 0;
	let channels = 0;
	let frames = 0;
	let resampler: Resampler | undefined;
	let loudness: LoudnessMeter | undefined;
	let waveform: WaveformAnalyser | undefined;
	const onset = new OnsetAnalyser(ANALYSIS_RATE);
	const chroma = new ChromaAnalyser(ANALYSIS_RATE);
	const keep = options.experiments?.length ? new FloatList(1 << 20) : undefined;
	let lastReport = 0;
	const damage = new DamageLog();
	for await (const block of stream.blocks(signal)) {
		if (!resampler) {
			sampleRate = block.sampleRate;
			channels = block.planes.length;
			if (!sampleRate || !channels) throw new WorkerError('corrupt', `${stream.format}: no channels`);
			resampler = new Resampler(sampleRate, ANALYSIS_RATE);
			loudness = new LoudnessMeter(sampleRate, channels);
			waveform = new WaveformAnalyser(sampleRate, pointsPerSecond);
		}
		const planes = block.planes.length === channels ? block.planes : block.planes.slice(0, channels);
		if (planes.length < channels) continue;
		if (block.lost) damage.add(frames, planes[0]!.length);
		frames += planes[0]!.length;
		loudness!.push(planes);
		const mono = downmix(planes);
		waveform!.push(mono);
		const low = resampler.process(mono);
		onset.push(low);
		chroma.push(low);
		if (keep) for (let i = 0; i < low.length; i++) keep.push(low[i]!);
		const now = performance.now();
		if (onProgress && now - lastReport > 200) {
			lastReport = now;
			onProgress({ doneSec: frames / sampleRate, totalSec: stream.durationSec, stage: 'decode' });
		}
	}
	if (!resampler || frames === 0) throw new WorkerError('truncated', `${stream.format}: no audio could be decoded`);
	waveform!.flush();
	const decodeMs = performance.now() - started;
	const durationSec = frames / sampleRate;
	if (durationSec < MIN_SECONDS) {
		throw new WorkerError('truncated', `${stream.format}: only ${durationSec.toFixed(2)} s of audio could be decoded`, {
			format: stream.format
		});
	}
	if (signal.aborted) throw new WorkerError('aborted', 'Cancelled');

	const essentia = await essentiaReady;
	onProgress?.({ doneSec: durationSec, totalSec: durationSec, stage: 'tempo' });
	const tempoStarted = performance.now();
	const range = options.tempoRange ?? DEFAULT_TEMPO_RANGE;
	const tempo = estimateTempo(essentia, {
		odf: onset.flux.view(),
		low: onset.low.view(),
		latencySec: onset.latencySec,
		frameRate: onset.frameRate,
		range
	});
	const tempoMs = performance.now() - tempoStarted;
	if (signal.aborted) throw new WorkerError('aborted', 'Cancelled');
	onProgress?.({ doneSec: durationSec, totalSec: durationSec, stage: 'key' });
	const keyStarted = performance.now();
	const profile = options.keyProfile ?? DEFAULT_KEY_PROFILE;
	const pcp = chroma.profile();
	const key = estimateKey(essentia, pcp, profile);
	const keyMs = performance.now() - keyStarted;

	// Auto cue: the first beat at/after the end of leading silence (-48 dB under the loudest frame).
	const energy = onset.energy.view();
	let peak = 0;
	for (let i = 0; i < energy.length; i++) peak = Math.max(peak, energy[i]!);
	let firstSound = 0;
	while (firstSound < energy.length && energy[firstSound]! < peak * 10 ** -4.8) firstSound++;
	// Frames are centred half a frame after their start.
	const soundSec = Math.max(0, (firstSound * 128) / ANALYSIS_RATE);
	let autoCueSec = soundSec;
	if (tempo.bpm > 0) {
		const period = 60 / tempo.bpm;
		const k = Math.ceil((soundSec - tempo.firstDownbeatSec - 0.06) / period);
		autoCueSec = Math.max(0, tempo.firstDownbeatSec + k * period);
	}

	const integrated = loudness!.integrated();
	const targetLufs = options.targetLufs ?? -14;
	const peaks = waveform!.peaks.view();
	let max = 0;
	for (let i = 0; i < peaks.length; i++) max = Math.max(max, peaks[i]!);
	const overviewPoints = options.overviewPoints ?? 1000;
	const overview = packPeaks(downsamplePeaks(peaks, 3, overviewPoints), max);
	const detail = packPeaks(peaks, max);

	const result: AnalysisResult = {
		analyserVersion: ANALYSER_VERSION,
		format: stream.format,
		leadSec: stream.leadSec ?? 0,
		durationSec,
		sampleRate,
		channels,
		bpm: Math.round(tempo.bpm * 100) / 100,
		beatGrid: { bpm: tempo.bpm, firstDownbeatSec: tempo.firstDownbeatSec, beatsPerBar: 4 },
		tempoConfidence: tempo.confidence,
		variableTempo: tempo.variable,
		key: key && {
			tonic: key.tonic,
			scale: key.scale,
			notation: toStandard(key),
			camelot: toCamelot(key),
			openKey: toOpenKey(key),
			strength: key.strength
		},
		loudness: {
			integratedLufs: integrated,
			targetLufs,
			gainDbToTarget: Number.isFinite(integrated) ? targetLufs - integrated : 0
		},
		waveform: {
			bands: 3,
			overview,
			detail,
			pointsPerSecond,
			overviewPointsPerSecond: overview.length / 3 / durationSec
		},
		autoCueSec,
		damage: damage.report(sampleRate),
		timings: { decodeMs, tempoMs, keyMs, totalMs: performance.now() - started }
	};
	if (keep && options.experiments)
		result.experiments = runExperiments(essentia, keep.view(), pcp, options.experiments, tempo.trackerBpm);
	onProgress?.({ doneSec: durationSec, totalSec: durationSec, stage: 'done' });
	return result;
}

function runExperiments(
	api: EssentiaApi,
	signal11k: Float32Array,
	pcp: Float32Array,
	which: NonNullable<AnalysisOptions['experiments']>,
	trackerBpm: number
): Record<string, number | string> {
	const out: Record<string, number | string> = { trackerBpm };
	const time = <T>(name: string, fn: () => T): T => {
		const t = performance.now();
		const value = fn();
		out[`${name}Ms`] = Math.round(performance.now() - t);
		return value;
	};
	if (which.includes('percival')) {
		out.percivalBpm = time('percival', () =>
			withVector(api, signal11k, (v) => api.PercivalBpmEstimator(v, 1024, 2048, 128, 128, 210, 50, ANALYSIS_RATE).bpm)
		);
	}
	// RhythmExtractor2013 only works at 44.1 kHz: upsample the analysis signal ×4 (linear) for the comparison.
	const needs44k =
		which.includes('rhythm-degara') || which.includes('rhythm-multifeature') || which.includes('key-extractor');
	const signal44k = needs44k ? upsample4(signal11k) : undefined;
	for (const method of ['degara', 'multifeature'] as const) {
		if (!which.includes(`rhythm-${method}`)) continue;
		out[`rhythm_${method}Bpm`] = time(`rhythm_${method}`, () =>
			withVector(api, signal44k!, (v) => {
				const r = api.RhythmExtractor2013(v, 208, method, 40);
				for (const key of ['ticks', 'estimates', 'bpmIntervals'] as const) takeVector(api, r[key]);
				return r.bpm;
			})
		);
	}
	if (which.includes('key-extractor')) {
		for (const profile of ['edma', 'bgate', 'temperley']) {
			const r = time(`keyExtractor_${profile}`, () =>
				withVector(api, signal11k, (v) =>
					api.KeyExtractor(v, true, 4096, 4096, 36, 3500, 60, 25, 0.2, profile, ANALYSIS_RATE)
				)
			);
			out[`keyExtractor_${profile}`] = `${r.key} ${r.scale}`;
		}
	}
	if (which.includes('key-profiles')) {
		for (const profile of ['edma', 'edmm', 'bgate', 'temperley', 'krumhansl', 'shaath', 'noland', 'braw'] as const) {
			const key = estimateKey(api, pcp, profile);
			out[`key_${profile}`] = key ? `${key.tonic}:${key.scale}` : '';
		}
	}
	return out;
}

function upsample4(x: Float32Array): Float32Array {
	const out = new Float32Array(x.length * 4);
	for (let i = 0; i < x.length; i++) {
		const a = x[i]!;
		const b = x[i + 1] ?? a;
		for (let k = 0; k < 4; k++) out[i * 4 + k] = a + ((b - a) * k) / 4;
	}
	return out;
}
