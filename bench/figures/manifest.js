// Supabase sync-manifest figures, measured on a throwaway local PostgreSQL by bench/manifest-bench.mjs
// (which prints all of them as one JSON object); run once and shared by the three figures.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What bench/manifest-bench.mjs prints per figure: a Figure whose baseline and ratio may be left out
 * (they default to null in `figure` below).
 * @typedef {{ value: number, unit: string, baseline?: number | null, ratio?: number | null, [extra: string]: unknown }} MeasuredFigure
 */

/** @type {Promise<Record<string, MeasuredFigure>> | undefined} */
let measured;

/** @param {string} root */
function measure(root) {
	measured ??= (async () => {
		const script = join(root, 'bench', 'manifest-bench.mjs');
		if (!existsSync(script)) throw new Error('bench/manifest-bench.mjs is missing');
		const result = spawnSync(process.execPath, [script], {
			cwd: root,
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit']
		});
		if (result.status !== 0) throw new Error(`manifest bench exited with ${result.status}`);
		const json = result.stdout.slice(result.stdout.indexOf('{'));
		return JSON.parse(json);
	})();
	return measured;
}

/** @param {string} name @returns {import('../run.js').FigureSpec} */
const figure = (name) => ({
	name,
	async run({ root }) {
		const all = await measure(root);
		const result = all[name];
		if (!result) throw new Error(`${name} missing from the manifest bench output`);
		return { baseline: null, ratio: null, ...result };
	}
});

export const manifestFigures = [
	figure('manifest.rpc_p95_ms_unchanged_10k'),
	figure('manifest.rpc_p95_ms_1pct_10k'),
	figure('manifest.unchanged_bytes')
];
