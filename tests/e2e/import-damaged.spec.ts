import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../chromium.js';
import { damageMiddle, longMix, tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

// Damaged files and a two-hour mix, through the folder input of a real on-disk profile (its renderer's
// memory is read from /proc while the mix streams through).
const rows = (page: Page) => page.getByTestId('track-table').locator('[role="row"][data-hash]');
const formatDuration = (seconds: number) => {
	const s = Math.round(seconds);
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const rest = String(s % 60).padStart(2, '0');
	return h ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
};

let root: string;
let dir: string;
let mix: { path: string; seconds: number };
let profile: string;
let context: BrowserContext;

test.beforeAll(async ({ browserName }, testInfo) => {
	void browserName;
	testInfo.setTimeout(180_000);
	root = mkdtempSync(join(tmpdir(), 'cratemesh-damaged-'));
	dir = join(root, 'Sets');
	mkdirSync(dir);
	const spec = { title: 'T', artist: 'DJ', album: 'A', genre: 'House', seconds: 30, freq: 330 };
	const good = tone(root, { ...spec, name: 'good.mp3', ext: 'mp3', title: 'Clean Cut' });
	writeFileSync(join(dir, 'clean.mp3'), readFileSync(good));
	for (const ext of ['mp3', 'flac', 'ogg'] as const) {
		const source = tone(root, { ...spec, name: `src.${ext}`, ext, title: `Glitch ${ext}`, freq: 300 + ext.length });
		damageMiddle(source, join(dir, `glitch.${ext}`), ext === 'flac' ? 64 * 1024 : 16 * 1024);
	}
	// Noise from a tenth of the way in: mostly unreadable.
	damageMiddle(good, join(dir, 'noise.mp3'), 1 << 30, 0.1);
	// A FLAC cut in half: shorter than its STREAMINFO says.
	const flac = readFileSync(join(root, 'src.flac'));
	writeFileSync(join(dir, 'half.flac'), flac.subarray(0, flac.length >> 1));
	mix = longMix(dir, 'two-hour-mix.mp3', 2 * 3600, 'Warehouse Mix');

	profile = mkdtempSync(join(tmpdir(), 'cratemesh-damaged-profile-'));
	context = await chromium.launchPersistentContext(profile, {
		executablePath: chromiumPath(),
		args: chromiumArgs,
		baseURL: testInfo.project.use.baseURL,
		serviceWorkers: 'block'
	});
});

test.afterAll(async () => {
	await context?.close();
	rmSync(root, { recursive: true, force: true });
	rmSync(profile, { recursive: true, force: true });
});

/** Resident memory (MB) of this profile's renderer processes (the page and its workers live there). */
function rendererMb(): number {
	let kb = 0;
	for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
			if (!cmdline.includes(profile) || !cmdline.includes('--type=renderer')) continue;
			kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
		} catch {
			// gone meanwhile
		}
	}
	return kb / 1024;
}

test('damaged files import with where they are damaged, unreadable ones are refused, a 2-hour mix streams in', async () => {
	test.setTimeout(180_000);
	test.skip(!existsSync('/proc/self/status'), 'reads renderer memory from /proc');
	const page = await context.newPage();
	// Durations here are the import's (analysis would later replace them with what it decoded).
	await page.goto('/settings');
	await waitForApp(page);
	await page.getByTestId('auto-analyse').uncheck();
	await page.goto('/');
	await waitForApp(page);
	const before = rendererMb();
	let peak = before;
	const sampler = setInterval(() => (peak = Math.max(peak, rendererMb())), 50);
	// Progress moves within the mix (bytes, not only files), with a speed and time left.
	const fractions: number[] = [];
	const watch = setInterval(() => {
		void page
			.locator('progress')
			.first()
			.evaluate((el: HTMLProgressElement) => el.value)
			.then((value) => fractions.push(value))
			.catch(() => undefined);
	}, 100);
	try {
		await page.getByTestId('folder-input').setInputFiles(dir);
		await expect(page.getByTestId('import-progress')).toBeVisible();
		await expect(page.getByTestId('import-panel')).toContainText('two-hour-mix.mp3');
		await expect(page.getByTestId('import-panel')).toContainText(/\/s · .* left/);
		await expect(page.getByTestId('import-summary')).toHaveText('Added 5 files (0 already in the library).', {
			timeout: 120_000
		});
	} finally {
		clearInterval(sampler);
		clearInterval(watch);
	}
	expect(
		fractions.some((f) => f > 0.1 && f < 0.9),
		`progress seen: ${fractions.join(', ')}`
	).toBe(true);
	// The mix was never held whole, nor piled up in slices: the renderer grew by ~105 MB for a 195 MB mix
	// and the same for a 391 MB one (three import workers starting, the app); 4 MiB slices had reached 152 MB
	// and grew with the file.
	const mixMb = readFileSync(mix.path).length / 2 ** 20;
	expect(mixMb).toBeGreaterThan(150);
	test.info().annotations.push({ type: 'memory', description: `renderer +${Math.round(peak - before)} MB` });
	expect(peak - before, `renderer grew from ${before} MB to ${peak} MB for a ${mixMb} MB file`).toBeLessThan(
		mixMb * 0.7
	);

	const failures = page.getByTestId('import-failures');
	await expect(failures.locator('li')).toHaveCount(2);
	await expect(failures).toContainText(
		/Sets\/noise\.mp3: most of its audio is damaged \(0:\d\d \/ 0:\d\d unreadable\)/
	);
	await expect(failures).toContainText('Sets/half.flac: the file is truncated');
	const warnings = page.getByTestId('import-warnings');
	await expect(warnings.locator('li')).toHaveCount(3);
	for (const ext of ['mp3', 'flac', 'ogg'])
		await expect(warnings).toContainText(
			new RegExp(
				`Sets/glitch\\.${ext}: damaged at 0:1[3-6] \\(about \\d+ s unreadable\\); imported, but that part will not play cleanly`
			)
		);

	await expect(rows(page)).toHaveCount(5);
	// The mix's length comes from counting its frames (VBR, no Xing header: the header alone gives none).
	await expect(rows(page).filter({ hasText: 'Warehouse Mix' })).toContainText(formatDuration(mix.seconds));
	expect(Math.abs(mix.seconds - 7200)).toBeLessThan(10);
	await expect(rows(page).filter({ hasText: 'Glitch flac' })).toContainText('0:30');
	await expect(rows(page).filter({ hasText: 'Clean Cut' })).toContainText('0:30');
	// Refused files leave nothing behind: no temp files, no audio without a track.
	const stored = await page.evaluate(async () => {
		const root = await navigator.storage.getDirectory();
		const names = async (name: string) => {
			const out: string[] = [];
			try {
				const dir = await root.getDirectoryHandle(name);
				for await (const key of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) out.push(key);
			} catch {
				// none
			}
			return out;
		};
		return { audio: (await names('audio')).length, incoming: (await names('incoming')).length };
	});
	expect(stored).toEqual({ audio: 5, incoming: 0 });
});
