import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [
		sveltekit(),
		SvelteKitPWA({
			strategies: 'generateSW',
			// The app registers the worker itself (src/lib/features/pwa) so it can ask before reloading.
			injectRegister: false,
			registerType: 'prompt',
			kit: { spa: true, adapterFallback: 'index.html', includeVersionFile: true },
			pwaAssets: {
				image: 'static/favicon.svg',
				preset: 'minimal-2023',
				includeHtmlHeadLinks: true,
				overrideManifestIcons: true
			},
			manifest: {
				id: '/',
				name: 'Cratemesh',
				short_name: 'Cratemesh',
				description: 'Your music library in the browser: offline, analysed, shared peer-to-peer.',
				lang: 'en',
				start_url: '/',
				scope: '/',
				display: 'standalone',
				orientation: 'any',
				background_color: '#0f1115',
				theme_color: '#0f1115',
				categories: ['music', 'entertainment']
			},
			workbox: {
				// The shell, worker chunks and WASM are all precached so a cold offline start works.
				globPatterns: ['client/**/*.{js,css,html,wasm,svg,png,ico,webmanifest,json,woff2}'],
				maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
				navigateFallback: '/',
				navigateFallbackDenylist: [/^\/peerjs/, /^\/healthz/],
				cleanupOutdatedCaches: true
			}
		})
	],
	worker: {
		format: 'es'
	},
	server: {
		fs: { allow: ['workers'] }
	},
	test: {
		include: ['src/**/*.spec.ts', 'workers/**/*.spec.ts', 'tests/unit/**/*.spec.ts'],
		environment: 'node'
	}
});
