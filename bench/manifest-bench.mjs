#!/usr/bin/env node
// sync_manifest latency on a throwaway PostgreSQL 15 (tests/sql/pg-cluster.sh), 10,000 scheduled assets.
// Prints one JSON object on stdout (progress goes to stderr), merged by bench/figures/manifest.js:
//   manifest.rpc_p95_ms_unchanged_10k  poll where nothing changed (10,000 hashes held)
//   manifest.rpc_p95_ms_1pct_10k       poll after 1% changed: 50 new assets + 50 metadata edits
//   manifest.unchanged_bytes           size of the `unchanged` response
// sync_manifest caches each device's computed manifest until the tenant's content or the next daypart /
// validity boundary changes, so `value` (p95 over repeated polls) is the steady-state cost; the first call
// after a change recomputes everything, and that cost is reported alongside as uncached_p95_ms.
// Timings are taken inside the database (clock_timestamp() around each call, one transaction per call)
// so they measure the function, not psql start-up; have_hashes is passed as text and cast inside the
// timed statement, as PostgREST does. baseline = p95 of `select 1` timed the same way; ratio = value/baseline.
// Plain Node 20, no dependencies. Usage: node bench/manifest-bench.mjs [--calls 200]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const clusterScript = join(root, 'tests', 'sql', 'pg-cluster.sh');
const callsArg = process.argv.indexOf('--calls');
const CALLS = callsArg > 0 ? Number(process.argv[callsArg + 1]) : 200;
const WARMUP = 10;

const log = (msg) => process.stderr.write(`manifest-bench: ${msg}\n`);

function startCluster() {
	const res = spawnSync('bash', [clusterScript, 'start', '--schema'], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit']
	});
	if (res.status !== 0) {
		log(`could not start PostgreSQL (exit ${res.status})`);
		process.exit(res.status === 2 ? 2 : 1);
	}
	const env = {};
	for (const line of res.stdout.split('\n')) {
		const m = /^(PGC_DIR|PGHOST|PGPORT|PGUSER|PGDATABASE)=(.*)$/.exec(line.trim());
		if (m) env[m[1]] = m[2];
	}
	return env;
}

let cluster;
function stopCluster() {
	if (cluster?.PGC_DIR) {
		spawnSync('bash', [clusterScript, 'stop', cluster.PGC_DIR], { stdio: 'ignore' });
		cluster = undefined;
	}
}
process.on('exit', stopCluster);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function psql(sql) {
	const { PGC_DIR: _dir, ...pgEnv } = cluster;
	const res = spawnSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1'], {
		input: sql,
		encoding: 'utf8',
		env: { ...process.env, ...pgEnv },
		maxBuffer: 64 * 1024 * 1024
	});
	if (res.status !== 0) throw new Error(`psql failed: ${res.stderr}`);
	return res.stdout.trim();
}

const T0 = '2030-01-07 12:00:00Z'; // a Monday; dayparts below are in Europe/Paris

const FIXTURE = `
insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000b001', 'bench-owner@bench.invalid'),
  ('00000000-0000-4000-8000-00000000b002', 'bench-player@bench.invalid');
insert into public.tenants (id, name) values ('00000000-0000-4000-8000-00000000b100', 'Bench');
insert into public.memberships (tenant_id, user_id, role) values
  ('00000000-0000-4000-8000-00000000b100', '00000000-0000-4000-8000-00000000b001', 'owner'),
  ('00000000-0000-4000-8000-00000000b100', '00000000-0000-4000-8000-00000000b002', 'player');
insert into public.devices (id, tenant_id, name, user_id) values
  ('00000000-0000-4000-8000-00000000b300', '00000000-0000-4000-8000-00000000b100', 'Bench player',
   '00000000-0000-4000-8000-00000000b002');
-- 10,000 assets, 1% emergency-eligible, in 50 playlists of 200.
insert into public.media_assets (tenant_id, sha256, size_bytes, mime, title, artist, duration_ms, bpm, musical_key,
                                 valid_from, valid_until, emergency_eligible)
select '00000000-0000-4000-8000-00000000b100', encode(sha256(convert_to('bench-' || n, 'UTF8')), 'hex'),
       3000000 + n, 'audio/mpeg', 'Bench track ' || n, 'Artist ' || (n % 300), 200000 + n, 80 + n % 80,
       ((n % 12) + 1) || 'A', '2000-01-01Z', '2100-01-01Z', n % 100 = 0
from generate_series(1, 10000) n;
insert into public.playlists (id, tenant_id, name)
select ('00000000-0000-4000-8000-' || lpad((900000 + k)::text, 12, '0'))::uuid,
       '00000000-0000-4000-8000-00000000b100', 'Playlist ' || k
from generate_series(0, 49) k;
insert into public.playlist_items (tenant_id, playlist_id, asset_id, position)
select a.tenant_id, ('00000000-0000-4000-8000-' || lpad((900000 + (n - 1) / 200)::text, 12, '0'))::uuid, a.id, (n - 1) % 200
from (select a.*, row_number() over (order by a.title collate "C") as n
      from public.media_assets a where a.tenant_id = '00000000-0000-4000-8000-00000000b100') a;
-- 50 dayparts: two-hour slots over the week, some crossing midnight.
insert into public.schedules (tenant_id, playlist_id, device_id, name, days_of_week, start_time, end_time, time_zone)
select '00000000-0000-4000-8000-00000000b100',
       ('00000000-0000-4000-8000-' || lpad((900000 + k)::text, 12, '0'))::uuid,
       '00000000-0000-4000-8000-00000000b300', 'Slot ' || k,
       array[(k % 7) + 1, ((k + 3) % 7) + 1]::smallint[],
       make_time((k * 2) % 24, 0, 0), make_time((k * 2 + 2) % 24, 0, 0), 'Europe/Paris'
from generate_series(0, 49) k;
vacuum analyze;
`;

