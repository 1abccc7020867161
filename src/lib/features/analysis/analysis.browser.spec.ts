import { describe, expect, it } from 'vitest';
import { createAnalysisWorker, analyseOn } from './analysis-client';

async function clip(name: string): Promise<Blob> {
	const response = await fetch(new URL(`../../../../workers/analysis/testdata/${name}`, import.meta.url));
	if (!response.ok) throw new Error(`${name}: ${response.status}`);
	return response.blob();
}

describe('analysis worker', () => {
	it('smoke', async () => {
		const { remote, worker } = createAnalysisWorker();
		for (const name of [
			'house-124-Am.mp3',
			'dnb-174-Fm.ogg',
			'hiphop-92-Eb.opus',
			'techno-130-D.flac',
			'breakbeat-110-Em.m4a'
		]) {
			const result = await analyseOn(remote, await clip(name)).catch((e) => e);
			console.log(name, result instanceof Error ? result.message : JSON.stringify({ ...result, waveform: undefined }));
		}
		worker.terminate();
		expect(1).toBe(1);
	}, 60000);
});
