import { parseTime } from './week-layout';

/** Keys into the i18n catalogue (`director.invalid.*`), so a form can say what is wrong, per field. */
export type Problem =
	| 'title-required'
	| 'title-too-long'
	| 'artist-too-long'
	| 'date-invalid'
	| 'until-before-from'
	| 'name-required'
	| 'name-too-long'
	| 'days-required'
	| 'time-invalid'
	| 'same-times'
	| 'start-24'
	| 'priority-range'
	| 'zone-unknown'
	| 'playlist-required'
	| 'target-required';

export type Problems<F extends string> = Partial<Record<F, Problem>>;

/** A `datetime-local` value (local wall time) → ISO instant; null when empty or malformed. */
export function localToIso(value: string): string | null {
	if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
	const date = new Date(value);
	return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** ISO instant → `datetime-local` value in this browser's zone. */
export function isoToLocal(iso: string): string {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime())) return '';
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export interface AssetForm {
	title: string;
	artist: string;
	validFrom: string;
	validUntil: string;
	emergency: boolean;
}

export function validateAsset(form: AssetForm) {
	const problems: Problems<'title' | 'artist' | 'validFrom' | 'validUntil'> = {};
	const title = form.title.trim();
	if (!title) problems.title = 'title-required';
	else if (title.length > 500) problems.title = 'title-too-long';
	if (form.artist.trim().length > 500) problems.artist = 'artist-too-long';
	const from = localToIso(form.validFrom);
	const until = localToIso(form.validUntil);
	if (!from) problems.validFrom = 'date-invalid';
	if (!until) problems.validUntil = 'date-invalid';
	else if (from && until <= from) problems.validUntil = 'until-before-from';
	const ok = Object.keys(problems).length === 0;
	return {
		problems,
		value: ok
			? {
					title,
					artist: form.artist.trim() || null,
					valid_from: from!,
					valid_until: until!,
					emergency_eligible: form.emergency
				}
			: null
	};
}

export function validateName(name: string, max = 200): Problem | null {
	const trimmed = name.trim();
	if (!trimmed) return 'name-required';
	if (trimmed.length > max) return 'name-too-long';
	return null;
}

export function isTimeZone(zone: string): boolean {
	if (!zone || zone.length > 64) return false;
	try {
		new Intl.DateTimeFormat('en', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}

export interface DaypartForm {
	name: string;
	playlistId: string;
	/** 'device:<id>' or 'group:<id>'. */
	target: string;
	days: number[];
	start: string;
	end: string;
	timeZone: string;
	priority: number | string;
}

export function validateDaypart(form: DaypartForm) {
	const problems: Problems<'name' | 'playlist' | 'target' | 'days' | 'start' | 'end' | 'timeZone' | 'priority'> = {};
	if (form.name.trim().length > 200) problems.name = 'name-too-long';
	if (!form.playlistId) problems.playlist = 'playlist-required';
	const target = /^(device|group):(.+)$/.exec(form.target);
	if (!target) problems.target = 'target-required';
	const days = [...new Set(form.days)].filter((d) => Number.isInteger(d) && d >= 1 && d <= 7).sort((a, b) => a - b);
	if (days.length === 0) problems.days = 'days-required';
	const start = parseTime(form.start);
	const end = parseTime(form.end);
	if (start === null) problems.start = 'time-invalid';
	else if (start >= 1440) problems.start = 'start-24';
	if (end === null) problems.end = 'time-invalid';
	else if (start !== null && start < 1440 && start === end) problems.end = 'same-times';
	const priority = typeof form.priority === 'number' ? form.priority : Number(form.priority);
	if (!Number.isInteger(priority) || priority < -100 || priority > 100) problems.priority = 'priority-range';
	if (!isTimeZone(form.timeZone)) problems.timeZone = 'zone-unknown';
	const ok = Object.keys(problems).length === 0;
	const hhmm = (v: string) => (v.trim() === '24:00' ? '24:00' : v.trim().slice(0, 5));
	return {
		problems,
		value: ok
			? {
					name: form.name.trim() || null,
					playlist_id: form.playlistId,
					device_id: target![1] === 'device' ? target![2]! : null,
					group_id: target![1] === 'group' ? target![2]! : null,
					days_of_week: days,
					start_time: hhmm(form.start),
					end_time: hhmm(form.end),
					time_zone: form.timeZone,
					priority
				}
			: null
	};
}
