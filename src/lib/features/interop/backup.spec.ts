import { describe, expect, it } from 'vitest';
import type { SettingRow } from '../../db/schema';
import {
	backupData,
	BackupError,
	decryptText,
	encryptText,
	openBackup,
	planRestore,
	validateBackup,
	writeBackupZip,
	type AudioSource
} from './backup';
import { exportDoc } from './export-model';
import { writeRekordbox } from './rekordbox';
import { writeTraktor } from './traktor';
import { hashOf, richLibrary } from './test-library';

const settings: SettingRow[] = [
	{ key: 'theme', value: 'dark' },
	{ key: 'analysis.tempoRange', value: [70, 180] },
	{ key: 'deviceName', value: 'laptop' },
	{ key: 'account.currentTenant', value: 't1' },
	{ key: 'sync.manifest', value: {} }
];

/** A zip written through a real WritableStream into memory chunks (what OPFS's writable receives). */
async function zipOf(options: Parameters<typeof writeBackupZip>[2] = {}) {
	const chunks: Uint8Array[] = [];
	const out = new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(chunk) });
	await writeBackupZip(out, backupData(richLibrary(), settings, 1), options);
	return { blob: new Blob(chunks as BlobPart[]), writes: chunks.length };
}

async function* audioOf(entries: [string, string][]): AsyncGenerator<AudioSource> {
	for (const [hash, text] of entries) yield { hash, blob: new Blob([text]) };
}

