import { Dexie, type EntityTable } from 'dexie';
import type { AudioDamage } from '../features/library/damage';
import { cueUid, stampExistingRows } from './stamps';

/**
 * The one Dexie schema. To change it, add a new numbered version below with an upgrade step;
 * never edit a version that has shipped, because browsers already hold data in that shape.
 */

/** The shape of a track as versions 1 and 2 stored it. */
export interface TrackRowV2 {
	hash: string;
	fileName: string;
	size: number;
	mime: string;
	title: string;
	dateAdded: number;
}

export type StorageKind = 'opfs' | 'idb' | 'none';

export interface TrackRow extends TrackRowV2 {
	/** Lower-case hex SHA-256 of the audio bytes: the same file is one track wherever it came from. */
	hash: string;
	/** Title from tags, else the file name without its extension. */
	title: string;
	artist: string;
	album: string;
	albumArtist: string;
	genre: string;
	year: number | null;
	trackNo: number | null;
	discNo: number | null;
	comment: string;
	label: string;
	isrc: string;
	/** BPM and key as written in the file's tags; analysis results live beside them. */
	tagBpm: number | null;
	tagKey: string;
	/** The BPM and key the library shows and filters on (user edit > analysis > tags). */
	bpm: number | null;
	key: string;
	duration: number;
	container: string;
	codec: string;
	bitrate: number;
	sampleRate: number;
	channels: number;
	/** Hash of the thumbnail in the artwork table, if the file had a cover. */
	artwork: string | null;
	rating: number;
	color: string | null;
	freeTags: string[];
	playCount: number;
	lastPlayed: number | null;
	/** Where the audio bytes are; 'none' once evicted from a cache-only library. */
	storage: StorageKind;
	pinned: boolean;
	/** Folder-relative paths this content was imported from (moves and renames add one). */
	paths: string[];
	/** Fields the user set by hand ('bpm', 'key', 'grid'): re-analysis never overwrites them (v5). */
	edited?: EditedField[];
	/** Integrated loudness in LUFS from analysis (the player's auto-gain reads it), v5. */
	loudness?: number | null;
}

export type EditedField = 'bpm' | 'key' | 'grid';

/** Errors an analysis can end with (WorkerError codes). */
export type AnalysisErrorCode =
	'empty' | 'not-audio' | 'corrupt' | 'truncated' | 'internal' | 'out-of-memory' | 'missing' | 'other';

/**
 * One track's analysis (v5), by content hash. A failed analysis is stored too (with `error`), so it is
 * not retried until the analyser version changes or the user asks.
 */
export interface AnalysisRow {
	hash: string;
	/** The analyser that produced it: rows from an older version are redone in the background. */
	analyserVersion: number;
	analysedAt: number;
	error: { code: AnalysisErrorCode; message: string } | null;
	format: string;
	durationSec: number;
	/** Detected tempo, 0 when no beat was found. */
	bpm: number;
	/** The grid in use: the detected one, or the user's (then `TrackRow.edited` holds 'grid'). */
	beatGrid: { bpm: number; firstDownbeatSec: number; beatsPerBar: number };
	tempoConfidence: number;
	variableTempo: boolean;
	key: { tonic: number; scale: 'major' | 'minor'; strength: number } | null;
	loudness: { integratedLufs: number; targetLufs: number; gainDbToTarget: number } | null;
	/** Three-band peaks (low, mid, high interleaved), one byte each. */
	waveform: {
		overview: Uint8Array;
		detail: Uint8Array;
		pointsPerSecond: number;
		overviewPointsPerSecond: number;
	} | null;
	autoCueSec: number;
	/** Milliseconds the analysis took in the worker. */
	ms: number;
	/**
	 * Audio the decoder could not read (damaged frames; analysed as silence there): where, how many
	 * stretches, seconds in all. Absent when the file decoded whole or was analysed before this was kept.
	 * Local: it is not synced, as peers on an older version refuse changes with fields they do not know.
	 */
	damage?: AudioDamage | null;
}

