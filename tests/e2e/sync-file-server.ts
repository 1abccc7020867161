/**
 * A test server for the download worker: serves the app's build (so the page and the worker share its
 * origin) and files under /files/<name> with HTTP Range, with faults injected per file: an HTTP status,
 * corrupted bytes, a throttle, and a "die" that drops every connection after N bytes. It can be stopped
 * and started again on the same port, like a server that crashed and came back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import sirv from 'sirv';

export interface ServedFile {
	data: Buffer;
	/** Answer with this status instead of the file. */
	status?: number;
	/** Flip one byte in the middle (the hash will not match). */
	corrupt?: boolean;
	/** Bytes per second (sent in 64 KiB pieces). */
	bytesPerSecond?: number;
	/** Drop every connection once this many bytes of the file have been sent, in total, then stop listening. */
	dieAfterBytes?: number;
}

export interface RequestLog {
	name: string;
	range: string | null;
	at: number;
}

export class SyncFileServer {
	readonly files = new Map<string, ServedFile>();
	readonly log: RequestLog[] = [];
	/** Bytes of each file sent so far (all requests). */
	readonly sent = new Map<string, number>();
	/** Most file responses in flight at once. */
	maxConcurrent = 0;
	#inFlight = 0;
	#server: Server | null = null;
	#sockets = new Set<Socket>();
	#assets: ReturnType<typeof sirv>;
	/** Called when a file's dieAfterBytes is reached (the server is already down). */
	onDied: (() => void) | null = null;

	constructor(
		readonly port: number,
		buildDir = process.env.CRATEMESH_BUILD_DIR ?? join(process.cwd(), 'build')
	) {
		this.#assets = sirv(buildDir, { single: true, dev: false, etag: true });
	}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	start(): Promise<void> {
		return new Promise((resolve, reject) => {
			const server = createServer((req, res) => this.#handle(req, res));
			server.on('connection', (socket) => {
				this.#sockets.add(socket);
				socket.on('close', () => this.#sockets.delete(socket));
			});
			server.once('error', reject);
			server.listen(this.port, '127.0.0.1', () => resolve());
			this.#server = server;
		});
	}

	/** Like a crash: every open connection is cut, nothing answers until start(). */
	stop(): Promise<void> {
		const server = this.#server;
		this.#server = null;
		for (const socket of this.#sockets) socket.destroy();
		this.#sockets.clear();
		return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
	}

	get running(): boolean {
		return this.#server !== null;
	}

	#handle(req: IncomingMessage, res: ServerResponse): void {
		const url = new URL(req.url ?? '/', this.url);
		if (url.pathname === '/config.json') {
			res.setHeader('Content-Type', 'application/json');
			res.end(JSON.stringify({ version: 'sync-test', supabaseUrl: null, supabaseAnonKey: null }));
			return;
		}
		if (url.pathname.startsWith('/files/')) return void this.#file(decodeURIComponent(url.pathname.slice(7)), req, res);
		this.#assets(req, res, () => {
			res.statusCode = 404;
			res.end('Not found');
		});
	}

	async #file(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
		const file = this.files.get(name);
		this.log.push({ name, range: req.headers.range ?? null, at: Date.now() });
		if (!file) {
			res.statusCode = 404;
			return void res.end('Not found');
		}
		if (file.status) {
			res.statusCode = file.status;
			return void res.end(`Status ${file.status}`);
		}
		let data = file.data;
		if (file.corrupt) {
			data = Buffer.from(data);
			const middle = data.length >> 1;
			data[middle] = data[middle]! ^ 0xff;
		}
		const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
		res.setHeader('Accept-Ranges', 'bytes');
		res.setHeader('Content-Type', 'application/octet-stream');
		if (match) {
			const start = Number(match[1]);
			const end = match[2] ? Math.min(Number(match[2]), data.length - 1) : data.length - 1;
			if (start >= data.length) {
				res.statusCode = 416;
				res.setHeader('Content-Range', `bytes */${data.length}`);
				return void res.end();
			}
			res.statusCode = 206;
			res.setHeader('Content-Range', `bytes ${start}-${end}/${data.length}`);
			data = data.subarray(start, end + 1);
		}
		res.setHeader('Content-Length', String(data.length));
		this.#inFlight++;
		this.maxConcurrent = Math.max(this.maxConcurrent, this.#inFlight);
		try {
			await this.#send(name, file, data, res);
		} finally {
			this.#inFlight--;
		}
	}

	async #send(name: string, file: ServedFile, data: Buffer, res: ServerResponse): Promise<void> {
		const piece = 64 * 1024;
		for (let at = 0; at < data.length; at += piece) {
			if (res.destroyed || !this.running) return;
			const chunk = data.subarray(at, Math.min(at + piece, data.length));
			const already = this.sent.get(name) ?? 0;
			if (file.dieAfterBytes !== undefined && already + chunk.length > file.dieAfterBytes) {
				file.dieAfterBytes = undefined;
				await this.stop();
				this.onDied?.();
				return;
			}
			this.sent.set(name, already + chunk.length);
			const flushed = res.write(chunk);
			const last = at + piece >= data.length;
			// No pause after the last piece: the client has it all, the response is over.
			if (file.bytesPerSecond && !last) await sleep((chunk.length / file.bytesPerSecond) * 1000);
			else if (!flushed) await new Promise((resolve) => res.once('drain', resolve));
		}
		res.end();
	}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
