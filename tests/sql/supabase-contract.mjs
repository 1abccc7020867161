#!/usr/bin/env node
// Opt-in contract test: a few of the pgTAP checks, repeated against a real Supabase project through
// its HTTP APIs (PostgREST + GoTrue admin), to prove the migrations behave the same there.
//
//   SUPABASE_URL=https://xyz.supabase.co SUPABASE_ANON_KEY=... SUPABASE_SERVICE_ROLE_KEY=... \
//     node tests/sql/supabase-contract.mjs
//
// It creates two throwaway users, a tenant, a device and one asset, and deletes them all at the end.
// Use a development project: it needs the migrations applied (`supabase db push`).
// Plain Node 20 (global fetch), no dependencies.

const { SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY } = process.env;
if (!SUPABASE_URL || !SUPABASE_ANON_KEY || !SUPABASE_SERVICE_ROLE_KEY) {
	console.log('supabase contract: skipped (set SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY to run)');
	process.exit(0);
}

const base = SUPABASE_URL.replace(/\/+$/, '');
let passed = 0;
let failed = 0;
const check = (ok, name, detail = '') => {
	if (ok) passed++;
	else failed++;
	console.log(`${ok ? 'ok' : 'not ok'} ${passed + failed} - ${name}${ok || !detail ? '' : ` (${detail})`}`);
};

