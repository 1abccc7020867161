/**
 * Where encrypted backups can go and be found again besides a downloaded file: the signed-in user's
 * cloud folder (Supabase storage or the one box) and trusted own devices over the mesh. Restore lists
 * what every place holds; the bytes are fetched only for the backup the user picks.
 */
import { supabaseClient, type CratemeshSupabase } from '$lib/supabase/client';
import { account } from '../account/account.svelte';
import { app } from '../shell/app-state.svelte';
import {
	CloudBackupError,
	deleteCloudBackup,
	downloadCloudBackup,
	listCloudBackups,
	uploadCloudBackup
} from './cloud-backups';
import { deviceBackups } from './device-backups.svelte';

export interface PlacedBackup {
	/** Unique in the list: `cloud:<path>` or `device:<peer>:<id>`. */
	key: string;
	source: 'cloud' | 'device';
	/** Object path (cloud) or the holder's id for it (device). */
	id: string;
	peerId: string | null;
	deviceName: string;
	createdAt: number;
	size: number;
}

export type CloudState = 'unavailable' | 'signed-out' | 'signed-in';

async function cloud(): Promise<{ client: CratemeshSupabase; userId: string } | null> {
	await account.start();
	if (account.status !== 'signed-in') return null;
	const { supabaseUrl, supabaseAnonKey } = app.config;
	if (!supabaseUrl || !supabaseAnonKey) return null;
	const client = await supabaseClient(supabaseUrl, supabaseAnonKey);
	const { data } = await client.auth.getSession();
	const userId = data.session?.user.id;
	return userId ? { client, userId } : null;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class BackupPlaces {
	#list = $state.raw<PlacedBackup[]>([]);
	#loading = $state(false);
	#errors = $state.raw<string[]>([]);

	get list(): readonly PlacedBackup[] {
		return this.#list;
	}
	get loading(): boolean {
		return this.#loading;
	}
	/** Places that could not be listed, with why (the others are still shown). */
	get errors(): readonly string[] {
		return this.#errors;
	}
	get cloudState(): CloudState {
		if (account.status === 'local-only') return 'unavailable';
		return account.status === 'signed-in' ? 'signed-in' : 'signed-out';
	}

	/** Lists the cloud folder and every connected own device; a place that fails is reported, not fatal. */
	async refresh(): Promise<void> {
		this.#loading = true;
		const errors: string[] = [];
		const found: PlacedBackup[] = [];
		try {
			const c = await cloud().catch((error) => {
				errors.push(`cloud: ${message(error)}`);
				return null;
			});
			if (c)
				try {
					for (const b of await listCloudBackups(c.client, c.userId))
						found.push({
							key: `cloud:${b.path}`,
							source: 'cloud',
							id: b.path,
							peerId: null,
							deviceName: '',
							createdAt: b.createdAt,
							size: b.size
						});
				} catch (error) {
					errors.push(`cloud: ${message(error)}`);
				}
			for (const result of await deviceBackups.listAll()) {
				if ('error' in result) errors.push(`${result.deviceName}: ${result.error}`);
				else
					for (const b of result.backups)
						found.push({
							key: `device:${result.peerId}:${b.id}`,
							source: 'device',
							id: b.id,
							peerId: result.peerId,
							deviceName: result.deviceName,
							createdAt: b.createdAt,
							size: b.size
						});
			}
		} finally {
			this.#list = found.sort((a, b) => b.createdAt - a.createdAt);
			this.#errors = errors;
			this.#loading = false;
		}
	}

	async fetch(item: PlacedBackup, onProgress?: (done: number, total: number) => void): Promise<Blob> {
		if (item.source === 'cloud') {
			const c = await cloud();
			if (!c) throw new CloudBackupError('signed-out', 'Sign in to restore from the cloud');
			return downloadCloudBackup(c.client, item.id);
		}
		return deviceBackups.fetch(item.peerId!, item.id, onProgress);
	}

	async toCloud(file: Blob): Promise<void> {
		const c = await cloud();
		if (!c) throw new CloudBackupError('signed-out', 'Sign in to back up to the cloud');
		await uploadCloudBackup(c.client, c.userId, file);
	}

	async remove(item: PlacedBackup): Promise<void> {
		if (item.source === 'cloud') {
			const c = await cloud();
			if (!c) throw new CloudBackupError('signed-out', 'Sign in first');
			await deleteCloudBackup(c.client, item.id);
		} else await deviceBackups.remove(item.peerId!, item.id);
		this.#list = this.#list.filter((b) => b.key !== item.key);
	}
}

export const backupPlaces = new BackupPlaces();
