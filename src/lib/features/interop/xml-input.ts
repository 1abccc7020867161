/**
 * Bytes of an exchange file → text, streamed: the encoding comes from a byte-order mark, then from the XML
 * declaration, else UTF-8. UTF-16 (either order, with or without a mark) and Latin-1/Windows-1252 declared
 * files are read correctly; an encoding the browser cannot decode is refused.
 */
import type { XIssue } from './model';

export const MAX_FILE_BYTES = 1024 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;

export interface TextSource {
	encoding: string;
	chunks: AsyncGenerator<string>;
	/** Replacement characters seen so far (bytes invalid in the encoding). */
	badChars: () => number;
}

function sniffEncoding(head: Uint8Array): { encoding: string; bom: number } {
	if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bom: 3 };
	if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
	if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
	// '<?' in UTF-16 without a mark.
	if (head[0] === 0x3c && head[1] === 0x00 && head[2] === 0x3f) return { encoding: 'utf-16le', bom: 0 };
	if (head[0] === 0x00 && head[1] === 0x3c && head[2] === 0x00) return { encoding: 'utf-16be', bom: 0 };
	const ascii = String.fromCharCode(...head.subarray(0, 200));
	const declared = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(ascii)?.[1];
	return { encoding: declared ? declared.toLowerCase() : 'utf-8', bom: 0 };
}

/**
 * Opens a Blob as text. Returns an issue instead when the file is too large or its encoding unknown.
 * `maxBytes` guards memory: the parser keeps only what it needs, but a file this large is no library export.
 */
export interface ReadOptions {
	signal?: AbortSignal;
	/** Bytes read so far, after each 1 MiB. */
	onBytes?: (done: number, total: number) => void;
	maxBytes?: number;
}

export async function openText(
	blob: Blob,
	{ maxBytes = MAX_FILE_BYTES, onBytes }: ReadOptions = {}
): Promise<TextSource | XIssue> {
	if (blob.size > maxBytes)
		return { code: 'too-large', where: '', detail: `${blob.size} bytes (the limit is ${maxBytes})` };
	const head = new Uint8Array(await blob.slice(0, 256).arrayBuffer());
	const { encoding: label, bom } = sniffEncoding(head);
	let decoder: TextDecoder;
	try {
		decoder = new TextDecoder(label, { fatal: false, ignoreBOM: true });
	} catch {
		return { code: 'encoding', where: '', detail: label };
	}
	let bad = 0;
	async function* chunks(): AsyncGenerator<string> {
		for (let offset = bom; offset < blob.size; offset += READ_BYTES) {
			const bytes = new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + READ_BYTES)).arrayBuffer());
			const text = decoder.decode(bytes, { stream: true });
			onBytes?.(offset + bytes.length, blob.size);
			for (let i = text.indexOf('\ufffd'); i >= 0; i = text.indexOf('\ufffd', i + 1)) bad++;
			yield text;
		}
		const rest = decoder.decode();
		if (rest) yield rest;
	}
	return { encoding: decoder.encoding, chunks: chunks(), badChars: () => bad };
}

export const isIssue = (value: unknown): value is XIssue =>
	typeof value === 'object' && value !== null && 'code' in value && 'where' in value;