async function call(path, { method = 'GET', token, apikey = SUPABASE_ANON_KEY, body, prefer } = {}) {
	const headers = { apikey, 'Content-Type': 'application/json' };
	if (token) headers.Authorization = `Bearer ${token}`;
	if (prefer) headers.Prefer = prefer;
	const res = await fetch(`${base}${path}`, {
		method,
		headers,
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await res.text();
	let json;
	try {
		json = text ? JSON.parse(text) : null;
	} catch {
		json = text;
	}
	return { status: res.status, json };
}
const service = (path, opts = {}) =>
	call(path, { ...opts, apikey: SUPABASE_SERVICE_ROLE_KEY, token: SUPABASE_SERVICE_ROLE_KEY });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const password = `Cm-${run}-${Math.random().toString(36).slice(2)}`;
const userIds = [];
let tenantId;

async function createUser(label) {
	const email = `contract-${label}-${run}@example.com`;
	const created = await service('/auth/v1/admin/users', {
		method: 'POST',
		body: { email, password, email_confirm: true }
	});
	if (created.status >= 300) throw new Error(`creating ${label}: ${created.status} ${JSON.stringify(created.json)}`);
	userIds.push(created.json.id);
	const session = await call('/auth/v1/token?grant_type=password', { method: 'POST', body: { email, password } });
	if (session.status >= 300) throw new Error(`signing in ${label}: ${session.status}`);
	return { id: created.json.id, token: session.json.access_token };
}

async function main() {
	/** anon sees and calls nothing */
	const anonRead = await call('/rest/v1/media_assets?select=id&limit=1');
	check(
		anonRead.status === 401 || anonRead.status === 403 || (Array.isArray(anonRead.json) && anonRead.json.length === 0),
		'anon cannot read media_assets',
		`status ${anonRead.status}`
	);
	const anonRpc = await call('/rest/v1/rpc/sync_manifest', {
		method: 'POST',
		body: { device_id: '00000000-0000-4000-8000-000000000000', last_manifest_hash: null, have_hashes: [] }
	});
	check(anonRpc.status >= 400, 'anon cannot call sync_manifest', `status ${anonRpc.status}`);

	const owner = await createUser('owner');
	const player = await createUser('player');
	const stranger = await createUser('stranger');

	/** tenancy */
	const tenant = await call('/rest/v1/rpc/create_tenant', {
		method: 'POST',
		token: owner.token,
		body: { name: `Contract ${run}` }
	});
	tenantId = tenant.json;
	check(
		tenant.status === 200 && typeof tenantId === 'string',
		'create_tenant returns the new id',
		`status ${tenant.status}`
	);
	const seen = await call(`/rest/v1/tenants?select=id&id=eq.${tenantId}`, { token: stranger.token });
	check(Array.isArray(seen.json) && seen.json.length === 0, 'another user cannot see the tenant');
	const direct = await call('/rest/v1/tenants', { method: 'POST', token: stranger.token, body: { name: 'direct' } });
	check(direct.status >= 400, 'tenants cannot be inserted directly', `status ${direct.status}`);

	/** a player device with one scheduled asset (set up by the owner, as the app would) */
	const member = await call('/rest/v1/memberships', {
		method: 'POST',
		token: owner.token,
		body: { tenant_id: tenantId, user_id: player.id, role: 'player' }
	});
	check(member.status === 201, 'the owner adds a player member', `status ${member.status}`);
	const device = await call('/rest/v1/devices?select=id', {
		method: 'POST',
		token: owner.token,
		prefer: 'return=representation',
		body: { tenant_id: tenantId, name: 'Contract player', user_id: player.id }
	});
	const deviceId = device.json?.[0]?.id;
	const sha = [...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(run)))]
		.map((b) => b.toString(16).padStart(2, '0'))
		.join('');
	const asset = await call('/rest/v1/media_assets?select=id', {
		method: 'POST',
		token: owner.token,
		prefer: 'return=representation',
		body: {
			tenant_id: tenantId,
			sha256: sha,
			size_bytes: 1234,
			mime: 'audio/mpeg',
			title: 'Contract track',
			valid_until: new Date(Date.now() + 86400000).toISOString()
		}
	});
	const playlist = await call('/rest/v1/playlists?select=id', {
		method: 'POST',
		token: owner.token,
		prefer: 'return=representation',
		body: { tenant_id: tenantId, name: 'Contract' }
	});
	const item = await call('/rest/v1/playlist_items', {
		method: 'POST',
		token: owner.token,
		body: { tenant_id: tenantId, playlist_id: playlist.json?.[0]?.id, asset_id: asset.json?.[0]?.id, position: 0 }
	});
	const schedule = await call('/rest/v1/schedules', {
		method: 'POST',
		token: owner.token,
		body: { tenant_id: tenantId, playlist_id: playlist.json?.[0]?.id, device_id: deviceId, time_zone: 'Europe/Paris' }
	});
	check(
		deviceId && item.status === 201 && schedule.status === 201,
		'the owner registers a device and schedules an asset',
		`device ${device.status}, item ${item.status}, schedule ${schedule.status}`
	);

	/** the player reads only what is scheduled and cannot write the library */
	const playerAssets = await call('/rest/v1/media_assets?select=sha256', { token: player.token });
	check(
		Array.isArray(playerAssets.json) && playerAssets.json.length === 1 && playerAssets.json[0].sha256 === sha,
		'the player reads the scheduled asset'
	);
	const playerWrite = await call(`/rest/v1/media_assets?id=eq.${asset.json?.[0]?.id}`, {
		method: 'PATCH',
		token: player.token,
		prefer: 'return=representation',
		body: { title: 'hacked' }
	});
	check(
		playerWrite.status >= 400 || (Array.isArray(playerWrite.json) && playerWrite.json.length === 0),
		'the player cannot edit assets',
		`status ${playerWrite.status}`
	);

	/** sync_manifest */
	const first = await call('/rest/v1/rpc/sync_manifest', {
		method: 'POST',
		token: player.token,
		body: { device_id: deviceId, last_manifest_hash: null, have_hashes: [] }
	});
	check(
		first.status === 200 && first.json?.downloads?.[0]?.hash === sha,
		'first sync lists the asset as a download',
		`status ${first.status}`
	);
	const tooSoon = await call('/rest/v1/rpc/sync_manifest', {
		method: 'POST',
		token: player.token,
		body: { device_id: deviceId, last_manifest_hash: first.json?.hash, have_hashes: [sha] }
	});
	check(tooSoon.status === 429, 'a second call within a second is refused with HTTP 429', `status ${tooSoon.status}`);
	await sleep(1100);
	const again = await call('/rest/v1/rpc/sync_manifest', {
		method: 'POST',
		token: player.token,
		body: { device_id: deviceId, last_manifest_hash: first.json?.hash, have_hashes: [sha] }
	});
	check(
		again.status === 200 && again.json?.unchanged === true && JSON.stringify(again.json).length < 200,
		'holding everything: a small unchanged answer',
		`status ${again.status}`
	);
	const foreign = await call('/rest/v1/rpc/sync_manifest', {
		method: 'POST',
		token: stranger.token,
		body: { device_id: deviceId, last_manifest_hash: null, have_hashes: [] }
	});
	check(foreign.status === 403, 'another user cannot sync the device (HTTP 403)', `status ${foreign.status}`);

	/** report_sync and the append-only log */
	const report = await call('/rest/v1/rpc/report_sync', {
		method: 'POST',
		token: player.token,
		body: {
			device_id: deviceId,
			manifest_hash: first.json?.hash,
			downloaded: [sha],
			cached_assets_count: 1,
			app_version: 'contract'
		}
	});
	check(report.status === 200 && report.json?.log_id, 'the device reports a sync', `status ${report.status}`);
	const logs = await call(`/rest/v1/sync_logs?select=id,downloaded_count&device_id=eq.${deviceId}`, {
		token: owner.token
	});
	check(
		Array.isArray(logs.json) && logs.json.length === 1 && logs.json[0].downloaded_count === 1,
		'the owner reads the log row'
	);
	const edit = await call(`/rest/v1/sync_logs?device_id=eq.${deviceId}`, {
		method: 'PATCH',
		token: owner.token,
		body: { error: 'x' }
	});
	check(edit.status >= 400, 'sync_logs cannot be updated', `status ${edit.status}`);
	const del = await service(`/rest/v1/sync_logs?device_id=eq.${deviceId}`, { method: 'DELETE' });
	check(del.status >= 400, 'sync_logs cannot be deleted, even with the service role', `status ${del.status}`);
}

async function cleanup() {
	// Deleting the tenant cascades to everything created above, logs included.
	if (tenantId) await service(`/rest/v1/tenants?id=eq.${tenantId}`, { method: 'DELETE' });
	for (const id of userIds) await service(`/auth/v1/admin/users/${id}`, { method: 'DELETE' });
}

try {
	await main();
} catch (err) {
	failed++;
	console.log(`not ok ${passed + failed} - contract run aborted: ${err.message}`);
} finally {
	await cleanup().catch((err) => console.log(`# cleanup failed: ${err.message}`));
}
console.log(`supabase contract: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
