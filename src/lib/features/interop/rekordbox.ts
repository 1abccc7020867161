/**
 * rekordbox XML (`DJ_PLAYLISTS`): COLLECTION of TRACKs with TEMPO marks and POSITION_MARKs, and a PLAYLISTS
 * tree of NODEs (Type 0 folder, Type 1 playlist; KeyType 0 = TrackID, 1 = Location). Times are seconds.
 */
import { parseKey, toShort } from '../analysis/keys';
import {
	cleanText,
	CUE_COLOR_HEX,
	emptyTrack,
	hexToRgb,
	nearestColor,
	TRACK_COLOR_RGB,
	type XCue,
	type XDoc,
	type XGrid,
	type XIssue,
	type XPlaylist,
	type XTrack
} from './model';
import { attrs, readBpm, readNumber, round } from './numbers';
import { locationFromPath, pathFromLocation } from './paths';
import { openText, isIssue, type ReadOptions } from './xml-input';
import { readXml } from './xml-reader';

export const MAX_TRACKS = 500_000;
export const MAX_CUES_PER_TRACK = 128;
/** Cues may sit a little past the reported length (rekordbox rounds TotalTime down to whole seconds). */
const CUE_SLACK_SEC = 1;

const CUE_RGB: Record<string, number> = Object.fromEntries(
	Object.entries(CUE_COLOR_HEX).map(([name, hex]) => [name, hexToRgb(hex)])
);

/** Attributes of TRACK this app reads or writes itself; any other is kept for the round trip. */
const KNOWN = new Set([
	'TrackID',
	'Name',
	'Artist',
	'Album',
	'Genre',
	'Comments',
	'Label',
	'Year',
	'TrackNumber',
	'TotalTime',
	'AverageBpm',
	'Tonality',
	'Rating',
	'Colour',
	'PlayCount',
	'DateAdded',
	'Location',
	'CratemeshHash'
]);

function dateFrom(text: string | undefined): number | null {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text?.trim() ?? '');
	if (!m) return null;
	const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
	return Number.isFinite(t) ? t : null;
}

export const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function readTrack(a: Record<string, string>, issues: XIssue[]): XTrack {
	const track = emptyTrack(a.TrackID ?? '');
	const where = cleanText(a.Name || a.Location || `TrackID ${a.TrackID ?? '?'}`, 200);
	track.location = a.Location ?? '';
	const path = track.location ? pathFromLocation(track.location) : '';
	if (path === null) issues.push({ code: 'bad-location', where, detail: track.location.slice(0, 200) });
	track.path = path ?? '';
	track.hash = /^[0-9a-f]{64}$/.test(a.CratemeshHash ?? '') ? a.CratemeshHash! : '';
	track.title = cleanText(a.Name);
	track.artist = cleanText(a.Artist);
	track.album = cleanText(a.Album);
	track.genre = cleanText(a.Genre);
	track.comment = cleanText(a.Comments, 4000);
	track.label = cleanText(a.Label);
	track.year = readNumber(a.Year, issues, where, 'Year', { min: 0, max: 9999 }) || null;
	track.trackNo = readNumber(a.TrackNumber, issues, where, 'TrackNumber', { min: 0, max: 100_000 }) || null;
	track.durationSec = readNumber(a.TotalTime, issues, where, 'TotalTime', { min: 0, max: 7 * 24 * 3600 }) || null;
	track.bpm = readBpm(a.AverageBpm, issues, where, 'AverageBpm');
	track.key = a.Tonality ? parseKey(a.Tonality) : null;
	const rating = readNumber(a.Rating, issues, where, 'Rating', { min: 0, max: 255 });
	track.rating = rating === null ? null : Math.round(rating / 51);
	if (a.Colour && /^0x[0-9a-f]{6}$/i.test(a.Colour.trim())) {
		const rgb = parseInt(a.Colour.trim().slice(2), 16);
		// rekordbox's aqua has no twin in the library's palette; blue is the nearest in hue.
		track.color = rgb === 0x25fde9 ? 'blue' : nearestColor(rgb, TRACK_COLOR_RGB);
	}
	track.playCount = readNumber(a.PlayCount, issues, where, 'PlayCount', { min: 0, max: 1e9 });
	track.dateAdded = dateFrom(a.DateAdded);
	for (const [name, value] of Object.entries(a)) if (!KNOWN.has(name)) track.extra[name] = value.slice(0, 4000);
	return track;
}

