/**
 * Whole-library backups: one zip with `metadata.json` (tracks, analysis without waveforms, cues, playlists,
 * settings; versioned, validated with valibot on restore) — or `metadata.enc.json` when a passphrase is given
 * (PBKDF2-SHA-256, 600,000 iterations, AES-256-GCM, WebCrypto) — and optionally `audio/<sha256>` entries,
 * stored uncompressed and streamed from the audio store into the writer (never the whole zip in memory).
 * Restoring merges by content hash and is previewed first, like an exchange-file import.
 */
import { BlobReader, configure, TextWriter, ZipReader, ZipWriter, type FileEntry } from '@zip.js/zip.js';
import * as v from 'valibot';
import type { CratemeshDb, CueRow, PlaylistItemRow, PlaylistRow, SettingRow, TrackRow } from '../../db/schema';
import { COLORS, defaultCueColor } from '../library/colors';
import { cleanExtras, EXTRAS_KEY, type LibrarySnapshot } from './model';

// Runs inside the interop worker already: no nested workers (and no worker-src needed in the CSP).
configure({ useWebWorkers: false });

export const BACKUP_FORMAT = 'cratemesh-backup';
export const BACKUP_VERSION = 1;
export const PBKDF2_ITERATIONS = 600_000;
/** Settings that belong to this device, never carried to another. */
const DEVICE_SETTINGS = /^(deviceName$|meshSync|mesh\.|audioCapBytes$|account\.|sync\.|scheduler\.|device\.|storage\.)/;

const str = v.string();
const num = v.pipe(v.number(), v.finite());
const nullableNum = v.nullable(num);
const hash = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
/** A palette colour, or null for anything else: an unknown colour costs the row its colour, not the restore. */
const color = v.fallback(v.nullable(v.picklist(COLORS)), null);

const TrackSchema = v.looseObject({
	hash,
	fileName: v.pipe(str, v.maxLength(1000)),
	size: num,
	mime: str,
	title: str,
	artist: str,
	album: str,
	albumArtist: str,
	genre: str,
	year: nullableNum,
	trackNo: nullableNum,
	discNo: nullableNum,
	comment: str,
	label: str,
	isrc: str,
	tagBpm: nullableNum,
	tagKey: str,
	bpm: nullableNum,
	key: str,
	duration: num,
	container: str,
	codec: str,
	bitrate: num,
	sampleRate: num,
	channels: num,
	artwork: v.nullable(str),
	rating: v.pipe(num, v.minValue(0), v.maxValue(5)),
	color,
	freeTags: v.array(str),
	playCount: v.pipe(num, v.minValue(0)),
	lastPlayed: nullableNum,
	storage: v.picklist(['opfs', 'idb', 'none']),
	pinned: v.boolean(),
	paths: v.array(str),
	dateAdded: num,
	edited: v.optional(v.array(v.picklist(['bpm', 'key', 'grid']))),
	loudness: v.optional(nullableNum)
});

const AnalysisSchema = v.looseObject({
	hash,
	analyserVersion: num,
	analysedAt: num,
	error: v.nullable(
		v.object({
			code: v.picklist(['empty', 'not-audio', 'corrupt', 'truncated', 'internal', 'out-of-memory', 'missing', 'other']),
			message: str
		})
	),
	format: str,
	durationSec: num,
	bpm: num,
	beatGrid: v.object({
		bpm: v.pipe(num, v.minValue(0), v.maxValue(999)),
		firstDownbeatSec: num,
		beatsPerBar: v.pipe(num, v.integer(), v.minValue(1), v.maxValue(16))
	}),
	tempoConfidence: num,
	variableTempo: v.boolean(),
	key: v.nullable(
		v.object({
			tonic: v.pipe(num, v.integer(), v.minValue(0), v.maxValue(11)),
			scale: v.picklist(['major', 'minor']),
			strength: num
		})
	),
	loudness: v.nullable(v.object({ integratedLufs: num, targetLufs: num, gainDbToTarget: num })),
	autoCueSec: num,
	ms: num
});

const CueSchema = v.pipe(
	v.object({
		hash,
		kind: v.picklist(['hot', 'memory', 'loop']),
		slot: v.pipe(num, v.integer(), v.minValue(-1), v.maxValue(7)),
		startSec: v.pipe(num, v.minValue(0)),
		endSec: nullableNum,
		name: v.pipe(str, v.maxLength(64)),
		color,
		createdAt: num
	}),
	// A cue without a known colour gets the one the cue editor would give it.
	v.transform((cue) => ({ ...cue, color: cue.color ?? defaultCueColor(cue.kind, cue.slot) }))
);

