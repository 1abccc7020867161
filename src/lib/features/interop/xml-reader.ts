/**
 * Streaming XML with saxes, hardened for files from elsewhere: a DOCTYPE that declares entities or points
 * at an external DTD refuses the whole file (entity expansion — "billion laughs" — and external entities are
 * never resolved: saxes knows only the five predefined entities, and we stop before any reference is read);
 * elements nested deeper than `maxDepth` are skipped and counted; a malformed or truncated file stops where
 * the damage starts and keeps what was complete before it.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { XIssue } from './model';
import type { TextSource } from './xml-input';

export interface XmlHandlers {
	open(name: string, attributes: Record<string, string>, depth: number): void;
	close(name: string, depth: number): void;
}

export interface XmlOutcome {
	/** A reason the whole file was refused. */
	fatal: XIssue | null;
	/** Damage after which reading stopped (what came before is kept). */
	stopped: XIssue | null;
	issues: XIssue[];
	elements: number;
}

class Stop extends Error {}

export async function readXml(
	source: TextSource,
	handlers: XmlHandlers,
	{ maxDepth = 64, signal }: { maxDepth?: number; signal?: AbortSignal } = {}
): Promise<XmlOutcome> {
	const parser = new SaxesParser({ xmlns: false, position: true });
	const outcome: XmlOutcome = { fatal: null, stopped: null, issues: [], elements: 0 };
	let depth = 0;
	let tooDeep = 0;
	let sawRoot = false;
	const where = () => `line ${parser.line}`;

	parser.on('doctype', (doctype: string) => {
		if (/<!ENTITY/i.test(doctype)) {
			outcome.fatal = { code: 'entities', where: where(), detail: doctype.slice(0, 120) };
			throw new Stop();
		}
		if (/\b(SYSTEM|PUBLIC)\b/.test(doctype)) {
			outcome.fatal = { code: 'external-dtd', where: where(), detail: doctype.slice(0, 120) };
			throw new Stop();
		}
	});
	parser.on('error', (error: Error) => {
		outcome.stopped = { code: 'malformed', where: where(), detail: error.message.slice(0, 200) };
		throw new Stop();
	});
	parser.on('opentag', (tag: SaxesTagPlain) => {
		sawRoot = true;
		depth++;
		outcome.elements++;
		if (depth > maxDepth) {
			tooDeep++;
			return;
		}
		handlers.open(tag.name, tag.attributes as Record<string, string>, depth);
	});
	parser.on('closetag', (tag: SaxesTagPlain) => {
		if (depth <= maxDepth) handlers.close(tag.name, depth);
		depth--;
	});

	try {
		for await (const chunk of source.chunks) {
			if (signal?.aborted) throw signal.reason ?? new Error('aborted');
			parser.write(chunk);
		}
		parser.close();
	} catch (error) {
		if (!(error instanceof Stop)) throw error;
		// An unclosed document at the end of the input is a truncated file, not a malformed one.
		if (outcome.stopped && /unclosed|unexpected end/i.test(outcome.stopped.detail))
			outcome.stopped = { ...outcome.stopped, code: 'truncated' };
	}
	if (!outcome.fatal && !sawRoot && !outcome.stopped)
		outcome.stopped = { code: 'malformed', where: where(), detail: 'no XML elements' };
	if (tooDeep > 0)
		outcome.issues.push({ code: 'too-deep', where: '', detail: `${tooDeep} elements deeper than ${maxDepth} levels` });
	const bad = source.badChars();
	if (bad > 0) outcome.issues.push({ code: 'bad-chars', where: source.encoding, detail: String(bad) });
	return outcome;
}
