import { expect, test } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFile } from 'music-metadata';
import { tone } from '../fixtures/audio.js';
import { waitForApp } from './helpers';

// "Export files with tags" in Chromium: the library's BPM/key/rating (edited in the app) land in copies that
// ffprobe and music-metadata read; the copies decode to the same samples; the stored files do not change.
// The folder picker is the one thing a test cannot click through: `showDirectoryPicker` is replaced by a
// function that returns a real directory handle (an OPFS folder), so the writing path is the real one.

let root: string;
test.beforeAll(() => {
	root = mkdtempSync(join(tmpdir(), 'cratemesh-tags-e2e-'));
	const dir = join(root, 'Music');
	mkdirSync(dir, { recursive: true });
	const spec = { album: 'Tags', genre: 'House', seconds: 4, bpm: 100, key: 'C' };
	tone(dir, { ...spec, name: 'one.mp3', ext: 'mp3', title: 'Tag One', artist: 'Ana', freq: 330 });
	tone(dir, { ...spec, name: 'two.flac', ext: 'flac', title: 'Tag Two', artist: 'Bia', freq: 440 });
	tone(dir, { ...spec, name: 'three.ogg', ext: 'ogg', title: 'Tag Three', artist: 'Caio', freq: 550 });
	tone(dir, { ...spec, name: 'four.m4a', ext: 'm4a', title: 'Tag Four', artist: 'Duda', freq: 660 });
	tone(dir, { ...spec, name: 'five.wav', ext: 'wav', title: 'Tag Five', artist: 'Eli', freq: 770 });
});
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

const md5 = (path: string) =>
	spawnSync('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:a', '-f', 'md5', '-'], { encoding: 'utf8' }).stdout.trim();

test('exports copies with the library’s tags; other tools read them; audio and the library’s files unchanged', async ({
	page
}) => {
	test.setTimeout(180_000);
	await page.goto('/');
	await waitForApp(page);
	await page.getByTestId('folder-input').setInputFiles(join(root, 'Music'));
	await expect(page.getByTestId('import-summary')).toContainText('Added 5 files', { timeout: 60_000 });

	// Edit BPM, key and rating in the library (what the export must carry), straight in IndexedDB.
	const stored = await page.evaluate(async () => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const r = indexedDB.open('cratemesh');
			r.onsuccess = () => resolve(r.result);
			r.onerror = () => reject(r.error);
		});
		const rows = await new Promise<{ hash: string; title: string }[]>((resolve) => {
			const r = db.transaction('tracks').objectStore('tracks').getAll();
			r.onsuccess = () => resolve(r.result);
		});
		const tx = db.transaction('tracks', 'readwrite');
		for (const row of rows)
			tx.objectStore('tracks').put({ ...row, bpm: 124.5, key: '8A', rating: 5, edited: ['bpm', 'key'] });
		await new Promise((resolve) => (tx.oncomplete = resolve));
		db.close();
		// The stored audio's hashes before the export.
		const audio = await (await navigator.storage.getDirectory()).getDirectoryHandle('audio');
		const out: Record<string, string> = {};
		for (const row of rows) {
			const bytes = await (await (await audio.getFileHandle(row.hash)).getFile()).arrayBuffer();
			out[row.hash] = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
				.map((b) => b.toString(16).padStart(2, '0'))
				.join('');
		}
		return out;
	});
	for (const [hash, digest] of Object.entries(stored)) expect(digest).toBe(hash);

	await page.reload();
	await waitForApp(page);
	// The folder picker answers with a real folder.
	await page.evaluate(() => {
		(window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker =
			async () => (await navigator.storage.getDirectory()).getDirectoryHandle('Exported', { create: true });
	});
	await page.getByTestId('interop-open').click();
	await page.getByTestId('tag-export-all').check();
	await page.getByTestId('tag-export-run').click();
	await expect(page.getByTestId('tag-export-done')).toContainText(
		'Exported 5 files to “Exported” (4 with tags written); 0 failed',
		{ timeout: 60_000 }
	);
	await expect(page.getByTestId('tag-export-problems')).toContainText('five.wav: format without tags');

	// The copies, out to disk for ffprobe and music-metadata.
	const files = await page.evaluate(async () => {
		const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('Exported');
		const out: { name: string; bytes: number[] }[] = [];
		for await (const [name, handle] of (
			dir as unknown as { entries(): AsyncIterable<[string, FileSystemFileHandle]> }
		).entries())
			out.push({ name, bytes: [...new Uint8Array(await (await handle.getFile()).arrayBuffer())] });
		return out;
	});
	expect(files.map((f) => f.name).sort()).toEqual(['five.wav', 'four.m4a', 'one.mp3', 'three.ogg', 'two.flac']);
	const outDir = join(root, 'out');
	mkdirSync(outDir, { recursive: true });
	for (const f of files) writeFileSync(join(outDir, f.name), Buffer.from(f.bytes));

	for (const name of ['one.mp3', 'two.flac', 'three.ogg', 'four.m4a']) {
		const copy = join(outDir, name);
		const meta = await parseFile(copy);
		expect(meta.common.title, name).toMatch(/^Tag /);
		const probe = JSON.parse(
			execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', copy], {
				encoding: 'utf8'
			})
		);
		const tags: Record<string, string> = {};
		for (const source of [
			probe.format?.tags ?? {},
			...(probe.streams ?? []).map((s: { tags?: object }) => s.tags ?? {})
		])
			for (const [k, v] of Object.entries(source)) tags[k.toLowerCase()] ??= String(v);
		// 8A is A minor; BPM 124.5 (ID3 TBPM is an integer).
		if (name.endsWith('.mp3')) expect([tags.tbpm, tags.tkey], name).toEqual(['125', 'Am']);
		else expect([tags.bpm, tags.initialkey], name).toEqual(['124.5', 'Am']);
		if (!name.endsWith('.m4a')) expect(meta.common.rating?.[0]?.rating, name).toBeGreaterThan(0.99);
		// The same samples as the imported original.
		expect(md5(copy), name).toBe(md5(join(root, 'Music', name)));
	}
	// The WAV was copied byte for byte.
	expect(
		createHash('sha256')
			.update(readFileSync(join(outDir, 'five.wav')))
			.digest('hex')
	).toBe(
		createHash('sha256')
			.update(readFileSync(join(root, 'Music', 'five.wav')))
			.digest('hex')
	);

	// The library's own files still hash to their names.
	const after = await page.evaluate(async (hashes) => {
		const audio = await (await navigator.storage.getDirectory()).getDirectoryHandle('audio');
		const out: string[] = [];
		for (const hash of hashes) {
			const bytes = await (await (await audio.getFileHandle(hash)).getFile()).arrayBuffer();
			out.push(
				[...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
					.map((b) => b.toString(16).padStart(2, '0'))
					.join('')
			);
		}
		return out;
	}, Object.keys(stored));
	expect(after).toEqual(Object.keys(stored));
});
