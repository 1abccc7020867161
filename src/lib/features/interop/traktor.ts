/**
 * Traktor NML (VERSION 19): COLLECTION of ENTRYs (LOCATION VOLUME/DIR/FILE, ALBUM, INFO, TEMPO,
 * MUSICAL_KEY VALUE 0–23, CUE_V2 with START/LEN in milliseconds) and a PLAYLISTS tree of NODEs (FOLDER with
 * SUBNODES, PLAYLIST with ENTRY/PRIMARYKEY KEY = volume + DIR + FILE). CUE_V2 TYPE: 0 cue, 1 fade-in,
 * 2 fade-out, 3 load, 4 grid marker, 5 loop; HOTCUE -1 = memory, 0–7 = hot cue slot.
 */
import { cleanText, emptyTrack, type XDoc, type XGrid, type XPlaylist, type XTrack } from './model';
import type { MusicalKey } from '../analysis/keys';
import { attrs, readBpm, readNumber, round } from './numbers';
import { pathFromTraktor, pathFromTraktorKey, traktorFromPath, traktorKey } from './paths';
import { isoDate, MAX_CUES_PER_TRACK, MAX_TRACKS } from './rekordbox';
import { isIssue, openText, type ReadOptions } from './xml-input';
import { readXml } from './xml-reader';

/** Traktor's track colours 1–7. */
const COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink'];

/** MUSICAL_KEY VALUE: 0–11 C…B major, 12–23 C…B minor. */
export const keyFromTraktor = (value: number): MusicalKey | null =>
	Number.isInteger(value) && value >= 0 && value <= 23
		? { tonic: value % 12, scale: value < 12 ? 'major' : 'minor' }
		: null;
export const keyToTraktor = (key: MusicalKey) => (key.scale === 'minor' ? 12 : 0) + (((key.tonic % 12) + 12) % 12);

const dateFrom = (text: string | undefined) => {
	const m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(text?.trim() ?? '');
	return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
};
const nmlDate = (ms: number) => isoDate(ms).replace(/-0?/g, '/');

const ENTRY_KNOWN = new Set(['TITLE', 'ARTIST']);

