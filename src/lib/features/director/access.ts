import type { TenantRole } from '../account/account.svelte';

/** Owners and managers write media, playlists, schedules and devices (see supabase/README.md). */
export function canDirect(role: TenantRole | null | undefined): boolean {
	return role === 'owner' || role === 'manager';
}
