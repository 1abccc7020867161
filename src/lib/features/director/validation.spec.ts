import { describe, expect, it } from 'vitest';
import {
	isoToLocal,
	isTimeZone,
	localToIso,
	validateAsset,
	validateDaypart,
	validateName,
	type DaypartForm
} from './validation';

describe('validateAsset', () => {
	const ok = {
		title: ' Song ',
		artist: '',
		validFrom: '2030-01-01T00:00',
		validUntil: '2030-02-01T00:00',
		emergency: true
	};

	it('accepts a valid form and trims, turning an empty artist into null', () => {
		const { problems, value } = validateAsset(ok);
		expect(problems).toEqual({});
		expect(value).toMatchObject({ title: 'Song', artist: null, emergency_eligible: true });
		expect(value!.valid_from).toBe(new Date('2030-01-01T00:00').toISOString());
	});
	it('reports each problem on its field', () => {
		expect(validateAsset({ ...ok, title: '  ' }).problems).toEqual({ title: 'title-required' });
		expect(validateAsset({ ...ok, title: 'x'.repeat(501) }).problems).toEqual({ title: 'title-too-long' });
		expect(validateAsset({ ...ok, artist: 'x'.repeat(501) }).problems).toEqual({ artist: 'artist-too-long' });
		expect(validateAsset({ ...ok, validFrom: '' }).problems).toEqual({ validFrom: 'date-invalid' });
		expect(validateAsset({ ...ok, validUntil: '2029-12-31T23:59' }).problems).toEqual({
			validUntil: 'until-before-from'
		});
		expect(validateAsset({ ...ok, validUntil: ok.validFrom }).value).toBeNull();
	});
	it('round-trips datetime-local values', () => {
		expect(isoToLocal(localToIso('2030-05-06T07:08')!)).toBe('2030-05-06T07:08');
		expect(localToIso('2030-05-06')).toBeNull();
		expect(isoToLocal('garbage')).toBe('');
	});
});

describe('validateName', () => {
	it('needs 1..200 characters after trimming', () => {
		expect(validateName(' a ')).toBeNull();
		expect(validateName('   ')).toBe('name-required');
		expect(validateName('x'.repeat(201))).toBe('name-too-long');
	});
});

describe('validateDaypart', () => {
	const form: DaypartForm = {
		name: ' Mornings ',
		playlistId: 'p1',
		target: 'group:g1',
		days: [5, 1, 1, 3],
		start: '08:00',
		end: '24:00',
		timeZone: 'Europe/Lisbon',
		priority: '5'
	};

	it('builds the schedule row: sorted unique days, one target, numbers', () => {
		expect(validateDaypart(form).value).toEqual({
			name: 'Mornings',
			playlist_id: 'p1',
			device_id: null,
			group_id: 'g1',
			days_of_week: [1, 3, 5],
			start_time: '08:00',
			end_time: '24:00',
			time_zone: 'Europe/Lisbon',
			priority: 5
		});
		expect(validateDaypart({ ...form, target: 'device:d1', name: '' }).value).toMatchObject({
			device_id: 'd1',
			group_id: null,
			name: null
		});
	});
	it('allows a daypart past midnight', () => {
		expect(validateDaypart({ ...form, start: '22:00', end: '02:00' }).problems).toEqual({});
	});
	it('reports what the database would refuse, per field', () => {
		const problems = (patch: Partial<DaypartForm>) => validateDaypart({ ...form, ...patch }).problems;
		expect(problems({ days: [] })).toEqual({ days: 'days-required' });
		expect(problems({ start: '8:00' })).toEqual({ start: 'time-invalid' });
		expect(problems({ start: '24:00' })).toEqual({ start: 'start-24' });
		expect(problems({ end: '08:00' })).toEqual({ end: 'same-times' });
		expect(problems({ priority: 101 })).toEqual({ priority: 'priority-range' });
		expect(problems({ priority: '1.5' })).toEqual({ priority: 'priority-range' });
		expect(problems({ timeZone: 'Europe/Pari' })).toEqual({ timeZone: 'zone-unknown' });
		expect(problems({ playlistId: '' })).toEqual({ playlist: 'playlist-required' });
		expect(problems({ target: '' })).toEqual({ target: 'target-required' });
	});
	it('knows IANA zones', () => {
		expect(isTimeZone('America/Sao_Paulo')).toBe(true);
		expect(isTimeZone('Mars/Olympus')).toBe(false);
		expect(isTimeZone('')).toBe(false);
	});
});