// One call per transaction (COMMIT inside the DO block), timed around the statement only.
const timedLoop = (label, statement, { before = '', count = CALLS, startOffsetSeconds = 0 } = {}) => `
create temp table if not exists bench_times (label text, ms double precision);
do $bench$
declare
    v_dev  uuid := '00000000-0000-4000-8000-00000000b300';
    v_hash text := current_setting('bench.hash', true);
    v_old  text := current_setting('bench.old_hash', true);
    v_have text := current_setting('bench.have', true);
    v_t0   timestamptz;
    v_res  jsonb;
    v_at   timestamptz;
begin
    for i in 1..${count + WARMUP} loop
        v_at := '${T0}'::timestamptz + make_interval(secs => ${startOffsetSeconds} + i * 2);
        ${before}
        v_t0 := clock_timestamp();
        ${statement}
        if i > ${WARMUP} then
            insert into bench_times values ('${label}', extract(epoch from clock_timestamp() - v_t0) * 1000);
        end if;
        commit;
    end loop;
end
$bench$;
`;

const SYNC = `execute 'select cratemesh.sync_manifest_at($1, $2, $3::text[], $4)' into v_res using v_dev, v_hash, v_have, v_at;`;
const SYNC_1PCT = `execute 'select cratemesh.sync_manifest_at($1, $2, $3::text[], $4)' into v_res using v_dev, v_old, v_have, v_at;`;

