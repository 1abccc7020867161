import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

const rows = (page: Page) => page.getByTestId('track-table').locator('[role="row"][data-hash]');
const row = (page: Page, title: string) => rows(page).filter({ hasText: title });

let root: string;
test.beforeAll(() => {
	root = mkdtempSync(join(tmpdir(), 'cratemesh-interop-'));
	const dir = join(root, 'Music');
	mkdirSync(join(dir, 'Sub'), { recursive: true });
	const spec = { album: 'Interop', genre: 'House', seconds: 8 };
	tone(dir, {
		...spec,
		name: 'first.mp3',
		ext: 'mp3',
		title: 'First Tone',
		artist: 'Ana',
		bpm: 120,
		key: 'Am',
		freq: 330
	});
	tone(join(dir, 'Sub'), { ...spec, name: 'Ação.flac', ext: 'flac', title: 'Second Tone', artist: 'Bia', freq: 440 });
	tone(dir, { ...spec, name: 'third.wav', ext: 'wav', title: 'Third Tone', artist: 'Caio', freq: 550 });
});
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A rekordbox XML as rekordbox on Windows would write it for these files, plus one file we do not have. */
const rekordboxXml = `<?xml version="1.0" encoding="UTF-8"?>
<DJ_PLAYLISTS Version="1.0.0">
  <PRODUCT Name="rekordbox" Version="6.8.5" Company="AlphaTheta"/>
  <COLLECTION Entries="3">
    <TRACK TrackID="11" Name="First Tone" Artist="Ana" TotalTime="8" AverageBpm="126.50" Tonality="F#m" Rating="255" Location="file://localhost/C:/Users/DJ/Music/first.mp3" Composer="Kept">
      <TEMPO Inizio="0.250" Bpm="126.50" Metro="4/4" Battito="1"/>
      <POSITION_MARK Name="Drop" Type="0" Start="2.000" Num="0" Red="168" Green="85" Blue="247"/>
      <POSITION_MARK Name="" Type="0" Start="1.000" Num="-1"/>
      <POSITION_MARK Name="Far away" Type="0" Start="9999.000" Num="1"/>
    </TRACK>
    <TRACK TrackID="12" Name="Second Tone" Artist="Bia" TotalTime="8" AverageBpm="98.00" Tonality="5A" Location="file://localhost/C:/Users/DJ/Music/Sub/A%C3%A7%C3%A3o.flac">
      <POSITION_MARK Name="Loop" Type="4" Start="1.500" End="3.500" Num="-1"/>
    </TRACK>
    <TRACK TrackID="13" Name="Not Here" Artist="Nobody" TotalTime="300" AverageBpm="0.00" Location="file://localhost/D:/Elsewhere/missing.wav"/>
  </COLLECTION>
  <PLAYLISTS>
    <NODE Type="0" Name="ROOT" Count="1">
      <NODE Type="0" Name="Gigs" Count="1">
        <NODE Name="Friday" Type="1" KeyType="0" Entries="3">
          <TRACK Key="12"/>
          <TRACK Key="11"/>
          <TRACK Key="13"/>
        </NODE>
      </NODE>
    </NODE>
  </PLAYLISTS>
</DJ_PLAYLISTS>
`;

async function chooseExchangeFile(page: Page, name: string, content: string | Buffer) {
	await page.getByTestId('interop-file').setInputFiles({
		name,
		mimeType: 'application/xml',
		buffer: typeof content === 'string' ? Buffer.from(content) : content
	});
}

