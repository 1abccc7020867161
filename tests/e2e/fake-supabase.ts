/**
 * A stand-in for the two Supabase services the app talks to (GoTrue auth and PostgREST), for the
 * browser tests only: neither can run on this machine (no Docker, not packaged). It implements just
 * the endpoints the app calls, with the same JSON shapes. The SQL behind the RPCs (RLS, invitations,
 * tenancy) is tested for real on PostgreSQL by the pgTAP suite; this checks the app's side of the wire.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

interface User {
	id: string;
	email: string;
	password: string;
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class FakeSupabase {
	users: User[] = [];
	tenants = new Map<string, string>();
	memberships: { tenant_id: string; user_id: string; role: string }[] = [];
	invitations: { tenant_id: string; email: string; role: string; accepted: boolean }[] = [];
	requests: string[] = [];
	#server: Server | undefined;
	url = '';

	async start(): Promise<string> {
		this.#server = createServer((req, res) => void this.#handle(req, res));
		await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
		const address = this.#server.address();
		this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
		return this.url;
	}

	stop(): Promise<void> {
		return new Promise((resolve) => {
			this.#server?.closeAllConnections();
			this.#server?.close(() => resolve());
		});
	}

	#session(user: User) {
		const now = Math.floor(Date.now() / 1000);
		const access = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user.id, email: user.email, role: 'authenticated', aud: 'authenticated', exp: now + 3600, iat: now })}.sig`;
		return {
			access_token: access,
			token_type: 'bearer',
			expires_in: 3600,
			expires_at: now + 3600,
			refresh_token: `refresh-${user.id}`,
			user: this.#user(user)
		};
	}

	#user(user: User) {
		return {
			id: user.id,
			aud: 'authenticated',
			role: 'authenticated',
			email: user.email,
			email_confirmed_at: new Date().toISOString(),
			app_metadata: {},
			user_metadata: {},
			created_at: new Date().toISOString()
		};
	}

	#caller(req: IncomingMessage): User | undefined {
		const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
		const payload = token.split('.')[1];
		if (!payload) return undefined;
		try {
			const { sub } = JSON.parse(Buffer.from(payload, 'base64url').toString());
			return this.users.find((u) => u.id === sub);
		} catch {
			return undefined;
		}
	}

	async #handle(req: IncomingMessage, res: ServerResponse) {
		res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
		res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '*');
		res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE, OPTIONS');
		if (req.method === 'OPTIONS') return res.writeHead(204).end();
		const url = new URL(req.url ?? '/', this.url);
		this.requests.push(`${req.method} ${url.pathname}`);
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString() || '{}') : {};
		const json = (status: number, value: unknown) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(value));
		};
		const caller = this.#caller(req);

		switch (`${req.method} ${url.pathname}`) {
			case 'POST /auth/v1/signup': {
				if (this.users.some((u) => u.email === body.email))
					return json(422, { code: 'user_already_exists', message: 'User already registered' });
				const user = { id: randomUUID(), email: String(body.email).toLowerCase(), password: String(body.password) };
				this.users.push(user);
				return json(200, this.#session(user));
			}
			case 'POST /auth/v1/token': {
				if (url.searchParams.get('grant_type') === 'refresh_token') {
					const user = this.users.find((u) => `refresh-${u.id}` === body.refresh_token);
					return user
						? json(200, this.#session(user))
						: json(400, { code: 'refresh_token_not_found', message: 'Invalid Refresh Token' });
				}
				const user = this.users.find(
					(u) => u.email === String(body.email).toLowerCase() && u.password === body.password
				);
				return user
					? json(200, this.#session(user))
					: json(400, { code: 'invalid_credentials', message: 'Invalid login credentials' });
			}
			case 'POST /auth/v1/otp':
				return json(200, {});
			case 'GET /auth/v1/user':
				return caller ? json(200, this.#user(caller)) : json(401, { code: 'bad_jwt', message: 'invalid JWT' });
			case 'POST /auth/v1/logout':
				return res.writeHead(204).end();
			case 'POST /rest/v1/rpc/accept_invitations': {
				if (!caller) return json(401, { message: 'JWT required' });
				const mine = this.invitations.filter((i) => !i.accepted && i.email === caller.email);
				for (const invitation of mine) {
					invitation.accepted = true;
					this.memberships.push({ tenant_id: invitation.tenant_id, user_id: caller.id, role: invitation.role });
				}
				return json(200, mine.length);
			}
			case 'POST /rest/v1/rpc/create_tenant': {
				if (!caller) return json(401, { message: 'JWT required' });
				const id = randomUUID();
				this.tenants.set(id, String(body.name));
				this.memberships.push({ tenant_id: id, user_id: caller.id, role: 'owner' });
				return json(200, id);
			}
			case 'POST /rest/v1/rpc/invite_member': {
				const owner = this.memberships.some(
					(m) => m.user_id === caller?.id && m.tenant_id === body.p_tenant_id && m.role === 'owner'
				);
				if (!owner) return json(403, { code: '42501', message: 'only owners of the tenant can invite members' });
				const email = String(body.p_email).toLowerCase();
				const existing = this.users.find((u) => u.email === email);
				if (existing) {
					this.memberships.push({ tenant_id: body.p_tenant_id, user_id: existing.id, role: body.p_role });
					return json(200, 'added');
				}
				this.invitations.push({ tenant_id: body.p_tenant_id, email, role: body.p_role, accepted: false });
				return json(200, 'invited');
			}
			case 'GET /rest/v1/memberships': {
				// RLS: a caller sees their own memberships.
				const rows = this.memberships
					.filter((m) => m.user_id === caller?.id)
					.map((m) => ({
						role: m.role,
						tenant_id: m.tenant_id,
						tenants: { name: this.tenants.get(m.tenant_id) ?? '' }
					}));
				return json(200, rows);
			}
			default:
				return json(404, { message: `not faked: ${req.method} ${url.pathname}` });
		}
	}
}
