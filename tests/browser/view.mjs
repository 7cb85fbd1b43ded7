// view.mjs BASE_URL EXPECT.json OUT.json [SHOT_DIR] — drives `assay view` in
// Debian's Chromium (playwright-core): the runs list, the matrix filters
// (counts computed by tests/cli/view_browser.sh with SQL), grading outputs
// with the keyboard in the review queue, blind pairwise choices (names
// hidden until chosen), the run page's charts, the comparison of two runs,
// and XSS payloads in model output shown as text and run nowhere.  Writes
// what it graded and chose to OUT.json (the shell script checks the
// database against it).  Prints "ok NAME" / "FAIL NAME".
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';

const [base, expectPath, outPath, shots] = process.argv.slice(2);
const want = JSON.parse(readFileSync(expectPath, 'utf8'));
let failed = 0;
const check = (name, cond, detail) => {
	if (cond) console.log(`ok ${name}`);
	else { failed++; console.log(`FAIL ${name}: ${detail}`); }
};
const out = { ratings: [], pairs: [] };

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu'],
});
try {
	const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
	const problems = [];
	let dialogs = 0;
	page.on('dialog', d => { dialogs++; d.dismiss(); });
	page.on('pageerror', e => problems.push('pageerror: ' + e.message));
	page.on('console', m => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
	page.on('request', r => { if (!r.url().startsWith(base)) problems.push('request: ' + r.url()); });
	const ready = () => page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
	const go = async hash => { await page.evaluate(h => { location.hash = h; }, hash); await ready(); };

	await page.goto(base + '/');
	await ready();
	const runs = await page.$$eval('#runs tr', t => t.length - 1);
	check('view_runs_list', runs === 2, `${runs} runs listed`);
	await page.fill('#reviewer', 'carol');
	await page.dispatchEvent('#reviewer', 'change');
	await ready();

	// The matrix and its filters.
	await go('#/run/1/cases');
	const count = async () => (await page.textContent('#f-count')).trim();
	check('view_matrix_all', (await count()) === `${want.cases} cases`, await count());
	check('view_matrix_first_page', (await page.$$eval('#matrix tbody tr', t => t.length)) === 50, 'rows');
	const settle = async f => {
		const before = await page.evaluate(() => document.querySelector('#f-count').textContent);
		await f();
		await page.waitForFunction(b => document.body.dataset.ready === '1' &&
			document.querySelector('#f-count').textContent !== b, before, { timeout: 10000 }).catch(() => {});
	};
	await settle(() => page.check('#f-failing'));
	check('view_matrix_failing', (await count()) === `${want.failing} cases`, await count());
	check('view_matrix_filter_in_hash', (await page.evaluate(() => location.hash)).includes('failing=1'),
		await page.evaluate(() => location.hash));
	await settle(() => page.uncheck('#f-failing'));
	await settle(() => page.selectOption('#f-tag', 'fives'));
	check('view_matrix_tag', (await count()) === `${want.fives} cases`, await count());
	await settle(() => page.selectOption('#f-tag', ''));
	await settle(() => page.fill('#f-q', 'question 17'));
	check('view_matrix_search', (await count()) === '1 cases', await count());
	await settle(() => page.fill('#f-q', 'xss'));
	check('view_matrix_xss_rows', (await count()) === '5 cases', await count());
	const shown = await page.textContent('#matrix tbody');
	check('view_xss_shown_as_text', shown.includes('<script>window.__xss=1</script>') &&
		shown.includes('onerror'), 'payload text not shown');
	const injected = () => page.evaluate(() =>
		document.querySelectorAll('main img, main a[href^="javascript"], main svg, main [onerror], main [onload], main script').length);
	check('view_xss_no_elements_matrix', (await injected()) === 0, `${await injected()} injected`);
	if (shots) await page.screenshot({ path: `${shots}/view.png` });

	// Case detail of a payload case.
	await go(`#/run/1/case/${want.payload_case}/0`);
	check('view_case_detail_outputs', (await page.$$eval('section.result', s => s.length)) === 2, 'results');
	check('view_xss_no_elements_case', (await injected()) === 0, `${await injected()} injected`);

	// Review queue: a seeded sample, graded with the keyboard.
	await go('#/run/1/review?sample=6&seed=2');
	const progress = async () => (await page.textContent('#rv-progress')).trim();
	check('view_review_progress_start', (await progress()) === '0 of 6 graded by you', await progress());
	const keys = [['4', 'y'], ['2', 'n'], ['5', 'y']];
	for (const [r, s] of keys) {
		const id = +(await page.getAttribute('#rv-item', 'data-result'));
		await page.keyboard.press(r);
		await page.keyboard.press(s);
		await page.keyboard.press('Enter');
		await page.waitForFunction(prev => document.body.dataset.ready === '1' &&
			+document.querySelector('#rv-item').dataset.result !== prev, id, { timeout: 10000 });
		out.ratings.push({ result_id: id, rating: +r, ship: s === 'y' });
	}
	check('view_review_progress_after', (await progress()) === '3 of 6 graded by you', await progress());
	check('view_review_position', (await page.textContent('#rv-pos')).includes('item 4 of 6'), await page.textContent('#rv-pos'));
	await page.keyboard.press('k');
	await ready();
	const back = +(await page.getAttribute('#rv-item', 'data-result'));
	check('view_review_k_goes_back', back === out.ratings[2].result_id, `at ${back}`);
	check('view_review_shows_my_grade', await page.evaluate(() =>
		document.querySelector('#rv-r5').classList.contains('on') &&
		document.querySelector('#rv-ship-y').classList.contains('on')), 'grade not shown');
	await page.keyboard.press('j');
	await ready();
	// A note typed in the box; the shortcut keys do not fire while typing.
	await page.click('#rv-note');
	await page.keyboard.type('n1 y');
	await page.keyboard.press('Escape');
	await page.keyboard.press('3');
	const id4 = +(await page.getAttribute('#rv-item', 'data-result'));
	await page.keyboard.press('Enter');
	await page.waitForFunction(prev => +document.querySelector('#rv-item').dataset.result !== prev &&
		document.body.dataset.ready === '1', id4, { timeout: 10000 });
	out.ratings.push({ result_id: id4, rating: 3, ship: null, note: 'n1 y' });
	if (shots) await page.screenshot({ path: `${shots}/view-review.png` });

	// Blind pairs.
	await go('#/run/1/pairs');
	for (const [key, choice] of [['a', 'left'], ['b', 'right'], ['t', 'tie']]) {
		const hidden = (await page.textContent('#pw-left-name')) + (await page.textContent('#pw-right-name'));
		check(`view_pair_names_hidden_${choice}`, hidden === '', hidden);
		const left = +(await page.getAttribute('#pw-box', 'data-left'));
		const right = +(await page.getAttribute('#pw-box', 'data-right'));
		await page.keyboard.press(key);
		await page.waitForSelector('#pw-box[data-chosen]');
		await ready();
		const names = (await page.textContent('#pw-left-name')) + ' | ' + (await page.textContent('#pw-right-name'));
		check(`view_pair_names_revealed_${choice}`, /A was .+ \| B was .+/.test(names), names);
		out.pairs.push({ left, right, choice });
		await page.keyboard.press('Enter');
		await ready();
	}
	check('view_pair_progress', (await page.textContent('#pw-progress')).startsWith('3 of '),
		await page.textContent('#pw-progress'));

	// Run page: the report's charts in a frame.
	await go('#/run/1');
	const frame = page.frameLocator('iframe.charts');
	await frame.locator('#chart-pass').waitFor({ timeout: 15000 });
	check('view_run_page_charts', (await frame.locator('figure.chart').count()) >= 3, 'charts missing');
	check('view_run_page_label_text', (await frame.locator('#chart-pass').textContent()).includes('<script>window.__xss=6</script>'),
		'label not shown as text');
	const rated = await page.$$eval('#cands tr', rows => rows.slice(1)
		.reduce((n, r) => n + (+r.children[10].textContent), 0));
	check('view_run_page_human_ratings', rated === out.ratings.length, `${rated} ratings in the table`);

	// Comparison of the two runs.
	await go('#/compare?base=1&new=2');
	const fixed = await page.$$eval('tr.fixed', t => t.length);
	const regressed = await page.$$eval('tr.regressed', t => t.length);
	check('view_compare_has_changes', want.fixed + want.regressed > 0, 'the two runs do not differ');
	check('view_compare_fixed', fixed === want.fixed, `${fixed} fixed, want ${want.fixed}`);
	check('view_compare_regressed', regressed === want.regressed, `${regressed} regressed, want ${want.regressed}`);

	const xss = await page.evaluate(() => window.__xss);
	check('view_xss_not_run', xss === undefined && dialogs === 0, `__xss=${xss} dialogs=${dialogs}`);
	check('view_no_errors_or_foreign_requests', problems.length === 0, problems.join(' | '));
} finally {
	await browser.close();
}
writeFileSync(outPath, JSON.stringify(out));
process.exit(failed ? 1 : 0);
