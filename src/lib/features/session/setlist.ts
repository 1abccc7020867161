/**
 * The session's setlist (what the host and DJs played, in order) as text or CSV, and as a playlist in
 * this device's library. Peer text goes into files: CSV cells that a spreadsheet would run as a formula
 * are quoted as text.
 */
import type { RoomState, SetlistEntry } from './room-protocol';

const pad = (n: number) => String(n).padStart(2, '0');

/** Time into the set as h:mm, counted from the first track. */
export function offset(at: number, start: number): string {
	const minutes = Math.max(0, Math.floor((at - start) / 60_000));
	return `${Math.floor(minutes / 60)}:${pad(minutes % 60)}`;
}

function duration(seconds: number): string {
	if (!seconds) return '';
	const s = Math.round(seconds);
	return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

/** One line per track: `0:12  Artist — Title  (DJ)`. */
export function setlistText(state: Pick<RoomState, 'setlist' | 'createdAt' | 'code'>, title: string): string {
	const start = state.setlist[0]?.at ?? state.createdAt;
	const lines = state.setlist.map((entry) => {
		const name = [entry.track.artist, entry.track.title].filter(Boolean).join(' — ');
		return `${offset(entry.at, start)}  ${name}  (${entry.name})`;
	});
	return `${title}\n\n${lines.join('\n')}\n`;
}

function cell(value: string | number | null): string {
	let text = value === null ? '' : String(value);
	// A leading = + - @ (or tab/CR) makes spreadsheets evaluate the cell: keep it as text.
	if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
	return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const CSV_HEADER = ['position', 'started', 'offset', 'artist', 'title', 'duration', 'bpm', 'key', 'dj', 'hash'];

export function setlistCsv(state: Pick<RoomState, 'setlist' | 'createdAt'>): string {
	const start = state.setlist[0]?.at ?? state.createdAt;
	const rows = state.setlist.map((entry: SetlistEntry, i) => [
		i + 1,
		new Date(entry.at).toISOString(),
		offset(entry.at, start),
		entry.track.artist,
		entry.track.title,
		duration(entry.track.duration),
		entry.track.bpm === null ? '' : Math.round(entry.track.bpm * 10) / 10,
		entry.track.key,
		entry.name,
		entry.track.hash
	]);
	return [CSV_HEADER, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** The tracks of the setlist this library holds (by content hash), in play order, once each. */
export function setlistHashes(
	setlist: readonly SetlistEntry[],
	have: ReadonlySet<string>
): { hashes: string[]; missing: number } {
	const hashes: string[] = [];
	let missing = 0;
	for (const entry of setlist) {
		if (entry.track.hash && have.has(entry.track.hash)) {
			if (!hashes.includes(entry.track.hash)) hashes.push(entry.track.hash);
		} else missing++;
	}
	return { hashes, missing };
}
