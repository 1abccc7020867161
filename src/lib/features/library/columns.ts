import type { MessageKey } from '$lib/i18n/en';
import type { SortKey } from './query';

export type ColumnId =
	| 'position'
	| 'artwork'
	| 'title'
	| 'artist'
	| 'album'
	| 'genre'
	| 'bpm'
	| 'key'
	| 'duration'
	| 'rating'
	| 'dateAdded'
	| 'playCount';

export interface ColumnDef {
	id: ColumnId;
	label: MessageKey;
	sort: SortKey | null;
	width: number;
	minWidth: number;
	numeric?: boolean;
}

export const COLUMNS: readonly ColumnDef[] = [
	{ id: 'artwork', label: 'library.col.artwork', sort: null, width: 44, minWidth: 44 },
	{ id: 'title', label: 'library.col.title', sort: 'title', width: 280, minWidth: 80 },
	{ id: 'artist', label: 'library.col.artist', sort: 'artist', width: 200, minWidth: 80 },
	{ id: 'album', label: 'library.col.album', sort: 'album', width: 180, minWidth: 80 },
	{ id: 'genre', label: 'library.col.genre', sort: 'genre', width: 120, minWidth: 60 },
	{ id: 'bpm', label: 'library.col.bpm', sort: 'bpm', width: 64, minWidth: 48, numeric: true },
	{ id: 'key', label: 'library.col.key', sort: 'key', width: 60, minWidth: 44 },
	{ id: 'duration', label: 'library.col.duration', sort: 'duration', width: 72, minWidth: 56, numeric: true },
	{ id: 'rating', label: 'library.col.rating', sort: 'rating', width: 96, minWidth: 80 },
	{ id: 'dateAdded', label: 'library.col.added', sort: 'dateAdded', width: 110, minWidth: 80 },
	{ id: 'playCount', label: 'library.col.plays', sort: 'playCount', width: 64, minWidth: 48, numeric: true }
];

export interface ColumnPrefs {
	visible: ColumnId[];
	widths: Partial<Record<ColumnId, number>>;
}

export const DEFAULT_COLUMN_PREFS: ColumnPrefs = {
	visible: [
		'artwork',
		'title',
		'artist',
		'album',
		'genre',
		'bpm',
		'key',
		'duration',
		'rating',
		'dateAdded',
		'playCount'
	],
	widths: {}
};

/** Columns that stay on a phone screen, whatever is chosen. */
export const PHONE_COLUMNS: readonly ColumnId[] = ['position', 'artwork', 'title', 'bpm', 'key'];

/** The track's number in a playlist; shown in playlist views, not choosable. */
export const POSITION_COLUMN: ColumnDef = {
	id: 'position',
	label: 'library.col.position',
	sort: 'position',
	width: 48,
	minWidth: 40,
	numeric: true
};

export function parseColumnPrefs(raw: unknown): ColumnPrefs {
	if (typeof raw !== 'object' || raw === null) return DEFAULT_COLUMN_PREFS;
	const value = raw as Partial<ColumnPrefs>;
	const ids = new Set(COLUMNS.map((c) => c.id));
	const visible = Array.isArray(value.visible)
		? value.visible.filter((id): id is ColumnId => ids.has(id as ColumnId))
		: [];
	const widths: ColumnPrefs['widths'] = {};
	if (value.widths && typeof value.widths === 'object') {
		for (const [id, width] of Object.entries(value.widths)) {
			const column = COLUMNS.find((c) => c.id === id);
			if (column && typeof width === 'number' && Number.isFinite(width))
				widths[column.id] = Math.min(800, Math.max(column.minWidth, width));
		}
	}
	return { visible: visible.length ? visible : DEFAULT_COLUMN_PREFS.visible, widths };
}
