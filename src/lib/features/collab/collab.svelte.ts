/**
 * Collaborative playlists: shares of a playlist or crate with collaborators, one Y.Doc per share
 * (persisted with y-indexeddb), kept in step over the mesh with Yjs state vectors and updates.
 * Who may see a share is decided by its owner (`collab-share`); every device only sends a share's updates
 * to, and only accepts them from, members of that share — a collaborator gets nothing else of the library.
 * Updates are relayed: an update that arrived from one member goes on to the other connected members, so
 * members who are not paired with each other still converge through the owner.
 */
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { db } from '$lib/db';
import { mesh } from '../mesh/mesh.svelte';
import type { Message } from '../mesh/protocol';
import type { Session } from '../mesh/session';
import {
	addEntries,
	annotate,
	created,
	moveEntry,
	neighbourFor,
	readEntries,
	readHistory,
	removeEntry,
	type Author,
	type HistoryRecord,
	type SharedEntry
} from './model';
import {
	deleteShare,
	docName,
	isMember,
	listShares,
	putShare,
	trackData,
	withoutMember,
	type CollabShareRow
} from './store';
import { COLLAB_VERSION, fromBase64, MAX_MEMBERS, PartJoiner, splitUpdate, toBase64, type Member } from './wire';

type CollabMessage = Extract<Message, { type: `collab-${string}` }>;

interface OpenDoc {
	doc: Y.Doc;
	persistence: IndexeddbPersistence;
	ready: Promise<unknown>;
	hashes: Set<string>;
}

export interface ShareView {
	share: CollabShareRow;
	entries: SharedEntry[];
	history: HistoryRecord[];
	invalid: number;
}

const PAUSED_KEY = 'collab.paused';

export class Collab {
	#shares = $state.raw<CollabShareRow[]>([]);
	#paused = $state(false);
	#refused = $state(0);
	#version = $state(0);
	#openId = $state<string | null>(null);
	#online = $state.raw<string[]>([]);
	#docs = new Map<string, OpenDoc>();
	#sessions = new Map<string, Session>();
	#joiner = new PartJoiner();
	#loading: Promise<void> | undefined;

	/** Shares, newest first. */
	get shares(): readonly CollabShareRow[] {
		return this.#shares;
	}
	/** Collab messages refused (non-member, not from the owner, bad update bytes, broken parts). */
	get refused(): number {
		return this.#refused;
	}
	/** Bumps on every change of any share's doc: views re-read. */
	get version(): number {
		return this.#version;
	}
	get paused(): boolean {
		return this.#paused;
	}
	/** The share shown in the library, if any. */
	get openId(): string | null {
		return this.#openId;
	}
	/** Peers with a ready connection (for the member list's "online"). */
	get online(): readonly string[] {
		return this.#online;
	}

	open(id: string | null): void {
		this.#openId = id;
	}

