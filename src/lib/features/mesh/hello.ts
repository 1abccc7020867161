/**
 * The first message each side sends on a new connection. The full versioned mesh protocol (pairing,
 * signatures, sync) grows from here; everything a peer sends is untrusted and validated.
 */
export const PROTOCOL_VERSION = 1;
export const MAX_NAME_LENGTH = 64;

export interface HelloMessage {
	v: typeof PROTOCOL_VERSION;
	type: 'hello';
	name: string;
}

export function helloMessage(name: string): HelloMessage {
	return { v: PROTOCOL_VERSION, type: 'hello', name: sanitizeName(name) };
}

/** Control characters and over-long names from a peer are cut, never rendered raw. */
export function sanitizeName(name: string): string {
	// eslint-disable-next-line no-control-regex
	const cleaned = name.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
	return [...cleaned].slice(0, MAX_NAME_LENGTH).join('') || 'Unnamed device';
}

export function parseHello(data: unknown): HelloMessage | null {
	if (typeof data !== 'object' || data === null) return null;
	const message = data as Record<string, unknown>;
	if (message.v !== PROTOCOL_VERSION || message.type !== 'hello' || typeof message.name !== 'string') return null;
	if (message.name.length > MAX_NAME_LENGTH * 4) return null;
	return helloMessage(message.name);
}

/** A name for this device that helps its owner tell it from their others. */
export function defaultDeviceName(userAgent: string): string {
	const platform = /Android/.test(userAgent)
		? 'Android'
		: /iPhone|iPad/.test(userAgent)
			? 'iOS'
			: /Mac OS X/.test(userAgent)
				? 'Mac'
				: /Windows/.test(userAgent)
					? 'Windows'
					: /Linux/.test(userAgent)
						? 'Linux'
						: 'Browser';
	const browser = /Edg\//.test(userAgent)
		? 'Edge'
		: /Firefox\//.test(userAgent)
			? 'Firefox'
			: /Chrom(e|ium)\//.test(userAgent)
				? 'Chromium'
				: /Safari\//.test(userAgent)
					? 'Safari'
					: '';
	return browser ? `${browser} on ${platform}` : platform;
}