const PlaylistSchema = v.object({
	id: v.pipe(str, v.minLength(1), v.maxLength(100)),
	name: v.pipe(str, v.maxLength(120)),
	kind: v.picklist(['playlist', 'smart', 'crate']),
	parentId: v.nullable(str),
	position: num,
	rules: v.nullable(str),
	createdAt: num,
	updatedAt: num
});

const ItemSchema = v.object({ playlistId: str, hash, position: num, addedAt: num });

export const BackupSchema = v.object({
	format: v.literal(BACKUP_FORMAT),
	version: v.literal(BACKUP_VERSION),
	createdAt: num,
	tracks: v.array(TrackSchema),
	analysis: v.array(AnalysisSchema),
	cues: v.array(CueSchema),
	playlists: v.array(PlaylistSchema),
	items: v.array(ItemSchema),
	settings: v.array(
		v.pipe(
			v.object({ key: v.pipe(str, v.maxLength(200)), value: v.unknown() }),
			// Export writes these into XML attributes: only hash → name → text survives.
			v.transform((s) => (s.key === EXTRAS_KEY ? { ...s, value: cleanExtras(s.value) } : s))
		)
	)
});

export type BackupData = v.InferOutput<typeof BackupSchema>;

export function backupData(library: LibrarySnapshot, settings: SettingRow[], now = Date.now()): BackupData {
	return {
		format: BACKUP_FORMAT,
		version: BACKUP_VERSION,
		createdAt: now,
		tracks: library.tracks,
		analysis: library.analysis.map(({ waveform: _waveform, ...row }) => row),
		cues: library.cues.map(({ id: _id, ...cue }) => cue),
		playlists: library.playlists,
		items: library.items.map(({ id: _id, ...item }) => item),
		settings: settings.filter((s) => !DEVICE_SETTINGS.test(s.key))
	} as BackupData;
}

