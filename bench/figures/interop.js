// Interop figures: a 10,000-track rekordbox XML (tempo, three cues per track, 20 playlists) read, matched
// against a 10,000-track library and planned in the interop worker, driven through the Import / export
// dialog. Baseline: a plain read + UTF-8 decode of the same bytes in the same page.
import { seedTracks } from './library.js';

const round = (/** @type {number} */ n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const escape = (/** @type {string} */ s) =>
	s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** @param {{ fileName: string, title: string, artist: string }[]} tracks */
function rekordboxXml(tracks) {
	const parts = [
		'<?xml version="1.0" encoding="UTF-8"?>\n<DJ_PLAYLISTS Version="1.0.0">\n<PRODUCT Name="rekordbox" Version="6.8.5" Company="AlphaTheta"/>\n',
		`<COLLECTION Entries="${tracks.length}">\n`
	];
	tracks.forEach((t, i) => {
		const bpm = (90 + (i % 60)).toFixed(2);
		parts.push(
			`<TRACK TrackID="${i + 1}" Name="${escape(t.title)}" Artist="${escape(t.artist)}" Kind="MP3 File" TotalTime="300" AverageBpm="${bpm}" DateAdded="2020-01-01" Rating="${(i % 6) * 51}" Tonality="Am" Location="file://localhost/C:/Users/DJ/Music/${t.fileName.split('/').map(encodeURIComponent).join('/')}">\n`,
			`<TEMPO Inizio="0.120" Bpm="${bpm}" Metro="4/4" Battito="1"/>\n`,
			`<POSITION_MARK Name="" Type="0" Start="0.120" Num="-1"/>\n`,
			`<POSITION_MARK Name="Drop" Type="0" Start="64.120" Num="0" Red="40" Green="226" Blue="20"/>\n`,
			`<POSITION_MARK Name="Loop" Type="4" Start="96.000" End="104.000" Num="-1"/>\n</TRACK>\n`
		);
	});
	parts.push('</COLLECTION>\n<PLAYLISTS>\n<NODE Type="0" Name="ROOT" Count="20">\n');
	for (let p = 0; p < 20; p++) {
		const refs = Array.from({ length: 500 }, (_, k) => p * 500 + k + 1);
		parts.push(`<NODE Name="List ${p}" Type="1" KeyType="0" Entries="${refs.length}">\n`);
		for (const ref of refs) parts.push(`<TRACK Key="${ref}"/>\n`);
		parts.push('</NODE>\n');
	}
	parts.push('</NODE>\n</PLAYLISTS>\n</DJ_PLAYLISTS>\n');
	return parts.join('');
}

/** @param {import('../run.js').BenchContext} ctx @returns {Promise<import('../run.js').Figure>} */
async function importTenThousand({ browser, baseURL }) {
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	try {
		const page = await context.newPage();
		await page.goto(baseURL);
		await page.locator('html[data-ready="true"]').waitFor({ state: 'attached' });
		await seedTracks(page, 0, 10_000);
		// The seeded titles repeat (a short random cycle), and a file name shared by two tracks is rightly not
		// matched by path: give every track a folder of its own, as a real library has.
		const tracks = await page.evaluate(
			() =>
				new Promise((resolve, reject) => {
					const open = indexedDB.open('cratemesh');
					open.onerror = () => reject(open.error);
					open.onsuccess = () => {
						const tx = open.result.transaction('tracks', 'readwrite');
						const out = [];
						tx.objectStore('tracks').openCursor().onsuccess = (event) => {
							const cursor = /** @type {IDBRequest<IDBCursorWithValue | null>} */ (event.target).result;
							if (!cursor) return;
							const t = cursor.value;
							t.paths = [`Bench/${out.length}/${t.fileName}`];
							cursor.update(t);
							out.push({ fileName: t.paths[0], title: t.title, artist: t.artist });
							cursor.continue();
						};
						tx.oncomplete = () => {
							open.result.close();
							resolve(out);
						};
					};
				})
		);
		const xml = rekordboxXml(/** @type {{ fileName: string, title: string, artist: string }[]} */ (tracks));
		await page.reload();
		await page.locator('[data-testid="track-count"]:not([data-seq="0"])').waitFor({ timeout: 120_000 });
		await page.getByTestId('interop-open').click();

		const runs = [];
		for (let run = 0; run < 3; run++) {
			await page.getByTestId('interop-file').setInputFiles({
				name: `bench-${run}.xml`,
				mimeType: 'application/xml',
				buffer: Buffer.from(xml)
			});
			const summary = page.locator(
				`[data-testid="interop-preview"]:has-text("bench-${run}.xml") [data-testid="interop-summary"]`
			);
			await summary.waitFor({ timeout: 300_000 });
			const parse = Number(await summary.getAttribute('data-parse-ms'));
			const plan = Number(await summary.getAttribute('data-plan-ms'));
			runs.push({ parse, plan, total: parse + plan, text: (await summary.textContent())?.trim() ?? '' });
		}
		const baselines = await page.evaluate(async (text) => {
			const blob = new Blob([text]);
			const times = [];
			for (let run = 0; run < 3; run++) {
				const started = performance.now();
				const decoded = new TextDecoder().decode(await blob.arrayBuffer());
				if (!decoded.length) throw new Error('empty');
				times.push(performance.now() - started);
			}
			return times;
		}, xml);
		const best = runs.reduce((a, b) => (b.total < a.total ? b : a));
		const baseline = Math.min(...baselines);
		return {
			value: round(best.total, 1),
			unit: 'ms',
			baseline: round(baseline, 1),
			ratio: round(best.total / baseline, 1),
			parse_ms: round(best.parse, 1),
			match_and_plan_ms: round(best.plan, 1),
			bytes: Buffer.byteLength(xml),
			summary: best.text,
			note: 'best of 3; baseline = plain read + UTF-8 decode of the same bytes in the page'
		};
	} finally {
		await context.close();
	}
}

export const interopFigures = [{ name: 'interop.import_ms_10k', run: importTenThousand }];
