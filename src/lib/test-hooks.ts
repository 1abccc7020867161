/**
 * Handles for the e2e tests and the bench (`window.__cratemeshPlayback` and the like): installed only in a
 * browser under automation (`navigator.webdriver`, which Playwright's Chromium sets and users' browsers do
 * not), so the shipped build is the tested one and users' pages carry no extra globals.
 */
export function exposeForTests(name: `__cratemesh${string}`, value: unknown): void {
	if (typeof window === 'undefined' || typeof navigator === 'undefined' || !navigator.webdriver) return;
	(window as unknown as Record<string, unknown>)[name] = value;
}
