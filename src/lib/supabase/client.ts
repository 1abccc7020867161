import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from './database.types';

export type CratemeshSupabase = SupabaseClient<Database>;

let client: { url: string; key: string; instance: Promise<CratemeshSupabase> } | undefined;

/**
 * One Supabase client per configured project, created on first use (the library is not in the
 * start-up bundle). The session lives in localStorage, so a signed-in user stays signed in across
 * reloads and offline; tokens refresh when the network is back.
 */
export function supabaseClient(url: string, key: string): Promise<CratemeshSupabase> {
	if (client && client.url === url && client.key === key) return client.instance;
	const instance = import('@supabase/supabase-js').then(({ createClient }) =>
		createClient<Database>(url, key, {
			auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true, storageKey: 'cratemesh-auth' }
		})
	);
	client = { url, key, instance };
	return instance;
}
