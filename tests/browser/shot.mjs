// shot.mjs REPORT.html PNG [WIDTH HEIGHT] — a screenshot of the top of an
// HTML report (docs/report.png is made with it from the demo run), and the
// time from navigation until the report's script has rendered the first page
// of cases, printed as "load_ms N" (bench/report.sh reads it).
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const [report, png, w, h] = process.argv.slice(2);
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: +(w || 1280), height: +(h || 1000) } });
const t0 = Date.now();
await page.goto(pathToFileURL(report).href);
await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
console.log(`load_ms ${Date.now() - t0}`);
const t1 = Date.now();
await page.check('#f-failing');
console.log(`filter_ms ${Date.now() - t1}`);
await page.uncheck('#f-failing');
await page.evaluate(() => window.scrollTo(0, 0));
if (png && png !== '-') await page.screenshot({ path: png });
await browser.close();
