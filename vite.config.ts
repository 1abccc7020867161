import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs, chromiumPath } from './tests/chromium.js';

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
				navigateFallback: 'index.html',
				// The one-box API (a signed media URL opened in a tab must get the file, not the app shell).
				navigateFallbackDenylist: [/^\/peerjs/, /^\/healthz/, /^\/(auth|rest|storage|onebox)\/v1\//],
				// The deployment's settings (Supabase project, ICE servers): fresh when online, the last
				// copy offline, so a signed-in app stays signed in without a network.
				runtimeCaching: [
					{
						urlPattern: ({ url }) => url.pathname === '/config.json',
						handler: 'NetworkFirst',
						options: { cacheName: 'cratemesh-config', networkTimeoutSeconds: 3 }
					}
				],
				cleanupOutdatedCaches: true,
				// The first visit is controlled at once, so it is already offline-ready; updates still wait for the user.
				clientsClaim: true
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
		projects: [
			{
				extends: true,
				test: {
					name: 'node',
					include: ['src/**/*.spec.ts', 'workers/**/*.spec.ts'],
					exclude: ['**/*.browser.spec.ts'],
					environment: 'node'
				}
			},
			{
				// Workers, IndexedDB and WebCrypto tested in a real Chromium, not in emulations.
				extends: true,
				test: {
					name: 'browser',
					include: ['src/**/*.browser.spec.ts', 'workers/**/*.browser.spec.ts'],
					browser: {
						enabled: true,
						headless: true,
						screenshotFailures: false,
						provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: chromiumArgs } }),
						instances: [{ browser: 'chromium' }]
					}
				}
			}
		]
	}
});
