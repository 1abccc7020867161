// Where the tests, the bench and vitest's browser mode find Chromium, and how they launch it.
// Debian's package is used; Playwright's own browser downloads are never needed.
import { existsSync } from 'node:fs';

export const CHROMIUM_INSTALL_HINT =
	'Chromium is required for the browser tests: sudo apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary).';

/** @returns {string} */
export function chromiumPath() {
	const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
	return candidates.find((path) => path && existsSync(path)) ?? '';
}

export const chromiumArgs = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-quic',
	'--no-first-run',
	// Local peers find each other by their real loopback address instead of an mDNS name.
	'--disable-features=WebRtcHideLocalIpsWithMdns',
	// Lets media play in tests without a user gesture.
	'--autoplay-policy=no-user-gesture-required'
];
