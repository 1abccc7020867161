import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		// Everything runs in the browser (IndexedDB, OPFS, workers, WebRTC), so the app is a
		// client-rendered shell; src/server/ serves it together with the PeerJS signalling server.
		// The output can be moved so that test runs side by side each serve their own build.
		adapter: adapter({
			pages: process.env.CRATEMESH_BUILD_DIR ?? 'build',
			assets: process.env.CRATEMESH_BUILD_DIR ?? 'build',
			fallback: 'index.html',
			precompress: true,
			strict: true
		}),
		alias: {
			$workers: 'workers'
		},
		serviceWorker: { register: false },
		version: { pollInterval: 0 }
	}
};

export default config;
