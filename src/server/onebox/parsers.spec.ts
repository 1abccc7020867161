import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { parseMultipart } from './multipart.js';
import { parseRange } from './range.js';
import { parseCondition, parseLogic, parseOrder, parseSelect, splitTopLevel } from './rest-parse.js';
import { checkObjectName } from './storage.js';

describe('PostgREST query grammar', () => {
	it('parses select lists with aliases, casts and nested embeds', () => {
		expect(
			parseSelect('id,t:title,size::text,tenants!inner(name),items:playlist_items(position,media_assets(*))')
		).toEqual([
			{ kind: 'column', name: 'id', alias: null, cast: null },
			{ kind: 'column', name: 'title', alias: 't', cast: null },
			{ kind: 'column', name: 'size', alias: null, cast: 'text' },
			{
				kind: 'embed',
				relation: 'tenants',
				alias: null,
				hint: null,
				inner: true,
				items: [{ kind: 'column', name: 'name', alias: null, cast: null }]
			},
			{
				kind: 'embed',
				relation: 'playlist_items',
				alias: 'items',
				hint: null,
				inner: false,
				items: [
					{ kind: 'column', name: 'position', alias: null, cast: null },
					{ kind: 'embed', relation: 'media_assets', alias: null, hint: null, inner: false, items: [{ kind: 'star' }] }
				]
			}
		]);
		expect(() => parseSelect('id::regclass')).toThrow(ApiError);
		expect(() => parseSelect('data->>x')).toThrow(/JSON paths/);
		expect(() => parseSelect('...tenants(name)')).toThrow(/Spread/);
		expect(() => parseSelect('a,(b')).toThrow(/Unbalanced/);
	});

	it('parses filters, in-lists with quotes, and nested or/and trees', () => {
		expect(parseCondition('a', 'not.in.(1,"x,y",3)')).toEqual({
			type: 'cond',
			column: 'a',
			negate: true,
			op: 'in',
			value: ['1', 'x,y', '3']
		});
		expect(parseCondition('a', 'eq.with.dots')).toEqual({
			type: 'cond',
			column: 'a',
			negate: false,
			op: 'eq',
			value: 'with.dots'
		});
		expect(() => parseCondition('a', 'is.maybe')).toThrow(/is\./);
		expect(() => parseCondition('a', 'drop.x')).toThrow(/not a valid filter/);
		expect(parseLogic('or', false, '(a.eq.1,not.and(b.gt.2,c.is.null),d.eq."x,y")')).toEqual({
			type: 'logic',
			op: 'or',
			negate: false,
			children: [
				{ type: 'cond', column: 'a', negate: false, op: 'eq', value: '1' },
				{
					type: 'logic',
					op: 'and',
					negate: true,
					children: [
						{ type: 'cond', column: 'b', negate: false, op: 'gt', value: '2' },
						{ type: 'cond', column: 'c', negate: false, op: 'is', value: 'null' }
					]
				},
				{ type: 'cond', column: 'd', negate: false, op: 'eq', value: 'x,y' }
			]
		});
		expect(splitTopLevel('a,"b,c",d(e,f)')).toEqual(['a', '"b,c"', 'd(e,f)']);
		expect(parseOrder('a.desc.nullslast,b')).toEqual([
			{ column: 'a', desc: true, nulls: 'last' },
			{ column: 'b', desc: false, nulls: null }
		]);
	});
});

describe('byte ranges', () => {
	it('answers the forms HTTP allows and refuses what lies past the end', () => {
		expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
		expect(parseRange('bytes=500-', 1000)).toEqual({ start: 500, end: 999 });
		expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
		expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
		expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
		expect(parseRange('bytes=0-1,5-9', 1000)).toBeNull();
		expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
		expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
		expect(parseRange('bytes=9-2', 1000)).toBeNull();
		expect(parseRange('items=0-9', 1000)).toBeNull();
		expect(parseRange('bytes=abc', 1000)).toBeNull();
	});
});

describe('multipart uploads', () => {
	const boundary = '----cratemesh7Q';
	const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 13) & 255));
	// The payload contains CR LF and dashes so a naive boundary search would cut it.
	const tricky = Buffer.concat([payload, Buffer.from(`\r\n--${boundary.slice(0, -1)}`), payload]);
	const body = Buffer.concat([
		Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="cacheControl"\r\n\r\n3600\r\n`),
		Buffer.from(
			`--${boundary}\r\nContent-Disposition: form-data; name=""; filename="blob"\r\nContent-Type: audio/mpeg\r\n\r\n`
		),
		tricky,
		Buffer.from(`\r\n--${boundary}--\r\n`)
	]);

	async function parseIn(chunkSize: number) {
		const parts: Buffer[] = [];
		let type = '';
		async function* chunks() {
			for (let i = 0; i < body.length; i += chunkSize) yield body.subarray(i, i + chunkSize);
		}
		const result = await parseMultipart(chunks(), boundary, {
			start: (part) => void (type = part.contentType),
			write: (chunk) => void parts.push(Buffer.from(chunk))
		});
		return { ...result, type, file: Buffer.concat(parts) };
	}

	it('extracts fields and the file whatever the chunk boundaries', async () => {
		for (const size of [1, 2, 3, 7, 16, 41, 64, 1000, body.length]) {
			const { fields, file, type } = await parseIn(size);
			expect(fields).toEqual({ cacheControl: '3600' });
			expect(type).toBe('audio/mpeg');
			expect(file.equals(tricky)).toBe(true);
		}
	});

	it('refuses a body cut before its closing boundary', async () => {
		async function* cut() {
			yield body.subarray(0, body.length - 20);
		}
		await expect(parseMultipart(cut(), boundary, { start: () => {}, write: () => {} })).rejects.toThrow(
			/closing boundary/
		);
	});
});

describe('object names', () => {
	it('refuses paths that could escape the bucket folder or break a signed URL', () => {
		expect(checkObjectName('a/b/c.mp3')).toBe('a/b/c.mp3');
		for (const bad of ['', '/a', 'a/', 'a//b', '../a', 'a/../b', 'a/./b', 'a\\b', 'a?b', 'a#b', 'a%2Fb', 'a\u0000b'])
			expect(() => checkObjectName(bad), bad).toThrow();
	});
});