export type CueKind = 'hot' | 'memory' | 'loop';

/** Hot cues A–H (slot 0–7), memory cues and loops (`endSec` set), v5. */
export interface CueRow {
	id?: number;
	hash: string;
	kind: CueKind;
	/** 0–7 for hot cues A–H; -1 otherwise. */
	slot: number;
	startSec: number;
	endSec: number | null;
	name: string;
	color: string;
	createdAt: number;
	/** The cue's identity on every device (v8): a hot cue is '<hash>:hot:<slot>'. */
	uid?: string;
}

export interface ArtworkRow {
	hash: string;
	blob: Blob;
}

/** Audio bytes, in browsers without OPFS; keyed by the track hash. */
export interface AudioBlobRow {
	hash: string;
	blob: Blob;
}

/** 'interrupted': a reload or crash stopped the import before this file finished. */
export type JournalStatus = 'pending' | 'done' | 'failed' | 'skipped' | 'interrupted';

/** One file of an import, written before work starts so a reload can tell what did not finish. */
export interface ImportJournalRow {
	id?: number;
	jobId: string;
	path: string;
	size?: number;
	lastModified?: number;
	status: JournalStatus;
	reason?: string;
	hash?: string;
	/**
	 * The file's handle when it came from a folder/file picker or a drop that gives one (IndexedDB stores
	 * handles): an interrupted import can reopen it after a reload. Files from `<input type=file>` have none.
	 */
	handle?: FileSystemFileHandle;
	/** The picked or dropped folder the file was found in: one permission request covers all its files. */
	root?: FileSystemDirectoryHandle;
}

export interface SettingRow {
	key: string;
	value: unknown;
}

export interface KnownDeviceRow {
	peerId: string;
	name: string;
	lastSeen: number;
}

export type PlaylistKind = 'playlist' | 'smart' | 'crate';

/** Playlists, smart playlists (saved filter rules) and crates (folders that hold playlists). */
export interface PlaylistRow {
	id: string;
	name: string;
	kind: PlaylistKind;
	/** The crate it sits in, or null at the top level. */
	parentId: string | null;
	/** Order among its siblings. */
	position: number;
	/** For smart playlists: the library query (as URL parameters) whose results it lists, live. */
	rules: string | null;
	createdAt: number;
	updatedAt: number;
}

export interface PlaylistItemRow {
	id?: number;
	playlistId: string;
	hash: string;
	/** Fractional, so moving an item writes one row: halfway between its new neighbours. */
	position: number;
	addedAt: number;
}

export type PlayOutcome = 'finished' | 'skipped' | 'failed' | 'expired';

/** Every play, appended as it starts and completed when it ends; feeds play counts and history. */
export interface PlayLogRow {
	id?: number;
	hash: string;
	startedAt: number;
	endedAt: number | null;
	outcome: PlayOutcome | null;
	/** What started it: 'library', a playlist id, 'schedule', 'emergency', 'jingle'. */
	source: string;
}

export type CratemeshDb = Dexie & {
	tracks: EntityTable<TrackRow, 'hash'>;
	settings: EntityTable<SettingRow, 'key'>;
	devices: EntityTable<KnownDeviceRow, 'peerId'>;
	artwork: EntityTable<ArtworkRow, 'hash'>;
	audioBlobs: EntityTable<AudioBlobRow, 'hash'>;
	importJournal: EntityTable<ImportJournalRow, 'id'>;
	playlists: EntityTable<PlaylistRow, 'id'>;
	playlistItems: EntityTable<PlaylistItemRow, 'id'>;
	playLog: EntityTable<PlayLogRow, 'id'>;
	analysis: EntityTable<AnalysisRow, 'hash'>;
	cues: EntityTable<CueRow, 'id'>;
};

export const DB_NAME = 'cratemesh';

