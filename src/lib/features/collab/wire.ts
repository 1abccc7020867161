/**
 * Collaborative playlists on the wire (collab version 1): four messages added to the mesh protocol's
 * union. Yjs updates and state vectors are binary, carried base64 in JSON control frames (binary frames
 * belong to track transfers); an update larger than one frame is cut into parts that the receiver joins
 * again, up to a total cap. Everything here is checked again by the receiver: a share's metadata is only
 * taken from its owner, updates only from members, and the update bytes only count once Yjs accepts them.
 */
import * as v from 'valibot';

export const COLLAB_VERSION = 1 as const;
/** Bytes of Yjs update per frame (base64 makes ~171 KiB of the 256 KiB frame limit). */
export const PART_BYTES = 128 * 1024;
/** Parts per update, so one update is at most 8 MiB (a share of thousands of entries is well under). */
export const MAX_PARTS = 64;
export const MAX_MEMBERS = 32;
export const MAX_SHARE_NAME = 120;

const text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const b64 = (max: number) => v.pipe(v.string(), v.maxLength(max), v.regex(/^[A-Za-z0-9+/]*={0,2}$/));
const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(max));
const peerId = v.pipe(v.string(), v.regex(/^cm-[0-9a-f]{32}$/));
export const shareId = v.pipe(v.string(), v.regex(/^[0-9a-f-]{36}$/));

export const MemberSchema = v.object({ peerId, name: text(64) });
export type Member = v.InferOutput<typeof MemberSchema>;

/** What the owner tells each member about a share: who is in it and whether files may be requested. */
export const ShareInfoSchema = v.object({
	id: shareId,
	name: text(MAX_SHARE_NAME),
	kind: v.picklist(['playlist', 'crate']),
	owner: peerId,
	members: v.pipe(v.array(MemberSchema), v.maxLength(MAX_MEMBERS)),
	allowFiles: v.boolean(),
	/** The owner stopped sharing: members keep a read-only copy until they leave. */
	ended: v.boolean()
});
export type ShareInfo = v.InferOutput<typeof ShareInfoSchema>;

// `v` is the mesh protocol's version (the union's common field); `cv` versions these messages on their own.
const cv = { v: v.literal(1), cv: v.literal(COLLAB_VERSION) };

export const CollabMessages = [
	/** Owner → member: the share's metadata and member list (also how an invitation arrives). */
	v.object({ type: v.literal('collab-share'), ...cv, share: ShareInfoSchema }),
	/** "Here is my state vector": answer with the updates I lack (and, unless this is the answer, send
	 * yours so I can send what you lack: Yjs' two-step sync). */
	v.object({ type: v.literal('collab-sync'), ...cv, share: shareId, state: b64(64 * 1024), answer: v.boolean() }),
	/** A Yjs update (or part `part` of `parts` of one, joined by `id`). */
	v.object({
		type: v.literal('collab-update'),
		...cv,
		share: shareId,
		id: text(36),
		part: count(MAX_PARTS - 1),
		parts: v.pipe(count(MAX_PARTS), v.minValue(1)),
		data: b64(Math.ceil(PART_BYTES / 3) * 4)
	}),
	/** The sender left the share (from the owner: the share ended). */
	v.object({ type: v.literal('collab-leave'), ...cv, share: shareId })
] as const;

export function toBase64(bytes: Uint8Array): string {
	let binary = '';
	for (let i = 0; i < bytes.length; i += 0x8000)
		binary += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 0x8000)));
	return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
	const binary = atob(text);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}

/** Cuts an update into frames' worth of base64. */
export function splitUpdate(update: Uint8Array): string[] {
	const parts: string[] = [];
	for (let at = 0; at < update.length || parts.length === 0; at += PART_BYTES)
		parts.push(toBase64(update.subarray(at, Math.min(update.length, at + PART_BYTES))));
	return parts;
}

/** Joins the parts of updates as they arrive; refuses inconsistent or oversized sequences. */
export class PartJoiner {
	#open = new Map<string, { parts: number; got: Uint8Array[]; at: number }>();

	/** Returns the whole update when its last part arrived, null while waiting, or an error reason. */
	add(
		from: string,
		m: { share: string; id: string; part: number; parts: number; data: string }
	): Uint8Array | null | string {
		if (m.parts > MAX_PARTS || m.part >= m.parts) return 'bad-part';
		let bytes: Uint8Array;
		try {
			bytes = fromBase64(m.data);
		} catch {
			return 'bad-base64';
		}
		if (m.parts === 1) return bytes;
		const key = `${from}|${m.share}|${m.id}`;
		const open = this.#open.get(key) ?? { parts: m.parts, got: [], at: Date.now() };
		// Parts come in order on an ordered channel: anything else is a broken or hostile sender.
		if (open.parts !== m.parts || open.got.length !== m.part) {
			this.#open.delete(key);
			return 'bad-part';
		}
		open.got.push(bytes);
		this.#open.set(key, open);
		if (this.#open.size > 16) this.#open.delete(this.#open.keys().next().value!);
		if (open.got.length < open.parts) return null;
		this.#open.delete(key);
		const total = open.got.reduce((sum, part) => sum + part.length, 0);
		const joined = new Uint8Array(total);
		let at = 0;
		for (const part of open.got) {
			joined.set(part, at);
			at += part.length;
		}
		return joined;
	}

	/** Drops what a peer had half sent (it went away). */
	drop(from: string): void {
		for (const key of [...this.#open.keys()]) if (key.startsWith(`${from}|`)) this.#open.delete(key);
	}
}
