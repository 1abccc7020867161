/**
 * What a manifest source answers (the `sync_manifest` / `report_sync` RPCs of supabase/migrations, see
 * supabase/README.md), validated at runtime: the answer comes over the network and a peer may serve it
 * later (issue 8), so nothing here is trusted until it parses.
 */
import * as v from 'valibot';

const sha = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const optionalText = (max: number) => v.optional(v.nullable(text(max)));
const instant = v.pipe(
	v.string(),
	v.maxLength(64),
	v.check((s) => Number.isFinite(Date.parse(s)), 'not a timestamp')
);
const clock = v.pipe(v.string(), v.regex(/^\d{1,2}:\d{2}$/));

export const ManifestAssetSchema = v.object({
	id: text(64),
	title: optionalText(1024),
	artist: optionalText(1024),
	duration_ms: v.optional(v.nullable(v.pipe(v.number(), v.finite(), v.minValue(0)))),
	bpm: v.optional(v.nullable(v.pipe(v.number(), v.finite()))),
	key: optionalText(32),
	mime: optionalText(128),
	valid_from: instant,
	valid_until: instant,
	emergency_eligible: v.optional(v.boolean(), false),
	version: v.optional(v.number(), 0)
});
export type ManifestAsset = v.InferOutput<typeof ManifestAssetSchema>;

export const DownloadSchema = v.object({
	asset: ManifestAssetSchema,
	hash: sha,
	size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 40)),
	url_path: v.optional(text(2048)),
	/** 0: in a current daypart's playlist, 1: emergency-eligible, 2: future dayparts only. */
	priority: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2))
});
export type ManifestDownload = v.InferOutput<typeof DownloadSchema>;

export const EntrySchema = v.object({
	id: text(64),
	playlist_id: text(64),
	target: v.optional(text(16)),
	name: v.optional(text(200), ''),
	days: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(7))), v.maxLength(7)),
	start: clock,
	end: clock,
	time_zone: text(64),
	priority: v.optional(v.number(), 0),
	current: v.optional(v.boolean(), false)
});
export type ManifestEntry = v.InferOutput<typeof EntrySchema>;

const MAX_ITEMS = 100_000;

/** A changed playlist, whole. */
const WholePlaylistSchema = v.object({
	id: text(64),
	name: v.optional(text(200), ''),
	items: v.pipe(v.array(sha), v.maxLength(MAX_ITEMS))
});

/**
 * A changed playlist as a patch of the copy the device got with its last manifest (`sync_poll` sends
 * this when it is under half the items): the new length and the positions whose hash differs.
 */
const PatchedPlaylistSchema = v.pipe(
	v.object({
		id: text(64),
		name: v.optional(text(200), ''),
		count: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ITEMS)),
		set: v.pipe(
			v.array(v.tuple([v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_ITEMS - 1)), sha])),
			v.maxLength(MAX_ITEMS)
		)
	}),
	v.check((p) => p.set.every(([position]) => position < p.count), 'a patch position is past the end')
);

export const PlaylistSchema = v.union([WholePlaylistSchema, PatchedPlaylistSchema]);
export type ManifestPlaylist = v.InferOutput<typeof PlaylistSchema>;

const UnchangedSchema = v.object({
	hash: sha,
	unchanged: v.literal(true),
	next_change_at: v.optional(v.nullable(instant))
});

/** `sync_poll` could not match the held set to one it issued: send the full list (`sync_manifest`). */
const NeedHaveSchema = v.object({
	hash: sha,
	unchanged: v.literal(false),
	need_have: v.literal(true),
	next_change_at: v.optional(v.nullable(instant))
});

const DeltaSchema = v.object({
	hash: sha,
	unchanged: v.literal(false),
	asset_count: v.pipe(v.number(), v.integer(), v.minValue(0)),
	next_change_at: v.optional(v.nullable(instant)),
	downloads: v.optional(v.pipe(v.array(DownloadSchema), v.maxLength(20_000)), []),
	downloads_remaining: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
	deletes: v.optional(v.pipe(v.array(sha), v.maxLength(20_000)), []),
	updates: v.optional(v.pipe(v.array(v.object({ hash: sha, asset: ManifestAssetSchema })), v.maxLength(20_000)), []),
	schedule: v.object({
		/** Absent: unchanged since the last manifest (`sync_poll` leaves them out then). */
		entries: v.optional(v.pipe(v.array(EntrySchema), v.maxLength(10_000))),
		playlists: v.optional(v.pipe(v.array(PlaylistSchema), v.maxLength(10_000)), [])
	})
});

export const ManifestSchema = v.variant('unchanged', [UnchangedSchema, DeltaSchema]);
export type Manifest = v.InferOutput<typeof ManifestSchema>;
export type ManifestDelta = v.InferOutput<typeof DeltaSchema>;

