import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, isLocalOnly, loadConfig, parseConfig } from './config';

describe('runtime config', () => {
	it('is local-only without Supabase settings', () => {
		expect(isLocalOnly(parseConfig({}))).toBe(true);
		expect(isLocalOnly(parseConfig({ supabaseUrl: 'https://x.supabase.co' }))).toBe(true);
		expect(isLocalOnly(parseConfig({ supabaseUrl: 'https://x.supabase.co', supabaseAnonKey: 'k' }))).toBe(false);
	});

	it('tells the one-box backend from a Supabase project, and needs both settings for either', () => {
		const onebox = { backend: 'onebox', supabaseUrl: 'http://192.168.1.5:3000', supabaseAnonKey: 'k' };
		expect(parseConfig(onebox).backend).toBe('onebox');
		expect(isLocalOnly(parseConfig(onebox))).toBe(false);
		expect(parseConfig({ supabaseUrl: 'https://x.supabase.co', supabaseAnonKey: 'k' }).backend).toBe('supabase');
		expect(parseConfig({ ...onebox, backend: 'other' }).backend).toBe('supabase');
		expect(parseConfig({ backend: 'onebox' }).backend).toBe('none');
	});

	it('rejects malformed values field by field', () => {
		const config = parseConfig({
			supabaseUrl: 'javascript:alert(1)',
			supabaseAnonKey: 42,
			peerjs: { path: '/signal' },
			iceServers: [{ urls: 'stun:127.0.0.1:3478' }, { urls: 5 }, 'nope']
		});
		expect(config.supabaseUrl).toBeNull();
		expect(config.supabaseAnonKey).toBeNull();
		expect(config.peerjs).toEqual({ path: '/signal', key: 'peerjs' });
		expect(config.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
		expect(parseConfig('not an object')).toEqual(DEFAULT_CONFIG);
	});

	it('uses Realtime signalling only when asked and a backend exists to carry it', () => {
		const onebox = { backend: 'onebox', supabaseUrl: 'http://192.168.1.5:3000', supabaseAnonKey: 'k' };
		expect(parseConfig(onebox).signalling).toBe('peerjs');
		expect(parseConfig({ ...onebox, signalling: 'supabase' }).signalling).toBe('supabase');
		expect(
			parseConfig({ supabaseUrl: 'https://x.supabase.co', supabaseAnonKey: 'k', signalling: 'supabase' }).signalling
		).toBe('supabase');
		expect(parseConfig({ signalling: 'supabase' }).signalling).toBe('peerjs');
		expect(parseConfig({ ...onebox, signalling: 'carrier-pigeon' }).signalling).toBe('peerjs');
	});

	it('falls back to defaults when the server cannot be reached', async () => {
		const failing = (() => Promise.reject(new TypeError('offline'))) as unknown as typeof fetch;
		expect(await loadConfig(failing)).toEqual(DEFAULT_CONFIG);
	});
});
