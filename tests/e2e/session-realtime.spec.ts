/**
 * Live sessions over Supabase Realtime: the one box's Realtime endpoint (`/realtime/v1`, the same
 * Phoenix protocol as a Supabase project) carries the rooms' presence and every offer, answer and ICE
 * candidate — data links and listening-mode calls alike. Three browser contexts: two signed in (their
 * rooms go over Realtime), one not (it tries the built-in server first, finds no room there, and finds it
 * over Realtime).
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { freePort, startOneBox } from './app-server';
import { waitForApp } from './helpers';
import {
	create,
	expectHandover,
	freeze,
	hanaBenAndCy,
	joinByCode,
	memberRow,
	myId,
	person,
	request,
	requests,
	room,
	type Person
} from './session-helpers';

let box: Awaited<ReturnType<typeof startOneBox>>;
let base: string;

test.beforeAll(async () => {
	test.setTimeout(180_000);
	const port = await freePort();
	// The mesh signals over Realtime too, so the built-in PeerJS server's count is the rooms' alone.
	box = await startOneBox(port, { MESH_SIGNALLING: 'supabase' });
	base = `http://127.0.0.1:${port}`;
});

test.afterAll(() => box?.stop());

async function signIn(page: Page): Promise<void> {
	await page.goto('/account');
	await waitForApp(page);
	await page.getByTestId('account-email').fill(box.owner.email);
	await page.getByTestId('account-password').fill(box.owner.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: `Signed in as ${box.owner.email}` })).toBeVisible();
	await page.goto('/session');
	await waitForApp(page);
}

/** Hana, Ben and Cy on the one box (not signed in yet), added to `people` for the test to close. */
async function hanaBenAndCyOnTheBox(browser: Browser, people: Person[]): Promise<[Person, Person, Person]> {
	const trio = await hanaBenAndCy(browser, { baseURL: base });
	people.push(...trio);
	return trio;
}

/** Dee, signed in, joins by the code and finds the room under `hostId`, over Realtime. */
async function newcomerJoins(browser: Browser, people: Person[], code: string, hostId: string): Promise<Person> {
	const dee = await person(browser, 'Dee', { baseURL: base });
	people.push(dee);
	await signIn(dee.page);
	await joinByCode(dee, code);
	await expect(room(dee.page)).toHaveAttribute('data-host', hostId);
	await expect(room(dee.page)).toHaveAttribute('data-transport', 'supabase');
	return dee;
}

const peersOnPeerServer = async () => (await (await fetch(`${base}/healthz`)).json()).peersOnline as number;

