/** The exchange formats by name: detection from the file, its reader and its writer. */
import type { ExchangeFormat, XDoc } from './model';
import { parseM3u, parsePls, writeM3u, writePls } from './playlist-files';
import { parseRekordbox, writeRekordbox } from './rekordbox';
import { parseTraktor, writeTraktor } from './traktor';
import type { ReadOptions } from './xml-input';

export interface FormatInfo {
	parse(blob: Blob, options?: ReadOptions & { fileName?: string }): Promise<XDoc>;
	write(doc: XDoc): Blob;
	extension: string;
	mime: string;
}

export const FORMATS: Record<ExchangeFormat, FormatInfo> = {
	rekordbox: { parse: parseRekordbox, write: (doc) => writeRekordbox(doc), extension: 'xml', mime: 'application/xml' },
	traktor: { parse: parseTraktor, write: writeTraktor, extension: 'nml', mime: 'application/xml' },
	m3u: { parse: (blob, o) => parseM3u(blob, o?.fileName), write: writeM3u, extension: 'm3u8', mime: 'audio/x-mpegurl' },
	pls: { parse: (blob, o) => parsePls(blob, o?.fileName), write: writePls, extension: 'pls', mime: 'audio/x-scpls' }
};

/** The format of a file, from its first bytes (then its name). */
export async function detectFormat(file: Blob, fileName = ''): Promise<ExchangeFormat> {
	const head = new TextDecoder('utf-8').decode(await file.slice(0, 4096).arrayBuffer()).replaceAll('\u0000', '');
	if (/<NML[\s>]/.test(head)) return 'traktor';
	if (/<DJ_PLAYLISTS[\s>/]/.test(head)) return 'rekordbox';
	if (/^\ufeff?\s*\[playlist\]/i.test(head)) return 'pls';
	const name = fileName.toLowerCase();
	if (name.endsWith('.nml')) return 'traktor';
	if (name.endsWith('.pls')) return 'pls';
	if (name.endsWith('.m3u') || name.endsWith('.m3u8') || /^\ufeff?#EXTM3U/.test(head)) return 'm3u';
	return 'rekordbox';
}
