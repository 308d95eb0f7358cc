// Open a goaudit HTML report in headless Chromium and report what the page shows, as
// one JSON document on stdout; tests/html.rs asserts on it against `goaudit size --json`.
//
//   node treemap.mjs REPORT.html SCREENSHOT.png PROFILE_DIR [CLICK_NAME] [SEARCH]
//
// playwright-core is resolved from target/browser (scripts/setup.sh installs it there).
import { createRequire } from 'node:module';
import path from 'node:path';

const [html, shot, profile, clickName, query] = process.argv.slice(2);
const require = createRequire(path.resolve(process.env.GOAUDIT_NODE_MODULES, 'x.js'));
const { chromium } = require('playwright-core');

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 900 },
});
const page = context.pages()[0] || await context.newPage();
const requests = [];
page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const t0 = Date.now();
await page.goto('file://' + path.resolve(html));
await page.waitForSelector('body[data-ready="1"] #treemap rect.node');
const loadMs = Date.now() - t0;
// From navigation start to the first treemap drawn, as the page measured it.
const readyMs = Number(await page.$eval('body', (b) => b.dataset.readyMs));
const rects = () => page.$$eval('#treemap rect.node', (rs) => rs.map((r) => ({
  name: r.dataset.name,
  bytes: Number(r.dataset.bytes),
  area: r.getBBox().width * r.getBBox().height,
})));
const box = await page.$eval('#treemap', (s) => ({ w: s.clientWidth, h: s.clientHeight }));
const top = await rects();
const rows = await page.$$eval('#table tbody tr', (t) => t.length);
await page.screenshot({ path: shot });
let zoomed = null;
if (clickName) {
  await page.click(`#treemap rect.node[data-name="${clickName}"]`);
  await page.waitForFunction((n) => document.querySelector('#crumbs').textContent.includes(n), clickName);
  zoomed = { rects: await rects(), crumbs: await page.$eval('#crumbs', (c) => c.textContent) };
}
let searched = null;
if (query) {
  await page.fill('#search', query);
  searched = await page.$$eval('#table tbody tr td:first-child', (t) => t.map((x) => x.textContent));
}
await context.close();
console.log(JSON.stringify({ loadMs, readyMs, box, top, rows, zoomed, searched, requests, errors }));
