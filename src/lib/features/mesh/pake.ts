/**
 * Pairing by a six-digit code that an active man in the middle cannot brute-force: a balanced PAKE,
 * CPace (draft-irtf-cfrg-cpace) on the ristretto255 group (@noble/curves, audited).
 *
 * Why: the earlier proof was HMAC(code, transcript). Anyone who relays the connection — the signalling
 * server, or with Realtime any client of the project, since it can answer an offer in the victim's inbox
 * — sees that proof and tries all 10^6 codes offline in well under a second, then pairs its own key with
 * the host while the code is still shown. With CPace the code only shapes the group generator; each run
 * reveals whether ONE guess was right, and the host allows five runs per code.
 *
 * Each side: G = hash_to_curve(code ‖ both keys ‖ both challenges); picks a secret scalar y and sends
 * Y = y·G; the shared key is H(transcript ‖ Y_joiner ‖ Y_host ‖ y·Y_other). Both then prove the key with
 * an HMAC bound to their role (the joiner first, so the host learns nothing from a run that fails).
 * The transcript holds both public keys, so the key also binds the identities that signalling gave.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { fromBase64, toBase64 } from './identity';

export interface PairTranscript {
	joinerSpki: string;
	hostSpki: string;
	joinerNonce: string;
	hostNonce: string;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const GENERATOR_DST = utf8('cratemesh-cpace-ristretto255-v1');
const SCALAR_DST = utf8('cratemesh-cpace-scalar-v1');

function transcriptText(t: PairTranscript): string {
	return `${t.joinerSpki}\n${t.hostSpki}\n${t.joinerNonce}\n${t.hostNonce}`;
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
	const out = new Uint8Array(parts.reduce((n, part) => n + part.length + 4, 0));
	let offset = 0;
	for (const part of parts) {
		// Length-prefixed, so no two different transcripts hash the same bytes.
		new DataView(out.buffer).setUint32(offset, part.length);
		out.set(part, offset + 4);
		offset += part.length + 4;
	}
	return out;
}

/** One side's run of the exchange for one connection. */
export class PakeRun {
	readonly share: string;
	#scalar: bigint;
	#transcript: PairTranscript;

	constructor(code: string, transcript: PairTranscript) {
		this.#transcript = transcript;
		const generator = ristretto255_hasher.hashToCurve(utf8(`${code}\n${transcriptText(transcript)}`), {
			DST: GENERATOR_DST
		});
		let scalar = 0n;
		while (scalar === 0n)
			scalar = ristretto255_hasher.hashToScalar(crypto.getRandomValues(new Uint8Array(64)), { DST: SCALAR_DST });
		this.#scalar = scalar;
		this.share = toBase64(generator.multiply(scalar).toBytes());
	}

	/** The shared key from the other side's share, or null if it is not a valid group element. Never throws. */
	async finish(theirShare: string, role: 'joiner' | 'host'): Promise<CryptoKey | null> {
		const bytes = fromBase64(theirShare);
		if (!bytes || bytes.length !== 32) return null;
		let point;
		try {
			point = ristretto255.Point.fromBytes(bytes);
		} catch {
			return null;
		}
		if (point.is0()) return null;
		const shared = point.multiply(this.#scalar).toBytes();
		const [joiner, host] = role === 'joiner' ? [this.share, theirShare] : [theirShare, this.share];
		const isk = await crypto.subtle.digest(
			'SHA-256',
			concat([
				utf8('cratemesh-cpace-isk-v1'),
				utf8(transcriptText(this.#transcript)),
				fromBase64(joiner)!,
				fromBase64(host)!,
				shared
			])
		);
		return crypto.subtle.importKey('raw', isk, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
	}
}

/** Proof that the sender holds the shared key, bound to its role and the transcript. */
export async function confirmation(
	key: CryptoKey,
	/** `joiner`/`host`, with `:collaborator` when the code invites a collaborator (so a code shown for one
	 * trust level cannot pair at the other). */
	role: 'joiner' | 'host' | 'joiner:collaborator' | 'host:collaborator',
	transcript: PairTranscript
): Promise<string> {
	const mac = await crypto.subtle.sign(
		'HMAC',
		key,
		utf8(`cratemesh-pair-confirm-v1\n${role}\n${transcriptText(transcript)}`)
	);
	return toBase64(new Uint8Array(mac));
}

/**
 * The code a host shows, with its limits: valid for `ttlMs`, and good for `maxAttempts` pairing runs —
 * every run counts, finished or not (an attacker who drops a run half way still spent its one guess).
 */
export class ShownCode {
	attempts = 0;
	readonly expires: number;
	constructor(
		readonly code: string,
		ttlMs: number,
		readonly maxAttempts = 5,
		/** The trust level pairing with this code grants (an own device, or a collaborator). */
		readonly trust: 'own' | 'collaborator' = 'own',
		now = Date.now()
	) {
		this.expires = now + ttlMs;
	}
	/** One pairing attempt: the code, or null once it expired or its attempts are used up. */
	claim(now = Date.now()): string | null {
		if (now > this.expires || this.attempts >= this.maxAttempts) return null;
		this.attempts++;
		return this.code;
	}
	get exhausted(): boolean {
		return this.attempts >= this.maxAttempts;
	}
}
