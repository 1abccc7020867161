import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';
import {
	create,
	expectHandover,
	freeze,
	hanaBenAndCy,
	joinByCode,
	memberRow,
	myId,
	open,
	person,
	request,
	requests,
	room,
	type Person
} from './session-helpers';

/** The room works under its new host: the member's reaction and a new request reach the host. */
async function expectRoomWorksUnder(newHost: Person, member: Person): Promise<void> {
	await member.page.getByTestId('react-heart').click();
	await expect(newHost.page.getByTestId('reaction-feed')).toContainText(`${member.name}: Love it`);
	await request(member, 'Xtal');
	await expect(requests(newHost.page)).toHaveCount(2);
}

test('a session: join by code and link, queue, requests and votes, reactions, bad frames, a listener that drops and rejoins, host handover', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const [host, ben, cy] = await hanaBenAndCy(browser);
	try {
		const code = await create(host);
		await expect(room(host.page)).toHaveAttribute('data-role', 'host');

		// Ben types the code as it is shown (upper case, with a dash); Cy opens the link.
		await joinByCode(ben, `${code.slice(0, 3).toUpperCase()}-${code.slice(3).toUpperCase()}`);
		cy.page = await open(cy.context, `/session?room=${code}`);
		await expect(room(cy.page)).toHaveAttribute('data-phase', 'in-room', { timeout: 20_000 });
		const [hostId, benId, cyId] = await Promise.all([myId(host.page), myId(ben.page), myId(cy.page)]);

		// Everyone sees who is here.
		for (const p of [host, ben, cy]) {
			await expect(p.page.getByTestId('session-members').locator('li[data-online="true"]')).toHaveCount(3);
			await expect(memberRow(p.page, hostId)).toContainText('Hana');
			await expect(memberRow(p.page, cyId)).toContainText('Cy');
		}

		// Listeners cannot curate; the host makes Ben a DJ for the back-to-back.
		await expect(cy.page.getByTestId('promote')).toHaveCount(0);
		await memberRow(host.page, benId).getByTestId('toggle-dj').click();
		await expect(memberRow(cy.page, benId)).toHaveAttribute('data-role', 'dj');
		await expect(room(ben.page)).toHaveAttribute('data-role', 'dj');

		// Requests and votes: Cy and Ben request, Cy votes for Ben's request, which then ranks first.
		await request(cy, 'Strings of Life', 'Derrick May');
		await request(ben, 'Energy Flash', 'Joey Beltram');
		await expect(requests(cy.page)).toHaveCount(2);
		await requests(cy.page).filter({ hasText: 'Energy Flash' }).getByTestId('vote').click();
		await expect(requests(host.page).first()).toContainText('Energy Flash');
		await expect(requests(host.page).first()).toHaveAttribute('data-votes', '2');
		await expect(requests(cy.page).filter({ hasText: 'Energy Flash' }).getByTestId('vote')).toHaveAttribute(
			'aria-pressed',
			'true'
		);

		// The DJ moves the top request to the shared queue ("up next"); everyone sees it.
		await requests(ben.page).filter({ hasText: 'Energy Flash' }).getByTestId('promote').click();
		for (const p of [host, ben, cy]) {
			await expect(p.page.getByTestId('session-queue').locator('li')).toHaveText([/Joey Beltram — Energy Flash/]);
			await expect(requests(p.page)).toHaveCount(1);
		}

		// Quick reactions reach everyone.
		await cy.page.getByTestId('react-fire').click();
		for (const p of [host, ben]) await expect(p.page.getByTestId('reaction-feed')).toContainText('Cy: Fire');

		// Bad frames from a member are refused and counted by the host; the room carries on.
		await expect(host.page.getByTestId('room-rejected')).toHaveAttribute('data-count', '0');
		await cy.page.evaluate((ben) => {
			const s = (window as unknown as { __cratemeshSession: { debugSend(frame: string): void } }).__cratemeshSession;
			s.debugSend('{not json');
			s.debugSend('{"v":9,"type":"ping","t":1}');
			s.debugSend('{"v":1,"type":"sudo"}');
			s.debugSend(`{"v":1,"type":"ping","t":1,"pad":"${'x'.repeat(10_000)}"}`);
			s.debugSend('{"v":1,"type":"react","reaction":"<img src=x onerror=alert(1)>"}');
			// Well formed but not allowed: a listener naming a DJ.
			s.debugSend(JSON.stringify({ v: 1, type: 'act', action: { type: 'role', member: ben, role: 'listener' } }));
		}, benId);
		await expect(host.page.getByTestId('room-rejected')).toHaveAttribute('data-count', '6');
		await expect(memberRow(host.page, benId)).toHaveAttribute('data-role', 'dj');
		await requests(cy.page).first().getByTestId('vote').click();
		await expect(requests(host.page).first()).toHaveAttribute('data-votes', '0');

		// Cy drops out (page closed) and comes back with the same link: the same member, votes kept.
		await cy.page.getByTestId('vote').first().click();
		await expect(requests(host.page).first()).toHaveAttribute('data-votes', '1');
		await cy.page.close();
		await expect(memberRow(host.page, cyId)).toHaveAttribute('data-online', 'false', { timeout: 20_000 });
		await expect(memberRow(ben.page, cyId)).toHaveAttribute('data-online', 'false');
		cy.page = await open(cy.context, `/session?room=${code}`);
		await expect(room(cy.page)).toHaveAttribute('data-phase', 'in-room', { timeout: 20_000 });
		expect(await myId(cy.page)).toBe(cyId);
		await expect(memberRow(host.page, cyId)).toHaveAttribute('data-online', 'true');
		await expect(host.page.getByTestId('session-members').locator('li')).toHaveCount(3);
		await expect(requests(cy.page).first()).toHaveAttribute('data-votes', '1');

		// A network cut (links die without a goodbye): Cy finds the room again by itself.
		await cy.page.evaluate(() =>
			(window as unknown as { __cratemeshSession: { debugCut(): void } }).__cratemeshSession.debugCut()
		);
		await expect(room(cy.page)).toHaveAttribute('data-phase', 'in-room', { timeout: 30_000 });
		await expect(memberRow(host.page, cyId)).toHaveAttribute('data-online', 'true', { timeout: 20_000 });

		// The host closes the page: Ben (the DJ who joined first) takes the room, Cy follows; nothing is lost.
		await host.page.close();
		await expectHandover(ben, benId, cy, 45_000);
		await expect(room(cy.page)).toHaveAttribute('data-phase', 'in-room');
		for (const p of [ben, cy]) {
			await expect(memberRow(p.page, hostId)).toHaveAttribute('data-online', 'false');
			await expect(p.page.getByTestId('session-queue').locator('li')).toHaveText([/Energy Flash/]);
			await expect(requests(p.page)).toHaveCount(1);
		}
		// The room works under its new host: Cy's reaction and a new request reach Ben.
		await expectRoomWorksUnder(ben, cy);

		// A newcomer still finds the room by its code (the new host took the room's address).
		const dee = await person(browser, 'Dee');
		try {
			await joinByCode(dee, code);
			await expect(room(dee.page)).toHaveAttribute('data-host', benId);
		} finally {
			await dee.context.close();
		}
	} finally {
		await Promise.all([host.context.close(), ben.context.close(), cy.context.close()]);
	}
});

