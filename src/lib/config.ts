/**
 * Runtime configuration, served by the Cratemesh server at /config.json from its environment, so one
 * build serves any deployment. The service worker keeps the last copy for offline starts.
 */
/** Which backend serves accounts and sync: this server itself (one box), a Supabase project, or none. */
export type Backend = 'onebox' | 'supabase' | 'none';

export interface RuntimeConfig {
	version: string;
	backend: Backend;
	supabaseUrl: string | null;
	supabaseAnonKey: string | null;
	peerjs: { path: string; key: string };
	/**
	 * How devices find each other for the mesh: the PeerJS server at `peerjs.path` (default), or
	 * Supabase Realtime on the configured project (the one-box server also speaks it).
	 */
	signalling: 'peerjs' | 'supabase';
	iceServers: RTCIceServer[];
}

export const DEFAULT_CONFIG: RuntimeConfig = {
	version: 'dev',
	backend: 'none',
	supabaseUrl: null,
	supabaseAnonKey: null,
	peerjs: { path: '/peerjs', key: 'peerjs' },
	signalling: 'peerjs',
	iceServers: []
};

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates an untrusted config document, falling back to defaults field by field. */
export function parseConfig(raw: unknown): RuntimeConfig {
	if (!isRecord(raw)) return DEFAULT_CONFIG;
	const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
	const peerjs = isRecord(raw.peerjs) ? raw.peerjs : {};
	const iceServers = Array.isArray(raw.iceServers)
		? raw.iceServers.filter(
				(s): s is RTCIceServer =>
					isRecord(s) &&
					(typeof s.urls === 'string' || (Array.isArray(s.urls) && s.urls.every((u) => typeof u === 'string')))
			)
		: [];
	const rawUrl = str(raw.supabaseUrl);
	const supabaseUrl = rawUrl && /^https?:\/\//.test(rawUrl) ? rawUrl : null;
	const supabaseAnonKey = str(raw.supabaseAnonKey);
	// Older servers send no `backend`: Supabase settings then mean Supabase.
	const backend: Backend = !supabaseUrl || !supabaseAnonKey ? 'none' : raw.backend === 'onebox' ? 'onebox' : 'supabase';
	return {
		version: str(raw.version) ?? DEFAULT_CONFIG.version,
		backend,
		supabaseUrl,
		supabaseAnonKey,
		peerjs: {
			path: str(peerjs.path) ?? DEFAULT_CONFIG.peerjs.path,
			key: str(peerjs.key) ?? DEFAULT_CONFIG.peerjs.key
		},
		// Realtime needs a project (or the one box) to talk to; without one the PeerJS server it is.
		signalling: raw.signalling === 'supabase' && backend !== 'none' ? 'supabase' : 'peerjs',
		iceServers
	};
}

export async function loadConfig(fetcher: typeof fetch = fetch): Promise<RuntimeConfig> {
	try {
		const response = await fetcher('/config.json', { cache: 'no-cache' });
		if (!response.ok) return DEFAULT_CONFIG;
		return parseConfig(await response.json());
	} catch {
		return DEFAULT_CONFIG;
	}
}

export function isLocalOnly(config: RuntimeConfig): boolean {
	return !config.supabaseUrl || !config.supabaseAnonKey;
}
