import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const address = probe.address();
			probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/**
 * Starts `npm start`'s server (no build) with extra environment; resolves with what it printed.
 * Local-only mode unless `env` says otherwise (ONEBOX=1 with a CRATEMESH_DATA_DIR, or Supabase settings).
 */
export function startServer(
	port: number,
	env: Record<string, string> = {}
): Promise<{ child: ChildProcess; output: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['src/server/start.js', '--no-build'], {
			env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ONEBOX: '0', ...env },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let output = '';
		// Generous: a first one-box start (PGlite creating its database) takes seconds on a quiet machine and
		// over a minute at load 13–15 (measured). A server that never says it is ready must not keep the port
		// for the next test.
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`server did not start: ${output}`));
		}, 150_000);
		child.stdout!.on('data', (chunk) => {
			output += chunk;
			if (/Local-only mode|Supabase: |One box: built-in/.test(output)) {
				clearTimeout(timer);
				resolve({ child, output });
			}
		});
		child.stderr!.on('data', (chunk) => (output += chunk));
		child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
	});
}

export function stopServer(child: ChildProcess): Promise<void> {
	return new Promise((resolve) => {
		if (child.exitCode !== null) return resolve();
		child.removeAllListeners('exit');
		child.once('exit', () => resolve());
		child.kill('SIGTERM');
	});
}

/**
 * `npm start` in one-box mode on a fresh data directory, with a known owner account; `stop()` ends
 * the server and deletes the directory.
 */
export async function startOneBox(
	port: number,
	env: Record<string, string> = {}
): Promise<{
	child: ChildProcess;
	output: string;
	dataDir: string;
	owner: { email: string; password: string };
	stop: () => Promise<void>;
}> {
	const dataDir = mkdtempSync(join(tmpdir(), 'cratemesh-onebox-'));
	const owner = { email: 'owner@onebox.test', password: 'owner-password-e2e' };
	const { child, output } = await startServer(port, {
		ONEBOX: '1',
		CRATEMESH_DATA_DIR: dataDir,
		CRATEMESH_OWNER_EMAIL: owner.email,
		CRATEMESH_OWNER_PASSWORD: owner.password,
		...env
	});
	return {
		child,
		output,
		dataDir,
		owner,
		stop: async () => {
			await stopServer(child);
			rmSync(dataDir, { recursive: true, force: true });
		}
	};
}