function main() {
	log('starting PostgreSQL');
	cluster = startCluster();
	log('loading 10,000 scheduled assets');
	psql(FIXTURE);

	const session = `
set request.jwt.claims = '{"sub":"00000000-0000-4000-8000-00000000b002","role":"authenticated"}';
set client_min_messages = warning;
`;
	// The device holds everything; first sync establishes the manifest it knows (H0).
	// Each psql session starts clean: no rate-limit clock or cache from the previous one.
	const setup = `${session}
delete from cratemesh.device_sync_state;
select set_config('bench.have', (select array_agg(sha256)::text from public.media_assets
                                 where tenant_id = '00000000-0000-4000-8000-00000000b100'), false);
select set_config('bench.hash',
       cratemesh.sync_manifest_at('00000000-0000-4000-8000-00000000b300', null,
                                  current_setting('bench.have')::text[], '${T0}') ->> 'hash', false);
`;
	const sizes = psql(`${setup}
select cratemesh.sync_manifest_at('00000000-0000-4000-8000-00000000b300', current_setting('bench.hash'),
       current_setting('bench.have')::text[], '${T0}'::timestamptz + interval '1 second')::text;
`);
	const unchangedBody = sizes.split('\n').pop() ?? '';
	const unchanged = JSON.parse(unchangedBody);
	if (unchanged.unchanged !== true)
		throw new Error(`expected an unchanged response, got ${unchangedBody.slice(0, 200)}`);
	const unchangedBytes = Buffer.byteLength(unchangedBody, 'utf8');

	log(`timing ${CALLS} unchanged polls (cached), ${CALLS} uncached, ${CALLS} baseline`);
	psql(`${setup}
${timedLoop('baseline', "execute 'select 1';")}
${timedLoop('unchanged', SYNC, { startOffsetSeconds: 10 })}
${timedLoop('unchanged_uncached', SYNC, {
	startOffsetSeconds: 1000,
	before: `update cratemesh.device_sync_state set cache_epoch = null where device_id = v_dev; commit;`,
	count: Math.min(CALLS, 100)
})}
create table public.bench_results as select * from bench_times;
`);

	log('changing 1%: 50 new assets in a scheduled playlist, 50 metadata edits');
	const changed = psql(`${setup}
select set_config('bench.old_hash', current_setting('bench.hash'), false);
insert into public.media_assets (tenant_id, sha256, size_bytes, mime, title, valid_from, valid_until)
select '00000000-0000-4000-8000-00000000b100', encode(sha256(convert_to('bench-new-' || n, 'UTF8')), 'hex'),
       1000 + n, 'audio/mpeg', 'New ' || n, '2000-01-01Z', '2100-01-01Z'
from generate_series(1, 50) n;
insert into public.playlist_items (tenant_id, playlist_id, asset_id, position)
select tenant_id, '00000000-0000-4000-8000-000000900000', id, 199 + row_number() over (order by sha256)
from public.media_assets where title like 'New %';
update public.media_assets set title = title || ' (edit)'
where id in (select id from public.media_assets where title like 'Bench track %' order by sha256 limit 50);
${timedLoop('onepct', SYNC_1PCT, { startOffsetSeconds: 1000 })}
${timedLoop('onepct_uncached', SYNC_1PCT, {
	startOffsetSeconds: 2000,
	before: `update cratemesh.device_sync_state set cache_epoch = null where device_id = v_dev; commit;`,
	count: Math.min(CALLS, 100)
})}
insert into public.bench_results select * from bench_times;
select jsonb_build_object('downloads', jsonb_array_length(r -> 'downloads'), 'updates', jsonb_array_length(r -> 'updates'),
                          'deletes', jsonb_array_length(r -> 'deletes'), 'playlists', jsonb_array_length(r -> 'schedule' -> 'playlists'),
                          'bytes', octet_length(r::text))::text
from (select cratemesh.sync_manifest_at('00000000-0000-4000-8000-00000000b300', current_setting('bench.old_hash'),
             current_setting('bench.have')::text[], '${T0}'::timestamptz + interval '1 day') as r) x;
`);
	const delta = JSON.parse(changed.split('\n').pop() ?? '');
	if (delta.downloads !== 50 || delta.updates !== 50) throw new Error(`unexpected 1% delta ${JSON.stringify(delta)}`);

	const stats = JSON.parse(
		psql(`select jsonb_object_agg(label, j)::text
              from (select label, jsonb_build_object(
                        'p50', round(percentile_cont(0.5) within group (order by ms)::numeric, 3),
                        'p95', round(percentile_cont(0.95) within group (order by ms)::numeric, 3),
                        'n', count(*)) as j
                    from public.bench_results group by label) s;`)
	);

	const baseline = stats.baseline.p95;
	const ratio = (v) => (baseline > 0 ? Math.round((v / baseline) * 10) / 10 : null);
	const result = {
		'manifest.rpc_p95_ms_unchanged_10k': {
			value: stats.unchanged.p95,
			unit: 'ms',
			baseline,
			ratio: ratio(stats.unchanged.p95),
			p50: stats.unchanged.p50,
			calls: stats.unchanged.n,
			uncached_p95_ms: stats.unchanged_uncached.p95,
			uncached_p50_ms: stats.unchanged_uncached.p50,
			baseline_what: 'p95 ms of `select 1` timed the same way',
			goal: '< 20 ms'
		},
		'manifest.rpc_p95_ms_1pct_10k': {
			value: stats.onepct.p95,
			unit: 'ms',
			baseline,
			ratio: ratio(stats.onepct.p95),
			p50: stats.onepct.p50,
			calls: stats.onepct.n,
			uncached_p95_ms: stats.onepct_uncached.p95,
			uncached_p50_ms: stats.onepct_uncached.p50,
			response: delta,
			goal: '< 20 ms'
		},
		'manifest.unchanged_bytes': {
			value: unchangedBytes,
			unit: 'bytes',
			baseline: null,
			ratio: null,
			goal: '< 200 bytes'
		}
	};
	process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

try {
	main();
} catch (err) {
	log(/** @type {Error} */ (err).stack || String(err));
	process.exitCode = 1;
}
