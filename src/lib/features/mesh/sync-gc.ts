/**
 * Tombstone collection for library sync, pure (the store and the tests' replicas use the same rules).
 *
 * A tombstone (a record whose delete stamp beats its created stamp) exists so that a device which still
 * holds the row learns of the delete instead of bringing the row back. It may go:
 * 1. once every own device has stored this device's changes past it (its change-order stamp `seq` is at or
 *    below what each of them acknowledged: `sync-hello {since}` and `sync-ack`) — they all merged the
 *    delete, so none can send the row back alive; or
 * 2. when its delete is older than the horizon (90 days), even if a device has not acknowledged it (a
 *    device away that long must not make every other device keep every delete forever).
 *
 * Rule 2 can leave a device behind: one whose acknowledged point is below the highest `seq` collected
 * (`Collected.seq`) may hold rows whose delete it never saw. It gets a full resync: it pulls everything
 * this device holds, marked `full`, and afterwards deletes its own live rows that are missing from that
 * set and that this device had already seen (see `sweepable`). Until it has, this device does not pull
 * from it (its stale rows would come back as if new).
 */
import { decodeHlc, encodeHlc, type Hlc } from '$lib/db/hlc';
import { isAlive } from './sync-merge';

export const TOMBSTONE_HORIZON_MS = 90 * 24 * 60 * 60 * 1000;

/** What has been collected here: the highest change-order stamp and delete stamp among the collected. */
export interface Collected {
	seq: Hlc;
	d: Hlc;
}
export const NOTHING_COLLECTED: Collected = { seq: '', d: '' };

interface Stamped {
	c: Hlc;
	d: Hlc;
	seq: Hlc;
}

/** The stamp `ms` milliseconds after the epoch, below every stamp minted at or after that time. */
export const stampAt = (ms: number): Hlc => encodeHlc({ ms: Math.max(0, ms), counter: 0, node: '000000000000' });

/** The lowest of the own devices' acknowledged points; null when there are none (nobody needs tombstones). */
export function lowestAck(acks: Hlc[]): Hlc | null {
	return acks.length ? acks.reduce((low, ack) => (ack < low ? ack : low)) : null;
}

/** Whether a record is a tombstone that may be collected (rule 1: everyone stored it; rule 2: horizon). */
export function collectable(record: Stamped, lowest: Hlc | null, nowMs: number): boolean {
	if (isAlive(record)) return false;
	if (lowest === null || record.seq <= lowest) return true;
	return record.d < stampAt(nowMs - TOMBSTONE_HORIZON_MS);
}

/** Raises the collected marks past the records just collected. */
export function raiseCollected(collected: Collected, records: Stamped[]): Collected {
	let { seq, d } = collected;
	for (const record of records) {
		if (record.seq > seq) seq = record.seq;
		if (record.d > d) d = record.d;
	}
	return { seq, d };
}

/**
 * A device that has stored our changes only up to `acked` (our change order) may have missed tombstones
 * collected here: it needs a full resync. A device that never synced (`acked` empty) has nothing stale of
 * ours, but the same full stream is what it gets anyway.
 */
export const needsFullResync = (acked: Hlc, collected: Collected): boolean => acked < collected.seq;

/**
 * After a full resync from a peer (every record it holds): may a live local row missing from that set be
 * deleted here? Yes when it was created at or before the point up to which the peer had stored our
 * changes (`peerAcked`, in our change order): the peer had it then and no longer has even a tombstone,
 * so it collected the delete. A row created later is new to the peer (it goes there by the normal pull).
 */
export function sweepable(record: Stamped, inPeerSet: boolean, peerAcked: Hlc): boolean {
	return isAlive(record) && !inPeerSet && peerAcked !== '' && record.c <= peerAcked;
}

/** The delete stamp for a swept row: just after its created stamp, so any later re-creation still wins. */
export function sweepStamp(c: Hlc): Hlc {
	const { ms, counter } = decodeHlc(c);
	return counter < 36 ** 4 - 1
		? encodeHlc({ ms, counter: counter + 1, node: '000000000000' })
		: encodeHlc({ ms: ms + 1, counter: 0, node: '000000000000' });
}
