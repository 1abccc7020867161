import { describe, expect, it } from 'vitest';
import { ephemeralIdentity, toBase64, type Identity } from './identity';
import { ShownCode } from './pake';
import type { ChannelBinding } from './channel-binding';
import { Session, type PeerInfo, type SessionHooks, type Trust, type Wire } from './session';

interface Side {
	identity: Identity;
	trusted: Map<string, { spki: string; trust: Trust }>;
	code: string | null;
	/** The trust level the shown code grants (collaborator invitations). */
	codeTrust?: Trust;
	shown?: ShownCode;
	ready: PeerInfo | null;
	closed: string | null;
	rejected: string[];
	session?: Session;
}

async function side(): Promise<Side> {
	return {
		identity: await ephemeralIdentity(),
		trusted: new Map(),
		code: null,
		ready: null,
		closed: null,
		rejected: []
	};
}

function hooks(s: Side): SessionHooks {
	return {
		trusted: async (peerId, spki) => {
			const row = s.trusted.get(peerId);
			return row && row.spki === spki ? row.trust : null;
		},
		hostCode: () => (s.shown ? s.shown.claim() : s.code),
		hostTrust: () => s.codeTrust ?? 'own',
		pair: async (peer) => {
			s.code = null;
			s.trusted.set(peer.peerId, { spki: peer.spki, trust: peer.trust });
		},
		ready: (peer) => (s.ready = peer),
		message: () => undefined,
		binary: () => undefined,
		rejected: (reason) => s.rejected.push(reason),
		closed: (reason) => (s.closed = reason)
	};
}

type Frame = Parameters<Wire['send']>[0];
type Tap = (frame: Frame, from: 'a' | 'b') => Frame | null;

