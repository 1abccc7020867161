/** What the preview dialog shows of a plan: counts, and the first few hundred of each list. */
import type { ExchangeFormat, XIssue } from './model';
import type { ChangedField, ImportPlan, PlaylistChange, TrackChange, Unmatched } from './plan';

export const LIST_CAP = 300;

export interface PreviewSummary {
	id: number;
	format: ExchangeFormat;
	fileName: string;
	fatal: XIssue | null;
	totalTracks: number;
	matched: number;
	unchanged: number;
	changes: TrackChange[];
	changesTotal: number;
	unmatched: Unmatched[];
	unmatchedTotal: number;
	playlists: PlaylistChange[];
	issues: XIssue[];
	issuesTotal: number;
	cuesAdded: number;
	cuesReplaced: number;
	fields: Partial<Record<ChangedField, number>>;
	/** Whether applying would change anything at all. */
	empty: boolean;
	ms: { parse: number; plan: number };
}

export function summarise(id: number, fileName: string, plan: ImportPlan, ms: PreviewSummary['ms']): PreviewSummary {
	const fields: Partial<Record<ChangedField, number>> = {};
	let cuesAdded = 0;
	let cuesReplaced = 0;
	for (const change of plan.changes) {
		for (const field of change.fields) fields[field] = (fields[field] ?? 0) + 1;
		cuesAdded += change.cuesAdded;
		cuesReplaced += change.cuesReplaced;
	}
	return {
		id,
		format: plan.format,
		fileName,
		fatal: null,
		totalTracks: plan.totalTracks,
		matched: plan.changes.length + plan.unchanged,
		unchanged: plan.unchanged,
		changes: plan.changes.slice(0, LIST_CAP),
		changesTotal: plan.changes.length,
		unmatched: plan.unmatched.slice(0, LIST_CAP),
		unmatchedTotal: plan.unmatched.length,
		playlists: plan.playlists.slice(0, LIST_CAP),
		issues: plan.issues.slice(0, LIST_CAP),
		issuesTotal: plan.issues.length,
		cuesAdded,
		cuesReplaced,
		fields,
		empty: plan.changes.length === 0 && plan.playlists.length === 0,
		ms
	};
}

export function refused(
	id: number,
	fileName: string,
	format: ExchangeFormat,
	fatal: XIssue,
	issues: XIssue[]
): PreviewSummary {
	return {
		id,
		format,
		fileName,
		fatal,
		totalTracks: 0,
		matched: 0,
		unchanged: 0,
		changes: [],
		changesTotal: 0,
		unmatched: [],
		unmatchedTotal: 0,
		playlists: [],
		issues: issues.slice(0, LIST_CAP),
		issuesTotal: issues.length,
		cuesAdded: 0,
		cuesReplaced: 0,
		fields: {},
		empty: true,
		ms: { parse: 0, plan: 0 }
	};
}