function parseWith<T extends v.GenericSchema>(schema: T, raw: unknown): v.InferOutput<T> {
	const result = v.safeParse(schema, raw);
	if (result.success) return result.output;
	const issue = result.issues[0];
	const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
	throw new Error(`Invalid manifest${path ? ` at ${path}` : ''}: ${issue.message}`);
}

/** Parses an untrusted manifest answer; throws a readable error naming the first bad field. */
export function parseManifest(raw: unknown): Manifest {
	return parseWith(ManifestSchema, raw);
}

/** A `sync_poll` answer: a manifest, or `need_have` (then the caller sends the full list). */
export function parsePoll(raw: unknown): Manifest | { needHave: true; hash: string } {
	if (raw && typeof raw === 'object' && (raw as { need_have?: unknown }).need_have === true) {
		const answer = parseWith(NeedHaveSchema, raw);
		return { needHave: true, hash: answer.hash };
	}
	return parseManifest(raw);
}

/**
 * What `sync_poll` takes instead of the held list: lower-case hex SHA-256 of the held hashes sorted
 * ascending (byte order) and concatenated without separator (supabase/README.md).
 */
export async function haveDigest(hashes: readonly string[]): Promise<string> {
	const sorted = [...new Set(hashes)].sort();
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sorted.join('')));
	return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface ManifestRequest {
	deviceId: string;
	lastManifestHash: string | null;
	/** Hashes this device holds for the manifest (never duplicates). */
	have: string[];
	/**
	 * The set the last manifest listed, as far as this device knows it (null when it does not know it
	 * all, e.g. downloads were held back). Lets a source describe `have` as a small difference.
	 */
	listed?: readonly string[] | null;
}

/** At most this many hashes go as a difference; beyond it the full list is the honest request. */
export const MAX_HAVE_DIFFERENCE = 500;

/**
 * `have` as the last manifest's set minus what is missing plus what is extra, or null when there is no
 * known set or the difference is too large to be worth it.
 */
export function haveDifference(
	have: readonly string[],
	listed: readonly string[] | null | undefined
): { missing: string[]; extra: string[] } | null {
	if (!listed) return null;
	const held = new Set(have);
	const wanted = new Set(listed);
	const missing = [...wanted].filter((h) => !held.has(h)).sort();
	const extra = [...held].filter((h) => !wanted.has(h)).sort();
	if (missing.length + extra.length > MAX_HAVE_DIFFERENCE) return null;
	return { missing, extra };
}

export interface SyncReport {
	deviceId: string;
	manifestHash: string | null;
	downloaded: string[];
	deleted: string[];
	failed: string[];
	cachedAssetsCount: number;
	appVersion: string;
	error: string | null;
	/** Bytes of files received since the last report, from other players (mesh) and from the server. */
	peerBytes?: number;
	serverBytes?: number;
}

export interface DeviceTelemetry {
	deviceId: string;
	appVersion: string;
	publicKey: string | null;
}

/** One file to fetch: the manifest's content hash (SHA-256), or only an MD5 where a source gives no more. */
export interface FileRef {
	/** Lower-case hex SHA-256: the content address. */
	hash: string;
	size: number;
	/** Where an HTTP source serves it, relative to the source's base URL. */
	urlPath?: string;
	/** When the source can only vouch for an MD5 (then SHA-256 is computed for the store, MD5 verified). */
	md5?: string;
}

/**
 * How the download worker reads a file from `offset`. HTTP sources answer with a request the worker
 * performs itself (so the bytes never cross the UI thread, and Range does the resuming); a source that is
 * not HTTP (a peer, issue 8) hands over a stream that starts at `offset`.
 */
export type OpenedFile =
	| { kind: 'http'; url: string; headers: Record<string, string> }
	| { kind: 'stream'; stream: ReadableStream<Uint8Array>; offset: number };

/**
 * Where manifests and files come from. The sync engine depends on this only: Supabase and the one-box
 * server implement it over HTTP (`supabase-source.ts`); a peer can serve the same answers later.
 */
export interface ManifestSource {
	readonly id: string;
	manifest(request: ManifestRequest, signal?: AbortSignal): Promise<Manifest>;
	/** Returns the server's time of the report when it gives one (epoch ms). */
	report(report: SyncReport, signal?: AbortSignal): Promise<{ serverTime: number | null }>;
	/** Records app version and public key on the device (once per start; failures are not fatal). */
	registerDevice(telemetry: DeviceTelemetry, signal?: AbortSignal): Promise<void>;
	openFile(file: FileRef, offset: number, signal?: AbortSignal): Promise<OpenedFile>;
	/** What the device is playing, for the director's device list (optional: telemetry only). */
	nowPlaying?(report: NowPlayingReport, signal?: AbortSignal): Promise<void>;
}

/** Bytes of scheduled files by where they came from (another player on the mesh, or the server). */
export interface FileBytes {
	peers: number;
	server: number;
}

export interface NowPlayingReport {
	deviceId: string;
	/** The asset's SHA-256, or null for something that is no asset (the built-in jingle). */
	hash: string | null;
	title: string | null;
	at: number;
}
