import { supabaseClient } from '$lib/supabase/client';
import { app } from '../shell/app-state.svelte';
import type { Db } from './data/types';

/** What every director store needs: the client, the tenant and where the API lives. */
export interface DirectorContext {
	db: Db;
	tenantId: string;
	baseUrl: string;
	anonKey: string;
}

/** Null in local-only mode. The client is the account's own (one per project), so the session is shared. */
export async function directorContext(tenantId: string): Promise<DirectorContext | null> {
	await app.whenReady();
	const { supabaseUrl, supabaseAnonKey } = app.config;
	if (!supabaseUrl || !supabaseAnonKey) return null;
	return {
		db: await supabaseClient(supabaseUrl, supabaseAnonKey),
		tenantId,
		baseUrl: supabaseUrl,
		anonKey: supabaseAnonKey
	};
}

/** A readable message from anything thrown. */
export function message(error: unknown): string {
	if (error instanceof Error) return error.message;
	if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string')
		return error.message;
	return String(error);
}
