import type { Session } from '@supabase/supabase-js';
import { db } from '$lib/db';
import { supabaseClient, type CratemeshSupabase } from '$lib/supabase/client';
import type { Database } from '$lib/supabase/database.types';
import { app } from '../shell/app-state.svelte';

export type TenantRole = Database['public']['Enums']['tenant_role'];
export const ROLES: readonly TenantRole[] = ['owner', 'manager', 'dj', 'player'];

export interface TenantMembership {
	id: string;
	name: string;
	role: TenantRole;
}

export type AccountStatus = 'local-only' | 'loading' | 'signed-out' | 'signed-in';

const TENANTS_KEY = 'account.tenants';
const CURRENT_KEY = 'account.currentTenant';

/** A readable reason from a Supabase or network error. */
function reason(error: unknown): string {
	if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string')
		return error.message;
	return String(error);
}

/**
 * The signed-in user, their tenants and the tenant they are working in. The session and the tenant
 * list are kept locally, so the account still shows (and the app still knows its tenant) offline.
 */
export class Account {
	#status = $state<AccountStatus>('loading');
	#email = $state<string | null>(null);
	#tenants = $state.raw<TenantMembership[]>([]);
	#current = $state<string | null>(null);
	#error = $state<string | null>(null);
	#notice = $state<string | null>(null);
	#busy = $state(false);
	#client: CratemeshSupabase | undefined;
	#started = false;

	get status(): AccountStatus {
		return this.#status;
	}
	get email(): string | null {
		return this.#email;
	}
	get tenants(): readonly TenantMembership[] {
		return this.#tenants;
	}
	get current(): TenantMembership | null {
		return this.#tenants.find((t) => t.id === this.#current) ?? this.#tenants[0] ?? null;
	}
	get error(): string | null {
		return this.#error;
	}
	get notice(): string | null {
		return this.#notice;
	}
	get busy(): boolean {
		return this.#busy;
	}

	async start(): Promise<void> {
		if (this.#started) return;
		this.#started = true;
		await app.whenReady();
		const { supabaseUrl, supabaseAnonKey } = app.config;
		if (!supabaseUrl || !supabaseAnonKey) {
			this.#status = 'local-only';
			return;
		}
		const [tenants, current] = await db().settings.bulkGet([TENANTS_KEY, CURRENT_KEY]);
		if (Array.isArray(tenants?.value)) this.#tenants = tenants.value as TenantMembership[];
		if (typeof current?.value === 'string') this.#current = current.value;
		this.#client = await supabaseClient(supabaseUrl, supabaseAnonKey);
		this.#client.auth.onAuthStateChange((_event, session) => void this.#apply(session));
		const { data } = await this.#client.auth.getSession();
		await this.#apply(data.session);
		// Offline the client keeps the saved session; refreshing resumes with the network.
		addEventListener('online', () => void this.#client?.auth.startAutoRefresh());
		addEventListener('offline', () => void this.#client?.auth.stopAutoRefresh());
	}

	async #apply(session: Session | null): Promise<void> {
		if (!session) {
			this.#status = 'signed-out';
			this.#email = null;
			return;
		}
		const wasSignedIn = this.#status === 'signed-in' && this.#email === session.user.email;
		this.#status = 'signed-in';
		this.#email = session.user.email ?? null;
		if (!wasSignedIn && navigator.onLine) await this.refreshTenants(true);
	}

	async #run<T>(task: () => Promise<T>): Promise<T | undefined> {
		this.#busy = true;
		this.#error = null;
		this.#notice = null;
		try {
			return await task();
		} catch (error) {
			this.#error = reason(error);
			return undefined;
		} finally {
			this.#busy = false;
		}
	}

	signIn(email: string, password: string) {
		return this.#run(async () => {
			const { error } = await this.#client!.auth.signInWithPassword({ email: email.trim(), password });
			if (error) throw error;
		});
	}

	signUp(email: string, password: string) {
		return this.#run(async () => {
			const { data, error } = await this.#client!.auth.signUp({
				email: email.trim(),
				password,
				options: { emailRedirectTo: `${location.origin}/account` }
			});
			if (error) throw error;
			if (!data.session) this.#notice = 'confirm';
		});
	}

	sendMagicLink(email: string) {
		return this.#run(async () => {
			const { error } = await this.#client!.auth.signInWithOtp({
				email: email.trim(),
				options: { emailRedirectTo: `${location.origin}/account` }
			});
			if (error) throw error;
			this.#notice = 'link-sent';
		});
	}

	signOut() {
		return this.#run(async () => {
			await this.#client!.auth.signOut();
			this.#tenants = [];
			this.#current = null;
			await db().settings.bulkDelete([TENANTS_KEY, CURRENT_KEY]);
		});
	}

	/** Accepts pending invitations (once per sign-in) and reloads the tenant list. */
	refreshTenants(acceptInvitations = false) {
		return this.#run(async () => {
			const client = this.#client!;
			if (acceptInvitations) {
				const { error } = await client.rpc('accept_invitations');
				if (error) throw error;
			}
			const { data: user } = await client.auth.getUser();
			const { data, error } = await client
				.from('memberships')
				.select('role, tenant_id, tenants(name)')
				.eq('user_id', user.user?.id ?? '');
			if (error) throw error;
			const tenants = (data ?? [])
				.map((row) => ({
					id: row.tenant_id,
					role: row.role,
					name: String((row as unknown as { tenants: { name: string } | null }).tenants?.name ?? row.tenant_id)
				}))
				.sort((a, b) => a.name.localeCompare(b.name));
			this.#tenants = tenants;
			await db().settings.put({ key: TENANTS_KEY, value: tenants });
		});
	}

	async switchTenant(id: string): Promise<void> {
		this.#current = id;
		await db().settings.put({ key: CURRENT_KEY, value: id });
	}

	createTenant(name: string) {
		return this.#run(async () => {
			const { data, error } = await this.#client!.rpc('create_tenant', { name: name.trim().slice(0, 200) });
			if (error) throw error;
			await this.refreshTenants();
			if (data) await this.switchTenant(data);
		});
	}

	invite(email: string, role: TenantRole) {
		return this.#run(async () => {
			const tenant = this.current;
			if (!tenant) return;
			const { data, error } = await this.#client!.rpc('invite_member', {
				p_tenant_id: tenant.id,
				p_email: email.trim(),
				p_role: role
			});
			if (error) throw error;
			this.#notice = data === 'added' ? 'member-added' : 'invited';
		});
	}
}

export const account = new Account();
