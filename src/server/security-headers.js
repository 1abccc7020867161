import { createHash } from 'node:crypto';

/**
 * SvelteKit's SPA fallback boots with one small inline <script>. Rather than allowing inline script,
 * the CSP names that exact script by its SHA-256, computed from the built HTML at start-up.
 * @param {string} html
 * @returns {string[]} CSP source expressions such as 'sha256-…'
 */
export function inlineScriptHashes(html) {
	const hashes = [];
	for (const match of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
		const attributes = match[1] ?? '';
		if (/\ssrc\s*=/.test(attributes)) continue;
		const digest = createHash('sha256')
			.update(match[2] ?? '', 'utf8')
			.digest('base64');
		hashes.push(`'sha256-${digest}'`);
	}
	return hashes;
}

/** @param {string | null | undefined} url */
function originOf(url) {
	if (!url) return [];
	try {
		const parsed = new URL(url);
		const ws = parsed.protocol === 'https:' ? 'wss:' : 'ws:';
		return [parsed.origin, `${ws}//${parsed.host}`];
	} catch {
		return [];
	}
}

/**
 * @param {{ scriptHashes: string[], supabaseUrl?: string | null }} options
 * @returns {string}
 */
export function contentSecurityPolicy({ scriptHashes, supabaseUrl }) {
	const directives = {
		'default-src': ["'self'"],
		// 'wasm-unsafe-eval' lets workers compile WebAssembly (hashing, decoding, analysis) without
		// allowing eval of JavaScript.
		'script-src': ["'self'", "'wasm-unsafe-eval'", ...scriptHashes],
		'worker-src': ["'self'"],
		// Svelte sets inline style attributes (e.g. progress widths); no inline <script> is allowed.
		'style-src': ["'self'", "'unsafe-inline'"],
		'img-src': ["'self'", 'data:', 'blob:'],
		'media-src': ["'self'", 'blob:'],
		'font-src': ["'self'"],
		'connect-src': ["'self'", ...originOf(supabaseUrl)],
		'manifest-src': ["'self'"],
		'object-src': ["'none'"],
		'base-uri': ["'self'"],
		'form-action': ["'self'"],
		'frame-ancestors': ["'none'"]
	};
	return Object.entries(directives)
		.map(([name, values]) => `${name} ${values.join(' ')}`)
		.join('; ');
}

/**
 * Headers every response gets.
 * @param {string} csp
 * @returns {Record<string, string>}
 */
export function securityHeaders(csp) {
	return {
		'Content-Security-Policy': csp,
		'X-Content-Type-Options': 'nosniff',
		'Referrer-Policy': 'strict-origin-when-cross-origin',
		'X-Frame-Options': 'DENY',
		'Cross-Origin-Opener-Policy': 'same-origin',
		'Cross-Origin-Resource-Policy': 'same-origin',
		'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()'
	};
}
