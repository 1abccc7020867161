/**
 * M3U / M3U8 and PLS playlists: one playlist of file paths (absolute, relative, Windows or POSIX, or file
 * URLs) with optional #EXTINF / TitleN / LengthN. A byte-order mark and CRLF line ends are accepted; an .m3u
 * that is not valid UTF-8 is read as Windows-1252 (the historical M3U encoding).
 */
import { cleanText, emptyTrack, type XDoc, type XIssue, type XTrack } from './model';
import { pathFromLocation } from './paths';
import { MAX_FILE_BYTES } from './xml-input';

const MAX_ENTRIES = 200_000;

async function readText(blob: Blob): Promise<string | XIssue> {
	if (blob.size > MAX_FILE_BYTES / 8) return { code: 'too-large', where: '', detail: `${blob.size} bytes` };
	const bytes = new Uint8Array(await blob.arrayBuffer());
	if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
	if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
	try {
		return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
	} catch {
		return new TextDecoder('windows-1252').decode(bytes);
	}
}

/** Leading './' and '../' say nothing about where the file is once the playlist has moved: drop them. */
const relativeTail = (path: string) => path.replace(/^(\.{1,2}\/)+/, '');

function entry(ref: string, location: string, issues: XIssue[]): XTrack | null {
	const path = pathFromLocation(location);
	if (!path) {
		issues.push({ code: 'bad-location', where: ref, detail: location.slice(0, 200) });
		return null;
	}
	const track = emptyTrack(ref);
	track.location = location;
	track.path = relativeTail(path);
	return track;
}

function titleArtist(track: XTrack, text: string) {
	const clean = cleanText(text);
	const dash = clean.indexOf(' - ');
	if (dash > 0) {
		track.artist = clean.slice(0, dash).trim();
		track.title = clean.slice(dash + 3).trim();
	} else track.title = clean;
}

const playlistName = (fileName: string) => cleanText(fileName.replace(/\.[^.]+$/, ''), 120) || 'Playlist';

export async function parseM3u(blob: Blob, fileName = ''): Promise<XDoc> {
	const doc: XDoc = { format: 'm3u', tracks: [], playlists: [], issues: [], fatal: null };
	const text = await readText(blob);
	if (typeof text !== 'string') return { ...doc, fatal: text };
	let info: { seconds: number | null; text: string } | null = null;
	const lines = text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
	lines.forEach((raw, i) => {
		const line = raw.trim();
		if (!line) return;
		if (line.startsWith('#')) {
			const m = /^#EXTINF:\s*(-?[\d.]+)?\s*(?:[^,]*)?,(.*)$/i.exec(line);
			if (m) info = { seconds: m[1] !== undefined && Number(m[1]) > 0 ? Number(m[1]) : null, text: m[2] ?? '' };
			return;
		}
		if (doc.tracks.length >= MAX_ENTRIES) return;
		const track = entry(String(doc.tracks.length + 1), line, doc.issues);
		if (track) {
			const extinf = info as { seconds: number | null; text: string } | null;
			if (extinf) {
				track.durationSec = extinf.seconds;
				titleArtist(track, extinf.text);
			}
			doc.tracks.push(track);
		} else doc.issues[doc.issues.length - 1]!.where = `line ${i + 1}`;
		info = null;
	});
	if (doc.tracks.length >= MAX_ENTRIES)
		doc.issues.push({ code: 'too-many', where: '', detail: `> ${MAX_ENTRIES} entries` });
	doc.playlists = [
		{ name: playlistName(fileName), kind: 'playlist', children: [], refs: doc.tracks.map((t) => t.ref) }
	];
	return doc;
}

export async function parsePls(blob: Blob, fileName = ''): Promise<XDoc> {
	const doc: XDoc = { format: 'pls', tracks: [], playlists: [], issues: [], fatal: null };
	const text = await readText(blob);
	if (typeof text !== 'string') return { ...doc, fatal: text };
	const lines = text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
	if (!/^\s*\[playlist\]\s*$/i.test(lines.find((l) => l.trim()) ?? ''))
		return { ...doc, fatal: { code: 'not-this-format', where: 'line 1', detail: '[playlist] missing' } };
	const files = new Map<number, string>();
	const titles = new Map<number, string>();
	const lengths = new Map<number, number>();
	for (const line of lines) {
		const m = /^\s*(File|Title|Length)(\d{1,7})\s*=(.*)$/i.exec(line);
		if (!m) continue;
		const n = Number(m[2]);
		const value = m[3]!.trim();
		const key = m[1]!.toLowerCase();
		if (key === 'file') files.set(n, value);
		else if (key === 'title') titles.set(n, value);
		else if (Number(value) > 0) lengths.set(n, Number(value));
	}
	for (const n of [...files.keys()].sort((a, b) => a - b).slice(0, MAX_ENTRIES)) {
		const track = entry(String(n), files.get(n)!, doc.issues);
		if (!track) continue;
		if (titles.has(n)) titleArtist(track, titles.get(n)!);
		track.durationSec = lengths.get(n) ?? null;
		doc.tracks.push(track);
	}
	for (const n of titles.keys())
		if (!files.has(n))
			doc.issues.push({ code: 'no-location', where: `Title${n}`, detail: cleanText(titles.get(n), 200) });
	doc.playlists = [
		{ name: playlistName(fileName), kind: 'playlist', children: [], refs: doc.tracks.map((t) => t.ref) }
	];
	return doc;
}

/** Windows paths get backslashes, as Windows players expect. */
const nativePath = (path: string) => (/^[A-Za-z]:\//.test(path) ? path.replace(/\//g, '\\') : path);
const display = (t: XTrack) => (t.artist ? `${t.artist} - ${t.title}` : t.title).replace(/[\r\n]+/g, ' ');

/** The first playlist of the document (the one chosen for export) as M3U8: UTF-8, LF, #EXTINF. */
export function writeM3u(doc: Pick<XDoc, 'tracks' | 'playlists'>): Blob {
	const byRef = new Map(doc.tracks.map((t) => [t.ref, t]));
	const lines = ['#EXTM3U'];
	for (const ref of doc.playlists[0]?.refs ?? []) {
		const t = byRef.get(ref);
		if (!t) continue;
		lines.push(`#EXTINF:${Math.round(t.durationSec ?? -1)},${display(t)}`, nativePath(t.path));
	}
	return new Blob([`${lines.join('\n')}\n`], { type: 'audio/x-mpegurl' });
}

export function writePls(doc: Pick<XDoc, 'tracks' | 'playlists'>): Blob {
	const byRef = new Map(doc.tracks.map((t) => [t.ref, t]));
	const lines = ['[playlist]'];
	let n = 0;
	for (const ref of doc.playlists[0]?.refs ?? []) {
		const t = byRef.get(ref);
		if (!t) continue;
		n++;
		lines.push(
			`File${n}=${nativePath(t.path)}`,
			`Title${n}=${display(t)}`,
			`Length${n}=${Math.round(t.durationSec ?? -1)}`
		);
	}
	lines.push(`NumberOfEntries=${n}`, 'Version=2');
	return new Blob([`${lines.join('\r\n')}\r\n`], { type: 'audio/x-scpls' });
}
