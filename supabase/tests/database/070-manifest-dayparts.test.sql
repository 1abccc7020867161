-- Dayparts decide priorities and the manifest hash, deterministically for
-- a given instant: current daypart (0) > emergency pool (1) > future (2).
-- Times below: January, so Europe/Paris is UTC+1. 2030-01-07 is a Monday.
BEGIN;
select plan(26);

select tests.create_world('a');
insert into public.playlists (id, tenant_id, name)
values (tests.id('a.playlist.morning'), tests.id('a'), 'Morning'),
       (tests.id('a.playlist.night'), tests.id('a'), 'Night');
select tests.create_asset('a', 'm1');
select tests.create_asset('a', 'n1');
select tests.create_asset('a', 'em', emergency => true);
select tests.add_item('a', 'morning', 'm1', 0);
select tests.add_item('a', 'night', 'n1', 0);
-- d2 has no other schedule: weekdays 08-12, and Fri/Sat nights 22-02 (crossing midnight).
insert into public.schedules (tenant_id, playlist_id, device_id, name, days_of_week, start_time, end_time, time_zone)
values (tests.id('a'), tests.id('a.playlist.morning'), tests.id('a.device.d2'), 'Weekday mornings', '{1,2,3,4,5}', '08:00', '12:00', 'Europe/Paris'),
       (tests.id('a'), tests.id('a.playlist.night'), tests.id('a.device.d2'), 'Weekend nights', '{5,6}', '22:00', '02:00', 'Europe/Paris');
select tests.authenticate_as('a.player2');
select tests.as_superuser();

/** ---- Monday 09:00 Paris: the morning daypart is current ---- **/
select tests.sync('a.device.d2', null, '{}', '2030-01-07 08:00:00Z') as r \gset
select is(tests.texts(:'r'::jsonb -> 'downloads', 'hash'), tests.shas('a.m1', 'a.n1', 'a.em'), 'all dayparts and the emergency pool are in the manifest');
select is(array(select d ->> 'hash' from jsonb_array_elements(:'r'::jsonb -> 'downloads') d),
          array [tests.sha('a.m1'), tests.sha('a.em'), tests.sha('a.n1')],
          'downloads are ordered current > emergency > future');
select is(array(select (d ->> 'priority')::int from jsonb_array_elements(:'r'::jsonb -> 'downloads') d), '{0,1,2}',
          'priorities 0, 1, 2');
select is(tests.texts(array_to_json(array(select e ->> 'name' from jsonb_array_elements(:'r'::jsonb -> 'schedule' -> 'entries') e
                                          where (e ->> 'current')::boolean))::jsonb),
          '{"Weekday mornings"}', 'the morning entry is flagged current');
select is(:'r'::jsonb ->> 'next_change_at', '2030-01-07T11:00:00+00:00', 'next change: the morning ends at 12:00 Paris');
select :'r'::jsonb ->> 'hash' as h_morning \gset

select is(tests.sync('a.device.d2', :'h_morning', tests.shas('a.m1', 'a.n1', 'a.em'), '2030-01-07 10:59:59Z') ->> 'unchanged', 'true',
          'later in the same daypart: unchanged');

/** ---- Monday 12:00 Paris: nothing current; same files, new hash ---- **/
select tests.sync('a.device.d2', :'h_morning', tests.shas('a.m1', 'a.n1', 'a.em'), '2030-01-07 11:00:00Z') as r \gset
select is(:'r'::jsonb ->> 'unchanged', 'false', 'crossing a daypart boundary is a change');
select isnt(:'r'::jsonb ->> 'hash', :'h_morning', '... with a new hash');
select is((:'r'::jsonb -> 'downloads') || (:'r'::jsonb -> 'deletes') || (:'r'::jsonb -> 'updates'), '[]',
          '... but nothing to transfer');
select is(jsonb_array_length(:'r'::jsonb -> 'schedule' -> 'entries'), 2, '... and the schedule entries are resent');
select is((select count(*)::int from jsonb_array_elements(:'r'::jsonb -> 'schedule' -> 'entries') e where (e ->> 'current')::boolean),
          0, '... none current');