	get #me(): Author {
		return { peerId: mesh.peerId ?? '', name: mesh.deviceName };
	}

	load(): Promise<void> {
		this.#loading ??= (async () => {
			const stored = await db()
				.settings.get(PAUSED_KEY)
				.catch(() => undefined);
			this.#paused = stored?.value === true;
			const rows = await listShares();
			this.#setShares(rows);
			await Promise.all(rows.map((row) => this.#doc(row.id).ready));
		})();
		return this.#loading;
	}

	#setShares(rows: CollabShareRow[]): void {
		this.#shares = [...rows].sort((a, b) => b.joinedAt - a.joinedAt);
	}

	get(id: string): CollabShareRow | undefined {
		return this.#shares.find((share) => share.id === id);
	}

	/** The share's entries, history and count of invalid entries, read from its doc. */
	async view(id: string): Promise<ShareView | null> {
		const share = this.get(id);
		if (!share) return null;
		const open = this.#doc(id);
		await open.ready;
		const { entries, invalid } = readEntries(open.doc);
		return { share, entries, history: readHistory(open.doc), invalid };
	}

	#doc(id: string): OpenDoc {
		const existing = this.#docs.get(id);
		if (existing) return existing;
		const doc = new Y.Doc();
		const persistence = new IndexeddbPersistence(docName(id), doc);
		const open: OpenDoc = { doc, persistence, ready: persistence.whenSynced, hashes: new Set() };
		doc.on('update', (update: Uint8Array, origin: unknown) => {
			open.hashes = new Set(readEntries(doc).entries.map((entry) => entry.hash));
			this.#version++;
			// Stored updates replayed at load are not news; everything else goes to the other members.
			if (origin === persistence || this.#paused) return;
			this.#broadcast(id, update, typeof origin === 'string' ? origin : null);
		});
		this.#docs.set(id, open);
		return open;
	}

	/** Shares a playlist's tracks (or all tracks of a crate's playlists) with collaborators. */
	async create(
		name: string,
		kind: 'playlist' | 'crate',
		hashes: readonly string[],
		members: readonly Member[],
		allowFiles: boolean
	): Promise<string> {
		await this.load();
		const me = this.#me;
		if (!me.peerId) throw new Error('mesh not started');
		const row: CollabShareRow = {
			id: crypto.randomUUID(),
			name: name.slice(0, 120) || 'Shared',
			kind,
			owner: me.peerId,
			ownerName: me.name,
			members: members.filter((m) => m.peerId !== me.peerId).slice(0, MAX_MEMBERS),
			allowFiles,
			ended: false,
			joinedAt: Date.now(),
			matches: {},
			removed: false
		};
		const data = await trackData([...new Set(hashes)]);
		await putShare(row);
		this.#setShares([...this.#shares, row]);
		const open = this.#doc(row.id);
		await open.ready;
		// Members first learn the share exists (or they would refuse its updates), then get its content.
		this.#announce(row);
		created(open.doc, me, row.name);
		addEntries(open.doc, data, me);
		return row.id;
	}

	async add(id: string, hashes: readonly string[], index?: number): Promise<number> {
		const share = this.get(id);
		if (!share || share.ended || share.removed) return 0;
		const open = this.#doc(id);
		await open.ready;
		return addEntries(open.doc, await trackData([...new Set(hashes)]), this.#me, index).length;
	}

	async remove(id: string, entryId: string): Promise<void> {
		const open = await this.#editable(id);
		if (open) removeEntry(open.doc, entryId, this.#me);
	}

	/** Moves an entry to just after `afterId` (null: first); see `neighbourFor`. */
	async move(id: string, entryId: string, afterId: string | null): Promise<void> {
		const open = await this.#editable(id);
		if (open) moveEntry(open.doc, entryId, afterId, this.#me);
	}

	async annotate(id: string, entryId: string, note: string): Promise<void> {
		const open = await this.#editable(id);
		if (open) annotate(open.doc, entryId, note, this.#me);
	}

	async #editable(id: string): Promise<OpenDoc | null> {
		const share = this.get(id);
		if (!share || share.ended || share.removed) return null;
		const open = this.#doc(id);
		await open.ready;
		return open;
	}

	/** Owner: the member list (invite or remove collaborators) and whether members may request files. */
	async update(
		id: string,
		patch: { members?: readonly Member[]; allowFiles?: boolean; name?: string },
		leaver?: string
	): Promise<void> {
		const share = this.get(id);
		if (!share || share.owner !== this.#me.peerId) return;
		const removed = patch.members
			? share.members.filter((m) => !patch.members!.some((n) => n.peerId === m.peerId))
			: [];
		const row: CollabShareRow = {
			...share,
			...(patch.members
				? { members: patch.members.filter((m) => m.peerId !== share.owner).slice(0, MAX_MEMBERS) }
				: {}),
			...(patch.allowFiles !== undefined ? { allowFiles: patch.allowFiles } : {}),
			...(patch.name ? { name: patch.name.slice(0, 120) } : {})
		};
		await this.#save(row);
		this.#announce(row);
		// A removed member learns it (and keeps a read-only copy until it leaves); it gets nothing new.
		for (const member of removed)
			if (member.peerId !== leaver) this.#sessions.get(member.peerId)?.send(this.#shareMessage(row));
	}

	/** Owner: stops sharing. The share stays (read-only) so members who were away learn it when they
	 * connect again; `leave` then removes it here. */
	async end(id: string): Promise<void> {
		const share = this.get(id);
		if (!share || share.owner !== this.#me.peerId || share.ended) return;
		const row = { ...share, ended: true };
		await this.#save(row);
		this.#announce(row);
	}

	/** Removes a share from this device (its doc is deleted). A member tells the others it left; an owner
	 * who has not ended the share ends it first. */
	async leave(id: string): Promise<void> {
		let share = this.get(id);
		if (!share) return;
		if (share.owner === this.#me.peerId && !share.ended) {
			await this.end(id);
			share = this.get(id)!;
		}
		if (share.owner !== this.#me.peerId && !share.removed)
			for (const peerId of this.#peersOf(share))
				this.#sessions.get(peerId)?.send({ type: 'collab-leave', cv: COLLAB_VERSION, share: id });
		const open = this.#docs.get(id);
		this.#docs.delete(id);
		if (open) {
			await open.ready.catch(() => undefined);
			await open.persistence.clearData().catch(() => undefined);
			open.doc.destroy();
		}
		await deleteShare(id);
		this.#setShares(this.#shares.filter((row) => row.id !== id));
		if (this.#openId === id) this.#openId = null;
	}

	/** Records this device's own copy of a shared track it lacks. */
	async match(id: string, sharedHash: string, localHash: string | null): Promise<void> {
		const share = this.get(id);
		if (!share) return;
		const matches = { ...share.matches };
		if (localHash) matches[sharedHash] = localHash;
		else delete matches[sharedHash];
		await this.#save({ ...share, matches });
	}

	/** Asks a member that has the track for its file (verified transfer). Returns the peer asked, or null. */
	request(id: string, entry: Pick<SharedEntry, 'hash' | 'title' | 'addedBy'>): string | null {
		const share = this.get(id);
		if (!share?.allowFiles || share.removed) return null;
		const order = [entry.addedBy, share.owner, ...share.members.map((m) => m.peerId)];
		const peerId = order.find((p) => p !== this.#me.peerId && this.#sessions.has(p));
		if (!peerId) return null;
		mesh.fetch(peerId, entry.hash, entry.title);
		return peerId;
	}

	/** Work offline: nothing is sent or taken; edits stay here and merge when switched back on. */
	async setPaused(paused: boolean): Promise<void> {
		this.#paused = paused;
		await db()
			.settings.put({ key: PAUSED_KEY, value: paused })
			.catch(() => undefined);
		if (!paused) for (const session of this.#sessions.values()) this.#greet(session);
	}

	async #save(row: CollabShareRow): Promise<void> {
		await putShare(row);
		this.#setShares(this.#shares.map((share) => (share.id === row.id ? row : share)));
	}

	#peersOf(share: CollabShareRow): string[] {
		return [share.owner, ...share.members.map((m) => m.peerId)].filter((p) => p !== this.#me.peerId);
	}

	#shareMessage(row: CollabShareRow) {
		const { id, name, kind, owner, members, allowFiles, ended } = row;
		return {
			type: 'collab-share' as const,
			cv: COLLAB_VERSION,
			share: { id, name, kind, owner, members, allowFiles, ended }
		};
	}

	/** Owner: tells every connected member about the share (an invitation, or a changed member list). */
	#announce(row: CollabShareRow): void {
		if (this.#paused) return;
		for (const peerId of this.#peersOf(row)) {
			const session = this.#sessions.get(peerId);
			if (!session) continue;
			session.send(this.#shareMessage(row));
			if (!row.ended) this.#syncWith(session, row.id, false);
		}
	}

	#syncWith(session: Session, id: string, answer: boolean): void {
		const open = this.#doc(id);
		void open.ready.then(() =>
			session.send({
				type: 'collab-sync',
				cv: COLLAB_VERSION,
				share: id,
				state: toBase64(Y.encodeStateVector(open.doc)),
				answer
			})
		);
	}

	#send(session: Session, id: string, update: Uint8Array): void {
		const parts = splitUpdate(update);
		const updateId = crypto.randomUUID();
		for (const [part, data] of parts.entries())
			session.send({
				type: 'collab-update',
				cv: COLLAB_VERSION,
				share: id,
				id: updateId,
				part,
				parts: parts.length,
				data
			});
	}

	#broadcast(id: string, update: Uint8Array, except: string | null): void {
		const share = this.get(id);
		if (!share || share.removed) return;
		for (const peerId of this.#peersOf(share)) {
			if (peerId === except) continue;
			const session = this.#sessions.get(peerId);
			if (session) this.#send(session, id, update);
		}
	}

	/** A device connected: the owner (re)sends its shares' metadata; members exchange state vectors. */
	#greet(session: Session): void {
		const peer = session.remoteId;
		for (const share of this.#shares) {
			if (share.removed || !isMember(share, peer)) continue;
			if (share.owner === this.#me.peerId) session.send(this.#shareMessage(share));
			// An ended share no longer changes: only its end is told.
			if (!share.ended) this.#syncWith(session, share.id, false);
		}
	}

	/** Sends a frame as given (no checks): the e2e hook for malformed and hostile messages. */
	testSend(peerId: string, message: Record<string, unknown>): boolean {
		const session = this.#sessions.get(peerId);
		session?.send(message as unknown as Parameters<Session['send']>[0]);
		return !!session;
	}

	// ---- mesh extension ----

	ready(session: Session): void {
		this.#sessions.set(session.remoteId, session);
		this.#online = [...this.#sessions.keys()];
		if (this.#paused) return;
		void this.load().then(() => {
			if (this.#sessions.get(session.remoteId) === session) this.#greet(session);
		});
	}

	closed(peerId: string): void {
		this.#sessions.delete(peerId);
		this.#online = [...this.#sessions.keys()];
		this.#joiner.drop(peerId);
	}

	/** Files: a member may fetch a track of a share that allows it. */
	mayServe(peerId: string, hash: string): boolean {
		return this.#shares.some(
			(share) =>
				share.allowFiles &&
				!share.removed &&
				isMember(share, peerId) &&
				isMember(share, this.#me.peerId) &&
				this.#docs.get(share.id)?.hashes.has(hash) === true
		);
	}

	async handle(session: Session, message: Message): Promise<boolean> {
		if (!message.type.startsWith('collab-')) return false;
		await this.load();
		const reason = await this.#handle(session, message as CollabMessage);
		if (reason) this.#refuse(session.remoteId, reason);
		return true;
	}

	#refuse(peerId: string, reason: string): void {
		this.#refused++;
		console.warn(`mesh: refused a collab frame from ${peerId}: ${reason}`);
	}

	/** Returns why the message was refused, or '' when it was taken. */
	async #handle(session: Session, message: CollabMessage): Promise<string> {
		const from = session.remoteId;
		if (this.#paused) return '';
		if (message.type === 'collab-share') {
			const info = message.share;
			const existing = this.get(info.id);
			if (info.owner !== from) return 'share info not from its owner';
			if (existing && existing.owner !== from) return 'share owned by another device';
			const me = this.#me.peerId;
			const included = info.members.some((m) => m.peerId === me);
			if (!included) {
				if (!existing) return 'share info for a non-member';
				await this.#save({ ...existing, removed: true });
				return '';
			}
			const ownerName = mesh.trusted.find((t) => t.peerId === from)?.name ?? existing?.ownerName ?? from.slice(0, 12);
			const row: CollabShareRow = {
				...info,
				ownerName,
				joinedAt: existing?.joinedAt ?? Date.now(),
				matches: existing?.matches ?? {},
				removed: false
			};
			await putShare(row);
			this.#setShares(existing ? this.#shares.map((s) => (s.id === row.id ? row : s)) : [...this.#shares, row]);
			if (!existing && !row.ended) this.#syncWith(session, row.id, false);
			return '';
		}
		const share = this.get(message.share);
		if (!share || share.removed || !isMember(share, from)) return `${message.type} from a non-member`;
		if (message.type === 'collab-leave') {
			if (from === share.owner) await this.#save({ ...share, ended: true });
			else if (share.owner === this.#me.peerId)
				await this.update(share.id, { members: withoutMember(share.members, from) }, from);
			return '';
		}
		// A member that has not heard of the end yet may still send: ignored, not hostile.
		if (share.ended) return '';
		const open = this.#doc(share.id);
		await open.ready;
		if (message.type === 'collab-sync') {
			let diff: Uint8Array;
			try {
				diff = Y.encodeStateAsUpdate(open.doc, fromBase64(message.state));
			} catch {
				return 'bad state vector';
			}
			this.#send(session, share.id, diff);
			if (!message.answer) this.#syncWith(session, share.id, true);
			return '';
		}
		// collab-update
		const joined = this.#joiner.add(from, message);
		if (typeof joined === 'string') return joined;
		if (!joined) return '';
		try {
			// Decoding first refuses garbage before it can touch the doc.
			Y.decodeUpdate(joined);
			Y.applyUpdate(open.doc, joined, from);
		} catch {
			return 'bad update';
		}
		return '';
	}
}

export const collab = new Collab();
mesh.extend(collab);

// e2e and bench only (set in localStorage by them, never by the app): crafted frames to a peer, and the mesh
// for a non-member's direct requests. Not installed otherwise.
if (typeof window !== 'undefined' && window.localStorage?.getItem('cratemesh:test-hooks') === '1')
	(window as unknown as { __cratemeshCollab?: unknown }).__cratemeshCollab = {
		collab,
		mesh,
		// the bench drives the shipped entry model (bench/figures/collab.js)
		Y,
		model: { addEntries, annotate, moveEntry, neighbourFor, readEntries, removeEntry },
		send: (peerId: string, message: Record<string, unknown>) => collab.testSend(peerId, message)
	};