test('a host that loses its network without a goodbye is replaced in seconds; newcomers find the new host at once; the old host comes back as a member', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const [host, ben, cy] = await hanaBenAndCy(browser);
	const people = [host, ben, cy];
	try {
		const code = await create(host);
		await joinByCode(ben, code);
		await joinByCode(cy, code);
		const [hostId, benId] = await Promise.all([myId(host.page), myId(ben.page)]);
		await request(host, 'Windowlicker');
		await expect(requests(cy.page)).toHaveCount(1);

		// Stop the host's page in the debugger: no more heartbeats on its links or its signalling socket, but
		// nothing is closed either — the signalling server would keep its registrations for 60 s, as after a
		// network cut. (A frozen lifecycle state is only allowed for hidden pages.)
		const resume = await freeze(host.page);
		const frozenAt = Date.now();
		const sinceFrozen = () => ((Date.now() - frozenAt) / 1000).toFixed(1);
		// Ben joined first, so Ben is the successor; Cy follows. 30 s is half the server's 60 s.
		await expectHandover(ben, benId, cy, 30_000);
		await expect(room(cy.page)).toHaveAttribute('data-phase', 'in-room');
		console.log(`handover after a silent host: ${sinceFrozen()} s`);
		for (const p of [ben, cy]) {
			await expect(memberRow(p.page, hostId)).toHaveAttribute('data-online', 'false');
			await expect(requests(p.page)).toHaveCount(1);
		}
		// The room works under Ben.
		await expectRoomWorksUnder(ben, cy);

		// A newcomer typing the code reaches Ben while the old host is still stopped, long before the server
		// would have let go of its registration (60 s): the server hands a silent host's room address over.
		const dee = await person(browser, 'Dee');
		people.push(dee);
		await dee.page.getByTestId('session-code-input').fill(code);
		await dee.page.getByTestId('session-join').click();
		await expect(room(dee.page)).toHaveAttribute('data-phase', 'in-room', {
			timeout: Math.max(1000, 55_000 - (Date.now() - frozenAt))
		});
		await expect(room(dee.page)).toHaveAttribute('data-host', benId);
		console.log(`newcomer in the room ${sinceFrozen()} s after the host stopped`);

		// The old host comes back: it finds the room moved on, rejoins as a member and adopts the room as it
		// is now (Cy's request made while it was away), instead of keeping its own stale copy.
		await resume();
		await expect(room(host.page)).toHaveAttribute('data-host', benId, { timeout: 45_000 });
		await expect(room(host.page)).toHaveAttribute('data-phase', 'in-room');
		await expect(room(host.page)).toHaveAttribute('data-role', 'dj');
		await expect(requests(host.page)).toHaveCount(2);
		await expect(memberRow(ben.page, hostId)).toHaveAttribute('data-online', 'true', { timeout: 20_000 });
		await expect(ben.page.getByTestId('session-members').locator('li[data-online="true"]')).toHaveCount(4);
		console.log(`old host rejoined as a member ${sinceFrozen()} s after it stopped`);
		// It acts as a member: its reaction goes through Ben to everyone.
		await host.page.getByTestId('react-fire').click();
		await expect(dee.page.getByTestId('reaction-feed')).toContainText('Hana: Fire');
		// And the code still leads to Ben (the old host let go of the room's address).
		const eve = await person(browser, 'Eve');
		people.push(eve);
		await joinByCode(eve, code);
		await expect(room(eve.page)).toHaveAttribute('data-host', benId);
	} finally {
		await Promise.all(people.map((p) => p.context.close()));
	}
});

