#!/usr/bin/env node
// `npm run analyze -- <folder> [--range 70-180] [--target -14]`: analyses every audio file in a folder
// (recursively) with the app's own analysis worker in headless Chromium and prints one JSON line per file:
// { file, bpm, key, camelot, openKey, lufs, ... } or { file, error, code }.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { CHROMIUM_INSTALL_HINT, chromiumArgs, chromiumPath } from '../chromium.js';
import { analyseInPage, buildHarness, openHarness, serveHarness } from './analysis/harness.js';

const args = process.argv.slice(2);
const folder = args.find((arg) => !arg.startsWith('--') && !/^-?\d/.test(arg));
const flag = (/** @type {string} */ name) => {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : undefined;
};
if (!folder) {
	console.error('usage: npm run analyze -- <folder> [--range 70-180] [--target -14]');
	process.exit(2);
}
if (!chromiumPath()) {
	console.error(CHROMIUM_INSTALL_HINT);
	process.exit(1);
}
const range = (flag('--range') ?? '70-180').split('-').map(Number);
const targetLufs = Number(flag('--target') ?? -14);
const AUDIO = /\.(wav|wave|aif|aiff|aifc|mp3|flac|ogg|oga|opus|m4a|mp4|aac)$/i;

const dir = resolve(folder);
/** @param {string} d @returns {string[]} */
const walk = (d) =>
	readdirSync(d).flatMap((name) => {
		const path = join(d, name);
		return statSync(path).isDirectory() ? walk(path) : AUDIO.test(name) ? [relative(dir, path)] : [];
	});
const files = walk(dir).sort();

buildHarness();
const server = await serveHarness(dir);
const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
let failed = 0;
try {
	const { page } = await openHarness(browser, server.url);
	for (const file of files) {
		const started = Date.now();
		const outcome = await analyseInPage(page, file, { tempoRange: range, targetLufs });
		if (!outcome.ok) {
			failed++;
			console.log(JSON.stringify({ file, error: outcome.message, code: outcome.code }));
			continue;
		}
		const r = outcome.result;
		console.log(
			JSON.stringify({
				file,
				bpm: r.bpm,
				key: r.key?.notation ?? null,
				camelot: r.key?.camelot ?? null,
				openKey: r.key?.openKey ?? null,
				keyStrength: r.key ? Math.round(r.key.strength * 100) / 100 : null,
				tempoConfidence: Math.round(r.tempoConfidence * 100) / 100,
				variableTempo: r.variableTempo,
				firstDownbeatSec: Math.round(r.beatGrid.firstDownbeatSec * 1000) / 1000,
				autoCueSec: Math.round(r.autoCueSec * 1000) / 1000,
				lufs: Math.round(r.loudness.integratedLufs * 10) / 10,
				gainDb: Math.round(r.loudness.gainDbToTarget * 10) / 10,
				durationSec: Math.round(r.durationSec * 10) / 10,
				format: r.format,
				ms: Date.now() - started
			})
		);
	}
} finally {
	await browser.close();
	await server.close();
}
process.exit(failed > 0 && failed === files.length ? 1 : 0);