test('a room over Supabase Realtime: presence shows who is here, actions, listening-mode calls, handover and a newcomer', async ({
	browser
}) => {
	test.setTimeout(240_000);
	const people: Person[] = [];
	try {
		const [host, ben, cy] = await hanaBenAndCyOnTheBox(browser, people);
		await signIn(host.page);
		await signIn(ben.page);

		const code = await create(host);
		await expect(room(host.page)).toHaveAttribute('data-transport', 'supabase');
		await joinByCode(ben, code);
		// Cy is not signed in: the built-in server first (no room there), then Realtime.
		await joinByCode(cy, code);
		for (const p of [host, ben, cy]) await expect(room(p.page)).toHaveAttribute('data-transport', 'supabase');
		await expect.poll(peersOnPeerServer).toBe(0);
		const [hostId, benId, cyId] = await Promise.all([myId(host.page), myId(ben.page), myId(cy.page)]);

		// Presence: everyone sees the three of them, as presence and as room members.
		for (const p of [host, ben, cy]) {
			await expect(p.page.getByTestId('room-transport')).toHaveAttribute('data-present', '3', { timeout: 20_000 });
			for (const id of [hostId, benId, cyId])
				await expect(memberRow(p.page, id)).toHaveAttribute('data-present', 'true');
			await expect(p.page.getByTestId('session-members').locator('li[data-online="true"]')).toHaveCount(3);
		}

		// Actions and reactions travel over the links that Realtime set up.
		await memberRow(host.page, benId).getByTestId('toggle-dj').click();
		await expect(room(ben.page)).toHaveAttribute('data-role', 'dj');
		await request(cy, 'Strings of Life');
		await requests(ben.page).first().getByTestId('vote').click();
		await expect(requests(host.page).first()).toHaveAttribute('data-votes', '2');
		await cy.page.getByTestId('react-fire').click();
		await expect(host.page.getByTestId('reaction-feed')).toContainText('Cy: Fire');

		// Listening mode: the host's calls are signalled over Realtime too (media offers, answers, ICE).
		await host.page.getByTestId('listen-mode').check();
		for (const p of [ben, cy]) {
			await p.page.getByTestId('listen-toggle').check();
			await expect(p.page.getByTestId('listen-state')).toHaveAttribute('data-receiving', 'true', { timeout: 30_000 });
		}
		await expect(host.page.getByTestId('listeners')).toHaveAttribute('data-count', '2');
		await host.page.getByTestId('listen-mode').uncheck();

		// The host leaves (page closed): its presence goes, Ben (the DJ) takes the room over, Cy follows.
		await host.page.close();
		await expectHandover(ben, benId, cy, 45_000);
		for (const p of [ben, cy]) {
			await expect(p.page.getByTestId('room-transport')).toHaveAttribute('data-present', '2', { timeout: 20_000 });
			await expect(memberRow(p.page, hostId)).toHaveAttribute('data-present', 'false');
			await expect(requests(p.page)).toHaveCount(1);
		}

		// A newcomer finds the room under its new host by the same code, over Realtime.
		const dee = await newcomerJoins(browser, people, code, benId);
		await expect(ben.page.getByTestId('room-transport')).toHaveAttribute('data-present', '3', { timeout: 20_000 });
		await expect(requests(dee.page)).toHaveCount(1);
		await expect.poll(peersOnPeerServer).toBe(0);
		for (const p of [ben, cy, dee])
			expect(
				await p.page.evaluate(
					() => (window as unknown as { __cratemeshSession: { rejected: number } }).__cratemeshSession.rejected
				)
			).toBe(0);
	} finally {
		await Promise.all(people.map((p) => p.context.close()));
	}
});

test('over Realtime, a host that goes silent is replaced, a newcomer finds the new host by presence, and the old host rejoins as a member', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const people: Person[] = [];
	try {
		const [host, ben, cy] = await hanaBenAndCyOnTheBox(browser, people);
		for (const p of people) await signIn(p.page);
		const code = await create(host);
		await joinByCode(ben, code);
		await joinByCode(cy, code);
		const [hostId, benId] = await Promise.all([myId(host.page), myId(ben.page)]);
		await expect(room(cy.page)).toHaveAttribute('data-transport', 'supabase');

		// The host's page stops: its Realtime connection stays open (the server keeps its presence, at the
		// room's address too), it just answers nothing.
		const resume = await freeze(host.page);
		await expectHandover(ben, benId, cy, 30_000);
		await request(cy, 'Xtal');
		await expect(requests(ben.page)).toHaveCount(1);

		// A newcomer: presence names Ben as the latest host (the stopped one is still listed).
		const dee = await newcomerJoins(browser, people, code, benId);

		// The old host comes back and rejoins Ben's room as a member, with the room as it is now.
		await resume();
		await expect(room(host.page)).toHaveAttribute('data-host', benId, { timeout: 45_000 });
		await expect(room(host.page)).toHaveAttribute('data-role', 'dj');
		await expect(requests(host.page)).toHaveCount(1);
		await expect(memberRow(ben.page, hostId)).toHaveAttribute('data-online', 'true', { timeout: 20_000 });
		await expect(ben.page.getByTestId('room-transport')).toHaveAttribute('data-present', '4', { timeout: 20_000 });
		await host.page.getByTestId('react-fire').click();
		await expect(dee.page.getByTestId('reaction-feed')).toContainText('Hana: Fire');
	} finally {
		await Promise.all(people.map((p) => p.context.close()));
	}
});