export async function parseTraktor(blob: Blob, options: ReadOptions = {}): Promise<XDoc> {
	const doc: XDoc = { format: 'traktor', tracks: [], playlists: [], issues: [], fatal: null };
	const source = await openText(blob, options);
	if (isIssue(source)) return { ...doc, fatal: source };
	let root = '';
	let section = '';
	let track: XTrack | null = null;
	let grid: XGrid | null = null;
	const nodes: XPlaylist[] = [];
	const top: XPlaylist[] = [];
	let inRoot = false;

	const outcome = await readXml(
		source,
		{
			open(name, a, depth) {
				if (depth === 1) {
					root = name;
					return;
				}
				if (root !== 'NML') return;
				if (depth === 2) {
					section = name;
					return;
				}
				if (section === 'COLLECTION') {
					if (depth === 3 && name === 'ENTRY') {
						if (doc.tracks.length >= MAX_TRACKS) return;
						track = emptyTrack('');
						grid = null;
						track.title = cleanText(a.TITLE);
						track.artist = cleanText(a.ARTIST);
						for (const [k, v] of Object.entries(a)) if (!ENTRY_KNOWN.has(k)) track.extra[k] = v.slice(0, 1000);
						return;
					}
					if (!track || depth !== 4) return;
					const where = track.title || track.location;
					if (name === 'LOCATION') {
						track.path = pathFromTraktor(a.VOLUME ?? '', a.DIR ?? '', a.FILE ?? '');
						track.location = `${a.VOLUME ?? ''}${a.DIR ?? ''}${a.FILE ?? ''}`;
						track.ref = track.location;
					} else if (name === 'ALBUM') {
						track.album = cleanText(a.TITLE);
						track.trackNo = readNumber(a.TRACK, doc.issues, where, 'ALBUM TRACK', { min: 0, max: 1e5 }) || null;
					} else if (name === 'INFO') {
						track.genre = cleanText(a.GENRE);
						track.label = cleanText(a.LABEL);
						track.comment = cleanText(a.COMMENT, 4000);
						track.playCount = readNumber(a.PLAYCOUNT, doc.issues, where, 'PLAYCOUNT', { min: 0, max: 1e9 });
						const seconds = a.PLAYTIME_FLOAT ?? a.PLAYTIME;
						track.durationSec = readNumber(seconds, doc.issues, where, 'PLAYTIME', { min: 0, max: 7 * 86400 }) || null;
						const ranking = readNumber(a.RANKING, doc.issues, where, 'RANKING', { min: 0, max: 255 });
						track.rating = ranking === null ? null : Math.round(ranking / 51);
						const color = Number(a.COLOR);
						track.color = color >= 1 && color <= 7 ? COLORS[color - 1]! : null;
						track.dateAdded = dateFrom(a.IMPORT_DATE);
					} else if (name === 'TEMPO') {
						track.bpm = readBpm(a.BPM, doc.issues, where, 'TEMPO BPM');
					} else if (name === 'MUSICAL_KEY') {
						track.key = keyFromTraktor(Number(a.VALUE));
					} else if (name === 'CUE_V2') {
						const type = Number(a.TYPE);
						const start = readNumber(a.START, doc.issues, where, 'CUE_V2 START');
						if (start === null) return;
						const startSec = start / 1000;
						const limit = (track.durationSec ?? 24 * 3600) + 1;
						if (startSec < -1 || startSec > limit) {
							doc.issues.push({ code: 'cue-outside', where, detail: `START=${a.START!.slice(0, 20)}` });
							return;
						}
						if (type === 4) {
							// The first grid marker anchors the grid; Traktor stores no bar length (4/4 assumed).
							if (!grid && track.bpm)
								grid = { bpm: track.bpm, firstDownbeatSec: startSec, beatsPerBar: 4, variable: false };
							else if (grid) grid.variable = true;
							return;
						}
						const hot = Number(a.HOTCUE ?? -1);
						if ((type !== 0 && type !== 5) || !Number.isInteger(hot) || hot < -1 || hot > 7) {
							doc.issues.push({
								code: 'bad-cue',
								where,
								detail: `CUE_V2 TYPE="${String(a.TYPE).slice(0, 8)}" HOTCUE="${String(a.HOTCUE).slice(0, 8)}"`
							});
							return;
						}
						if (startSec < 0) {
							doc.issues.push({ code: 'cue-outside', where, detail: `START=${a.START!.slice(0, 20)}` });
							return;
						}
						let endSec: number | null = null;
						if (type === 5) {
							const len = readNumber(a.LEN, doc.issues, where, 'CUE_V2 LEN', { min: 0 });
							if (!len || startSec + len / 1000 > limit) {
								doc.issues.push({ code: 'cue-outside', where, detail: `LEN=${String(a.LEN).slice(0, 20)}` });
								return;
							}
							endSec = startSec + len / 1000;
						}
						if (track.cues.length >= MAX_CUES_PER_TRACK) return;
						track.cues.push({
							kind: hot >= 0 ? 'hot' : type === 5 ? 'loop' : 'memory',
							slot: hot,
							startSec,
							endSec,
							name: a.NAME === 'n.n.' ? '' : cleanText(a.NAME, 64),
							color: null
						});
					}
					return;
				}
				if (section === 'PLAYLISTS') {
					if (name === 'NODE') {
						if (a.TYPE === 'FOLDER' && a.NAME === '$ROOT' && !inRoot) {
							inRoot = true;
							nodes.push({ name: '$ROOT', kind: 'folder', children: [], refs: [] });
							return;
						}
						if (a.TYPE !== 'FOLDER' && a.TYPE !== 'PLAYLIST') {
							doc.issues.push({ code: 'smart-skipped', where: cleanText(a.NAME, 120), detail: String(a.TYPE) });
						}
						const node: XPlaylist = {
							name: cleanText(a.NAME, 120) || '?',
							kind: a.TYPE === 'FOLDER' ? 'folder' : 'playlist',
							children: [],
							refs: []
						};
						const parent = nodes[nodes.length - 1];
						if (parent && parent.name !== '$ROOT') parent.children.push(node);
						else top.push(node);
						nodes.push(node);
					} else if (name === 'PRIMARYKEY' && nodes.length && a.KEY) {
						nodes[nodes.length - 1]!.refs.push(a.KEY);
					}
				}
			},
			close(name, depth) {
				if (section === 'COLLECTION' && depth === 3 && name === 'ENTRY' && track) {
					const t = track as XTrack;
					t.grid = grid;
					if (grid?.variable) doc.issues.push({ code: 'variable-grid', where: t.title, detail: '' });
					if (!t.ref) doc.issues.push({ code: 'no-location', where: t.title, detail: '' });
					else doc.tracks.push(t);
					track = null;
				} else if (section === 'PLAYLISTS' && name === 'NODE') nodes.pop();
				else if (depth === 2) section = '';
			}
		},
		{ signal: options.signal }
	);
	doc.issues.push(...outcome.issues);
	if (outcome.fatal) return { ...doc, tracks: [], playlists: [], fatal: outcome.fatal };
	if (root && root !== 'NML')
		return { ...doc, tracks: [], fatal: { code: 'not-this-format', where: '', detail: `<${root}>` } };
	if (outcome.stopped) {
		if (!root) return { ...doc, fatal: outcome.stopped };
		doc.issues.push(outcome.stopped);
	}
	// PRIMARYKEY names a file the same way LOCATION does; compare them as decoded paths.
	const byPath = new Map(doc.tracks.map((t) => [t.path.toLocaleLowerCase('en'), t.ref]));
	const resolve = (list: XPlaylist[]) => {
		for (const node of list) {
			let unknown = 0;
			node.refs = node.refs.flatMap((key) => {
				const ref = byPath.get(pathFromTraktorKey(key).toLocaleLowerCase('en'));
				if (ref) return [ref];
				unknown++;
				return [];
			});
			if (unknown) doc.issues.push({ code: 'unknown-ref', where: node.name, detail: String(unknown) });
			resolve(node.children);
		}
	};
	resolve(top);
	doc.playlists = top;
	return doc;
}

