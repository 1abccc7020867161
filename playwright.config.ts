import { defineConfig, devices } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './tests/chromium.js';

const port = Number(process.env.E2E_PORT ?? 4317);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
	testDir: 'tests/e2e',
	outputDir: 'tests/.artifacts/results',
	timeout: 60_000,
	expect: { timeout: 10_000 },
	fullyParallel: false,
	workers: process.env.CI ? 1 : 2,
	// One retry on CI: a flaky pass is reported as "flaky" in the output (and in the session note), a real failure still fails.
	retries: process.env.CI ? 1 : 0,
	reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [['list'], ['json']] : [['list']],
	use: {
		baseURL,
		serviceWorkers: 'allow',
		trace: 'off',
		launchOptions: { executablePath: chromiumPath(), args: chromiumArgs }
	},
	projects: [
		{ name: 'desktop', use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 } } },
		{
			name: 'phone',
			// Only the screen tests run at phone width; behaviour is covered on desktop.
			testMatch: /screens\.spec\.ts/,
			use: {
				...devices['Desktop Chrome'],
				viewport: { width: 360, height: 740 },
				isMobile: true,
				hasTouch: true,
				deviceScaleFactor: 2
			}
		}
	],
	webServer: {
		// The suite runs against the production build (tests/run.js builds first), so the service
		// worker under test is the real generated one.
		command: 'node src/server/start.js --no-build',
		url: `${baseURL}/healthz`,
		// Local-only mode (no backend), as most specs expect; specs that need the one-box backend start
		// their own server with a throwaway data directory (tests/e2e/app-server.ts startOneBox).
		env: { PORT: String(port), HOST: '127.0.0.1', ONEBOX: '0' },
		reuseExistingServer: false,
		stdout: 'ignore',
		stderr: 'pipe',
		timeout: 30_000
	}
});
