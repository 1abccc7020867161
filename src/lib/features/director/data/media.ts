import { allPages, check, one, DirectorError, type Db, type Row } from './types';

export type MediaAsset = Pick<
	Row<'media_assets'>,
	| 'id'
	| 'sha256'
	| 'size_bytes'
	| 'mime'
	| 'title'
	| 'artist'
	| 'duration_ms'
	| 'valid_from'
	| 'valid_until'
	| 'emergency_eligible'
	| 'created_at'
>;

const COLUMNS =
	'id, sha256, size_bytes, mime, title, artist, duration_ms, valid_from, valid_until, emergency_eligible, created_at';

export type AssetPatch = Partial<
	Pick<MediaAsset, 'title' | 'artist' | 'valid_from' | 'valid_until' | 'emergency_eligible'>
>;

export interface NewAsset {
	sha256: string;
	size_bytes: number;
	mime: string;
	title: string;
	artist: string | null;
	duration_ms: number | null;
	valid_from: string;
	valid_until: string;
	emergency_eligible: boolean;
}

/** Every asset of the tenant, newest first. */
export function listAssets(db: Db, tenantId: string): Promise<MediaAsset[]> {
	return allPages<MediaAsset>((from, to) =>
		db
			.from('media_assets')
			.select(COLUMNS)
			.eq('tenant_id', tenantId)
			.order('created_at', { ascending: false })
			.order('id')
			.range(from, to)
	);
}

/** Which of these hashes the tenant already has, with their titles (duplicate detection before uploading). */
export async function titlesByHash(db: Db, tenantId: string, hashes: string[]): Promise<Map<string, string>> {
	const found = new Map<string, string>();
	for (let i = 0; i < hashes.length; i += 100) {
		const rows = check(
			await db
				.from('media_assets')
				.select('sha256, title')
				.eq('tenant_id', tenantId)
				.in('sha256', hashes.slice(i, i + 100))
		);
		for (const row of rows ?? []) found.set(row.sha256, row.title);
	}
	return found;
}

export const storagePath = (tenantId: string, sha256: string) => `${tenantId}/${sha256}`;

/**
 * Uploads the bytes to `media/<tenant>/<sha256>` with XMLHttpRequest, the one browser API that reports
 * upload progress. The request is the one supabase-js sends for a Blob (multipart, `cacheControl`, no
 * upsert). A file already stored under that hash (an earlier attempt whose row insert failed) is fine:
 * the bytes behind a hash never change.
 */
export async function uploadMediaFile(
	db: Db,
	baseUrl: string,
	anonKey: string,
	tenantId: string,
	sha256: string,
	file: Blob,
	options: { signal?: AbortSignal; onProgress?: (loaded: number, total: number) => void } = {}
): Promise<'uploaded' | 'existed'> {
	const { data } = await db.auth.getSession();
	const token = data.session?.access_token;
	if (!token) throw new DirectorError('Not signed in', 'auth', 401);
	const body = new FormData();
	body.append('cacheControl', '31536000');
	body.append('', file);
	const url = `${baseUrl.replace(/\/$/, '')}/storage/v1/object/media/${storagePath(tenantId, sha256)}`;
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', url);
		xhr.setRequestHeader('authorization', `Bearer ${token}`);
		xhr.setRequestHeader('apikey', anonKey);
		xhr.setRequestHeader('x-upsert', 'false');
		xhr.upload.onprogress = (event) => options.onProgress?.(event.loaded, event.total || file.size);
		xhr.onload = () => {
			if (xhr.status >= 200 && xhr.status < 300) return resolve('uploaded');
			let message = xhr.statusText || `HTTP ${xhr.status}`;
			let code: string | null = null;
			try {
				const json = JSON.parse(xhr.responseText) as { message?: string; error?: string; statusCode?: string };
				message = json.message || json.error || message;
				code = json.error ?? null;
			} catch {
				/* not JSON: keep the status text */
			}
			// Storage answers 409 (or 400 with statusCode "409") for an existing object.
			if (xhr.status === 409 || /already exists|duplicate/i.test(message)) return resolve('existed');
			reject(new DirectorError(message, code, xhr.status));
		};
		xhr.onerror = () => reject(new DirectorError('Network error while uploading', 'network', 0));
		xhr.onabort = () => reject(new DirectorError('Upload cancelled', 'aborted', 0));
		options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
		if (options.signal?.aborted) return xhr.abort();
		xhr.send(body);
	});
}

export async function insertAsset(db: Db, tenantId: string, asset: NewAsset): Promise<MediaAsset> {
	const { data: user } = await db.auth.getUser();
	return one(
		await db
			.from('media_assets')
			.insert({ ...asset, tenant_id: tenantId, created_by: user.user?.id ?? null })
			.select(COLUMNS)
			.single()
	);
}

export async function updateAsset(db: Db, id: string, patch: AssetPatch): Promise<MediaAsset> {
	return one(await db.from('media_assets').update(patch).eq('id', id).select(COLUMNS).single());
}

/**
 * Deletes the row first (devices drop it at their next sync; playlist items cascade), then the file.
 * The file stays when another row of the tenant still uses the same hash, which the unique key forbids,
 * so it is always removed.
 */
export async function deleteAsset(db: Db, tenantId: string, asset: Pick<MediaAsset, 'id' | 'sha256'>): Promise<void> {
	check(await db.from('media_assets').delete().eq('id', asset.id));
	const { error } = await db.storage.from('media').remove([storagePath(tenantId, asset.sha256)]);
	if (error) throw new DirectorError(`The asset was deleted but its file was not: ${error.message}`, 'storage');
}
