import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { freePort, startOneBox } from './app-server';
import { trackCspViolations, waitForApp } from './helpers';

// The app against the one-box backend of `npm start`: the same supabase-js code as with a Supabase
// project, talking to this origin.
let box: Awaited<ReturnType<typeof startOneBox>>;
let base: string;

test.beforeAll(async () => {
	const port = await freePort();
	box = await startOneBox(port);
	base = `http://127.0.0.1:${port}`;
});

test.afterAll(() => box?.stop());

test('signs the owner in against the built-in backend and uploads media from the browser', async ({ page }) => {
	expect(box.output).toContain('One box: built-in backend');
	const violations = await trackCspViolations(page);
	await page.goto(`${base}/account`);
	await waitForApp(page);
	await expect(page.getByTestId('mode-badge')).toHaveText('One box');

	await page.getByTestId('account-email').fill(box.owner.email);
	await page.getByTestId('account-password').fill('not-the-password');
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByTestId('account-error')).toHaveText('Invalid login credentials');
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page.getByTestId('account-error')).toContainText('Sign-ups are disabled');

	await page.getByTestId('account-password').fill(box.owner.password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	await expect(page.getByRole('heading', { name: `Signed in as ${box.owner.email}` })).toBeVisible();
	await expect(page.getByTestId('tenant-switcher').locator('option:checked')).toHaveText('My store · Owner');

	await page.getByLabel('New team name').fill('Terrace');
	await page.getByRole('button', { name: 'Create team' }).click();
	await expect(page.getByTestId('tenant-switcher').locator('option:checked')).toHaveText('Terrace · Owner');

	// A File from the page goes up as multipart (what supabase-js sends for a Blob), is stored whole and
	// comes back byte for byte with a range.
	const bytes = Array.from({ length: 200_000 }, (_, i) => (i * 7) & 255);
	const sha = createHash('sha256').update(Buffer.from(bytes)).digest('hex');
	const result = await page.evaluate(
		async ({ bytes, sha }) => {
			const session = JSON.parse(localStorage.getItem('cratemesh-auth')!);
			const auth = { authorization: `Bearer ${session.access_token}` };
			const tenants = await (await fetch('/rest/v1/tenants?select=id&name=eq.My%20store', { headers: auth })).json();
			const form = new FormData();
			form.append('cacheControl', '31536000');
			form.append('', new File([new Uint8Array(bytes)], 'track.mp3', { type: 'audio/mpeg' }));
			const path = `${tenants[0].id}/${sha}`;
			const upload = await fetch(`/storage/v1/object/media/${path}`, { method: 'POST', headers: auth, body: form });
			const range = await fetch(`/storage/v1/object/authenticated/media/${path}`, {
				headers: { ...auth, range: 'bytes=1000-1999' }
			});
			const part = new Uint8Array(await range.arrayBuffer());
			return {
				upload: upload.status,
				range: range.status,
				same: part.every((b, i) => b === bytes[1000 + i]),
				length: part.length
			};
		},
		{ bytes, sha }
	);
	expect(result).toEqual({ upload: 200, range: 206, same: true, length: 1000 });

	await page.reload();
	await waitForApp(page);
	await expect(page.getByRole('heading', { name: `Signed in as ${box.owner.email}` })).toBeVisible();
	await page.getByTestId('sign-out').click();
	await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	expect(violations).toEqual([]);
});