interface TempoMark {
	inizio: number;
	bpm: number;
	metro: number;
	battito: number;
}

/** A constant grid from the TEMPO marks: the first section; the downbeat from Battito (beat in bar). */
export function gridFromTempo(marks: TempoMark[]): XGrid | null {
	const first = marks[0];
	if (!first) return null;
	const variable = marks.some((m) => Math.abs(m.bpm - first.bpm) > 0.01);
	const beat = 60 / first.bpm;
	const bar = first.metro;
	const beatsToDownbeat = (bar - ((first.battito - 1) % bar)) % bar;
	return {
		bpm: first.bpm,
		firstDownbeatSec: round(first.inizio + beatsToDownbeat * beat, 6),
		beatsPerBar: bar,
		variable
	};
}

/** Parses a rekordbox XML file. Never throws for bad input: problems come back as issues. */
export async function parseRekordbox(blob: Blob, options: ReadOptions = {}): Promise<XDoc> {
	const doc: XDoc = { format: 'rekordbox', tracks: [], playlists: [], issues: [], fatal: null };
	const source = await openText(blob, options);
	if (isIssue(source)) return { ...doc, fatal: source };

	let root = '';
	let inCollection = false;
	let inPlaylists = false;
	let track: XTrack | null = null;
	let tempo: TempoMark[] = [];
	let cueCount = 0;
	const nodes: XPlaylist[] = [];
	const topLevel: XPlaylist[] = [];
	let rootNode: XPlaylist | null = null;
	const byLocation = new Map<string, string>();
	const keyTypes: number[] = [];

	const outcome = await readXml(
		source,
		{
			open(name, a, depth) {
				if (depth === 1) {
					root = name;
					return;
				}
				if (root !== 'DJ_PLAYLISTS') return;
				if (depth === 2) {
					inCollection = name === 'COLLECTION';
					inPlaylists = name === 'PLAYLISTS';
					return;
				}
				if (inCollection) {
					if (name === 'TRACK' && depth === 3) {
						if (doc.tracks.length >= MAX_TRACKS) {
							if (doc.tracks.length === MAX_TRACKS)
								doc.issues.push({ code: 'too-many', where: 'COLLECTION', detail: `> ${MAX_TRACKS} tracks` });
							return;
						}
						track = readTrack(a, doc.issues);
						tempo = [];
						cueCount = 0;
					} else if (track && depth === 4 && name === 'TEMPO') {
						const where = track.title || track.location;
						const inizio = readNumber(a.Inizio, doc.issues, where, 'TEMPO Inizio', { min: -60, max: 7 * 24 * 3600 });
						const bpm = readBpm(a.Bpm, doc.issues, where, 'TEMPO Bpm');
						const metro = Number(/^(\d+)\//.exec(a.Metro ?? '4/4')?.[1] ?? 4);
						const battito = Number(a.Battito ?? 1);
						if (inizio !== null && bpm !== null && tempo.length < 100_000)
							tempo.push({
								inizio,
								bpm,
								metro: metro >= 1 && metro <= 16 ? metro : 4,
								battito: battito >= 1 && battito <= 16 ? Math.floor(battito) : 1
							});
					} else if (track && depth === 4 && name === 'POSITION_MARK') {
						const cue = readCue(a, track, doc.issues);
						if (cue && ++cueCount <= MAX_CUES_PER_TRACK) track.cues.push(cue);
						else if (cue && cueCount === MAX_CUES_PER_TRACK + 1)
							doc.issues.push({ code: 'too-many', where: track.title, detail: `> ${MAX_CUES_PER_TRACK} cues` });
					}
					return;
				}
				if (inPlaylists) {
					if (name === 'NODE') {
						const node: XPlaylist = {
							name: cleanText(a.Name, 120) || '?',
							kind: a.Type === '1' ? 'playlist' : 'folder',
							children: [],
							refs: []
						};
						// The ROOT folder is the tree itself, not a crate: its children are the top level.
						if (depth === 3 && node.kind === 'folder' && a.Name === 'ROOT') {
							nodes.push(node);
							keyTypes.push(0);
							rootNode = node;
							return;
						}
						const parent = nodes[nodes.length - 1];
						if (parent) parent.children.push(node);
						else topLevel.push(node);
						nodes.push(node);
						keyTypes.push(a.KeyType === '1' ? 1 : 0);
					} else if (name === 'TRACK' && nodes.length) {
						const node = nodes[nodes.length - 1]!;
						const key = a.Key ?? '';
						if (node.kind === 'playlist' && key)
							node.refs.push(keyTypes[keyTypes.length - 1] === 1 ? `loc:${key}` : key);
					}
				}
			},
			close(name, depth) {
				if (inCollection && name === 'TRACK' && depth === 3 && track) {
					track.grid = gridFromTempo(tempo);
					if (track.grid?.variable)
						doc.issues.push({ code: 'variable-grid', where: track.title || track.location, detail: `${tempo.length}` });
					if (track.bpm === null && track.grid) track.bpm = track.grid.bpm;
					doc.tracks.push(track);
					if (track.location) byLocation.set(track.location, track.ref);
					track = null;
				} else if (inPlaylists && name === 'NODE') {
					nodes.pop();
					keyTypes.pop();
				} else if (depth === 2) {
					inCollection = false;
					inPlaylists = false;
				}
			}
		},
		{ signal: options.signal }
	);
	doc.issues.push(...outcome.issues);
	if (outcome.fatal) return { ...doc, tracks: [], playlists: [], fatal: outcome.fatal };
	if (root && root !== 'DJ_PLAYLISTS')
		return { ...doc, tracks: [], fatal: { code: 'not-this-format', where: '', detail: `<${root}>` } };
	if (outcome.stopped) {
		if (!root) return { ...doc, fatal: outcome.stopped };
		doc.issues.push(outcome.stopped);
	}
	if (rootNode) topLevel.unshift(...(rootNode as XPlaylist).children);
	// Playlist entries by location (KeyType 1) become TrackIDs; unknown ids are reported once per playlist.
	const ids = new Set(doc.tracks.map((t) => t.ref));
	const resolve = (list: XPlaylist[]) => {
		for (const node of list) {
			let unknown = 0;
			node.refs = node.refs.flatMap((ref) => {
				const id = ref.startsWith('loc:') ? byLocation.get(ref.slice(4)) : ref;
				if (id !== undefined && ids.has(id)) return [id];
				unknown++;
				return [];
			});
			if (unknown) doc.issues.push({ code: 'unknown-ref', where: node.name, detail: String(unknown) });
			resolve(node.children);
		}
	};
	resolve(topLevel);
	doc.playlists = topLevel;
	return doc;
}

function readCue(a: Record<string, string>, track: XTrack, issues: XIssue[]): XCue | null {
	const where = track.title || track.location;
	const type = Number(a.Type ?? 0);
	const num = Number(a.Num ?? -1);
	if (type !== 0 && type !== 4) {
		issues.push({ code: 'bad-cue', where, detail: `POSITION_MARK Type="${String(a.Type).slice(0, 10)}"` });
		return null;
	}
	if (!Number.isInteger(num) || num < -1 || num > 7) {
		issues.push({ code: 'bad-cue', where, detail: `Num="${String(a.Num).slice(0, 10)}"` });
		return null;
	}
	const start = readNumber(a.Start, issues, where, 'POSITION_MARK Start');
	if (start === null) return null;
	const limit = (track.durationSec ?? 24 * 3600) + CUE_SLACK_SEC;
	if (start < 0 || start > limit) {
		issues.push({ code: 'cue-outside', where, detail: `Start=${a.Start!.slice(0, 20)}` });
		return null;
	}
	let end: number | null = null;
	if (type === 4) {
		end = readNumber(a.End, issues, where, 'POSITION_MARK End');
		if (end === null || end <= start || end > limit) {
			issues.push({ code: 'cue-outside', where, detail: `End=${String(a.End).slice(0, 20)}` });
			return null;
		}
	}
	const r = Number(a.Red);
	const g = Number(a.Green);
	const b = Number(a.Blue);
	const hasColor = [r, g, b].every((c) => Number.isInteger(c) && c >= 0 && c <= 255) && a.Red !== undefined;
	return {
		kind: num >= 0 ? 'hot' : type === 4 ? 'loop' : 'memory',
		slot: num,
		startSec: start,
		endSec: end,
		name: cleanText(a.Name, 64),
		color: hasColor ? nearestColor((r << 16) | (g << 8) | b, CUE_RGB) : null
	};
}

const bpmText = (bpm: number) => round(bpm, 2).toFixed(2);

/** Writes a document as rekordbox XML: TEMPO per grid, POSITION_MARKs, the PLAYLISTS tree. */
export function writeRekordbox(doc: Pick<XDoc, 'tracks' | 'playlists'>, version = '1'): Blob {
	const parts: string[] = [
		'<?xml version="1.0" encoding="UTF-8"?>\n<DJ_PLAYLISTS Version="1.0.0">\n',
		`  <PRODUCT${attrs([
			['Name', 'Cratemesh'],
			['Version', version],
			['Company', 'Cratemesh']
		])}/>\n`,
		`  <COLLECTION Entries="${doc.tracks.length}">\n`
	];
	for (const track of doc.tracks) {
		const pairs: [string, string | number][] = [
			['TrackID', track.ref],
			['Name', track.title],
			['Artist', track.artist],
			['Album', track.album],
			['Genre', track.genre],
			['TotalTime', Math.round(track.durationSec ?? 0)],
			['Year', track.year ?? 0],
			['TrackNumber', track.trackNo ?? 0],
			['AverageBpm', bpmText(track.bpm ?? 0)],
			['DateAdded', track.dateAdded ? isoDate(track.dateAdded) : ''],
			['Comments', track.comment],
			['PlayCount', track.playCount ?? 0],
			['Rating', Math.max(0, Math.min(5, track.rating ?? 0)) * 51],
			['Location', track.location || (track.path ? locationFromPath(track.path) : '')],
			['Tonality', track.key ? toShort(track.key) : ''],
			['Label', track.label]
		];
		if (track.color && Object.hasOwn(TRACK_COLOR_RGB, track.color))
			pairs.push(['Colour', `0x${TRACK_COLOR_RGB[track.color]!.toString(16).toUpperCase().padStart(6, '0')}`]);
		if (track.hash) pairs.push(['CratemeshHash', track.hash]);
		for (const [name, value] of Object.entries(track.extra))
			if (!KNOWN.has(name) && /^[A-Za-z_][\w.-]*$/.test(name)) pairs.push([name, value]);
		parts.push(`    <TRACK${attrs(pairs)}`);
		if (!track.grid && track.cues.length === 0) {
			parts.push('/>\n');
			continue;
		}
		parts.push('>\n');
		if (track.grid && track.grid.bpm > 0)
			parts.push(
				`      <TEMPO${attrs([
					['Inizio', round(track.grid.firstDownbeatSec, 3).toFixed(3)],
					['Bpm', bpmText(track.grid.bpm)],
					['Metro', `${track.grid.beatsPerBar}/4`],
					['Battito', 1]
				])}/>\n`
			);
		for (const cue of track.cues) {
			const rgb = cue.color && Object.hasOwn(CUE_RGB, cue.color) ? CUE_RGB[cue.color]! : null;
			const pairs: [string, string | number][] = [
				['Name', cue.name],
				['Type', cue.endSec !== null ? 4 : 0],
				['Start', round(cue.startSec, 3).toFixed(3)]
			];
			if (cue.endSec !== null) pairs.push(['End', round(cue.endSec, 3).toFixed(3)]);
			pairs.push(['Num', cue.kind === 'hot' ? cue.slot : -1]);
			if (rgb !== null) pairs.push(['Red', (rgb >> 16) & 255], ['Green', (rgb >> 8) & 255], ['Blue', rgb & 255]);
			parts.push(`      <POSITION_MARK${attrs(pairs)}/>\n`);
		}
		parts.push('    </TRACK>\n');
	}
	parts.push('  </COLLECTION>\n  <PLAYLISTS>\n');
	const writeNode = (node: XPlaylist, indent: string) => {
		if (node.kind === 'folder') {
			parts.push(
				`${indent}<NODE${attrs([
					['Type', 0],
					['Name', node.name],
					['Count', node.children.length]
				])}>\n`
			);
			for (const child of node.children) writeNode(child, `${indent}  `);
			parts.push(`${indent}</NODE>\n`);
		} else {
			parts.push(
				`${indent}<NODE${attrs([
					['Name', node.name],
					['Type', 1],
					['KeyType', 0],
					['Entries', node.refs.length]
				])}>\n`
			);
			for (const ref of node.refs) parts.push(`${indent}  <TRACK${attrs([['Key', ref]])}/>\n`);
			parts.push(`${indent}</NODE>\n`);
		}
	};
	writeNode({ name: 'ROOT', kind: 'folder', children: doc.playlists, refs: [] }, '    ');
	parts.push('  </PLAYLISTS>\n</DJ_PLAYLISTS>\n');
	return new Blob(parts, { type: 'application/xml' });
}