export function writeTraktor(doc: Pick<XDoc, 'tracks' | 'playlists'>): Blob {
	const parts = [
		'<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n<NML VERSION="19"><HEAD COMPANY="www.native-instruments.com" PROGRAM="Traktor Pro 4"></HEAD>\n<MUSICFOLDERS></MUSICFOLDERS>\n',
		`<COLLECTION ENTRIES="${doc.tracks.length}">\n`
	];
	const keyOf = new Map<string, string>();
	for (const t of doc.tracks) {
		const { volume, dir, file } = traktorFromPath(t.path);
		keyOf.set(t.ref, traktorKey(t.path));
		const extra = Object.entries(t.extra).filter(([k]) => /^[A-Z_]+$/.test(k) && !ENTRY_KNOWN.has(k));
		parts.push(`<ENTRY${attrs([...extra, ['TITLE', t.title], ['ARTIST', t.artist]])}>`);
		parts.push(
			`<LOCATION${attrs([
				['DIR', dir],
				['FILE', file],
				['VOLUME', volume],
				['VOLUMEID', volume]
			])}></LOCATION>`
		);
		parts.push(
			`<ALBUM${attrs([
				['TRACK', t.trackNo ?? 0],
				['TITLE', t.album]
			])}></ALBUM>`
		);
		const info: [string, string | number][] = [
			['GENRE', t.genre],
			['LABEL', t.label],
			['COMMENT', t.comment],
			['PLAYCOUNT', t.playCount ?? 0],
			['PLAYTIME', Math.round(t.durationSec ?? 0)],
			['PLAYTIME_FLOAT', round(t.durationSec ?? 0, 6).toFixed(6)],
			['RANKING', Math.max(0, Math.min(5, t.rating ?? 0)) * 51]
		];
		if (t.dateAdded) info.push(['IMPORT_DATE', nmlDate(t.dateAdded)]);
		if (t.color && COLORS.includes(t.color)) info.push(['COLOR', COLORS.indexOf(t.color) + 1]);
		parts.push(`<INFO${attrs(info)}></INFO>`);
		if (t.bpm)
			parts.push(
				`<TEMPO${attrs([
					['BPM', round(t.bpm, 6).toFixed(6)],
					['BPM_QUALITY', '100.000000']
				])}></TEMPO>`
			);
		if (t.key) parts.push(`<MUSICAL_KEY VALUE="${keyToTraktor(t.key)}"></MUSICAL_KEY>`);
		if (t.grid && t.grid.bpm > 0)
			parts.push(
				`<CUE_V2${attrs([
					['NAME', 'AutoGrid'],
					['DISPL_ORDER', 0],
					['TYPE', 4],
					['START', (t.grid.firstDownbeatSec * 1000).toFixed(6)],
					['LEN', '0.000000'],
					['REPEATS', -1],
					['HOTCUE', -1]
				])}></CUE_V2>`
			);
		for (const c of t.cues)
			parts.push(
				`<CUE_V2${attrs([
					['NAME', c.name || 'n.n.'],
					['DISPL_ORDER', 0],
					['TYPE', c.endSec !== null ? 5 : 0],
					['START', (c.startSec * 1000).toFixed(6)],
					['LEN', c.endSec !== null ? ((c.endSec - c.startSec) * 1000).toFixed(6) : '0.000000'],
					['REPEATS', -1],
					['HOTCUE', c.kind === 'hot' ? c.slot : -1]
				])}></CUE_V2>`
			);
		parts.push('</ENTRY>\n');
	}
	parts.push('</COLLECTION>\n<PLAYLISTS>');
	const node = (p: XPlaylist) => {
		if (p.kind === 'folder') {
			parts.push(
				`<NODE${attrs([
					['TYPE', 'FOLDER'],
					['NAME', p.name]
				])}><SUBNODES COUNT="${p.children.length}">`
			);
			p.children.forEach(node);
			parts.push('</SUBNODES></NODE>\n');
		} else {
			const keys = p.refs.flatMap((r) => (keyOf.has(r) ? [keyOf.get(r)!] : []));
			parts.push(
				`<NODE${attrs([
					['TYPE', 'PLAYLIST'],
					['NAME', p.name]
				])}><PLAYLIST ENTRIES="${keys.length}" TYPE="LIST">`
			);
			for (const key of keys)
				parts.push(
					`<ENTRY><PRIMARYKEY${attrs([
						['TYPE', 'TRACK'],
						['KEY', key]
					])}></PRIMARYKEY></ENTRY>`
				);
			parts.push('</PLAYLIST></NODE>\n');
		}
	};
	node({ name: '$ROOT', kind: 'folder', children: doc.playlists, refs: [] });
	parts.push('</PLAYLISTS></NML>\n');
	return new Blob(parts, { type: 'application/xml' });
}