/** Applies every version in order; exported so tests can open older versions on their own. */
export function defineSchema(db: Dexie): void {
	// v1: tracks by content hash, key-value settings.
	db.version(1).stores({
		tracks: '&hash, dateAdded',
		settings: '&key'
	});

	// v2: a title column to sort and search on, filled from the file name for existing rows;
	// devices seen over the mesh.
	db.version(2)
		.stores({
			tracks: '&hash, dateAdded, title',
			settings: '&key',
			devices: '&peerId, lastSeen'
		})
		.upgrade((tx) =>
			tx
				.table('tracks')
				.toCollection()
				.modify((track: Partial<TrackRow>) => {
					track.title ??= titleFromFileName(track.fileName ?? '');
				})
		);

	// v3: full tags, technical data, ratings and storage location per track; cover thumbnails and
	// (without OPFS) audio bytes by hash; an import journal so interrupted imports can be reported.
	// Sorting and search run on an in-memory catalog in a worker, so tracks keep few indexes.
	db.version(3)
		.stores({
			tracks: '&hash, dateAdded, title, lastPlayed',
			settings: '&key',
			devices: '&peerId, lastSeen',
			artwork: '&hash',
			audioBlobs: '&hash',
			importJournal: '++id, jobId, status'
		})
		.upgrade((tx) => tx.table('tracks').toCollection().modify(upgradeTrackToV3));

	// v4: playlists, smart playlists and crates with ordered items; the play log. New tables only,
	// so no upgrade step is needed.
	db.version(4).stores({
		tracks: '&hash, dateAdded, title, lastPlayed',
		settings: '&key',
		devices: '&peerId, lastSeen',
		artwork: '&hash',
		audioBlobs: '&hash',
		importJournal: '++id, jobId, status',
		playlists: '&id, parentId',
		playlistItems: '++id, playlistId, [playlistId+position], hash',
		playLog: '++id, hash, startedAt'
	});

	// v5: analysis results (with the analyser version, so a newer analyser redoes them) and cue points.
	// New tables only; the new optional track fields (`edited`, `loudness`) read as unset on old rows.
	db.version(5).stores({
		tracks: '&hash, dateAdded, title, lastPlayed',
		settings: '&key',
		devices: '&peerId, lastSeen',
		artwork: '&hash',
		audioBlobs: '&hash',
		importJournal: '++id, jobId, status',
		playlists: '&id, parentId',
		playlistItems: '++id, playlistId, [playlistId+position], hash',
		playLog: '++id, hash, startedAt',
		analysis: '&hash, analyserVersion',
		cues: '++id, hash'
	});

	// v6: mesh identity (this install's non-extractable key pair) and trusted devices (paired keys,
	// trust level). New tables only; the mesh reads them through `db().table(...)`.
	db.version(6).stores({
		tracks: '&hash, dateAdded, title, lastPlayed',
		settings: '&key',
		devices: '&peerId, lastSeen',
		artwork: '&hash',
		audioBlobs: '&hash',
		importJournal: '++id, jobId, status',
		playlists: '&id, parentId',
		playlistItems: '++id, playlistId, [playlistId+position], hash',
		playLog: '++id, hash, startedAt',
		analysis: '&hash, analyserVersion',
		cues: '++id, hash',
		meshIdentity: '&id',
		trustedDevices: '&peerId, lastSeen'
	});

	// v7: player sync (issue 7). `syncAssets`: the manifest's assets on this device (metadata, download
	// state, failures); `syncPartials`: resumable downloads (bytes so far and the saved SHA-256 state).
	// New tables only; the sync feature reads them through `db().table(...)` (src/lib/features/sync/store.ts).
	db.version(7).stores({
		tracks: '&hash, dateAdded, title, lastPlayed',
		settings: '&key',
		devices: '&peerId, lastSeen',
		artwork: '&hash',
		audioBlobs: '&hash',
		importJournal: '++id, jobId, status',
		playlists: '&id, parentId',
		playlistItems: '++id, playlistId, [playlistId+position], hash',
		playLog: '++id, hash, startedAt',
		analysis: '&hash, analyserVersion',
		cues: '++id, hash',
		meshIdentity: '&id',
		trustedDevices: '&peerId, lastSeen',
		syncAssets: '&hash, state',
		syncPartials: '&hash'
	});

	// v8: library sync between own devices (issue 8). `syncStamps`: per synced row its HLC stamps (per field,
	// created, deleted), a tombstone's values and the local change order `seq` that peers pull from;
	// `syncPeers`: per device the watermark and counts. Cues get a `uid` (their identity on every device) and
	// playlist items an index on (playlist, track), their identity. Only the tables that change are listed
	// (Dexie keeps the rest). Existing rows are stamped once so they sync like new ones.
	db.version(8)
		.stores({
			cues: '++id, hash, uid',
			playlistItems: '++id, playlistId, [playlistId+position], hash, [playlistId+hash]',
			syncStamps: '&id, [seq+id], seq',
			syncPeers: '&peerId'
		})
		.upgrade(async (tx) => {
			await tx
				.table('cues')
				.toCollection()
				.modify((cue: CueRow) => {
					cue.uid ??= cueUid(cue as unknown as Record<string, unknown>);
				});
			await stampExistingRows(tx);
		});

	// v10: collaborative playlists (issue 9). `collabShares`: the shares this device takes part in (owner,
	// members, whether files may be requested, local matches). Each share's entries live in its own Y.Doc,
	// persisted by y-indexeddb in a database of its own. New table only; read through `db().table(...)`
	// (src/lib/features/collab/store.ts).
	db.version(10).stores({ collabShares: '&id' });

	// v19: tracks indexed by where their bytes are, so start-up work that needs the bytes (analysis) can ask
	// for the tracks held on this device without reading every row: a library synced from a peer may hold
	// 100k tracks with no bytes here. The index is built from the existing `storage` field; nothing to rewrite.
	db.version(19).stores({ tracks: '&hash, dateAdded, title, lastPlayed, storage' });

	// v20: analysis indexed by format and version, so start-up finds the MP3 results of analyser version 1
	// (~51 ms late: analysis/version.ts) from the index alone, without reading rows and their waveforms.
	// The index is built from existing fields; nothing to rewrite.
	db.version(20).stores({ analysis: '&hash, analyserVersion, [format+analyserVersion]' });
}