describe('backup and restore', () => {
	it('writes metadata and streamed audio into a zip and reads them back validated', async () => {
		const bytes = 'x'.repeat(200_000);
		const { blob, writes } = await zipOf({ audio: audioOf([[hashOf(1), bytes]]) });
		expect(writes).toBeGreaterThan(1);
		const opened = await openBackup(blob);
		expect(opened.encrypted).toBe(false);
		expect(opened.data.tracks).toHaveLength(3);
		expect(opened.data.cues).toHaveLength(5);
		expect(opened.data.settings.map((s) => s.key)).toEqual(['theme', 'analysis.tempoRange']);
		expect([...opened.audio.keys()]).toEqual([hashOf(1)]);
		expect(opened.audio.get(hashOf(1))!.uncompressedSize).toBe(200_000);
	});

	it('encrypts the metadata with a passphrase (wrong one refused, none asked for)', async () => {
		const sealed = await encryptText('{"a":1}', 'correct horse', 100_000);
		expect(sealed).not.toContain('"a"');
		expect(JSON.parse(sealed).kdf).toMatchObject({ name: 'PBKDF2', hash: 'SHA-256', iterations: 100_000 });
		expect(await decryptText(sealed, 'correct horse')).toBe('{"a":1}');
		await expect(decryptText(sealed, 'wrong')).rejects.toMatchObject({ code: 'wrong-passphrase' });

		const { blob } = await zipOf({ passphrase: 'correct horse' });
		const text = new TextDecoder().decode(new Uint8Array(await blob.arrayBuffer()));
		expect(text).toContain('metadata.enc.json');
		expect(text).not.toContain('Title 1');
		await expect(openBackup(blob)).rejects.toMatchObject({ code: 'passphrase' });
		await expect(openBackup(blob, 'nope')).rejects.toBeInstanceOf(BackupError);
		expect((await openBackup(blob, 'correct horse')).data.tracks).toHaveLength(3);
	}, 30_000);

	it('refuses invalid metadata with the failing fields', async () => {
		const data = backupData(richLibrary(), settings);
		const bad = JSON.parse(JSON.stringify(data));
		bad.tracks[0].hash = '../../etc/passwd';
		bad.cues[0].startSec = -5;
		bad.playlists[0].kind = 'script';
		const result = validateBackup(bad);
		expect('errors' in result && result.errors.join('\n')).toMatch(
			/tracks\.0\.hash[\s\S]*cues\.0\.startSec[\s\S]*playlists\.0\.kind/
		);
		await expect(openBackup(new Blob(['{"format":"cratemesh-backup","version":99}']))).rejects.toMatchObject({
			code: 'too-new'
		});
		await expect(openBackup(new Blob(['not json']))).rejects.toMatchObject({ code: 'invalid' });
	});

	it('restores into an empty library whole, and into the same library as a no-op', async () => {
		const data = backupData(richLibrary(), settings);
		const empty = { tracks: [], analysis: [], cues: [], playlists: [], items: [] };
		const plan = planRestore(data, empty, [], new Set([hashOf(2)]));
		expect(plan.tracksNew).toHaveLength(3);
		expect(plan.tracksNew.find((t) => t.hash === hashOf(1))!.storage).toBe('none');
		expect(plan.audioToRestore).toEqual([hashOf(2)]);
		expect(plan.cuesNew).toHaveLength(5);
		expect(plan.playlistsNew).toHaveLength(5);
		expect(plan.itemsNew).toHaveLength(4);
		expect(plan.analysisNew.every((a) => a.analyserVersion === 0)).toBe(true);
		expect(plan.settingsNew.map((s) => s.key)).toEqual(['theme', 'analysis.tempoRange']);

		const same = planRestore(data, richLibrary(), settings, new Set());
		expect(same).toMatchObject({
			tracksNew: [],
			tracksUpdated: [],
			cuesNew: [],
			playlistsNew: [],
			itemsNew: [],
			settingsNew: [],
			unchanged: 3
		});
	});

	it('merges by content hash: the library keeps its own values and gains what it lacks', async () => {
		const data = backupData(richLibrary(), settings);
		const mine = richLibrary();
		mine.tracks[0] = { ...mine.tracks[0]!, rating: 2, playCount: 10, edited: [], bpm: 99, comment: '' };
		mine.cues = mine.cues.filter((c) => c.id !== 3);
		const plan = planRestore(data, mine, settings, new Set());
		expect(plan.tracksUpdated).toEqual([
			{ hash: hashOf(1), patch: { bpm: 124.37, edited: ['bpm', 'grid'], comment: 'opener' } }
		]);
		expect(plan.cuesNew.map((c) => c.startSec)).toEqual([30.5]);
	});

	it('keeps rows whose colour is outside the palette (Object.prototype names too), without the colour', () => {
		const bad = JSON.parse(JSON.stringify(backupData(richLibrary(), settings)));
		bad.tracks[0].color = 'constructor';
		bad.tracks[1].color = 'toString';
		bad.tracks[2].color = 'blue';
		// hot A, hot D, memory, loop (track 1), hot H (track 2)
		bad.cues[0].color = 'constructor';
		bad.cues[1].color = '__proto__';
		bad.cues[2].color = 'valueOf';
		bad.cues[3].color = 7;
		const result = validateBackup(bad);
		if (!('data' in result)) throw new Error(result.errors.join('\n'));
		expect(result.data.tracks.map((t) => t.color)).toEqual([null, null, 'blue']);
		expect(result.data.tracks[0]).toMatchObject({ rating: 4, comment: 'opener', playCount: 3 });
		expect(result.data.cues.map((c) => c.color)).toEqual(['red', 'green', 'blue', 'green', 'yellow']);
		expect(result.data.cues[1]).toMatchObject({ name: 'Drop <b>&"', startSec: 61.987, slot: 3 });
	});

	it('restores only well-formed exchange-file extras (hash → attribute → text), which export can write', async () => {
		const hostile: Record<string, unknown> = {
			[hashOf(1)]: { Grouping: 'Warm', Odd: { toString: 1 }, Count: 5 },
			[hashOf(2)]: { toString: 'plain text is fine' },
			[hashOf(3)]: 'not a record',
			'not-a-hash': { Grouping: 'x' },
			['__proto__']: { Grouping: 'x' }
		};
		const bad = JSON.parse(JSON.stringify(backupData(richLibrary(), settings)));
		bad.settings.push({ key: 'interop.extras', value: hostile }, { key: 'theme2', value: { toString: 1 } });
		const result = validateBackup(bad);
		if (!('data' in result)) throw new Error(result.errors.join('\n'));
		const extras = result.data.settings.find((s) => s.key === 'interop.extras')!.value;
		const kept: Record<string, Record<string, string>> = {
			[hashOf(1)]: { Grouping: 'Warm' },
			[hashOf(2)]: { toString: 'plain text is fine' }
		};
		expect(extras).toEqual(kept);
		// Other settings are not interpreted here.
		expect(result.data.settings.find((s) => s.key === 'theme2')!.value).toEqual({ toString: 1 });

		const doc = exportDoc(richLibrary(), { extras: extras as Record<string, Record<string, string>> });
		const rekordbox = await writeRekordbox(doc).text();
		expect(rekordbox).toContain('Grouping="Warm"');
		expect(await writeTraktor(doc).text()).toContain('<NML');
	});
});
