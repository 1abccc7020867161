// Collaborative playlists (issue 9): merging concurrent edits. Three peers start from the same shared
// playlist of 300 entries and each makes 333–334 edits apart (add 40 %, move 30 %, annotate 20 %,
// remove 10 %, one Yjs transaction per edit, as the UI does), 1,000 in all. Figure: a replica applying the
// three peers' updates (what reconnecting does) and reading the merged list. Baseline, in the same page:
// the same 1,000 edits applied locally to one doc through the same entry model, and the list read.
// Runs the shipped model (src/lib/features/collab/model.ts) in the production build, through the
// e2e/bench hook the page installs when localStorage has `cratemesh:test-hooks`.

const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** @param {import('../run.js').BenchContext} ctx @returns {Promise<import('../run.js').Figure>} */
async function mergeThousand({ browser, baseURL }) {
	const context = await browser.newContext();
	try {
		await context.addInitScript(() => localStorage.setItem('cratemesh:test-hooks', '1'));
		const page = await context.newPage();
		await page.goto(baseURL);
		await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
		await page.waitForFunction(() => 'Y' in /** @type {any} */ (window.__cratemeshCollab ?? {}));
		const result = await page.evaluate(() => {
			const { Y, model } = /** @type {any} */ (window).__cratemeshCollab;
			// Deterministic ids and choices: every run and the baseline see the same edits.
			let seed = 42;
			const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
			let counter = 0;
			const newId = () => `00000000-0000-4000-8000-${(counter++).toString(16).padStart(12, '0')}`;
			const peer = (/** @type {string} */ c) => ({ peerId: `cm-${c.repeat(32)}`, name: `DJ ${c}` });
			const track = (/** @type {number} */ n) => ({
				hash: n.toString(16).padStart(64, '0'),
				title: `Track ${n}`,
				artist: `Artist ${n % 37}`,
				duration: 180 + (n % 240),
				bpm: 118 + (n % 12),
				key: '8A',
				grid: { bpm: 124, firstDownbeatSec: 0.1, beatsPerBar: 4 },
				cues: [
					{ kind: 'hot', slot: 0, startSec: 32, endSec: null, name: 'Drop', color: '#ff0000' },
					{ kind: 'loop', slot: -1, startSec: 64, endSec: 72, name: '', color: '' }
				]
			});
			const authors = [peer('a'), peer('b'), peer('c')];

			/** One peer's edits as a list of operations on entry indexes, replayable on any doc. */
			const plan = (/** @type {number} */ count, /** @type {number} */ base) => {
				const ops = [];
				for (let i = 0; i < count; i++) {
					const r = random();
					const at = Math.floor(random() * 1e9);
					if (r < 0.4) ops.push({ op: 'add', track: track(base + i), at });
					else if (r < 0.7) ops.push({ op: 'move', at, to: Math.floor(random() * 1e9) });
					else if (r < 0.9) ops.push({ op: 'note', at, note: `note ${i}` });
					else ops.push({ op: 'remove', at });
				}
				return ops;
			};
			const apply = (/** @type {any} */ doc, /** @type {any[]} */ ops, /** @type {any} */ author) => {
				// The UI knows its list; here the list is kept alongside (the harness's bookkeeping, cheap).
				const ids = model.readEntries(doc).entries.map((/** @type {any} */ e) => e.id);
				for (const o of ops) {
					const i = o.at % Math.max(1, ids.length);
					const id = ids[i];
					if (o.op === 'add') {
						const at = o.at % (ids.length + 1);
						ids.splice(at, 0, ...model.addEntries(doc, [o.track], author, at, newId));
					} else if (!id) continue;
					else if (o.op === 'move') {
						const to = o.to % ids.length;
						model.moveEntry(doc, id, model.neighbourFor(ids, id, to), author);
						ids.splice(i, 1);
						ids.splice(to, 0, id);
					} else if (o.op === 'remove') {
						model.removeEntry(doc, id, author);
						ids.splice(i, 1);
						continue;
					} else if (o.op === 'note') model.annotate(doc, id, o.note, author);
				}
			};

			const plans = [plan(334, 10_000), plan(333, 20_000), plan(333, 30_000)];
			const runs = [];
			const baselines = [];
			let size = 0;
			let visible = 0;
			for (let run = 0; run < 6; run++) {
				counter = 0;
				const origin = new Y.Doc();
				model.addEntries(
					origin,
					Array.from({ length: 300 }, (_, n) => track(n)),
					authors[0],
					undefined,
					newId
				);
				const start = Y.encodeStateAsUpdate(origin);
				const startVector = Y.encodeStateVector(origin);
				// The three peers, apart.
				const updates = plans.map((ops, p) => {
					const doc = new Y.Doc();
					Y.applyUpdate(doc, start);
					apply(doc, ops, authors[p]);
					return Y.encodeStateAsUpdate(doc, startVector);
				});
				// Merge: a replica that had the start takes the three peers' updates and shows the list.
				const replica = new Y.Doc();
				Y.applyUpdate(replica, start);
				let t0 = performance.now();
				for (const update of updates) Y.applyUpdate(replica, update, 'peer');
				visible = model.readEntries(replica).entries.length;
				const merge = performance.now() - t0;
				size = updates.reduce((sum, u) => sum + u.length, 0);
				// Baseline: the same edits made locally, one after another, on one doc.
				const local = new Y.Doc();
				Y.applyUpdate(local, start);
				t0 = performance.now();
				plans.forEach((ops, p) => apply(local, ops, authors[p]));
				model.readEntries(local);
				const baseline = performance.now() - t0;
				// The first run warms the JIT.
				if (run > 0) {
					runs.push(merge);
					baselines.push(baseline);
				}
			}
			const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
			return { merge: median(runs), baseline: median(baselines), runs, size, visible };
		});
		return {
			value: round(result.merge),
			unit: 'ms',
			baseline: round(result.baseline),
			ratio: round(result.merge / result.baseline, 3),
			runs: result.runs.map((/** @type {number} */ r) => round(r)),
			updateBytes: result.size,
			entriesAfter: result.visible,
			note: 'merge = apply the three peers’ updates (1,000 edits on a 300-entry share) + read the list; baseline = the same 1,000 edits applied locally through the entry model + read; median of 5 after a warm-up'
		};
	} finally {
		await context.close();
	}
}

/** @type {import('../run.js').FigureSpec[]} */
export const collabFigures = [{ name: 'collab.merge_ms_1000', run: mergeThousand }];
