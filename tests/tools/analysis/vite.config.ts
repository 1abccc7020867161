// Builds the analysis harness (tests/tools/analysis/harness) into tests/.artifacts/analysis-harness/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export default defineConfig({
	root: fileURLToPath(new URL('./harness', import.meta.url)),
	base: './',
	logLevel: 'warn',
	resolve: {
		alias: { $lib: `${root}src/lib`, $workers: `${root}workers` }
	},
	worker: { format: 'es' },
	build: {
		outDir: `${root}tests/.artifacts/analysis-harness`,
		emptyOutDir: true,
		target: 'es2022',
		chunkSizeWarningLimit: 4096
	}
});
