/**
 * This install's identity on the mesh: an ECDSA P-256 key pair made with WebCrypto, the private key
 * non-extractable and kept in IndexedDB (structured clone keeps a CryptoKey without exposing its bytes).
 * The peer id is derived from the public key, so a peer id names exactly one key.
 */
import { db } from '$lib/db';

export interface Identity {
	peerId: string;
	/** SubjectPublicKeyInfo of the public key, base64. */
	spki: string;
	privateKey: CryptoKey;
}

interface IdentityRow {
	id: 'self';
	privateKey: CryptoKey;
	publicKey: CryptoKey;
}

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** Longest SPKI we accept from a peer (a P-256 SPKI is 91 bytes). */
const MAX_SPKI_BYTES = 200;

export function toBase64(bytes: Uint8Array): string {
	let text = '';
	for (const byte of bytes) text += String.fromCharCode(byte);
	return btoa(text);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
	try {
		const raw = atob(text);
		const bytes = new Uint8Array(raw.length);
		for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
		return bytes;
	} catch {
		return null;
	}
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
const utf8 = (text: string) => new TextEncoder().encode(text);

/** `cm-` and the first 128 bits of SHA-256(spki) in hex. */
export async function peerIdFromSpki(spki: Uint8Array<ArrayBuffer>): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', spki));
	return `cm-${hex(digest.subarray(0, 16))}`;
}

export const PEER_ID_PATTERN = /^cm-[0-9a-f]{32}$/;

/** A short, human-comparable fingerprint of a key (shown next to trusted devices). */
export async function fingerprint(spkiBase64: string): Promise<string> {
	const spki = fromBase64(spkiBase64);
	if (!spki) return '';
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', spki));
	return (hex(digest.subarray(0, 8)).match(/.{4}/g) ?? []).join(' ');
}

export async function generateIdentity(): Promise<IdentityRow> {
	const pair = await crypto.subtle.generateKey(ECDSA, false, ['sign', 'verify']);
	return { id: 'self', privateKey: pair.privateKey, publicKey: pair.publicKey };
}

async function toIdentity(row: IdentityRow): Promise<Identity> {
	const spki = new Uint8Array(await crypto.subtle.exportKey('spki', row.publicKey));
	return { peerId: await peerIdFromSpki(spki), spki: toBase64(spki), privateKey: row.privateKey };
}

let loading: Promise<Identity> | undefined;

/** Loads this install's identity, creating it on first use. */
export function loadIdentity(): Promise<Identity> {
	loading ??= (async () => {
		const table = db().table<IdentityRow, 'self'>('meshIdentity');
		let row = await table.get('self');
		if (!row) {
			const fresh = await generateIdentity();
			// Two tabs may race to create it: the first write wins and both use that one.
			await db().transaction('rw', table, async () => {
				row = await table.get('self');
				if (!row) {
					await table.add(fresh);
					row = fresh;
				}
			});
		}
		return toIdentity(row!);
	})();
	return loading;
}

/** An identity held only in memory (tests and the bench). */
export async function ephemeralIdentity(): Promise<Identity> {
	return toIdentity(await generateIdentity());
}

/**
 * What each side signs: a domain tag, the challenge the other side sent, its own challenge, both peer ids
 * and both DTLS fingerprints as the signer sees them (its own, then the other side's), so a signature
 * cannot be replayed on another connection or in the other direction, nor carried over a channel a relay
 * terminates in the middle (each leg would show other fingerprints).
 */
export function authTranscript(
	theirNonce: string,
	myNonce: string,
	myId: string,
	theirId: string,
	binding: { mine: string; theirs: string }
): Uint8Array {
	return utf8(`cratemesh-auth-v2\n${theirNonce}\n${myNonce}\n${myId}\n${theirId}\n${binding.mine}\n${binding.theirs}`);
}

export async function sign(identity: Identity, data: Uint8Array): Promise<string> {
	const signature = await crypto.subtle.sign(SIGN, identity.privateKey, data as Uint8Array<ArrayBuffer>);
	return toBase64(new Uint8Array(signature));
}

/**
 * Checks that `spki` is a P-256 key whose id is `peerId` and that it signed `data`. Never throws: any
 * malformed input is simply not a valid signature.
 */
export async function verify(
	peerId: string,
	spkiBase64: string,
	data: Uint8Array,
	signature: string
): Promise<boolean> {
	try {
		const spki = fromBase64(spkiBase64);
		const sig = fromBase64(signature);
		if (!spki || !sig || spki.length > MAX_SPKI_BYTES) return false;
		if ((await peerIdFromSpki(spki)) !== peerId) return false;
		const key = await crypto.subtle.importKey('spki', spki, ECDSA, false, ['verify']);
		return await crypto.subtle.verify(SIGN, key, sig, data as Uint8Array<ArrayBuffer>);
	} catch {
		return false;
	}
}

export function randomNonce(): string {
	return toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** A six-digit pairing code, uniformly drawn. */
export function pairingCode(): string {
	const values = new Uint32Array(1);
	let n: number;
	// Reject the top sliver so every code is equally likely.
	do n = crypto.getRandomValues(values)[0]!;
	while (n >= 4_294_000_000);
	return String(n % 1_000_000).padStart(6, '0');
}

/** Constant-time comparison of two base64 strings. */
export function sameProof(a: string, b: string): boolean {
	if (a.length !== b.length) return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
	return diff === 0;
}
