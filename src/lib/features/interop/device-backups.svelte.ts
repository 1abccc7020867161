/**
 * Encrypted backups kept by the user's own paired devices, over the mesh (`backup-*` messages, protocol v1).
 *
 * Holder side: an own device may store encrypted backup zips here (OPFS `peer-backups/<id>`, index in the
 * device-only setting `device.heldBackups`), list them and get them back; the bytes are kept exactly as
 * received (size + SHA-256 checked) and never opened — this device has no passphrase. Collaborators get an
 * empty list and every offer, get or delete from them is refused. Per sending device the newest 10 are kept,
 * at most 50 in all.
 *
 * Requester side: `send(peerId, file)`, `listAll()`, `fetch(peerId, id)`, `remove(peerId, id)`. A transfer
 * is `backup-offer`, then 144 KiB `backup-part`s each acknowledged before the next (a backup is small next to
 * audio; stop-and-wait keeps the DataChannel's buffer empty), then the receiver's `backup-end`.
 */
import { createSHA256 } from 'hash-wasm';
import { db } from '$lib/db';
import { mesh } from '../mesh/mesh.svelte';
import {
	BACKUP_PART_BYTES,
	MAX_BACKUP_BYTES,
	MAX_HELD_BACKUPS,
	cleanText,
	type HeldBackup,
	type Message
} from '../mesh/protocol';
import type { Session } from '../mesh/session';
import { backupObjectName } from './cloud-backups';

export const HELD_KEY = 'device.heldBackups';
export const KEEP_PER_DEVICE = 10;
/** A transfer or request with no answer for this long fails. */
const SILENCE_MS = 20_000;
const FOLDER = 'peer-backups';

export interface HeldEntry extends HeldBackup {
	sha256: string;
	fromPeer: string;
}

type BackupMessage = Extract<Message, { type: `backup-${string}` }>;
type ListResult =
	{ peerId: string; deviceName: string; backups: HeldBackup[] } | { peerId: string; deviceName: string; error: string };

export class DeviceBackupError extends Error {
	constructor(
		readonly code: 'no-device' | 'refused' | 'timeout' | 'corrupt' | 'not-found',
		message: string
	) {
		super(message);
	}
}

const toB64 = (bytes: Uint8Array) => {
	let binary = '';
	for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	return btoa(binary);
};
const fromB64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function folder(): Promise<FileSystemDirectoryHandle> {
	return (await navigator.storage.getDirectory()).getDirectoryHandle(FOLDER, { create: true });
}

/** One backup arriving: kept in memory parts (a fetch) or written to an OPFS file (a holder). */
interface Incoming {
	peerId: string;
	id: string;
	size: number;
	sha256: string;
	createdAt: number;
	from: string;
	received: number;
	hasher: Awaited<ReturnType<typeof createSHA256>>;
	parts: Uint8Array[] | null;
	writable: FileSystemWritableFileStream | null;
	timer: ReturnType<typeof setTimeout> | undefined;
}

interface Waiter<T> {
	resolve: (value: T) => void;
	reject: (error: Error) => void;
	timer: ReturnType<typeof setTimeout>;
	onProgress?: (done: number, total: number) => void;
}

export class DeviceBackups {
	#installed = false;
	#incoming = new Map<string, Incoming>();
	/** Outgoing transfers waiting for acks: key peer:id. */
	#outgoing = new Map<string, { bytes: Uint8Array; session: Session; waiter: Waiter<void> }>();
	/** Our pushes (and the holder's answers to a get) waiting for the receiver's `backup-end`. */
	#pushes = new Map<string, Waiter<void>>();
	#gets = new Map<string, Waiter<Blob>>();
	#lists = new Map<string, Waiter<HeldBackup[]>>();
	#deletes = new Map<string, Waiter<void>>();
	#held = $state.raw<HeldEntry[]>([]);

	/** Backups this device holds for the user's other devices. */
	get held(): readonly HeldEntry[] {
		return this.#held;
	}

