import { SvelteMap } from 'svelte/reactivity';
import { message, type DirectorContext } from './context';
import {
	createGroup,
	deleteDevice,
	deleteGroup,
	enrolPlayer,
	listDevices,
	listGroups,
	recentSyncLogs,
	renameGroup,
	setDeviceGroup,
	type Device,
	type DeviceGroup,
	type PlayerCredentials,
	type SyncLog
} from './data/devices';
import { DirectorError } from './data/types';

/** Devices, groups, the sync log and player enrolment. `now` ticks so "online" and "ago" stay true. */
export class DevicesStore {
	#devices = $state.raw<Device[]>([]);
	#groups = $state.raw<DeviceGroup[]>([]);
	#logs = $state.raw<SyncLog[]>([]);
	#error = $state<string | null>(null);
	#itemErrors = new SvelteMap<string, string>();
	#credentials = $state<(PlayerCredentials & { name: string }) | null>(null);
	#enrolError = $state<string | null>(null);
	#groupError = $state<string | null>(null);
	#enrolUnsupported = $state(false);
	#now = $state(Date.now());
	#timer: ReturnType<typeof setInterval> | undefined;

	private readonly ctx: DirectorContext;

	constructor(ctx: DirectorContext) {
		this.ctx = ctx;
	}

	get devices(): readonly Device[] {
		return this.#devices;
	}
	get groups(): readonly DeviceGroup[] {
		return this.#groups;
	}
	get logs(): readonly SyncLog[] {
		return this.#logs;
	}
	get error(): string | null {
		return this.#error;
	}
	get now(): number {
		return this.#now;
	}
	itemError(id: string): string | null {
		return this.#itemErrors.get(id) ?? null;
	}
	/** The new player's sign-in, shown once; null after dismissal. */
	get credentials(): (PlayerCredentials & { name: string }) | null {
		return this.#credentials;
	}
	/** Why the last new group was refused. */
	get groupError(): string | null {
		return this.#groupError;
	}
	get enrolError(): string | null {
		return this.#enrolError;
	}
	/** The server has no enrolment endpoint (hosted Supabase). */
	get enrolUnsupported(): boolean {
		return this.#enrolUnsupported;
	}
	logsFor(deviceId: string): SyncLog[] {
		return this.#logs.filter((l) => l.device_id === deviceId);
	}
	deviceName(id: string): string | null {
		return this.#devices.find((d) => d.id === id)?.name ?? null;
	}

	/** Starts the clock; returns a stop function (for an effect's cleanup). */
	tick(intervalMs = 15_000): () => void {
		this.#timer ??= setInterval(() => (this.#now = Date.now()), intervalMs);
		return () => {
			clearInterval(this.#timer);
			this.#timer = undefined;
		};
	}

	async load(): Promise<void> {
		this.#error = null;
		try {
			const [devices, groups, logs] = await Promise.all([
				listDevices(this.ctx.db, this.ctx.tenantId),
				listGroups(this.ctx.db, this.ctx.tenantId),
				recentSyncLogs(this.ctx.db, this.ctx.tenantId)
			]);
			this.#devices = devices;
			this.#groups = groups;
			this.#logs = logs;
			this.#now = Date.now();
		} catch (error) {
			this.#error = message(error);
		}
	}

	async #about(id: string, task: () => Promise<void>): Promise<boolean> {
		this.#itemErrors.delete(id);
		try {
			await task();
			return true;
		} catch (error) {
			this.#itemErrors.set(id, message(error));
			return false;
		}
	}

	async createGroup(name: string): Promise<DeviceGroup | null> {
		this.#groupError = null;
		try {
			const group = await createGroup(this.ctx.db, this.ctx.tenantId, name.trim());
			this.#groups = [...this.#groups, group].sort((a, b) => a.name.localeCompare(b.name));
			return group;
		} catch (error) {
			this.#groupError = message(error);
			return null;
		}
	}

	renameGroup(id: string, name: string): Promise<boolean> {
		return this.#about(id, async () => {
			await renameGroup(this.ctx.db, id, name.trim());
			this.#groups = this.#groups.map((g) => (g.id === id ? { ...g, name: name.trim() } : g));
		});
	}

	removeGroup(id: string): Promise<boolean> {
		return this.#about(id, async () => {
			await deleteGroup(this.ctx.db, id);
			this.#groups = this.#groups.filter((g) => g.id !== id);
			this.#devices = this.#devices.map((d) => (d.group_id === id ? { ...d, group_id: null } : d));
		});
	}

	setGroup(deviceId: string, groupId: string | null): Promise<boolean> {
		return this.#about(deviceId, async () => {
			await setDeviceGroup(this.ctx.db, deviceId, groupId);
			this.#devices = this.#devices.map((d) => (d.id === deviceId ? { ...d, group_id: groupId } : d));
		});
	}

	removeDevice(id: string): Promise<boolean> {
		return this.#about(id, async () => {
			await deleteDevice(this.ctx.db, id);
			this.#devices = this.#devices.filter((d) => d.id !== id);
		});
	}

	async enrol(name: string, groupId: string | null): Promise<boolean> {
		this.#enrolError = null;
		this.#credentials = null;
		try {
			const credentials = await enrolPlayer(this.ctx.db, this.ctx.baseUrl, this.ctx.anonKey, {
				tenant_id: this.ctx.tenantId,
				name: name.trim(),
				group_id: groupId
			});
			this.#credentials = { ...credentials, name: name.trim() };
			await this.load();
			return true;
		} catch (error) {
			if (error instanceof DirectorError && error.code === 'unsupported') this.#enrolUnsupported = true;
			else this.#enrolError = message(error);
			return false;
		}
	}

	dismissCredentials(): void {
		this.#credentials = null;
	}
}
