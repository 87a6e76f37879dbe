// Opens the /ui dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), signs in with the admin key, waits for the data to load and prints
// what the page shows as JSON on stdout: tile values, table cells, chart bars, and every
// console error, failed request and page error seen. A screenshot is saved.
//
//   node dashboard_check.mjs URL ADMIN_KEY SCREENSHOT.png
import { chromium } from "playwright-core";

const [url, key, screenshot] = process.argv.slice(2);
if (!url || !key || !screenshot) {
  console.error("usage: node dashboard_check.mjs URL ADMIN_KEY SCREENSHOT.png");
  process.exit(2);
}

const problems = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  page.on("requestfailed", (r) => problems.push("requestfailed: " + r.url()));
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(new URL(url).origin)) external.push(r.url()); });

  await page.goto(url, { waitUntil: "load" });
  const loginShown = await page.isVisible("#login");
  const atLoad = problems.splice(0);
  await page.fill("#admin-key", "wrong-" + key);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#login-error:not(:empty)", { timeout: 30000 });
  await page.waitForLoadState("networkidle");
  const wrongKeyMessage = await page.textContent("#login-error");

  problems.splice(0);  // the refused key's 401 is logged by Chromium as a console error
  await page.fill("#admin-key", key);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("body[data-loaded]", { timeout: 30000 });
  const stored = await page.evaluate(() => ({
    session: Object.keys(sessionStorage), local: Object.keys(localStorage),
    cookies: document.cookie }));

  const shown = await page.evaluate(() => {
    const tiles = {};
    for (const e of document.querySelectorAll(".tile .value")) tiles[e.dataset.testid] = e.textContent;
    const tables = {};
    for (const t of document.querySelectorAll("table[data-testid]")) {
      tables[t.dataset.testid] = [...t.querySelectorAll("tbody tr")].map((tr) => {
        const row = {};
        for (const td of tr.querySelectorAll("td[data-key]")) row[td.dataset.key] = td.textContent;
        return row;
      }).filter((row) => Object.keys(row).length > 0);
    }
    const charts = {};
    for (const svg of document.querySelectorAll("svg[data-testid]")) {
      const sums = {};
      for (const r of svg.querySelectorAll("rect[data-series]"))
        sums[r.dataset.series] = (sums[r.dataset.series] || 0) + Number(r.dataset.value);
      charts[svg.dataset.testid] = sums;
    }
    return { tiles, tables, charts };
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ loginShown, wrongKeyMessage, stored, external, ...shown,
                               problems: [...atLoad, ...problems] }));
} finally {
  await browser.close();
}
