// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for two untyped essentia.js files
/// <reference path="./essentia-env.d.ts" />
import Essentia, { type EssentiaVector } from 'essentia.js/dist/essentia.js-core.es.js';
import EssentiaWASM from 'essentia.js/dist/essentia-wasm.web.js';
// The separate .wasm (1.99 MB) rather than the ES build with it inlined: the service worker can precache it.
import wasmUrl from 'essentia.js/dist/essentia-wasm.web.wasm?url';

export type { EssentiaVector };

/** The subset of essentia.js the analysers call, typed. */
export interface EssentiaApi {
	version: string;
	arrayToVector(array: Float32Array): EssentiaVector;
	vectorToArray(vector: EssentiaVector): Float32Array;
	Key(
		pcp: EssentiaVector,
		numHarmonics?: number,
		pcpSize?: number,
		profileType?: string,
		slope?: number,
		useMajMin?: boolean,
		usePolyphony?: boolean,
		useThreeChords?: boolean
	): { key: string; scale: string; strength: number; firstToSecondRelativeStrength: number };
	KeyExtractor(
		audio: EssentiaVector,
		averageDetuningCorrection?: boolean,
		frameSize?: number,
		hopSize?: number,
		hpcpSize?: number,
		maxFrequency?: number,
		maximumSpectralPeaks?: number,
		minFrequency?: number,
		pcpThreshold?: number,
		profileType?: string,
		sampleRate?: number
	): { key: string; scale: string; strength: number };
	TempoTapDegara(
		onsetDetections: EssentiaVector,
		maxTempo?: number,
		minTempo?: number,
		resample?: string,
		sampleRateODF?: number
	): { ticks: EssentiaVector };
	PercivalBpmEstimator(
		signal: EssentiaVector,
		frameSize?: number,
		frameSizeOSS?: number,
		hopSize?: number,
		hopSizeOSS?: number,
		maxBPM?: number,
		minBPM?: number,
		sampleRate?: number
	): { bpm: number };
	RhythmExtractor2013(
		signal: EssentiaVector,
		maxTempo?: number,
		method?: string,
		minTempo?: number
	): {
		bpm: number;
		ticks: EssentiaVector;
		confidence: number;
		estimates: EssentiaVector;
		bpmIntervals: EssentiaVector;
	};
}

let instance: Promise<EssentiaApi> | undefined;

/** essentia.js, compiled and instantiated once per worker on first use. */
export function essentia(): Promise<EssentiaApi> {
	if (!instance) {
		// The web build assumes a page (it reads document.currentScript while starting up); a worker has no
		// document, so it gets a stand-in for the duration of that synchronous start-up only.
		const scope = globalThis as { document?: unknown };
		const shim = scope.document === undefined;
		if (shim) scope.document = { currentScript: null, title: '' };
		try {
			instance = EssentiaWASM({ locateFile: () => wasmUrl }).then(
				(wasm) => new Essentia(wasm) as unknown as EssentiaApi
			);
		} finally {
			if (shim) delete scope.document;
		}
	}
	return instance;
}

/** Runs `fn` with a WASM vector built from `array`, always freeing it. */
export function withVector<T>(api: EssentiaApi, array: Float32Array, fn: (vector: EssentiaVector) => T): T {
	const vector = api.arrayToVector(array);
	try {
		return fn(vector);
	} finally {
		vector.delete();
	}
}

/** Copies a WASM vector into a Float32Array and frees it. Empty vectors give an empty array. */
export function takeVector(api: EssentiaApi, vector: EssentiaVector): Float32Array {
	try {
		return vector.size() === 0 ? new Float32Array(0) : api.vectorToArray(vector);
	} finally {
		vector.delete();
	}
}
