import { SvelteMap } from 'svelte/reactivity';
import { message, type DirectorContext } from './context';
import {
	createSchedule,
	deleteSchedule,
	listSchedules,
	updateSchedule,
	type Schedule,
	type ScheduleInput
} from './data/schedules';

/** Dayparts (schedule rows). Each targets one device or one group. */
export class SchedulesStore {
	#schedules = $state.raw<Schedule[]>([]);
	#error = $state<string | null>(null);
	#itemErrors = new SvelteMap<string, string>();

	private readonly ctx: DirectorContext;

	constructor(ctx: DirectorContext) {
		this.ctx = ctx;
	}

	get schedules(): readonly Schedule[] {
		return this.#schedules;
	}
	get error(): string | null {
		return this.#error;
	}
	itemError(id: string): string | null {
		return this.#itemErrors.get(id) ?? null;
	}

	async load(): Promise<void> {
		this.#error = null;
		try {
			this.#schedules = await listSchedules(this.ctx.db, this.ctx.tenantId);
		} catch (error) {
			this.#error = message(error);
		}
	}

	/** Creates (no id) or updates a daypart; the server's refusal comes back as the error text. */
	async save(input: ScheduleInput, id?: string): Promise<string | null> {
		try {
			if (id) {
				const updated = await updateSchedule(this.ctx.db, id, input);
				this.#schedules = this.#schedules.map((s) => (s.id === id ? updated : s));
			} else {
				this.#schedules = [...this.#schedules, await createSchedule(this.ctx.db, this.ctx.tenantId, input)];
			}
			return null;
		} catch (error) {
			return message(error);
		}
	}

	async remove(id: string): Promise<boolean> {
		this.#itemErrors.delete(id);
		try {
			await deleteSchedule(this.ctx.db, id);
			this.#schedules = this.#schedules.filter((s) => s.id !== id);
			return true;
		} catch (error) {
			this.#itemErrors.set(id, message(error));
			return false;
		}
	}
}
