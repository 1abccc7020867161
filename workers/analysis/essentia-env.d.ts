// Types for the two essentia.js files the analysis worker loads directly (the package ships none for them).
declare module 'essentia.js/dist/essentia-wasm.web.wasm?url' {
	const url: string;
	export default url;
}

declare module 'essentia.js/dist/essentia-wasm.web.js' {
	const factory: (module?: { locateFile?: (path: string, prefix: string) => string }) => Promise<unknown>;
	export default factory;
}

declare module 'essentia.js/dist/essentia.js-core.es.js' {
	/** Embind vector handle; must be `delete()`d or it leaks in the WASM heap. */
	export interface EssentiaVector {
		size(): number;
		get(index: number): number;
		delete(): void;
	}
	export default class Essentia {
		constructor(wasm: unknown, isDebug?: boolean);
		version: string;
		arrayToVector(array: Float32Array): EssentiaVector;
		vectorToArray(vector: EssentiaVector): Float32Array;
		[algorithm: string]: unknown;
	}
}