	/** Registers the `backup-*` handlers with the mesh (call before the mesh starts). */
	install(): void {
		if (this.#installed) return;
		this.#installed = true;
		mesh.extend({
			handle: (session, message) =>
				message.type.startsWith('backup-') ? this.#handle(session, message as BackupMessage) : false
		});
		void this.#loadHeld();
	}

	/** Connected own devices (the only ones that are offered or asked for backups). */
	ownDevices(): { peerId: string; name: string }[] {
		return mesh.links
			.filter((link) => link.ready && link.trust === 'own')
			.map((link) => ({ peerId: link.peerId, name: link.name }));
	}

	/** Sends an encrypted backup to an own device, which keeps it; resolves once it verified and stored it. */
	async send(peerId: string, file: Blob, now = Date.now()): Promise<{ id: string }> {
		const session = this.#own(peerId);
		if (file.size > MAX_BACKUP_BYTES) throw new DeviceBackupError('refused', 'The backup is too large');
		const bytes = new Uint8Array(await file.arrayBuffer());
		const id = backupObjectName(now).replace(/\.cmbk$/, '');
		const sha256 = await sha256Hex(bytes);
		const key = `${peerId}:${id}`;
		const done = this.#wait<void>(this.#pushes, key);
		this.#outgoing.set(key, { bytes, session, waiter: this.#pushes.get(key)! });
		session.send({ type: 'backup-offer', id, size: bytes.length, sha256, createdAt: now, from: mesh.deviceName });
		this.#sendPart(session, id, bytes, 0);
		await done;
		return { id };
	}

	/** Every connected own device's held backups (one answer per device; a silent one is reported). */
	async listAll(): Promise<ListResult[]> {
		return Promise.all(
			this.ownDevices().map(async ({ peerId, name }) => {
				try {
					const session = this.#own(peerId);
					const answer = this.#wait(this.#lists, peerId);
					session.send({ type: 'backup-list' });
					return { peerId, deviceName: name, backups: await answer };
				} catch (error) {
					return { peerId, deviceName: name, error: error instanceof Error ? error.message : String(error) };
				}
			})
		);
	}

	/** The backup's bytes from the device that holds it, verified against the SHA-256 it announced. */
	async fetch(peerId: string, id: string, onProgress?: (done: number, total: number) => void): Promise<Blob> {
		const session = this.#own(peerId);
		const answer = this.#wait(this.#gets, `${peerId}:${id}`, onProgress);
		session.send({ type: 'backup-get', id });
		return answer;
	}

	async remove(peerId: string, id: string): Promise<void> {
		const session = this.#own(peerId);
		const answer = this.#wait(this.#deletes, `${peerId}:${id}`);
		session.send({ type: 'backup-delete', id });
		return answer;
	}

	// ---- internals ----

	#own(peerId: string): Session {
		const session = mesh.session(peerId);
		if (!session || session.trust !== 'own')
			throw new DeviceBackupError('no-device', 'That device is not connected as one of your own devices');
		return session;
	}

