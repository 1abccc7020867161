/**
 * Demo data for local development (`supabase db reset` runs this after the
 * migrations; the pgTAP runner loads it too, to prove it applies). The
 * tests do not depend on it: they build their own fixtures.
 *
 * One venue with an owner and one player device, a morning and an evening
 * daypart, and an emergency pool. Users get the password "cratemesh-demo"
 * (bcrypt via pgcrypto, which Supabase installs in `extensions`).
 */

insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data,
                        raw_user_meta_data)
values ('00000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'owner@demo.cratemesh.invalid',
        extensions.crypt('cratemesh-demo', extensions.gen_salt('bf')), now(),
        '{"provider":"email","providers":["email"]}', '{"name":"Demo owner"}'),
       ('00000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'bar-player@demo.cratemesh.invalid',
        extensions.crypt('cratemesh-demo', extensions.gen_salt('bf')), now(),
        '{"provider":"email","providers":["email"]}', '{"name":"Bar player"}')
on conflict (id) do nothing;

insert into public.tenants (id, name, created_by)
values ('00000000-0000-4000-8000-000000000100', 'Demo Café', '00000000-0000-4000-8000-000000000001')
on conflict (id) do nothing;

insert into public.memberships (tenant_id, user_id, role)
values ('00000000-0000-4000-8000-000000000100', '00000000-0000-4000-8000-000000000001', 'owner'),
       ('00000000-0000-4000-8000-000000000100', '00000000-0000-4000-8000-000000000002', 'player')
on conflict do nothing;

insert into public.device_groups (id, tenant_id, name)
values ('00000000-0000-4000-8000-000000000200', '00000000-0000-4000-8000-000000000100', 'Indoor')
on conflict do nothing;

insert into public.devices (id, tenant_id, name, kind, user_id, group_id)
values ('00000000-0000-4000-8000-000000000300', '00000000-0000-4000-8000-000000000100', 'Bar', 'player',
        '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000200')
on conflict do nothing;

insert into public.media_assets (id, tenant_id, sha256, size_bytes, mime, title, artist, duration_ms, bpm,
                                 musical_key, valid_until, emergency_eligible)
select ('00000000-0000-4000-8000-' || lpad((1000 + n)::text, 12, '0'))::uuid,
       '00000000-0000-4000-8000-000000000100',
       encode(sha256(convert_to('demo-track-' || n, 'UTF8')), 'hex'),
       4000000 + n * 1000,
       'audio/mpeg',
       'Demo track ' || n,
       case when n % 2 = 0 then 'House Collective' else 'Morning Trio' end,
       180000 + n * 1000,
       90 + n * 3,
       ((n % 12) + 1)::text || 'A',
       now() + interval '1 year',
       n > 10
from generate_series(1, 12) n
on conflict do nothing;

insert into public.playlists (id, tenant_id, name)
values ('00000000-0000-4000-8000-000000000401', '00000000-0000-4000-8000-000000000100', 'Morning coffee'),
       ('00000000-0000-4000-8000-000000000402', '00000000-0000-4000-8000-000000000100', 'Evening')
on conflict do nothing;

insert into public.playlist_items (tenant_id, playlist_id, asset_id, position)
select '00000000-0000-4000-8000-000000000100',
       case when n <= 5 then '00000000-0000-4000-8000-000000000401'::uuid
            else '00000000-0000-4000-8000-000000000402'::uuid end,
       ('00000000-0000-4000-8000-' || lpad((1000 + n)::text, 12, '0'))::uuid,
       case when n <= 5 then n else n - 5 end
from generate_series(1, 10) n
-- ON CONFLICT cannot arbitrate on the deferrable position key.
where not exists(select 1 from public.playlist_items pi
                 where pi.asset_id = ('00000000-0000-4000-8000-' || lpad((1000 + n)::text, 12, '0'))::uuid);

insert into public.schedules (id, tenant_id, playlist_id, group_id, name, days_of_week, start_time, end_time,
                              time_zone)
values ('00000000-0000-4000-8000-000000000501', '00000000-0000-4000-8000-000000000100',
        '00000000-0000-4000-8000-000000000401', '00000000-0000-4000-8000-000000000200', 'Mornings',
        '{1,2,3,4,5,6,7}', '07:00', '12:00', 'Europe/Paris'),
       ('00000000-0000-4000-8000-000000000502', '00000000-0000-4000-8000-000000000100',
        '00000000-0000-4000-8000-000000000402', '00000000-0000-4000-8000-000000000200', 'Evenings',
        '{4,5,6}', '18:00', '02:00', 'Europe/Paris')
on conflict do nothing;
