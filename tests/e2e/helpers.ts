import type { Page } from '@playwright/test';

/** Waits until the shell has booted (config loaded, preferences applied). */
export async function waitForApp(page: Page): Promise<void> {
	await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
}

/** Waits until the generated service worker controls the page and has finished precaching. */
export async function waitForServiceWorker(page: Page): Promise<void> {
	await page.evaluate(async () => {
		const registration = await navigator.serviceWorker.ready;
		if (!navigator.serviceWorker.controller) {
			// First visit: the worker activates and claims the page (clientsClaim).
			await new Promise<void>((resolve) => {
				navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
				if (navigator.serviceWorker.controller) resolve();
			});
		}
		return registration.active?.state;
	});
}

/** Collects CSP violations reported by the page, so tests can assert there were none. */
export async function trackCspViolations(page: Page): Promise<string[]> {
	const violations: string[] = [];
	await page.exposeFunction('__reportCspViolation', (text: string) => violations.push(text));
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (event) => {
			(window as unknown as { __reportCspViolation: (t: string) => void }).__reportCspViolation(
				`${event.violatedDirective} blocked ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`
			);
		});
	});
	page.on('console', (message) => {
		if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) violations.push(message.text());
	});
	return violations;
}

/** SHA-256 (hex) of what the app's content-addressed store (OPFS `audio/`) holds under `hash`, or null. */
export function storedDigest(page: Page, hash: string): Promise<string | null> {
	return page.evaluate(async (hash) => {
		try {
			const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('audio');
			const file = await (await dir.getFileHandle(hash)).getFile();
			const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
			return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
		} catch {
			return null;
		}
	}, hash);
}