select :'r'::jsonb ->> 'hash' as h_idle \gset

/** ---- Tuesday 09:00 Paris: the same state as Monday 09:00 ---- **/
select tests.sync('a.device.d2', null, '{}', '2030-01-08 08:00:00Z') as r \gset
select is(:'r'::jsonb ->> 'hash', :'h_morning', 'same dayparts current, same data: same hash on another day');

/** ---- Missing files during the night daypart ---- **/
select tests.sync('a.device.d2', :'h_idle', tests.shas('a.em'), '2030-01-11 22:00:00Z') as r \gset
select is(array(select d ->> 'hash' from jsonb_array_elements(:'r'::jsonb -> 'downloads') d),
          array [tests.sha('a.n1'), tests.sha('a.m1')],
          'Friday 23:00 Paris: the night playlist comes first');

/** ---- Crossing midnight ---- **/
select is(cratemesh.daypart_is_current('{5,6}', '22:00', '02:00', 'Europe/Paris', '2030-01-11 20:59:59Z'), false, 'Fri 21:59:59 Paris: not yet');
select is(cratemesh.daypart_is_current('{5,6}', '22:00', '02:00', 'Europe/Paris', '2030-01-11 22:00:00Z'), true, 'Fri 23:00 Paris: current');
select is(cratemesh.daypart_is_current('{5,6}', '22:00', '02:00', 'Europe/Paris', '2030-01-12 00:30:00Z'), true, 'Sat 01:30 Paris: still Friday''s night');
select is(cratemesh.daypart_is_current('{5,6}', '22:00', '02:00', 'Europe/Paris', '2030-01-13 00:30:00Z'), true, 'Sun 01:30 Paris: Saturday''s night');
select is(cratemesh.daypart_is_current('{5,6}', '22:00', '02:00', 'Europe/Paris', '2030-01-13 01:00:00Z'), false, 'Sun 02:00 Paris: over');
select is(cratemesh.daypart_is_current('{5,6}', '22:00', '02:00', 'Europe/Paris', '2030-01-14 00:30:00Z'), false, 'Mon 01:30 Paris: Sunday night is not scheduled');
select is(cratemesh.daypart_is_current('{1,2,3,4,5,6,7}', '00:00', '24:00', 'UTC', '2030-01-14 23:59:59Z'), true, '00:00-24:00 covers the whole day');

/** ---- Daylight saving time ---- **/
select is(cratemesh.daypart_is_current('{1,2,3,4,5,6,7}', '08:00', '09:00', 'America/New_York', '2030-07-01 12:30:00Z'), true, 'New York 08:30 EDT (UTC-4) in July');
select is(cratemesh.daypart_is_current('{1,2,3,4,5,6,7}', '08:00', '09:00', 'America/New_York', '2030-01-07 12:30:00Z'), false, 'the same UTC instant is 07:30 EST in January');
select is(cratemesh.daypart_is_current('{1,2,3,4,5,6,7}', '08:00', '09:00', 'America/New_York', '2030-01-07 13:30:00Z'), true, 'New York 08:30 EST (UTC-5) in January');
-- Europe/Paris springs forward on 2030-03-31 at 02:00 (01:00Z).
select is(cratemesh.daypart_next_boundary('08:00', '12:00', 'Europe/Paris', '2030-03-30 12:00:00Z'),
          '2030-03-31 06:00:00Z'::timestamptz, 'next boundary after the switch is 08:00 CEST (06:00Z)');
select is(cratemesh.daypart_next_boundary('08:00', '12:00', 'Europe/Paris', '2030-03-30 07:30:00Z'),
          '2030-03-30 11:00:00Z'::timestamptz, 'before the switch, 12:00 CET is 11:00Z');

/** ---- The hash does not depend on the session ---- **/
set local timezone = 'Asia/Tokyo';
select is(tests.sync('a.device.d2', null, '{}', '2030-01-14 08:00:00Z') ->> 'hash', :'h_morning',
          'session time zone does not change the hash');

select * from finish();
ROLLBACK;
