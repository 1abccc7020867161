import type { CratemeshSupabase } from '$lib/supabase/client';
import {
	haveDifference,
	haveDigest,
	parseManifest,
	parsePoll,
	type DeviceTelemetry,
	type FileRef,
	type Manifest,
	type ManifestRequest,
	type ManifestSource,
	type NowPlayingReport,
	type OpenedFile,
	type SyncReport
} from './manifest';

/** A PostgREST / GoTrue error with its code kept (e.g. 'PT429' for the rate limit). */
export class SourceError extends Error {
	constructor(
		message: string,
		readonly code: string | null
	) {
		super(message);
		this.name = 'SourceError';
	}
}

function fail(error: { message?: string; code?: string } | null): never {
	throw new SourceError(error?.message || 'Request failed', error?.code ?? null);
}

/**
 * The manifest source for Supabase and for the one-box server (same API on the app's own origin):
 * the two RPCs through supabase-js, files from Storage with the session's bearer token. The download
 * worker performs the file request itself, with Range when it resumes.
 */
export class SupabaseSource implements ManifestSource {
	readonly id: string;

	constructor(
		private readonly client: CratemeshSupabase,
		private readonly url: string,
		private readonly anonKey: string
	) {
		this.id = `supabase:${url}`;
	}

	/**
	 * A light `sync_poll` first (the held set as a count and a digest: ~250 bytes of body whatever the
	 * number of files, plus the hashes it lacks or keeps beyond the last manifest, so that a file that
	 * keeps failing does not cost the full list every time); only when the server cannot match that set
	 * to a manifest it issued does the full list go out, through `sync_manifest` (which the poll's answer
	 * allows within the rate limit).
	 */
	async manifest(request: ManifestRequest, signal?: AbortSignal): Promise<Manifest> {
		const difference = request.lastManifestHash ? haveDifference(request.have, request.listed) : null;
		let poll = this.client.rpc('sync_poll', {
			device_id: request.deviceId,
			last_manifest_hash: request.lastManifestHash ?? undefined,
			have_count: new Set(request.have).size,
			have_digest: await haveDigest(request.have),
			// Left out when empty: the common poll stays as small as it was.
			missing_hashes: difference?.missing.length ? difference.missing : undefined,
			extra_hashes: difference?.extra.length ? difference.extra : undefined
		});
		if (signal) poll = poll.abortSignal(signal);
		const polled = await poll;
		if (polled.error) fail(polled.error);
		const answer = parsePoll(polled.data);
		if (!('needHave' in answer)) return answer;

		let call = this.client.rpc('sync_manifest', {
			device_id: request.deviceId,
			last_manifest_hash: request.lastManifestHash ?? undefined,
			have_hashes: request.have
		});
		if (signal) call = call.abortSignal(signal);
		const { data, error } = await call;
		if (error) fail(error);
		return parseManifest(data);
	}

	async report(report: SyncReport, signal?: AbortSignal): Promise<{ serverTime: number | null }> {
		let call = this.client.rpc('report_sync', {
			device_id: report.deviceId,
			manifest_hash: report.manifestHash ?? undefined,
			downloaded: report.downloaded,
			deleted: report.deleted,
			failed: report.failed,
			cached_assets_count: report.cachedAssetsCount,
			app_version: report.appVersion.slice(0, 64),
			error: report.error ? report.error.slice(0, 1000) : undefined,
			peer_bytes: report.peerBytes || undefined,
			server_bytes: report.serverBytes || undefined
		});
		if (signal) call = call.abortSignal(signal);
		const { data, error } = await call;
		if (error) fail(error);
		const at = (data as { logged_at?: unknown } | null)?.logged_at;
		const serverTime = typeof at === 'string' ? Date.parse(at) : NaN;
		return { serverTime: Number.isFinite(serverTime) ? serverTime : null };
	}

	async registerDevice(telemetry: DeviceTelemetry, signal?: AbortSignal): Promise<void> {
		let call = this.client
			.from('devices')
			.update({ app_version: telemetry.appVersion.slice(0, 64), public_key: telemetry.publicKey })
			.eq('id', telemetry.deviceId);
		if (signal) call = call.abortSignal(signal);
		const { error } = await call;
		if (error) fail(error);
	}

	async nowPlaying(report: NowPlayingReport, signal?: AbortSignal): Promise<void> {
		let call = this.client
			.from('devices')
			.update({
				now_playing_sha256: report.hash,
				now_playing_title: report.title ? report.title.slice(0, 500) : null,
				now_playing_at: new Date(report.at).toISOString()
			})
			.eq('id', report.deviceId);
		if (signal) call = call.abortSignal(signal);
		const { error } = await call;
		if (error) fail(error);
	}

	async openFile(file: FileRef): Promise<OpenedFile> {
		if (!file.urlPath || !file.urlPath.startsWith('/')) throw new SourceError('The manifest gave no file path', null);
		const { data } = await this.client.auth.getSession();
		const token = data.session?.access_token;
		if (!token) throw new SourceError('Not signed in', 'signed-out');
		return {
			kind: 'http',
			url: new URL(file.urlPath, this.url.endsWith('/') ? this.url : `${this.url}/`).href,
			headers: { Authorization: `Bearer ${token}`, apikey: this.anonKey }
		};
	}

	/** This user's device rows (a player user normally has exactly one). */
	async ownDevices(): Promise<{ id: string; name: string }[]> {
		const { data: session } = await this.client.auth.getSession();
		const uid = session.session?.user.id;
		if (!uid) return [];
		const { data, error } = await this.client.from('devices').select('id, name').eq('user_id', uid);
		if (error) fail(error);
		return (data ?? []).map((d) => ({ id: d.id, name: d.name }));
	}
}
