/** The sync feature's rows: Dexie v7 tables and its `settings` keys. */
import type { Table } from 'dexie';
import { db } from '$lib/db';
import { EMPTY_STATE, type ManifestState, type SyncAssetRow } from './apply';

export const STATE_KEY = 'sync.manifest';
export const DEVICE_KEY = 'sync.device';
export const HISTORY_KEY = 'sync.history';
export const INTERVAL_KEY = 'sync.intervalMinutes';
export const PENDING_REPORT_KEY = 'sync.pendingReport';

export const DEFAULT_INTERVAL_MINUTES = 10;

export function syncAssets(): Table<SyncAssetRow, string> {
	return db().table('syncAssets');
}

export async function readSetting<T>(key: string, fallback: T): Promise<T> {
	const row = await db().settings.get(key);
	return row?.value === undefined ? fallback : (row.value as T);
}

export async function writeSetting(key: string, value: unknown): Promise<void> {
	await db().settings.put({ key, value: JSON.parse(JSON.stringify(value)) });
}

export function loadState(): Promise<ManifestState> {
	return readSetting(STATE_KEY, EMPTY_STATE);
}

export interface SyncHistoryEntry {
	at: number;
	result: 'changed' | 'unchanged' | 'error';
	message: string | null;
	downloads: number;
	deleted: number;
	failed: number;
	/** Bytes of the downloads this sync started that came from other players (mesh) and from the server. */
	peerBytes?: number;
	serverBytes?: number;
}

/** What has not been reported yet (kept across reloads, so a report lost offline goes with the next). */
export interface PendingReport {
	downloaded: string[];
	deleted: string[];
	failed: string[];
	error: string | null;
	/** Bytes received since the last report (absent in reports saved by older versions). */
	peerBytes?: number;
	serverBytes?: number;
}

export const EMPTY_REPORT: PendingReport = { downloaded: [], deleted: [], failed: [], error: null };
