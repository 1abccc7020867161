/**
 * Errors in PostgREST's shape, `{ code, message, details, hint }`, with PostgREST's HTTP statuses
 * (docs.postgrest.org, "Errors"), so supabase-js callers see the same `error` object in both modes.
 */
export class ApiError extends Error {
	/**
	 * @param {number} status
	 * @param {string} code
	 * @param {string} message
	 * @param {{ details?: string | null, hint?: string | null, headers?: Record<string, string> }} [extra]
	 */
	constructor(status, code, message, extra = {}) {
		super(message);
		this.status = status;
		this.code = code;
		this.details = extra.details ?? null;
		this.hint = extra.hint ?? null;
		this.headers = extra.headers ?? {};
	}

	/** @returns {Record<string, unknown>} */
	toJSON() {
		return { code: this.code, details: this.details, hint: this.hint, message: this.message };
	}
}

/** A request PostgREST itself would refuse (PGRST1xx: bad query string or body). */
export const badRequest = (/** @type {string} */ message, /** @type {string | null} */ details = null) =>
	new ApiError(400, 'PGRST100', message, { details });

/**
 * HTTP status for a PostgreSQL SQLSTATE, as PostgREST maps it.
 * @param {string} code
 * @param {boolean} anonymous  42501 is 401 for anonymous callers (sign in may help), 403 otherwise
 */
export function statusForSqlState(code, anonymous) {
	if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
	if (code === '42501') return anonymous ? 401 : 403;
	if (code === '23503' || code === '23505') return 409;
	if (code === '25006') return 405;
	if (code === '42883' || code === '42P01') return 404;
	if (code === '42P17' || code === '53400') return 500;
	if (code === 'P0001') return 400;
	const cls = code.slice(0, 2);
	if (cls === '08' || cls === '53') return 503;
	if (['0L', '0P', '28'].includes(cls)) return 403;
	if (['09', '25', '2D', '38', '39', '3B', '40', '54', '55', '57', '58', 'F0', 'HV', 'P0', 'XX'].includes(cls))
		return 500;
	return 400;
}

/**
 * Any error thrown while serving a REST call, as PostgREST would answer it.
 * @param {unknown} error
 * @param {boolean} anonymous
 * @returns {ApiError}
 */
export function toApiError(error, anonymous) {
	if (error instanceof ApiError) return error;
	const pg = /** @type {{ code?: unknown, message?: string, detail?: string, hint?: string }} */ (error);
	if (pg && typeof pg.code === 'string' && /^[0-9A-Z]{5}$/.test(pg.code)) {
		const status = statusForSqlState(pg.code, anonymous);
		return new ApiError(status, pg.code, pg.message ?? 'database error', {
			details: pg.detail ?? null,
			hint: pg.hint ?? null,
			headers: status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}
		});
	}
	console.error('onebox: unexpected error', error);
	return new ApiError(500, 'PGRST000', 'Internal server error');
}
