/** Trusted devices: keys paired with this install (own devices) or marked as collaborators. */
import { db } from '$lib/db';
import type { Trust } from './session';

export interface TrustedDeviceRow {
	peerId: string;
	name: string;
	/** The paired public key (SPKI, base64): a different key under the same id is not trusted. */
	spki: string;
	trust: Trust;
	pairedAt: number;
	lastSeen: number;
}

const table = () => db().table<TrustedDeviceRow, string>('trustedDevices');

export const listTrusted = (): Promise<TrustedDeviceRow[]> => table().orderBy('lastSeen').reverse().toArray();
export const getTrusted = (peerId: string): Promise<TrustedDeviceRow | undefined> => table().get(peerId);
export const putTrusted = (row: TrustedDeviceRow): Promise<string> => table().put(row);
export const revokeTrusted = (peerId: string): Promise<void> => table().delete(peerId);
export const touchTrusted = (peerId: string, patch: Partial<Pick<TrustedDeviceRow, 'name' | 'lastSeen' | 'trust'>>) =>
	table().update(peerId, patch);
