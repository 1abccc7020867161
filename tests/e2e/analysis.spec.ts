import { expect, test, type Page } from '@playwright/test';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { damageMiddle, tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

const rows = (page: Page) => page.getByTestId('track-table').locator('[role="row"][data-hash]');
const row = (page: Page, title: string) => rows(page).filter({ hasText: title });
const CLIPS = 'workers/analysis/testdata';

let root: string;
let dir: string;
test.beforeAll(() => {
	root = mkdtempSync(join(tmpdir(), 'cratemesh-analysis-'));
	dir = join(root, 'Set');
	mkdirSync(dir);
	// Real beats and keys (generated, committed with the engine): names that give nothing away.
	copyFileSync(join(CLIPS, 'dnb-174-Fm.ogg'), join(dir, 'Clip One.ogg'));
	copyFileSync(join(CLIPS, 'techno-130-D.flac'), join(dir, 'Clip Two.flac'));
	copyFileSync(join(CLIPS, 'hiphop-92-Eb.opus'), join(dir, 'Clip Three.opus'));
	// 40 bytes scrambled inside one frame's audio, 60 % in: the import's frame check cannot see it (the
	// headers are intact), the decoder's CRC-16 check can.
	damageMiddle(join(CLIPS, 'techno-130-D.flac'), join(dir, 'Clip Four.flac'), 40, 0.6);
	// Tags already carry BPM and key: kept by default.
	tone(dir, {
		name: 'tagged.mp3',
		ext: 'mp3',
		title: 'Tagged Tone',
		artist: 'Test',
		album: 'Test',
		genre: 'Test',
		bpm: 128,
		key: 'Gm',
		seconds: 3,
		freq: 392
	});
	// A valid M4A header (so the import accepts it) over garbage audio: the analysis must fail cleanly.
	const m4a = tone(root, {
		name: 'source.m4a',
		ext: 'm4a',
		title: 'Broken',
		artist: 'Test',
		album: 'Test',
		genre: 'Test',
		seconds: 8,
		freq: 330
	});
	const bytes = readFileSync(m4a);
	// Only the audio payload (the 'mdat' box) is overwritten; the index ('moov') stays readable.
	const mdat = bytes.indexOf(Buffer.from('mdat'));
	const end = mdat - 4 + bytes.readUInt32BE(mdat - 4);
	for (let i = mdat + 8; i < end; i++) bytes[i] = (i * 7919) % 251;
	writeFileSync(join(dir, 'broken.m4a'), bytes);
});
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

test('imports are analysed in the background: BPM, key, loudness, waveform and cues; a corrupt file fails with a reason', async ({
	page
}) => {
	test.setTimeout(120_000);
	// Nothing may throw uncaught on the way (opening a track's waveform once did: wavesurfer's zoom before its peaks).
	const errors: string[] = [];
	page.on('pageerror', (error) => errors.push(error.message));
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(dir);
	await expect(page.getByTestId('import-summary')).toContainText('Added 6 files', { timeout: 30_000 });
	await expect(page.getByTestId('import-warnings')).toHaveCount(0);

	const panel = page.getByTestId('analysis-panel');
	await expect(panel).toHaveAttribute('data-state', 'finished', { timeout: 90_000 });
	await expect(page.getByTestId('analysis-progress')).toHaveText('Analysed 5 tracks (1 failed)');
	await expect(page.getByTestId('analysis-failures')).toContainText('Broken: the audio is damaged');

	// Results are in the table (standard notation by default); tags win over analysis by default.
	await expect(row(page, 'Clip One')).toContainText('174');
	await expect(row(page, 'Clip One')).toContainText('Fm');
	await expect(row(page, 'Clip Two')).toContainText('130');
	await expect(row(page, 'Clip Three')).toContainText('92');
	await expect(row(page, 'Clip Three')).toContainText('Eb');
	await expect(row(page, 'Tagged Tone')).toContainText('128');
	await expect(row(page, 'Tagged Tone')).toContainText('Gm');
	// Duration from decoding.
	await expect(row(page, 'Clip Two')).toContainText(/0:\d\d/);

	// Opening a track shows its analysis, a drawn waveform and the cue editor.
	await row(page, 'Clip One').dblclick();
	const detail = page.getByTestId('track-detail');
	await expect(detail).toBeVisible();
	await expect(detail.getByTestId('detail-bpm')).toContainText('174');
	await expect(detail.getByTestId('detail-key')).toContainText('Fm');
	await expect(detail.getByTestId('detail-loudness')).toContainText('LUFS');
	await expect(detail.getByTestId('detail-status')).toContainText('F minor');
	await expect(detail.getByTestId('detail-damage')).toHaveCount(0);
	const waveform = detail.getByTestId('waveform');
	await expect(waveform).toHaveAttribute('data-ready', 'true');
	expect(Number(await waveform.getAttribute('data-points'))).toBeGreaterThan(500);

	await detail.getByRole('button', { name: 'Set hot cue A here' }).click();
	await expect(detail.getByTestId('cue-list').locator('li')).toHaveCount(1);
	await detail.getByRole('button', { name: 'Add loop (4 bars)' }).click();
	await expect(detail.getByTestId('cue-list').locator('li')).toHaveCount(2);

	// Halving the tempo is a user edit: it survives analysing again.
	await detail.getByRole('button', { name: '½×' }).click();
	await expect(detail.getByTestId('detail-bpm')).toContainText('87');
	await expect(detail.getByTestId('detail-bpm')).toContainText('edited');
	await detail.getByRole('button', { name: 'Analyse again' }).click();
	await expect(detail.getByTestId('detail-status')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
	await expect(detail.getByTestId('detail-bpm')).toContainText('87');
	await detail.getByRole('button', { name: 'Close' }).click();
	await expect(row(page, 'Clip One')).toContainText('87');

	// The corrupt file says why in its own view too.
	await rows(page).filter({ hasText: 'Broken' }).click({ button: 'right' });
	await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Open track' }).click();
	await expect(detail.getByTestId('detail-status')).toContainText('Analysis failed: the audio is damaged');
	await page.keyboard.press('Escape');

	// Damage inside a frame is found by decoding: the track is analysed (on time around it) and says where.
	await expect(row(page, 'Clip Four')).toContainText('130');
	await row(page, 'Clip Four').dblclick();
	await expect(detail.getByTestId('detail-status')).toHaveAttribute('data-state', 'done');
	await expect(detail.getByTestId('detail-damage')).toHaveText(
		/^Damaged at 0:0[6-8] \(about < 1 s could not be decoded\): analysed as silence there/
	);
	await expect(detail.getByTestId('detail-damage')).toHaveAttribute('data-count', '1');
	await page.keyboard.press('Escape');

	// Key notation from Settings applies to the table.
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
	await page.getByTestId('key-notation').selectOption('camelot');
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Library' }).click();
	await expect(row(page, 'Clip One')).toContainText('4A');
	await expect(row(page, 'Clip Two')).toContainText('10B');
	await expect(row(page, 'Tagged Tone')).toContainText('6A');
	expect(errors).toEqual([]);
});
