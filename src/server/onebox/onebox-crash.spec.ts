import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { createOneBox } from './index.js';

vi.setConfig({ testTimeout: 120_000 });

const dataDir = mkdtempSync(join(tmpdir(), 'cratemesh-onebox-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// A server process writing as fast as it can, killed without warning (power cut, OOM killer, kill -9).
const writer = `
import { createOneBox } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'index.js')).href)};
const box = await createOneBox({ dataDir: process.argv[1], ownerPassword: 'crash-password', log: () => {} });
const tenant = (await box.db.query('select id from public.tenants limit 1')).rows[0].id;
for (let n = 1; ; n++) {
	await box.db.query('insert into public.playlists (tenant_id, name) values ($1, $2)', [tenant, 'P' + n]);
	process.stdout.write('committed ' + n + '\\n');
}`;

it('loses no committed write when the process is killed mid-write, and restarts', async () => {
	const child = spawn(process.execPath, ['--input-type=module', '-e', writer, dataDir], {
		stdio: ['ignore', 'pipe', 'inherit']
	});
	let committed = 0;
	await new Promise<void>((resolve, reject) => {
		child.stdout.on('data', (chunk: Buffer) => {
			const last = /committed (\d+)\n(?![\s\S]*committed)/.exec(chunk.toString());
			if (last) committed = Number(last[1]);
			if (committed >= 300 && child.exitCode === null) {
				child.kill('SIGKILL');
				resolve();
			}
		});
		child.once('exit', (code) => (committed < 300 ? reject(new Error(`writer exited early (${code})`)) : undefined));
	});
	await new Promise((resolve) =>
		child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)
	);

	// The stale lock of the killed process is taken over; PostgreSQL replays its WAL.
	const box = await createOneBox({ dataDir, log: () => {} });
	try {
		const { rows } = await box.db.query<{ n: number }>(`select count(*)::int as n from public.playlists`);
		expect(rows[0]!.n).toBeGreaterThanOrEqual(committed);
		expect(box.applied).toEqual([]);
	} finally {
		await box.close();
	}
});
