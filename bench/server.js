// `npm start`'s server for the bench and bench/profile-mesh.js: on a free loopback port with a throwaway data
// folder (the default one may be held by a running `npm start`).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts the server (building first if the build is stale, unless `build` is false) and resolves with the
 * child process and its base URL.
 * @param {string} root the repository
 * @param {{ build?: boolean }} [options]
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, baseURL: string }>}
 */
export function startServer(root, { build = true } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [join(root, 'src/server/start.js'), ...(build ? [] : ['--no-build'])], {
			cwd: root,
			env: {
				CRATEMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'cratemesh-bench-data-')),
				...process.env,
				PORT: '0',
				HOST: '127.0.0.1'
			},
			stdio: ['ignore', 'pipe', 'inherit']
		});
		let output = '';
		child.stdout?.on('data', (chunk) => {
			output += chunk;
			const match = /running at http:\/\/localhost:(\d+)/.exec(output);
			if (match) resolve({ child, baseURL: `http://127.0.0.1:${match[1]}` });
		});
		child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
	});
}