test('a rekordbox XML is previewed, applied in one go, exported and re-imported unchanged', async ({ page }) => {
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(join(root, 'Music'));
	await expect(page.getByTestId('import-summary')).toHaveText('Added 3 files (0 already in the library).', {
		timeout: 30_000
	});

	await page.getByTestId('interop-open').click();
	const dialog = page.getByTestId('interop-dialog');
	await chooseExchangeFile(page, 'rekordbox.xml', rekordboxXml);
	const preview = dialog.getByTestId('interop-preview');
	await expect(preview.getByTestId('interop-summary')).toHaveText(
		'2 of 3 tracks found in the library: 2 to update, 0 unchanged.'
	);
	await expect(preview.getByTestId('interop-unmatched')).toContainText('D:/Elsewhere/missing.wav');
	await expect(preview.getByTestId('interop-issues')).toContainText('cue outside the track, skipped — First Tone');
	await expect(preview.getByTestId('interop-counts')).toContainText('cues: 3 new, 0 replaced');
	await expect(preview.getByTestId('interop-playlists')).toContainText('Friday — new playlist, 2 tracks');

	// Nothing changed before the user confirms.
	await expect(row(page, 'First Tone')).toContainText('120');
	await expect(row(page, 'First Tone')).not.toContainText('126.5');
	await expect(page.getByTestId('playlist-Friday')).toHaveCount(0);

	await preview.getByTestId('interop-apply').click();
	await expect(dialog.getByTestId('interop-applied')).toContainText('Applied: 2 tracks updated');
	await dialog.getByRole('button', { name: 'Close' }).first().click();

	await expect(row(page, 'First Tone')).toContainText('126.5');
	await expect(row(page, 'First Tone')).toContainText('F#m');
	await expect(row(page, 'Second Tone')).toContainText('98');
	await expect(page.getByTestId('playlist-Gigs')).toBeVisible();
	await page.getByTestId('playlist-Friday').click();
	await expect(rows(page)).toHaveCount(2);
	await expect(rows(page).nth(0)).toContainText('Second Tone');
	await expect(rows(page).nth(1)).toContainText('First Tone');

	// Exchange files, the player and the analyser (version 2 on) share one timeline, so the grid of an MP3 with
	// a LAME Info frame is stored as exchanged (only version 1 results were 1152 + 576 + 529 samples late).
	const downbeats = await page.evaluate(
		() =>
			new Promise<number[]>((resolve, reject) => {
				const open = indexedDB.open('cratemesh');
				open.onerror = () => reject(open.error);
				open.onsuccess = () => {
					const all = open.result.transaction('analysis').objectStore('analysis').getAll();
					all.onsuccess = () => resolve(all.result.map((row) => row.beatGrid.firstDownbeatSec));
				};
			})
	);
	expect(downbeats.map((s) => Math.round(s * 1e4))).toContain(0.25 * 1e4);

	// The cues landed with their names and colours.
	await row(page, 'First Tone').dblclick();
	const detail = page.getByTestId('track-detail');
	const cues = detail.getByTestId('cue-list').locator('li');
	await expect(cues).toHaveCount(2);
	await expect(cues.nth(0)).toContainText('A');
	await expect(cues.nth(0).getByRole('textbox')).toHaveValue('Drop');
	await expect(cues.nth(0).getByRole('combobox')).toHaveValue('purple');
	await detail.getByRole('button', { name: 'Close' }).click();

	// Export, then import the export: the library already says all of it.
	await page.getByTestId('interop-open').click();
	await dialog.getByTestId('interop-base').fill('C:\\Users\\DJ');
	const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('interop-export').click()]);
	const exported = readFileSync(await download.path());
	const text = exported.toString('utf8');
	expect(text).toContain('Location="file://localhost/C:/Users/DJ/Music/Sub/A%C3%A7%C3%A3o.flac"');
	expect(text).toMatch(/<POSITION_MARK Name="Drop" Type="0" Start="2\.000" Num="0" Red="168" Green="85" Blue="247"\/>/);
	expect(text).toContain('<TEMPO Inizio="0.250" Bpm="126.50" Metro="4/4" Battito="1"/>');
	expect(text).toContain('Composer="Kept"');
	expect(text).toMatch(/<NODE Type="0" Name="Gigs" Count="1">\s*<NODE Name="Friday" Type="1" KeyType="0" Entries="2">/);

	await chooseExchangeFile(page, 'again.xml', exported);
	await expect(preview.getByTestId('interop-summary')).toHaveText(
		'3 of 3 tracks found in the library: 0 to update, 3 unchanged.'
	);
	await expect(preview.getByTestId('interop-apply')).toBeDisabled();
	await preview.getByRole('button', { name: 'Discard' }).click();

	// Traktor NML carries the same cues and grid (milliseconds, MUSICAL_KEY 0–23).
	await dialog.getByTestId('interop-export-format').selectOption('traktor');
	const [nml] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('interop-export').click()]);
	const nmlText = readFileSync(await nml.path(), 'utf8');
	expect(nml.suggestedFilename()).toMatch(/\.nml$/);
	expect(nmlText).toMatch(
		/<CUE_V2 NAME="Drop" DISPL_ORDER="0" TYPE="0" START="2000\.000000" LEN="0\.000000" REPEATS="-1" HOTCUE="0">/
	);
	expect(nmlText).toContain('<MUSICAL_KEY VALUE="18">');
	expect(nmlText).toContain('KEY="C:/:Users/:DJ/:Music/:Sub/:Ação.flac"');

	// An M3U8 from a media player (BOM, CRLF, relative paths) becomes a playlist.
	const m3u =
		'\ufeff#EXTM3U\r\n#EXTINF:8,Caio - Third Tone\r\n..\\Music\\third.wav\r\n#EXTINF:8,Ana - First Tone\r\nMusic/first.mp3\r\n';
	await chooseExchangeFile(page, 'Warm up.m3u8', m3u);
	await expect(preview.getByTestId('interop-playlists')).toContainText('Warm up — new playlist, 2 tracks');
	await preview.getByTestId('interop-apply').click();
	await expect(dialog.getByTestId('interop-applied')).toBeVisible();
	await dialog.getByRole('button', { name: 'Close' }).first().click();
	await page.getByTestId('playlist-Warm up').click();
	await expect(rows(page)).toHaveCount(2);
	await expect(rows(page).nth(0)).toContainText('Third Tone');
});