test('listening mode: listeners receive the host’s sound; what the host plays becomes the setlist', async ({
	browser
}) => {
	test.setTimeout(150_000);
	const dir = mkdtempSync(join(tmpdir(), 'cratemesh-session-'));
	const file = tone(dir, {
		name: 'session-tone.wav',
		ext: 'wav',
		title: 'Session Tone',
		artist: 'Live Artist',
		album: 'Live',
		genre: 'House',
		seconds: 60,
		freq: 440
	});
	const [host, ben, cy] = await hanaBenAndCy(browser);
	try {
		// The host imports a track, then opens the session inside the app (the room lives in the page).
		await host.page.goto('/');
		await waitForApp(host.page);
		await host.page.getByTestId('file-input').setInputFiles(file);
		await expect(host.page.getByTestId('track-count')).toHaveText('1 tracks', { timeout: 30_000 });
		await host.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Session' }).click();
		const code = await create(host);
		await joinByCode(ben, code);
		await joinByCode(cy, code);

		await host.page.getByTestId('listen-mode').check();
		for (const p of [ben, cy]) {
			await p.page.getByTestId('listen-toggle').check();
			await expect(p.page.getByTestId('listen-state')).toHaveAttribute('data-receiving', 'true', { timeout: 20_000 });
		}
		await expect(host.page.getByTestId('listeners')).toHaveAttribute('data-count', '2');

		// The host queues its track from the library and plays it from the queue.
		await host.page.getByTestId('session-search').fill('Session');
		await host.page.getByTestId('session-found').getByRole('button', { name: 'Add' }).click();
		const entry = host.page.getByTestId('session-queue').locator('li');
		await expect(entry).toContainText('Live Artist — Session Tone');
		await entry.getByRole('button', { name: 'Play' }).click();

		// Both listeners hear it: the level of what plays on their side rises above silence.
		for (const p of [ben, cy]) {
			await expect
				.poll(async () => Number(await p.page.getByTestId('listen-level').getAttribute('data-level')), {
					timeout: 20_000
				})
				.toBeGreaterThan(0.05);
		}
		// Each listener reports its delay; the host sees how far apart they are.
		await expect(host.page.getByTestId('listen-skew')).toBeVisible({ timeout: 20_000 });

		// The host pauses. Its audio clock keeps running while it sends (a suspended clock stopped the stream,
		// and each listener's jitter buffer read the gap as a network delay spike: their delay jumped by up
		// to the pause's length), so the listeners keep receiving packets through the pause.
		const packets = (p: typeof ben) =>
			p.page.evaluate(async () => {
				const connection = (
					window as unknown as { __cratemeshSession: { listenerOutput: { connection: RTCPeerConnection } } }
				).__cratemeshSession.listenerOutput.connection;
				let received = 0;
				(await connection.getStats()).forEach((stat) => {
					if (stat.type === 'inbound-rtp' && stat.kind === 'audio') received = stat.packetsReceived;
				});
				return received;
			});
		await host.page.getByTestId('play-toggle').click();
		await expect(host.page.getByTestId('play-toggle')).toHaveAttribute('aria-label', 'Play');
		const held = () =>
			host.page.evaluate(() => {
				const engine = (
					window as unknown as { __cratemeshPlayback: { engine: { held: boolean; context: AudioContext } } }
				).__cratemeshPlayback.engine;
				return { held: engine.held, clock: engine.context.state };
			});
		expect(await held()).toEqual({ held: true, clock: 'running' });
		for (const p of [ben, cy]) {
			const before = await packets(p);
			// 50 packets a second (20 ms Opus frames): a stalled stream would add none.
			await expect.poll(() => packets(p), { timeout: 10_000 }).toBeGreaterThan(before + 50);
		}
		await host.page.getByTestId('play-toggle').click();
		expect(await held()).toEqual({ held: false, clock: 'running' });
		for (const p of [ben, cy])
			await expect
				.poll(async () => Number(await p.page.getByTestId('listen-level').getAttribute('data-level')), {
					timeout: 20_000
				})
				.toBeGreaterThan(0.05);

		// Played → the setlist (and out of the queue), on every member; exportable and savable.
		for (const p of [host, ben, cy]) {
			await expect(p.page.getByTestId('session-setlist').locator('li')).toHaveText([/Live Artist — Session Tone/]);
			await expect(p.page.getByTestId('session-queue')).toHaveCount(0);
		}
		const download = ben.page.waitForEvent('download');
		await ben.page.getByTestId('setlist-csv').click();
		const csv = await (await download).createReadStream();
		let text = '';
		for await (const chunk of csv) text += chunk;
		expect(text.split('\r\n')[1]).toMatch(/^1,.*,Live Artist,Session Tone,1:00,.*Hana,[0-9a-f]{64}$/);
		await host.page.getByTestId('setlist-save').click();
		await expect(host.page.getByTestId('setlist-notice')).toContainText('1 tracks from your library (0 not in it)');
		// Ben has none of the tracks: nothing to save, and he is told so.
		await ben.page.getByTestId('setlist-save').click();
		await expect(ben.page.getByTestId('setlist-notice')).toContainText('None of the setlist');

		// Stopping listening mode stops the calls.
		await host.page.getByTestId('listen-mode').uncheck();
		await expect(ben.page.getByTestId('listen-panel')).toContainText('The host is not sending sound.');
	} finally {
		await Promise.all([host.context.close(), ben.context.close(), cy.context.close()]);
		rmSync(dir, { recursive: true, force: true });
	}
});