/** Defaults for the fields version 3 added, so older rows read like new ones. */
export function upgradeTrackToV3(track: Partial<TrackRow>): void {
	track.artist ??= '';
	track.album ??= '';
	track.albumArtist ??= '';
	track.genre ??= '';
	track.year ??= null;
	track.trackNo ??= null;
	track.discNo ??= null;
	track.comment ??= '';
	track.label ??= '';
	track.isrc ??= '';
	track.tagBpm ??= null;
	track.tagKey ??= '';
	track.bpm ??= null;
	track.key ??= '';
	track.duration ??= 0;
	track.container ??= '';
	track.codec ??= '';
	track.bitrate ??= 0;
	track.sampleRate ??= 0;
	track.channels ??= 0;
	track.artwork ??= null;
	track.rating ??= 0;
	track.color ??= null;
	track.freeTags ??= [];
	track.playCount ??= 0;
	track.lastPlayed ??= null;
	// Versions 1–2 recorded hashes only; no bytes were kept.
	track.storage ??= 'none';
	track.pinned ??= false;
	track.paths ??= track.fileName ? [track.fileName] : [];
}

export function titleFromFileName(fileName: string): string {
	const base = fileName.split(/[\\/]/).pop() ?? fileName;
	const dot = base.lastIndexOf('.');
	return (dot > 0 ? base.slice(0, dot) : base).trim() || base;
}

export function openDb(name = DB_NAME): CratemeshDb {
	const db = new Dexie(name) as CratemeshDb;
	defineSchema(db);
	return db;
}