/** A made-up DTLS fingerprint (what a certificate's SDP line says). */
const fingerprint = (byte: number) =>
	`sha-256 ${Array.from({ length: 32 }, () => byte.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
const [FP_A, FP_B, FP_RELAY_A, FP_RELAY_B] = [0xa1, 0xb2, 0xc3, 0xd4].map(fingerprint) as [
	string,
	string,
	string,
	string
];

/**
 * Two sessions joined by an in-memory pipe; `tap` sees (and may rewrite or drop) every frame, as a relay
 * could. `bindings`: the DTLS fingerprints each side's channel shows (by default, one honest channel).
 */
function link(
	a: Side,
	b: Side,
	options: {
		joinCode?: string;
		joinTrust?: Trust;
		claimAs?: string;
		tap?: Tap;
		bindings?: { a: ChannelBinding; b: ChannelBinding };
		/** The side that accepted the connection (the other one dialled). */
		incoming?: 'a' | 'b';
		/** Frames this side sends before anything reached it are lost, as Chromium may lose a frame that
		 * reaches the dialler before the dialler's channel has opened. */
		dropEarly?: 'a' | 'b';
	} = {}
) {
	const bindings = options.bindings ?? {
		a: { local: FP_A, remote: FP_B },
		b: { local: FP_B, remote: FP_A }
	};
	const heard = { a: false, b: false };
	const wire = (deliver: () => Session, from: 'a' | 'b'): Wire => ({
		send: (frame) => {
			if (options.dropEarly === from && !heard[from]) return;
			const out = options.tap ? options.tap(frame, from) : frame;
			if (out !== null)
				queueMicrotask(() => {
					heard[from === 'a' ? 'b' : 'a'] = true;
					deliver().receive(out);
				});
		},
		close: () => undefined,
		bufferedAmount: () => 0,
		binding: () => bindings[from]
	});
	const toB: Session = new Session(
		wire(() => toA, 'b'),
		hooks(b),
		{
			identity: b.identity,
			name: 'B',
			remoteId: options.claimAs ?? a.identity.peerId,
			incoming: options.incoming === 'b'
		}
	);
	const toA: Session = new Session(
		wire(() => toB, 'a'),
		hooks(a),
		{
			identity: a.identity,
			name: 'A',
			remoteId: b.identity.peerId,
			joinCode: options.joinCode,
			joinTrust: options.joinTrust,
			incoming: options.incoming === 'a'
		}
	);
	a.session = toA;
	b.session = toB;
	toA.start();
	toB.start();
	return { stop: () => [toA, toB].forEach((s) => s.close('test', false)) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('mesh session', () => {
	it('pairs with a code both sides prove, then reconnects on the stored keys alone', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		b.code = '123456';
		const first = link(a, b, { joinCode: '123456' });
		await settle();
		expect(a.ready?.peerId).toBe(b.identity.peerId);
		expect(b.ready?.peerId).toBe(a.identity.peerId);
		expect(a.ready?.paired && b.ready?.paired).toBe(true);
		expect(b.code).toBeNull();
		first.stop();

		for (const s of [a, b]) s.ready = null;
		const second = link(a, b);
		await settle();
		expect((a.ready as PeerInfo | null)?.paired).toBe(false);
		expect((b.ready as PeerInfo | null)?.trust).toBe('own');
		second.stop();
	});

	it('pairs a collaborator only with a collaborator invitation, and both sides store that trust', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		b.code = '112233';
		b.codeTrust = 'collaborator';
		const invited = link(a, b, { joinCode: '112233', joinTrust: 'collaborator' });
		await settle();
		expect(a.ready?.trust).toBe('collaborator');
		expect(b.ready?.trust).toBe('collaborator');
		expect(a.trusted.get(b.identity.peerId)?.trust).toBe('collaborator');
		expect(b.trusted.get(a.identity.peerId)?.trust).toBe('collaborator');
		invited.stop();

		// The right code, the wrong kind of pairing (either way): refused, nothing stored, and said why.
		for (const [shown, asked] of [
			['collaborator', 'own'],
			['own', 'collaborator']
		] as const) {
			const [c, d] = await Promise.all([side(), side()]);
			d.code = '445566';
			d.codeTrust = shown;
			const mismatch = link(c, d, { joinCode: '445566', joinTrust: asked });
			await settle();
			expect(d.closed).toBe('trust-mismatch');
			expect(c.ready).toBeNull();
			expect(c.trusted.size + d.trusted.size).toBe(0);
			mismatch.stop();
		}
	});

	it('refuses a wrong code, an unknown key, and a key that does not match the claimed id', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		b.code = '123456';
		const wrong = link(a, b, { joinCode: '654321' });
		await settle();
		expect(b.closed).toBe('bad-code');
		expect(a.ready).toBeNull();
		expect(b.trusted.size).toBe(0);
		wrong.stop();

		const [c, d] = await Promise.all([side(), side()]);
		link(c, d);
		await settle();
		expect(d.closed).toBe('untrusted');
		expect(c.ready).toBeNull();

		// e pretends to be a device f already trusts: its key does not hash to that id.
		const [e, f, victim] = await Promise.all([side(), side(), side()]);
		f.trusted.set(victim.identity.peerId, { spki: victim.identity.spki, trust: 'own' });
		link(e, f, { claimAs: victim.identity.peerId });
		await settle();
		expect(f.closed).toBe('forged');
		expect(f.ready).toBeNull();
	});

	it('refuses a relay that terminates DTLS in the middle, even with a trusted key and the right code', async () => {
		// The relay rewrote both SDPs: each side's channel ends at the relay, with the relay's certificate.
		const relayed = { a: { local: FP_A, remote: FP_RELAY_A }, b: { local: FP_B, remote: FP_RELAY_B } };
		const [a, b] = await Promise.all([side(), side()]);
		b.code = '123456';
		link(a, b, { joinCode: '123456', bindings: relayed });
		await settle();
		expect(a.ready).toBeNull();
		expect(b.ready).toBeNull();
		expect([a.closed, b.closed]).toContain('forged');
		expect(a.trusted.size + b.trusted.size).toBe(0);

		// Already paired devices: the same.
		const [c, d] = await Promise.all([side(), side()]);
		c.trusted.set(d.identity.peerId, { spki: d.identity.spki, trust: 'own' });
		d.trusted.set(c.identity.peerId, { spki: c.identity.spki, trust: 'own' });
		const honest = link(c, d);
		await settle();
		expect(c.ready?.trust).toBe('own');
		honest.stop();
		for (const s of [c, d]) [s.ready, s.closed] = [null, null];
		link(c, d, { bindings: relayed });
		await settle();
		expect(c.ready).toBeNull();
		expect(d.ready).toBeNull();
		expect(c.closed).toBe('forged');
		expect(d.closed).toBe('forged');
	});

	it('refuses an older build that does not bind the channel, with a version error', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		a.trusted.set(b.identity.peerId, { spki: b.identity.spki, trust: 'own' });
		b.trusted.set(a.identity.peerId, { spki: a.identity.spki, trust: 'own' });
		// a's hello as a build before the binding sends it (no `bind`).
		link(a, b, {
			tap: (frame, from) => {
				if (from !== 'a' || typeof frame !== 'string' || !frame.includes('"hello"')) return frame;
				const { bind: _bind, ...old } = JSON.parse(frame);
				return JSON.stringify(old);
			}
		});
		await settle();
		expect(b.closed).toBe('version');
		expect(a.closed).toBe('peer:version');
		expect(a.ready).toBeNull();
		expect(b.ready).toBeNull();
	});

	it('pairs through the PAKE: the code never crosses the wire', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		b.code = '246810';
		const seen: string[] = [];
		const relay = link(a, b, {
			joinCode: '246810',
			tap: (frame) => {
				if (typeof frame === 'string') seen.push(frame);
				return frame;
			}
		});
		await settle();
		expect(a.ready?.paired && b.ready?.paired).toBe(true);
		relay.stop();
		const types = seen.map((frame) => JSON.parse(frame).type);
		expect(types).toEqual(expect.arrayContaining(['hello', 'auth', 'pake', 'pake-confirm', 'welcome']));
		expect(seen.join('\n')).not.toContain('246810');
		// The shares are fresh random group elements each run (nothing a relay could test guesses against).
		const shares = seen.map((frame) => JSON.parse(frame)).filter((m) => m.type === 'pake' || m.pake);
		expect(new Set(shares.map((m) => m.share ?? m.pake)).size).toBe(2);
	});

	it('refuses a forged PAKE share or confirmation without throwing, and trusts no one', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		b.code = '111111';
		// A relay replaces the joiner's share with bytes that are not a group element.
		link(a, b, {
			joinCode: '111111',
			tap: (frame) => {
				if (typeof frame !== 'string') return frame;
				const message = JSON.parse(frame);
				if (message.type === 'auth' && message.pake) message.pake = toBase64(new Uint8Array(32).fill(0xff));
				return JSON.stringify(message);
			}
		});
		await settle();
		expect(b.closed).toBe('bad-code');
		expect(a.ready).toBeNull();
		expect(b.trusted.size + a.trusted.size).toBe(0);

		const [c, d] = await Promise.all([side(), side()]);
		d.code = '222222';
		// A relay that tampers with the joiner's confirmation.
		link(c, d, {
			joinCode: '222222',
			tap: (frame) => {
				if (typeof frame !== 'string') return frame;
				const message = JSON.parse(frame);
				if (message.type === 'pake-confirm') message.mac = toBase64(new Uint8Array(32));
				return JSON.stringify(message);
			}
		});
		await settle();
		expect(d.closed).toBe('bad-code');
		expect(c.ready).toBeNull();
		expect(d.trusted.size + c.trusted.size).toBe(0);
	});

	it('gives a shown code five runs, counting runs an attacker abandons half way', async () => {
		const host = await side();
		host.shown = new ShownCode('135790', 120_000, 5);
		for (let attempt = 0; attempt < 5; attempt++) {
			const attacker = await side();
			const guess = String(100000 + attempt);
			// Odd attempts: the attacker drops the run after the host's share (learns nothing, still counted).
			const run = link(attacker, host, {
				joinCode: guess,
				tap: (frame, from) =>
					attempt % 2 && from === 'a' && typeof frame === 'string' && JSON.parse(frame).type === 'pake-confirm'
						? null
						: frame
			});
			await settle();
			expect(attacker.ready).toBeNull();
			run.stop();
		}
		expect(host.shown.exhausted).toBe(true);
		// The right code, too late: refused.
		const owner = await side();
		link(owner, host, { joinCode: '135790' });
		await settle();
		expect(owner.ready).toBeNull();
		expect(host.trusted.size).toBe(0);
	});

	it('the accepting side says hello only after the dialler spoke, so a frame lost on opening cannot stall pairing', async () => {
		// The joiner dials with the code; the host accepts. Frames the host sends before it heard from the
		// joiner are lost. Speaking at once, the host's hello is lost and the joiner gets its auth first:
		// refused, and the pairing stalls.
		const run = async (incoming: boolean) => {
			const [host, joiner] = await Promise.all([side(), side()]);
			host.code = '482913';
			const l = link(joiner, host, { joinCode: '482913', dropEarly: 'b', incoming: incoming ? 'b' : undefined });
			await settle();
			l.stop();
			return { host, joiner };
		};
		const old = await run(false);
		expect(old.joiner.ready).toBeNull();
		expect(old.joiner.rejected).toEqual(['unexpected']);

		const { host, joiner } = await run(true);
		expect(joiner.ready?.peerId).toBe(host.identity.peerId);
		expect(host.ready?.peerId).toBe(joiner.identity.peerId);
		expect([...joiner.rejected, ...host.rejected]).toEqual([]);
		expect(host.trusted.get(joiner.identity.peerId)?.trust).toBe('own');
	});

	it('rejects and counts malformed, unknown, oversized and premature frames without throwing', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		const session = new Session(
			{ send: () => undefined, close: () => undefined, bufferedAmount: () => 0, binding: () => null },
			hooks(b),
			{
				identity: b.identity,
				name: 'B',
				remoteId: a.identity.peerId
			}
		);
		session.receive('{not json');
		session.receive(JSON.stringify({ v: 1, type: 'launch-missiles' }));
		session.receive(JSON.stringify({ v: 2, type: 'ping', t: 1 }));
		session.receive('x'.repeat(300_000));
		session.receive(JSON.stringify({ v: 1, type: 'want', hash: 'a'.repeat(64), offset: 0 }));
		session.receive(new ArrayBuffer(8));
		session.receive(42);
		await settle();
		expect(b.rejected).toEqual([
			'malformed',
			'unknown',
			'version',
			'oversized',
			'unexpected',
			'unexpected',
			'malformed'
		]);
		session.close('test', false);
	});

	it('rate-limits a flooding peer and drops it', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		const session = new Session(
			{ send: () => undefined, close: () => undefined, bufferedAmount: () => 0, binding: () => null },
			hooks(b),
			{
				identity: b.identity,
				name: 'B',
				remoteId: a.identity.peerId,
				rate: 10,
				burst: 10,
				maxRejected: 20
			}
		);
		for (let i = 0; i < 100; i++) session.receive(JSON.stringify({ v: 1, type: 'ping', t: i }));
		await settle();
		expect(b.rejected.filter((r) => r === 'rate').length).toBeGreaterThan(10);
		expect(b.closed).toBe('too-many-invalid');
	});

	it('drops a connection that goes silent (heartbeat timeout)', async () => {
		const [a, b] = await Promise.all([side(), side()]);
		const session = new Session(
			{ send: () => undefined, close: () => undefined, bufferedAmount: () => 0, binding: () => null },
			hooks(b),
			{
				identity: b.identity,
				name: 'B',
				remoteId: a.identity.peerId,
				heartbeatMs: 20,
				timeoutMs: 60
			}
		);
		session.start();
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(b.closed).toBe('timeout');
	});
});