test('a room fits a 360 px phone and works from the keyboard', async ({ browser }, info) => {
	test.setTimeout(120_000);
	const phone = async (name: string): Promise<Person> => {
		const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
		await context.addInitScript((n) => localStorage.setItem('cratemesh.session.name', n), name);
		return { context, page: await open(context), name };
	};
	const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	const host = await phone('Hana with a rather long DJ name');
	const guest = await phone('Gil');
	const errors: string[] = [];
	for (const p of [host, guest]) p.page.on('pageerror', (error) => errors.push(error.message));
	try {
		expect(await overflow(guest.page)).toBeLessThanOrEqual(0);
		// The host starts the room from the keyboard: Tab from the name field to "Create", Enter.
		await host.page.getByTestId('session-name').focus();
		await host.page.keyboard.press('Tab');
		await expect(host.page.getByTestId('session-create')).toBeFocused();
		await host.page.keyboard.press('Enter');
		await expect(room(host.page)).toHaveAttribute('data-phase', 'in-room', { timeout: 20_000 });
		const code = (await host.page.getByTestId('room-code').getAttribute('data-code'))!;
		// The guest types the code and presses Enter.
		await guest.page.getByTestId('session-code-input').focus();
		await guest.page.keyboard.type(code);
		await guest.page.keyboard.press('Enter');
		await expect(room(guest.page)).toHaveAttribute('data-phase', 'in-room', { timeout: 20_000 });

		// Host: listening mode and a request, by keyboard.
		await host.page.getByTestId('listen-mode').focus();
		await host.page.keyboard.press('Space');
		await expect(host.page.getByTestId('listen-mode')).toBeChecked();
		await host.page.getByTestId('request-title').focus();
		await host.page.keyboard.type('A request title long enough to wrap on a narrow phone screen');
		await host.page.keyboard.press('Tab');
		await host.page.keyboard.type('Some Artist');
		await host.page.keyboard.press('Enter');
		await expect(requests(guest.page)).toHaveCount(1);

		// Guest: listen, vote and react from the keyboard; every control is reachable and on screen when focused.
		await guest.page.getByTestId('listen-toggle').focus();
		await guest.page.keyboard.press('Space');
		await expect(guest.page.getByTestId('listen-toggle')).toBeChecked();
		await requests(guest.page).first().getByTestId('vote').focus();
		await guest.page.keyboard.press('Enter');
		// The requester's own vote and the guest's.
		await expect(requests(host.page).first()).toHaveAttribute('data-votes', '2');
		await guest.page.getByTestId('react-heart').focus();
		await expect(guest.page.getByTestId('react-heart')).toBeInViewport();
		await guest.page.keyboard.press('Enter');
		await expect(host.page.getByTestId('reaction-feed')).toContainText('Gil');
		for (const id of ['session-search', 'request-title', 'request-artist', 'listen-toggle', 'session-leave']) {
			await guest.page.getByTestId(id).focus();
			await expect(guest.page.getByTestId(id)).toBeFocused();
			await expect(guest.page.getByTestId(id)).toBeInViewport();
		}

		for (const p of [host, guest]) expect(await overflow(p.page)).toBeLessThanOrEqual(0);
		await host.page.screenshot({
			path: `tests/.artifacts/screenshots/${info.project.name}-360-session-host.png`
		});
		await guest.page.screenshot({
			path: `tests/.artifacts/screenshots/${info.project.name}-360-session-guest.png`
		});
		expect(errors).toEqual([]);
	} finally {
		await Promise.all([host.context.close(), guest.context.close()]);
	}
});