/** A readable reason per invalid field (first 20), for the restore report. */
export function validateBackup(json: unknown): { data: BackupData } | { errors: string[] } {
	const result = v.safeParse(BackupSchema, json);
	if (result.success) return { data: result.output };
	return {
		errors: result.issues.slice(0, 20).map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`)
	};
}

// ---- encryption ----

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
	const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, [
		'deriveKey'
	]);
	return crypto.subtle.deriveKey(
		{ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
		material,
		{ name: 'AES-GCM', length: 256 },
		false,
		['encrypt', 'decrypt']
	);
}

const EnvelopeSchema = v.object({
	format: v.literal(`${BACKUP_FORMAT}-encrypted`),
	version: v.literal(1),
	kdf: v.object({
		name: v.literal('PBKDF2'),
		hash: v.literal('SHA-256'),
		iterations: v.pipe(num, v.integer(), v.minValue(100_000), v.maxValue(10_000_000)),
		salt: str
	}),
	cipher: v.object({ name: v.literal('AES-GCM'), iv: str }),
	data: str
});

/** Encrypts text with a key derived from the passphrase; the envelope says how, never the key. */
export async function encryptText(text: string, passphrase: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
	const salt = crypto.getRandomValues(new Uint8Array(16));
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const key = await deriveKey(passphrase, salt, iterations);
	const data = new Uint8Array(
		await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(text))
	);
	let binary = '';
	for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
	return JSON.stringify({
		format: `${BACKUP_FORMAT}-encrypted`,
		version: 1,
		kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: b64(salt) },
		cipher: { name: 'AES-GCM', iv: b64(iv) },
		data: btoa(binary)
	});
}

export class BackupError extends Error {
	constructor(
		readonly code: 'not-backup' | 'invalid' | 'passphrase' | 'wrong-passphrase' | 'too-new',
		message: string
	) {
		super(message);
	}
}

export async function decryptText(envelope: string, passphrase: string): Promise<string> {
	let json: unknown;
	try {
		json = JSON.parse(envelope);
	} catch {
		throw new BackupError('invalid', 'The encrypted backup is damaged');
	}
	const parsed = v.safeParse(EnvelopeSchema, json);
	if (!parsed.success) throw new BackupError('invalid', 'The encrypted backup is damaged');
	const { kdf, cipher, data } = parsed.output;
	const key = await deriveKey(passphrase, unb64(kdf.salt), kdf.iterations);
	try {
		const plain = await crypto.subtle.decrypt(
			{ name: 'AES-GCM', iv: unb64(cipher.iv) as BufferSource },
			key,
			unb64(data) as BufferSource
		);
		return new TextDecoder().decode(plain);
	} catch {
		throw new BackupError('wrong-passphrase', 'Wrong passphrase (or the backup was altered)');
	}
}

// ---- zip ----

export interface AudioSource {
	hash: string;
	blob: Blob;
}

/**
 * Writes the backup zip into `out` (an OPFS file's writable, a download stream…): metadata first, then each
 * audio file streamed from its Blob, stored without compression (audio does not compress).
 */
export async function writeBackupZip(
	out: WritableStream,
	data: BackupData,
	{
		passphrase,
		audio,
		onAudio,
		signal
	}: {
		passphrase?: string;
		audio?: AsyncIterable<AudioSource>;
		onAudio?: (done: number) => void;
		signal?: AbortSignal;
	} = {}
): Promise<void> {
	const zip = new ZipWriter(out, { signal });
	const json = JSON.stringify(data);
	if (passphrase) await zip.add('metadata.enc.json', new BlobReader(new Blob([await encryptText(json, passphrase)])));
	else await zip.add('metadata.json', new BlobReader(new Blob([json])));
	let done = 0;
	if (audio)
		for await (const { hash: h, blob } of audio) {
			await zip.add(`audio/${h}`, new BlobReader(blob), { level: 0 });
			onAudio?.(++done);
		}
	await zip.close();
}

export interface OpenedBackup {
	data: BackupData;
	encrypted: boolean;
	/** Audio entries by hash; read one at a time on apply. */
	audio: Map<string, FileEntry>;
}

/** Opens a backup zip (or a bare metadata JSON file), decrypting and validating the metadata. */
export async function openBackup(file: Blob, passphrase = ''): Promise<OpenedBackup> {
	const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
	let text: string;
	let encrypted: boolean;
	const audio = new Map<string, FileEntry>();
	if (head[0] === 0x50 && head[1] === 0x4b) {
		const reader = new ZipReader(new BlobReader(file));
		const entries = (
			await reader.getEntries().catch((error: unknown) => {
				throw new BackupError(
					'invalid',
					`The backup file is damaged (${error instanceof Error ? error.message : error})`
				);
			})
		).filter((e): e is FileEntry => !e.directory);
		const plain = entries.find((e) => e.filename === 'metadata.json');
		const sealed = entries.find((e) => e.filename === 'metadata.enc.json');
		if (!plain && !sealed) throw new BackupError('not-backup', 'No metadata.json in this zip');
		for (const entry of entries) {
			const m = /^audio\/([0-9a-f]{64})$/.exec(entry.filename);
			if (m) audio.set(m[1]!, entry);
		}
		if (sealed && sealed.uncompressedSize > 512 * 1024 * 1024) throw new BackupError('invalid', 'Metadata too large');
		try {
			text = await (sealed ?? plain)!.getData(new TextWriter());
		} catch (error) {
			// A damaged or altered entry (bad deflate data, CRC mismatch): say so rather than the zip library's words.
			throw new BackupError(
				'invalid',
				`The backup file is damaged (${error instanceof Error ? error.message : error})`
			);
		}
		encrypted = Boolean(sealed);
	} else {
		if (file.size > 512 * 1024 * 1024) throw new BackupError('invalid', 'Metadata too large');
		text = await file.text();
		encrypted = text.includes(`"${BACKUP_FORMAT}-encrypted"`);
	}
	if (encrypted) {
		if (!passphrase) throw new BackupError('passphrase', 'This backup is encrypted: enter its passphrase');
		text = await decryptText(text, passphrase);
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw new BackupError('invalid', 'The metadata is not valid JSON');
	}
	if (
		typeof json === 'object' &&
		json &&
		(json as { version?: unknown }).version !== BACKUP_VERSION &&
		(json as { format?: unknown }).format === BACKUP_FORMAT
	)
		throw new BackupError(
			'too-new',
			`Backup version ${String((json as { version?: unknown }).version)} is not supported`
		);
	const checked = validateBackup(json);
	if ('errors' in checked) throw new BackupError('invalid', checked.errors.join('; '));
	return { data: checked.data, encrypted, audio };
}

// ---- merge ----

export interface RestorePlan {
	tracksNew: TrackRow[];
	tracksUpdated: { hash: string; patch: Partial<TrackRow> }[];
	analysisNew: BackupData['analysis'];
	cuesNew: CueRow[];
	playlistsNew: PlaylistRow[];
	itemsNew: PlaylistItemRow[];
	settingsNew: SettingRow[];
	/** Hashes of new tracks whose audio is in the backup. */
	audioToRestore: string[];
	unchanged: number;
}

/**
 * Merges a backup into the library by content hash: new tracks come in whole (storage 'none' unless their
 * audio is in the backup); for tracks already here the library keeps its own values and only gains what it
 * lacks (BPM/key edits, rating, colour, comment, higher play count, earlier date). Analysis rows are restored
 * as version 0 without waveforms, so the analyser redraws them and keeps edited grids. Playlists merge by id.
 */
export function planRestore(
	data: BackupData,
	library: LibrarySnapshot,
	settings: SettingRow[],
	audioInBackup: Set<string>
): RestorePlan {
	const have = new Map(library.tracks.map((t) => [t.hash, t]));
	const plan: RestorePlan = {
		tracksNew: [],
		tracksUpdated: [],
		analysisNew: [],
		cuesNew: [],
		playlistsNew: [],
		itemsNew: [],
		settingsNew: [],
		audioToRestore: [],
		unchanged: 0
	};
	for (const track of data.tracks as TrackRow[]) {
		const ours = have.get(track.hash);
		if (!ours) {
			const restored = audioInBackup.has(track.hash);
			plan.tracksNew.push({
				...track,
				storage: restored ? (track.storage === 'none' ? 'opfs' : track.storage) : 'none',
				pinned: track.pinned && restored
			});
			if (restored) plan.audioToRestore.push(track.hash);
			continue;
		}
		const patch: Partial<TrackRow> = {};
		const edited = new Set(ours.edited ?? []);
		for (const field of ['bpm', 'key'] as const)
			if (track.edited?.includes(field) && !edited.has(field) && track[field] !== ours[field]) {
				(patch as Record<string, unknown>)[field] = track[field];
				edited.add(field);
			}
		if (track.edited?.includes('grid')) edited.add('grid');
		if (edited.size !== (ours.edited ?? []).length) patch.edited = [...edited];
		if (track.rating && !ours.rating) patch.rating = track.rating;
		if (track.color && !ours.color) patch.color = track.color;
		if (track.comment && !ours.comment) patch.comment = track.comment;
		if (track.playCount > ours.playCount) patch.playCount = track.playCount;
		if (track.dateAdded < ours.dateAdded) patch.dateAdded = track.dateAdded;
		if (Object.keys(patch).length) plan.tracksUpdated.push({ hash: track.hash, patch });
		else plan.unchanged++;
	}
	const analysed = new Set(library.analysis.map((a) => a.hash));
	const known = new Set([...have.keys(), ...plan.tracksNew.map((t) => t.hash)]);
	for (const row of data.analysis)
		if (!analysed.has(row.hash) && known.has(row.hash)) plan.analysisNew.push({ ...row, analyserVersion: 0 });
	const cueKey = (c: Pick<CueRow, 'hash' | 'kind' | 'slot' | 'startSec'>) =>
		`${c.hash}|${c.kind}|${c.slot}|${Math.round(c.startSec * 1000)}`;
	const cues = new Set(library.cues.map(cueKey));
	const hotSlots = new Set(library.cues.filter((c) => c.kind === 'hot').map((c) => `${c.hash}|${c.slot}`));
	for (const cue of data.cues as CueRow[]) {
		if (!known.has(cue.hash) || cues.has(cueKey(cue))) continue;
		if (cue.kind === 'hot' && hotSlots.has(`${cue.hash}|${cue.slot}`)) continue;
		plan.cuesNew.push(cue);
	}
	const playlistIds = new Set(library.playlists.map((p) => p.id));
	for (const p of data.playlists as PlaylistRow[]) if (!playlistIds.has(p.id)) plan.playlistsNew.push(p);
	const items = new Set(library.items.map((i) => `${i.playlistId}|${i.hash}`));
	const validLists = new Set([...playlistIds, ...plan.playlistsNew.map((p) => p.id)]);
	for (const item of data.items as PlaylistItemRow[])
		if (validLists.has(item.playlistId) && known.has(item.hash) && !items.has(`${item.playlistId}|${item.hash}`))
			plan.itemsNew.push(item);
	const keys = new Set(settings.map((s) => s.key));
	for (const s of data.settings as SettingRow[])
		if (!keys.has(s.key) && !DEVICE_SETTINGS.test(s.key)) plan.settingsNew.push(s);
	return plan;
}

/** Writes a restore plan's rows in one transaction (audio is written before, by the caller). */
export async function applyRestore(db: CratemeshDb, plan: RestorePlan): Promise<void> {
	await db.transaction(
		'rw',
		[db.tracks, db.analysis, db.cues, db.playlists, db.playlistItems, db.settings],
		async () => {
			await db.tracks.bulkPut(plan.tracksNew);
			for (const { hash: h, patch } of plan.tracksUpdated) await db.tracks.update(h, patch);
			const existing = new Set(
				(await db.analysis.bulkGet(plan.analysisNew.map((a) => a.hash))).flatMap((a) => (a ? [a.hash] : []))
			);
			await db.analysis.bulkPut(
				plan.analysisNew.filter((a) => !existing.has(a.hash)).map((a) => ({ ...a, waveform: null }))
			);
			await db.cues.bulkAdd(plan.cuesNew);
			await db.playlists.bulkPut(plan.playlistsNew);
			await db.playlistItems.bulkAdd(plan.itemsNew);
			await db.settings.bulkPut(plan.settingsNew);
		}
	);
}
