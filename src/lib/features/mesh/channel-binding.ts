/**
 * Channel binding: the DTLS certificate fingerprints of a WebRTC connection, as each side's SDP states
 * them. The session signs both (its own and the one it sees for the other side), so a signalling relay that
 * rewrote the SDP to terminate DTLS itself on both legs makes every signature fail: the two sides see
 * different fingerprints.
 */

/** Both DTLS fingerprints of a connection as this side sees them. */
export interface ChannelBinding {
	local: string;
	remote: string;
}

const FINGERPRINT = /^a=fingerprint:([A-Za-z0-9-]{1,16}) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15,63})\s*$/gm;

/**
 * The `a=fingerprint` lines of an SDP (session or media level), normalised (`sha-256 AB:CD:…`), distinct,
 * sorted and joined with commas; null when it has none (no DTLS, or not an SDP).
 */
export function dtlsFingerprint(sdp: string | null | undefined): string | null {
	if (!sdp) return null;
	const found = new Set<string>();
	for (const match of sdp.matchAll(FINGERPRINT)) found.add(`${match[1]!.toLowerCase()} ${match[2]!.toUpperCase()}`);
	return found.size ? [...found].sort().join(',') : null;
}

/** A connection's binding from its local and remote descriptions; null until both are set. */
export function channelBinding(connection: RTCPeerConnection | null | undefined): ChannelBinding | null {
	const local = dtlsFingerprint(connection?.localDescription?.sdp);
	const remote = dtlsFingerprint(connection?.remoteDescription?.sdp);
	return local && remote ? { local, remote } : null;
}
