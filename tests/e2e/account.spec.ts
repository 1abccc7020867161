import { expect, test } from '@playwright/test';
import type { ChildProcess } from 'node:child_process';
import { freePort, startServer, stopServer } from './app-server';
import { FakeSupabase } from './fake-supabase';
import { waitForApp, waitForServiceWorker } from './helpers';

let supabase: FakeSupabase;
let server: { child: ChildProcess; output: string };
let base: string;

test.beforeAll(async () => {
	supabase = new FakeSupabase();
	await supabase.start();
	const port = await freePort();
	server = await startServer(port, { PUBLIC_SUPABASE_URL: supabase.url, PUBLIC_SUPABASE_ANON_KEY: 'test-anon-key' });
	base = `http://127.0.0.1:${port}`;
});

test.afterAll(async () => {
	await stopServer(server.child);
	await supabase.stop();
});

test('sign up, create a team, invite, switch teams, and stay signed in offline', async ({ page, context }) => {
	expect(server.output).toContain(`Supabase: ${supabase.url}`);
	// Someone already invited this address to another team: it is accepted on sign-in.
	supabase.tenants.set('t-crew', 'Night Crew');
	supabase.invitations.push({ tenant_id: 't-crew', email: 'dj@example.com', role: 'dj', accepted: false });

	await page.goto(`${base}/account`);
	await waitForApp(page);
	await expect(page.getByTestId('mode-badge')).toHaveText('Connected to Supabase');
	await page.getByTestId('account-email').fill('dj@example.com');
	await page.getByTestId('account-password').fill('wrong-password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('account-error')).toHaveText('Invalid login credentials');

	await page.getByTestId('account-password').fill('correct horse battery');
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page.getByRole('heading', { name: 'Signed in as dj@example.com' })).toBeVisible();
	await expect(page.getByTestId('tenant-switcher')).toContainText('Night Crew · DJ');
	expect(supabase.requests).toContain('POST /rest/v1/rpc/accept_invitations');

	await page.getByLabel('New team name').fill('Bar Aurora');
	await page.getByRole('button', { name: 'Create team' }).click();
	await expect(page.getByTestId('tenant-switcher')).toHaveValue(/.+/);
	await expect(page.getByTestId('tenant-switcher').locator('option:checked')).toHaveText('Bar Aurora · Owner');

	// Owners invite; an unknown address gets an invitation.
	await page.getByTestId('invite-email').fill('manager@example.com');
	await page.getByRole('combobox', { name: 'Role' }).selectOption('manager');
	await page.getByRole('button', { name: 'Invite', exact: true }).click();
	await expect(page.getByTestId('account-notice')).toContainText('Invitation saved');
	expect(supabase.invitations.at(-1)).toMatchObject({ email: 'manager@example.com', role: 'manager' });

	// Switching to a team where one is only a DJ hides the invite form.
	await page.getByTestId('tenant-switcher').selectOption({ label: 'Night Crew · DJ' });
	await expect(page.getByTestId('invite-email')).toHaveCount(0);

	// Reload offline: the saved session and teams still show.
	await waitForServiceWorker(page);
	// The worker keeps the deployment's config for offline starts.
	await page.waitForFunction(async () => Boolean(await (await caches.open('cratemesh-config')).match('/config.json')));
	await context.setOffline(true);
	await page.reload();
	await waitForApp(page);
	await expect(page.getByRole('heading', { name: 'Signed in as dj@example.com' })).toBeVisible();
	await expect(page.getByTestId('account-offline')).toBeVisible();
	await expect(page.getByTestId('tenant-switcher').locator('option:checked')).toHaveText('Night Crew · DJ');
	await context.setOffline(false);

	await page.getByTestId('sign-out').click();
	await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('without Supabase settings the account page explains local-only mode', async ({ page }) => {
	await page.goto('/account');
	await waitForApp(page);
	await expect(page.getByText('Connect a Supabase project')).toBeVisible();
	await expect(page.getByTestId('mode-badge')).toHaveText('Local-only mode');
});
