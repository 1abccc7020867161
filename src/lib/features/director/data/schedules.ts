import { allPages, check, one, type Db, type Row } from './types';

export type Schedule = Pick<
	Row<'schedules'>,
	| 'id'
	| 'playlist_id'
	| 'device_id'
	| 'group_id'
	| 'name'
	| 'days_of_week'
	| 'start_time'
	| 'end_time'
	| 'time_zone'
	| 'priority'
>;
export type ScheduleInput = Omit<Schedule, 'id'>;

const COLUMNS = 'id, playlist_id, device_id, group_id, name, days_of_week, start_time, end_time, time_zone, priority';

export function listSchedules(db: Db, tenantId: string): Promise<Schedule[]> {
	return allPages<Schedule>((from, to) =>
		db.from('schedules').select(COLUMNS).eq('tenant_id', tenantId).order('start_time').order('id').range(from, to)
	);
}

export async function createSchedule(db: Db, tenantId: string, input: ScheduleInput): Promise<Schedule> {
	return one(
		await db
			.from('schedules')
			.insert({ ...input, tenant_id: tenantId })
			.select(COLUMNS)
			.single()
	);
}

export async function updateSchedule(db: Db, id: string, input: ScheduleInput): Promise<Schedule> {
	return one(await db.from('schedules').update(input).eq('id', id).select(COLUMNS).single());
}

export async function deleteSchedule(db: Db, id: string): Promise<void> {
	check(await db.from('schedules').delete().eq('id', id));
}
