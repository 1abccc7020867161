import { allPages, check, one, DirectorError, type Db, type Row } from './types';

export type Device = Pick<
	Row<'devices'>,
	| 'id'
	| 'name'
	| 'kind'
	| 'user_id'
	| 'group_id'
	| 'app_version'
	| 'last_sync_at'
	| 'cached_assets_count'
	| 'last_manifest_hash'
	| 'now_playing_sha256'
	| 'now_playing_title'
	| 'now_playing_at'
	| 'created_at'
	| 'peer_bytes_total'
	| 'server_bytes_total'
>;
export type DeviceGroup = Pick<Row<'device_groups'>, 'id' | 'name'>;
export type SyncLog = Pick<
	Row<'sync_logs'>,
	| 'id'
	| 'device_id'
	| 'manifest_hash'
	| 'downloaded_count'
	| 'deleted_count'
	| 'failed_count'
	| 'failed'
	| 'cached_assets_count'
	| 'app_version'
	| 'error'
	| 'created_at'
	| 'peer_bytes'
	| 'server_bytes'
>;

const DEVICE_COLUMNS =
	'id, name, kind, user_id, group_id, app_version, last_sync_at, cached_assets_count, last_manifest_hash, now_playing_sha256, now_playing_title, now_playing_at, created_at, peer_bytes_total, server_bytes_total';

export function listDevices(db: Db, tenantId: string): Promise<Device[]> {
	return allPages<Device>((from, to) =>
		db.from('devices').select(DEVICE_COLUMNS).eq('tenant_id', tenantId).order('name').order('id').range(from, to)
	);
}

export function listGroups(db: Db, tenantId: string): Promise<DeviceGroup[]> {
	return allPages<DeviceGroup>((from, to) =>
		db.from('device_groups').select('id, name').eq('tenant_id', tenantId).order('name').range(from, to)
	);
}

export async function createGroup(db: Db, tenantId: string, name: string): Promise<DeviceGroup> {
	return one(await db.from('device_groups').insert({ tenant_id: tenantId, name }).select('id, name').single());
}

export async function renameGroup(db: Db, id: string, name: string): Promise<void> {
	check(await db.from('device_groups').update({ name }).eq('id', id));
}

/** Devices of the group are detached (set null); its schedules are deleted (cascade). */
export async function deleteGroup(db: Db, id: string): Promise<void> {
	check(await db.from('device_groups').delete().eq('id', id));
}

export async function setDeviceGroup(db: Db, deviceId: string, groupId: string | null): Promise<void> {
	check(await db.from('devices').update({ group_id: groupId }).eq('id', deviceId));
}

export async function renameDevice(db: Db, deviceId: string, name: string): Promise<void> {
	check(await db.from('devices').update({ name }).eq('id', deviceId));
}

/** Keeps its sync logs (they have no foreign key) and deletes its direct schedules (cascade). */
export async function deleteDevice(db: Db, deviceId: string): Promise<void> {
	check(await db.from('devices').delete().eq('id', deviceId));
}

/** The most recent sync reports of the tenant, newest first. */
export async function recentSyncLogs(db: Db, tenantId: string, limit = 200): Promise<SyncLog[]> {
	return (
		check(
			await db
				.from('sync_logs')
				.select(
					'id, device_id, manifest_hash, downloaded_count, deleted_count, failed_count, failed, cached_assets_count, app_version, error, created_at, peer_bytes, server_bytes'
				)
				.eq('tenant_id', tenantId)
				.order('created_at', { ascending: false })
				.order('id', { ascending: false })
				.limit(limit)
		) ?? []
	);
}

export interface PlayerCredentials {
	device_id: string;
	email: string;
	password: string;
}

/**
 * One-box only: the server creates the player's auth user, its `player` membership and the device row,
 * and returns the password once. A hosted Supabase project has no such endpoint (it needs an Edge
 * Function with the service role); the caller gets `unsupported` and explains the alternatives.
 */
export async function enrolPlayer(
	db: Db,
	baseUrl: string,
	anonKey: string,
	input: { tenant_id: string; name: string; group_id: string | null }
): Promise<PlayerCredentials> {
	const { data } = await db.auth.getSession();
	const token = data.session?.access_token;
	if (!token) throw new DirectorError('Not signed in', 'auth', 401);
	let response: Response;
	try {
		response = await fetch(`${baseUrl.replace(/\/$/, '')}/onebox/v1/players`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}`, apikey: anonKey, 'content-type': 'application/json' },
			body: JSON.stringify({
				tenant_id: input.tenant_id,
				name: input.name,
				...(input.group_id ? { group_id: input.group_id } : {})
			})
		});
	} catch {
		throw new DirectorError('Network error', 'network', 0);
	}
	const text = await response.text();
	let json: unknown = null;
	try {
		json = JSON.parse(text);
	} catch {
		/* handled below */
	}
	if (response.status === 404 || response.status === 405)
		throw new DirectorError('This server cannot enrol players', 'unsupported', response.status);
	if (!response.ok) {
		const body = (json ?? {}) as { message?: unknown; error?: unknown; msg?: unknown };
		const message = [body.message, body.msg, body.error].find((m) => typeof m === 'string') as string | undefined;
		throw new DirectorError(message ?? `HTTP ${response.status}`, null, response.status);
	}
	const body = (json ?? {}) as Record<string, unknown>;
	if (typeof body.device_id !== 'string' || typeof body.email !== 'string' || typeof body.password !== 'string')
		throw new DirectorError('The server answered without credentials', 'invalid-response', response.status);
	return { device_id: body.device_id, email: body.email, password: body.password };
}