	#wait<T>(map: Map<string, Waiter<T>>, key: string, onProgress?: Waiter<T>['onProgress']): Promise<T> {
		map.get(key)?.reject(new DeviceBackupError('refused', 'Replaced by a newer request'));
		return new Promise<T>((resolve, reject) => {
			const fail = () => {
				map.delete(key);
				this.#outgoing.delete(key);
				reject(new DeviceBackupError('timeout', 'The device did not answer'));
			};
			const waiter: Waiter<T> = {
				resolve: (value) => {
					clearTimeout(waiter.timer);
					map.delete(key);
					resolve(value);
				},
				reject: (error) => {
					clearTimeout(waiter.timer);
					map.delete(key);
					reject(error);
				},
				timer: setTimeout(fail, SILENCE_MS),
				onProgress
			};
			map.set(key, waiter);
		});
	}

	/** Any sign of life from the other side restarts its silence timer. */
	#touch<T>(waiter: Waiter<T> | undefined, key: string, map: Map<string, Waiter<T>>): void {
		if (!waiter) return;
		clearTimeout(waiter.timer);
		waiter.timer = setTimeout(() => {
			map.delete(key);
			this.#outgoing.delete(key);
			waiter.reject(new DeviceBackupError('timeout', 'The device stopped answering'));
		}, SILENCE_MS);
	}

	#sendPart(session: Session, id: string, bytes: Uint8Array, offset: number): void {
		const end = Math.min(bytes.length, offset + BACKUP_PART_BYTES);
		session.send({ type: 'backup-part', id, offset, data: toB64(bytes.subarray(offset, end)) });
	}

	async #handle(session: Session, message: BackupMessage): Promise<boolean> {
		const own = session.trust === 'own';
		const peerId = session.remoteId;
		switch (message.type) {
			case 'backup-list': {
				const backups = own ? this.#held.map(({ id, createdAt, size, from }) => ({ id, createdAt, size, from })) : [];
				session.send({ type: 'backup-listing', backups: backups.slice(0, MAX_HELD_BACKUPS) });
				return true;
			}
			case 'backup-listing': {
				const waiter = this.#lists.get(peerId);
				if (!waiter) return false;
				waiter.resolve(message.backups.map((b) => ({ ...b, from: cleanText(b.from, 64) })));
				return true;
			}
			case 'backup-get': {
				const entry = own ? this.#held.find((b) => b.id === message.id) : undefined;
				if (!entry) {
					session.send({ type: 'backup-end', id: message.id, ok: false, reason: own ? 'not-found' : 'forbidden' });
					return true;
				}
				try {
					const file = await (await (await folder()).getFileHandle(entry.id)).getFile();
					const bytes = new Uint8Array(await file.arrayBuffer());
					const key = `${peerId}:${entry.id}`;
					// A get is answered like a push: offer, parts on ack, and the requester's end.
					this.#wait<void>(this.#pushes, key).catch(() => undefined);
					this.#outgoing.set(key, { bytes, session, waiter: this.#pushes.get(key)! });
					session.send({
						type: 'backup-offer',
						id: entry.id,
						size: bytes.length,
						sha256: entry.sha256,
						createdAt: entry.createdAt,
						from: entry.from
					});
					this.#sendPart(session, entry.id, bytes, 0);
				} catch {
					session.send({ type: 'backup-end', id: message.id, ok: false, reason: 'read-failed' });
				}
				return true;
			}
			case 'backup-delete': {
				const entry = own ? this.#held.find((b) => b.id === message.id) : undefined;
				if (entry) await this.#drop([entry.id]);
				session.send({
					type: 'backup-end',
					id: message.id,
					ok: Boolean(entry),
					reason: entry ? 'deleted' : own ? 'not-found' : 'forbidden'
				});
				return true;
			}
			case 'backup-offer':
				return this.#onOffer(session, message, own);
			case 'backup-part':
				return this.#onPart(session, message);
			case 'backup-ack': {
				const key = `${peerId}:${message.id}`;
				const out = this.#outgoing.get(key);
				if (!out || out.session !== session) return false;
				this.#touch(out.waiter, key, this.#pushes);
				if (message.offset < out.bytes.length) this.#sendPart(session, message.id, out.bytes, message.offset);
				return true;
			}
			case 'backup-end': {
				const key = `${peerId}:${message.id}`;
				const push = this.#pushes.get(key);
				if (push) {
					this.#outgoing.delete(key);
					if (message.ok) push.resolve();
					else push.reject(new DeviceBackupError('refused', `The device refused the backup (${message.reason})`));
					return true;
				}
				const get = this.#gets.get(key);
				if (get) {
					this.#abortIncoming(key);
					get.reject(new DeviceBackupError(message.reason === 'not-found' ? 'not-found' : 'refused', message.reason));
					return true;
				}
				const del = this.#deletes.get(key);
				if (del) {
					if (message.ok) del.resolve();
					else del.reject(new DeviceBackupError('not-found', message.reason));
					return true;
				}
				return false;
			}
		}
	}

	async #onOffer(
		session: Session,
		message: Extract<BackupMessage, { type: 'backup-offer' }>,
		own: boolean
	): Promise<boolean> {
		const key = `${session.remoteId}:${message.id}`;
		const fetching = this.#gets.has(key);
		if (!fetching && !own) {
			session.send({ type: 'backup-end', id: message.id, ok: false, reason: 'forbidden' });
			return true;
		}
		this.#abortIncoming(key);
		const incoming: Incoming = {
			peerId: session.remoteId,
			id: message.id,
			size: message.size,
			sha256: message.sha256,
			createdAt: message.createdAt,
			from: cleanText(message.from, 64),
			received: 0,
			hasher: await createSHA256(),
			parts: fetching ? [] : null,
			writable: null,
			timer: undefined
		};
		incoming.hasher.init();
		if (!fetching)
			try {
				incoming.writable = await (
					await (await folder()).getFileHandle(`${message.id}.part`, { create: true })
				).createWritable();
			} catch {
				session.send({ type: 'backup-end', id: message.id, ok: false, reason: 'storage' });
				return true;
			}
		this.#incoming.set(key, incoming);
		this.#arm(key);
		return true;
	}

	async #onPart(session: Session, message: Extract<BackupMessage, { type: 'backup-part' }>): Promise<boolean> {
		const key = `${session.remoteId}:${message.id}`;
		const incoming = this.#incoming.get(key);
		if (!incoming || message.offset !== incoming.received) return false;
		const bytes = fromB64(message.data);
		if (incoming.received + bytes.length > incoming.size || (bytes.length === 0 && incoming.size > 0)) {
			await this.#fail(session, key, 'corrupt');
			return false;
		}
		incoming.hasher.update(bytes);
		incoming.received += bytes.length;
		if (incoming.parts) incoming.parts.push(bytes);
		else await incoming.writable!.write(bytes as BufferSource);
		this.#arm(key);
		this.#gets.get(key)?.onProgress?.(incoming.received, incoming.size);
		this.#touch(this.#gets.get(key), key, this.#gets);
		if (incoming.received < incoming.size) {
			session.send({ type: 'backup-ack', id: message.id, offset: incoming.received });
			return true;
		}
		clearTimeout(incoming.timer);
		this.#incoming.delete(key);
		if (incoming.hasher.digest('hex') !== incoming.sha256) {
			await incoming.writable?.abort().catch(() => undefined);
			await (await folder()).removeEntry(`${incoming.id}.part`).catch(() => undefined);
			session.send({ type: 'backup-end', id: message.id, ok: false, reason: 'hash-mismatch' });
			this.#gets.get(key)?.reject(new DeviceBackupError('corrupt', 'The backup arrived damaged (hash mismatch)'));
			return true;
		}
		if (incoming.parts) {
			session.send({ type: 'backup-end', id: message.id, ok: true, reason: 'received' });
			this.#gets.get(key)?.resolve(new Blob(incoming.parts as BlobPart[], { type: 'application/octet-stream' }));
			return true;
		}
		try {
			await incoming.writable!.close();
			await this.#store(incoming);
			session.send({ type: 'backup-end', id: message.id, ok: true, reason: 'stored' });
		} catch {
			await (await folder()).removeEntry(`${incoming.id}.part`).catch(() => undefined);
			session.send({ type: 'backup-end', id: message.id, ok: false, reason: 'storage' });
		}
		return true;
	}

	/** An incoming transfer that goes silent is dropped with what it wrote. */
	#arm(key: string): void {
		const incoming = this.#incoming.get(key);
		if (!incoming) return;
		clearTimeout(incoming.timer);
		incoming.timer = setTimeout(() => this.#abortIncoming(key), SILENCE_MS);
	}

	#abortIncoming(key: string): void {
		const incoming = this.#incoming.get(key);
		if (!incoming) return;
		clearTimeout(incoming.timer);
		this.#incoming.delete(key);
		if (incoming.writable)
			void incoming.writable
				.abort()
				.catch(() => undefined)
				.then(async () => (await folder()).removeEntry(`${incoming.id}.part`))
				.catch(() => undefined);
	}

	async #fail(session: Session, key: string, reason: string): Promise<void> {
		const incoming = this.#incoming.get(key);
		this.#abortIncoming(key);
		if (incoming) session.send({ type: 'backup-end', id: incoming.id, ok: false, reason });
		this.#gets.get(key)?.reject(new DeviceBackupError('corrupt', 'The backup arrived damaged'));
	}

	async #store(incoming: Incoming): Promise<void> {
		const dir = await folder();
		// OPFS has no rename for files in every browser version: copy the verified part into place.
		const part = await (await dir.getFileHandle(`${incoming.id}.part`)).getFile();
		const target = await (await dir.getFileHandle(incoming.id, { create: true })).createWritable();
		await part.stream().pipeTo(target);
		await dir.removeEntry(`${incoming.id}.part`).catch(() => undefined);
		const entry: HeldEntry = {
			id: incoming.id,
			createdAt: incoming.createdAt,
			size: incoming.size,
			from: incoming.from,
			sha256: incoming.sha256,
			fromPeer: incoming.peerId
		};
		const all = [...(await this.#readHeld()).filter((b) => b.id !== entry.id), entry].sort(
			(a, b) => b.createdAt - a.createdAt
		);
		const perDevice = new Map<string, number>();
		const keep: HeldEntry[] = [];
		const drop: string[] = [];
		for (const b of all) {
			const n = (perDevice.get(b.fromPeer) ?? 0) + 1;
			perDevice.set(b.fromPeer, n);
			if (n > KEEP_PER_DEVICE || keep.length >= MAX_HELD_BACKUPS) drop.push(b.id);
			else keep.push(b);
		}
		await db().settings.put({ key: HELD_KEY, value: keep });
		this.#held = keep;
		for (const id of drop) await dir.removeEntry(id).catch(() => undefined);
	}

	async #drop(ids: string[]): Promise<void> {
		const dir = await folder();
		const keep = (await this.#readHeld()).filter((b) => !ids.includes(b.id));
		await db().settings.put({ key: HELD_KEY, value: keep });
		this.#held = keep;
		for (const id of ids) await dir.removeEntry(id).catch(() => undefined);
	}

	async #readHeld(): Promise<HeldEntry[]> {
		const row = await db().settings.get(HELD_KEY);
		return Array.isArray(row?.value) ? (row.value as HeldEntry[]) : [];
	}

	async #loadHeld(): Promise<void> {
		this.#held = await this.#readHeld().catch(() => []);
	}
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
	return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const deviceBackups = new DeviceBackups();
