// report.mjs REPORT.html EXPECT.json [SCREENSHOT.png] — opens assay's HTML
// report from disk in Debian's Chromium (playwright-core) and checks it
// against figures computed from the run's JSON export by tests/cli/browser.sh:
// the charts are drawn, the table pages and filters give the expected counts,
// the filter state survives a reload through the URL fragment, and none of the
// XSS payloads in model output or labels runs.  Prints "ok NAME" / "FAIL NAME".
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [report, expectPath, shot] = process.argv.slice(2);
const want = JSON.parse(readFileSync(expectPath, 'utf8'));
let failed = 0;
const check = (name, cond, detail) => {
	if (cond) console.log(`ok ${name}`);
	else { failed++; console.log(`FAIL ${name}: ${detail}`); }
};

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
	page.on('request', r => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push('request: ' + r.url()); });
	const url = pathToFileURL(report).href;
	await page.goto(url);
	await page.waitForSelector('body[data-ready="1"]', { timeout: 10000 });

	const charts = await page.$$eval('figure.chart', fs => fs.map(f => f.id));
	for (const id of want.charts)
		check(`report_chart_${id}`, charts.includes(id), `charts drawn: ${charts.join(', ')}`);
	const bars = await page.$$eval('#chart-pass circle', cs => cs.length);
	check('report_pass_chart_one_dot_per_candidate', bars === want.candidates, `${bars} dots, want ${want.candidates}`);

	const count = async () => (await page.textContent('#f-count')).trim();
	const rows = async () => page.$$eval('#case-table tbody tr', t => t.length);
	check('report_table_first_page', (await rows()) === Math.min(50, want.cases), `rows ${await rows()}`);
	check('report_table_count', (await count()) === `${want.cases} of ${want.cases} cases`, await count());
	await page.click('#next');
	check('report_table_second_page', (await rows()) === want.cases - 50, `rows ${await rows()}`);

	await page.check('#f-failing');
	check('report_filter_failing', (await count()) === `${want.failing} of ${want.cases} cases`, await count());
	check('report_filter_in_fragment', (await page.evaluate(() => location.hash)).includes('failing=1'),
		await page.evaluate(() => location.hash));
	await page.reload();
	await page.waitForSelector('body[data-ready="1"]');
	check('report_fragment_restores_filter', (await page.isChecked('#f-failing')) &&
		(await count()) === `${want.failing} of ${want.cases} cases`, await count());
	await page.uncheck('#f-failing');
	await page.check('#f-dis');
	check('report_filter_disagreements', (await count()) === `${want.disagree} of ${want.cases} cases`, await count());
	await page.uncheck('#f-dis');
	await page.fill('#f-q', want.search);
	check('report_search', (await count()) === `1 of ${want.cases} cases`, await count());
	await page.fill('#f-q', '');
	await page.selectOption('#f-cand', { index: 1 });
	const heads = await page.$$eval('#case-table thead th', t => t.length);
	check('report_filter_candidate_one_column', heads === 2, `${heads} header cells`);
	await page.selectOption('#f-cand', { index: 0 });

	// Payloads: shown as text, never run, never turned into elements.
	await page.fill('#f-q', 'xss');
	const xss = await page.evaluate(() => window.__xss);
	check('report_xss_not_run', xss === undefined && dialogs === 0, `__xss=${xss} dialogs=${dialogs}`);
	const injected = await page.evaluate(() =>
		document.querySelectorAll('img, a[href^="javascript"], #case-table svg, [onerror], [onload]').length +
		document.querySelectorAll('script').length - 2);
	check('report_xss_no_elements', injected === 0, `${injected} injected elements or scripts`);
	const shownText = await page.textContent('#case-table tbody');
	check('report_xss_shown_as_text', shownText.includes('<script>window.__xss=1</script>'), 'payload text not shown');
	const label = await page.textContent('#chart-pass');
	check('report_svg_label_escaped', label.includes('<script>window.__xss=6</script>'), 'label text missing from the SVG');
	check('report_no_errors_or_fetches', problems.length === 0, problems.join(' | '));
	if (shot) {
		await page.fill('#f-q', '');
		await page.screenshot({ path: shot, fullPage: false });
	}
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);