test('a hostile file is refused with the reason and changes nothing', async ({ page }) => {
	await page.goto('/settings');
	await waitForApp(page);
	// Reachable from Settings as well as from the Library.
	await page.getByRole('main').getByTestId('interop-open').click();
	await chooseExchangeFile(page, 'lol.xml', readFileSync('tests/fixtures/interop/billion-laughs.xml'));
	const refused = page.getByTestId('interop-refused');
	await expect(refused).toContainText('declares XML entities (entity expansion is refused)');
	await expect(page.getByTestId('interop-apply')).toBeDisabled();
});

test('a backup with audio and a passphrase restores into an empty library, verified by hash', async ({
	page,
	browser
}) => {
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(join(root, 'Music'));
	await expect(page.getByTestId('import-summary')).toContainText('Added 3 files', { timeout: 30_000 });
	await page.getByTestId('interop-open').click();
	await chooseExchangeFile(page, 'rekordbox.xml', rekordboxXml);
	await page.getByTestId('interop-apply').click();
	await expect(page.getByTestId('interop-applied')).toBeVisible();

	await page.getByTestId('backup-audio').check();
	await page.getByTestId('backup-passphrase').fill('correct horse battery');
	const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('backup-create').click()]);
	await expect(page.getByTestId('backup-written')).toContainText('3 tracks, 3 audio files');
	const zip = readFileSync(await download.path());
	expect(zip.subarray(0, 2).toString()).toBe('PK');
	// The metadata is encrypted: no playlist name or field name in clear text (the audio keeps its own tags).
	expect(zip.includes(Buffer.from('Gigs'))).toBe(false);
	expect(zip.includes(Buffer.from('"playlists"'))).toBe(false);
	expect(zip.includes(Buffer.from('metadata.enc.json'))).toBe(true);

	// A new device: an empty library.
	const other = await browser.newContext();
	const fresh = await other.newPage();
	await fresh.goto('/');
	await waitForApp(fresh);
	await fresh.getByTestId('interop-open').click();
	await fresh
		.getByTestId('restore-file')
		.setInputFiles({ name: 'backup.zip', mimeType: 'application/zip', buffer: zip });
	await fresh.getByTestId('restore-read').click();
	await expect(fresh.getByTestId('backup-error')).toContainText('This backup is encrypted: enter its passphrase.');
	await fresh.getByTestId('restore-passphrase').fill('wrong');
	await fresh.getByTestId('restore-read').click();
	await expect(fresh.getByTestId('backup-error')).toContainText('Wrong passphrase');
	await fresh.getByTestId('restore-passphrase').fill('correct horse battery');
	await fresh.getByTestId('restore-read').click();
	const preview = fresh.getByTestId('restore-preview');
	await expect(preview).toContainText('3 tracks — 3 new, 0 to update, 0 unchanged');
	await expect(preview).toContainText('3 cues, 2 playlists, 2 playlist entries');
	await expect(preview).toContainText('3 audio files to add');
	await fresh.getByTestId('restore-apply').click();
	await expect(fresh.getByTestId('restore-done')).toContainText(
		'Restored: 3 tracks added or updated; 0 audio files failed'
	);
	await fresh.getByTestId('interop-dialog').getByRole('button', { name: 'Close' }).first().click();
	await expect(fresh.getByTestId('track-count')).toHaveText('3 tracks');
	await expect(rows(fresh).filter({ hasText: 'First Tone' })).toContainText('126.5');
	await expect(fresh.getByTestId('playlist-Friday')).toBeVisible();
	// The audio came back into the store under its hash.
	const stored = await fresh.evaluate(async () => {
		const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('audio');
		const names: string[] = [];
		for await (const [name] of (dir as unknown as { entries(): AsyncIterable<[string]> }).entries()) names.push(name);
		return names.length;
	});
	expect(stored).toBe(3);
	await other.close();
});
