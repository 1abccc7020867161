import type { CratemeshSupabase } from '$lib/supabase/client';
import type { Database } from '$lib/supabase/database.types';

type Tables = Database['public']['Tables'];
export type Row<T extends keyof Tables> = Tables[T]['Row'];
export type Db = CratemeshSupabase;

/** An error from PostgREST, Storage or the network, with the server's own message. */
export class DirectorError extends Error {
	constructor(
		message: string,
		readonly code: string | null = null,
		readonly status: number | null = null
	) {
		super(message);
		this.name = 'DirectorError';
	}
}

/** Throws a DirectorError for a supabase-js `{ error }`; returns the data otherwise. */
export function check<T>(result: { data: T; error: unknown }): T {
	if (result.error) throw toDirectorError(result.error);
	return result.data;
}

/** Like check, for calls that must return data (`.single()`, inserts with `.select()`). */
export function one<T>(result: { data: T | null; error: unknown }): T {
	const data = check(result);
	if (data === null) throw new DirectorError('The server answered without the row', 'no-data');
	return data;
}

export function toDirectorError(error: unknown): DirectorError {
	if (error instanceof DirectorError) return error;
	if (error && typeof error === 'object') {
		const e = error as { message?: unknown; code?: unknown; status?: unknown; statusCode?: unknown };
		const message = typeof e.message === 'string' && e.message ? e.message : String(error);
		const code = typeof e.code === 'string' ? e.code : null;
		const status = Number(e.status ?? e.statusCode);
		return new DirectorError(message, code, Number.isFinite(status) ? status : null);
	}
	return new DirectorError(String(error));
}

/** PostgREST caps a response (1,000 rows by default); read a table in pages. */
export async function allPages<T>(
	page: (from: number, to: number) => PromiseLike<{ data: T[] | null; error: unknown }>
) {
	const size = 1000;
	const rows: T[] = [];
	for (let from = 0; ; from += size) {
		const data = check(await page(from, from + size - 1)) ?? [];
		rows.push(...data);
		if (data.length < size) return rows;
	}
}
