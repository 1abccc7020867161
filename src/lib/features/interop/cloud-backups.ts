/**
 * Encrypted backups in the signed-in user's own folder of the `backups` storage bucket (Supabase or the
 * one box: same Storage API, same policies — see `supabase/migrations/*_cratemesh_backups.sql`).
 * Only encrypted, metadata-only backup zips are sent: the server keeps bytes it cannot read.
 */
import type { SupabaseClient } from '@supabase/supabase-js';

export const BACKUP_BUCKET = 'backups';
/** Newer ones are kept when a backup is added (the bucket's policy allows 20 per user). */
export const KEEP_CLOUD_BACKUPS = 10;
const NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-[0-9a-f]{8}\.cmbk$/;

export interface CloudBackup {
	/** Object path inside the bucket: `<user id>/<name>`. */
	path: string;
	createdAt: number;
	size: number;
}

export class CloudBackupError extends Error {
	constructor(
		readonly code: 'signed-out' | 'failed' | 'not-found',
		message: string
	) {
		super(message);
	}
}

type Client = Pick<SupabaseClient, 'storage'>;

/** `<yyyymmddThhmmssZ>-<8 hex>.cmbk`: sorts by time; the random part keeps two backups in a second apart. */
export function backupObjectName(now = Date.now()): string {
	const stamp = new Date(now)
		.toISOString()
		.replace(/[-:]/g, '')
		.replace(/\.\d+Z$/, 'Z');
	const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, '0'));
	return `${stamp}-${random.join('')}.cmbk`;
}

/** When a backup was made, from its object name (null for a name this app did not write). */
export function createdAtOf(name: string): number | null {
	const m = NAME.exec(name);
	if (!m) return null;
	const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
	return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

const reason = (error: { message?: string } | null) => error?.message ?? 'unknown error';

/** The user's backups, newest first. */
export async function listCloudBackups(client: Client, userId: string): Promise<CloudBackup[]> {
	const { data, error } = await client.storage
		.from(BACKUP_BUCKET)
		.list(userId, { limit: 100, sortBy: { column: 'name', order: 'desc' } });
	if (error) throw new CloudBackupError('failed', reason(error));
	const out: CloudBackup[] = [];
	for (const item of data ?? []) {
		const createdAt = createdAtOf(item.name);
		if (createdAt === null) continue;
		const size = Number((item.metadata as { size?: unknown } | null)?.size ?? 0);
		out.push({ path: `${userId}/${item.name}`, createdAt, size: Number.isFinite(size) ? size : 0 });
	}
	return out.sort((a, b) => b.createdAt - a.createdAt || (a.path < b.path ? 1 : -1));
}

/** Uploads one encrypted backup and removes the oldest beyond `keep`. */
export async function uploadCloudBackup(
	client: Client,
	userId: string,
	file: Blob,
	{ now = Date.now(), keep = KEEP_CLOUD_BACKUPS }: { now?: number; keep?: number } = {}
): Promise<CloudBackup> {
	const path = `${userId}/${backupObjectName(now)}`;
	const body = file.type === 'application/octet-stream' ? file : new Blob([file], { type: 'application/octet-stream' });
	const { error } = await client.storage
		.from(BACKUP_BUCKET)
		.upload(path, body, { contentType: 'application/octet-stream', upsert: false });
	if (error) throw new CloudBackupError('failed', reason(error));
	const all = await listCloudBackups(client, userId);
	const old = all.slice(keep).map((b) => b.path);
	// Pruning is best effort: the new backup is safe either way.
	if (old.length) await client.storage.from(BACKUP_BUCKET).remove(old);
	return { path, createdAt: createdAtOf(path.split('/')[1]!) ?? now, size: file.size };
}

export async function downloadCloudBackup(client: Client, path: string): Promise<Blob> {
	const { data, error } = await client.storage.from(BACKUP_BUCKET).download(path);
	if (error || !data) throw new CloudBackupError('not-found', reason(error));
	return data;
}

export async function deleteCloudBackup(client: Client, path: string): Promise<void> {
	const { data, error } = await client.storage.from(BACKUP_BUCKET).remove([path]);
	if (error) throw new CloudBackupError('failed', reason(error));
	if (!data?.length) throw new CloudBackupError('not-found', 'Backup not found');
}
