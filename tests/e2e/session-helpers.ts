import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { waitForApp } from './helpers';

/** Shared by the session specs: one browser profile per person, with a name for rooms. */
export interface Person {
	context: BrowserContext;
	page: Page;
	name: string;
}

/** One browser profile with a name for rooms; refused room frames are shown when a test fails. */
export async function person(
	browser: Browser,
	name: string,
	options: { baseURL?: string; path?: string } = {}
): Promise<Person> {
	const context = await browser.newContext(options.baseURL ? { baseURL: options.baseURL } : {});
	await context.addInitScript((n) => localStorage.setItem('cratemesh.session.name', n), name);
	const page = await open(context, options.path);
	return { context, page, name };
}

/** The three people of most room tests, made one after the other: Hana (who hosts), Ben and Cy. */
export async function hanaBenAndCy(
	browser: Browser,
	options: { baseURL?: string } = {}
): Promise<[Person, Person, Person]> {
	const hana = await person(browser, 'Hana', options);
	const ben = await person(browser, 'Ben', options);
	const cy = await person(browser, 'Cy', options);
	return [hana, ben, cy];
}

export async function open(context: BrowserContext, path = '/session'): Promise<Page> {
	const page = await context.newPage();
	page.on('console', (message) => {
		if (message.text().startsWith('session: refused')) console.log(message.text());
	});
	await page.goto(path);
	await waitForApp(page);
	return page;
}

export const room = (page: Page) => page.getByTestId('session-room');
export const memberRow = (page: Page, id: string) =>
	page.getByTestId('session-members').locator(`li[data-member="${id}"]`);
export const requests = (page: Page) => page.getByTestId('session-requests').locator('li');
export const myId = (page: Page) =>
	page.evaluate(() => (window as unknown as { __cratemeshSession: { me: string } }).__cratemeshSession.me);

export async function create(host: Person): Promise<string> {
	await host.page.getByTestId('session-create').click();
	await expect(room(host.page)).toHaveAttribute('data-phase', 'in-room', { timeout: 20_000 });
	const code = await host.page.getByTestId('room-code').getAttribute('data-code');
	expect(code).toMatch(/^[2-9a-hjkmnp-z]{6}$/);
	return code!;
}

export async function joinByCode(p: Person, typed: string): Promise<void> {
	await p.page.getByTestId('session-code-input').fill(typed);
	await p.page.getByTestId('session-join').click();
	await expect(room(p.page)).toHaveAttribute('data-phase', 'in-room', { timeout: 30_000 });
}

/** Makes a request from the room's request form (the artist field is left empty without one). */
export async function request(p: Person, title: string, artist?: string): Promise<void> {
	await p.page.getByTestId('request-title').fill(title);
	if (artist !== undefined) await p.page.getByTestId('request-artist').fill(artist);
	await p.page.getByTestId('request-submit').click();
}

/** After the host is gone: `successor` hosts the room and `follower` has followed it there. */
export async function expectHandover(
	successor: Person,
	successorId: string,
	follower: Person,
	timeout: number
): Promise<void> {
	await expect(room(successor.page)).toHaveAttribute('data-role', 'host', { timeout });
	await expect(room(follower.page)).toHaveAttribute('data-host', successorId, { timeout });
}

/** Stops a page's JavaScript in the debugger: no heartbeats, nothing closed (as a network cut). */
export async function freeze(page: Page): Promise<() => Promise<void>> {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Debugger.enable');
	await cdp.send('Debugger.pause');
	return async () => {
		await cdp.send('Debugger.resume');
		await cdp.send('Debugger.disable');
	};
}
