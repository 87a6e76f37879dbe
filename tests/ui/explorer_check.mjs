// Drives the dashboard's request explorer, latency view and Keys tab in headless Chromium
// (Debian's /usr/bin/chromium through playwright-core) and prints what it saw as JSON on
// stdout; the caller (tests/integration/gateway/test_gateway_dashboard_explorer.py)
// checks it against the ledger and the gateway. Screenshots go to SHOTS_DIR.
//
//   node explorer_check.mjs URL ADMIN_KEY REQUEST_ID PROJECT SHOTS_DIR
// REQUEST_ID: an x-request-id sent through the gateway before; PROJECT: a project to
// filter on. A key is minted in the Keys tab, used for a real chat request against
// the same origin, revoked in the tab, and used again.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [url, key, requestId, project, shots] = process.argv.slice(2);
if (!url || !key || !requestId || !project || !shots) {
  console.error("usage: node explorer_check.mjs URL ADMIN_KEY REQUEST_ID PROJECT SHOTS_DIR");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const origin = new URL(url).origin;
const problems = [];
const out = { shots: [] };

async function chat(secret) {
  const res = await fetch(origin + "/v1/chat/completions", {
    method: "POST",
    headers: { authorization: "Bearer " + secret, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
  });
  await res.text();
  return res.status;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("pageerror: " + e.message));
  page.on("request", (r) => { if (!r.url().startsWith(origin)) problems.push("external: " + r.url()); });
  // The last /admin/latency answer the page got, to compare with what it drew.
  page.on("response", async (r) => {
    if (r.url().includes("/admin/latency")) out.latencyApi = await r.json().catch(() => null);
  });
  const shot = async (name) => {
    const path = join(shots, name);
    await page.screenshot({ path, fullPage: true });
    out.shots.push(path);
  };
  // Runs `action` and waits for the refresh it starts to finish.
  const loaded = async (action) => {
    const before = await page.evaluate(() => document.body.dataset.loaded || "");
    await action();
    await page.waitForFunction((b) => (document.body.dataset.loaded || "") !== b && !!document.body.dataset.loaded,
                               before, { timeout: 30000 });
    const status = await page.textContent("#status");
    if (status) problems.push("status: " + status);
  };
  const tableIds = () => page.$$eval("[data-testid=table-requests] tbody tr[data-request-id]",
                                     (trs) => trs.map((tr) => tr.dataset.requestId));

  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(url, { waitUntil: "load" });
  await loaded(async () => {
    await page.fill("#admin-key", key);
    await page.click("#login button[type=submit]");
  });
  out.lightBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  // Nothing may reload the page under the test's feet.
  await page.uncheck("#auto-refresh");

  // The explorer: everything in range, then a search by x-request-id, then a click.
  await loaded(() => page.click("nav.tabs button[data-tab=requests]"));
  out.allIds = await tableIds();
  await loaded(async () => {
    await page.fill("#f-request-id", requestId);
    await page.press("#f-request-id", "Enter");
  });
  out.searchIds = await tableIds();
  await page.click(`[data-testid=table-requests] tbody tr[data-request-id="${requestId}"]`);
  await page.waitForSelector("#detail:not([hidden])");
  out.detail = await page.$$eval("#detail-fields dd[data-key]",
                                 (dds) => Object.fromEntries(dds.map((d) => [d.dataset.key, d.textContent])));
  out.timingBars = await page.$$eval("#detail-timing rect", (rs) => rs.map((r) => r.dataset.key));
  await shot("explorer-detail.png");

  // Filters narrow the list.
  await loaded(async () => {
    await page.fill("#f-request-id", "");
    await page.fill("#f-project", project);
    await page.click("#request-filters button[type=submit]");
  });
  out.projectIds = await tableIds();
  out.projectCells = await page.$$eval("[data-testid=table-requests] tbody td[data-key=project]",
                                       (tds) => tds.map((td) => td.textContent));
  await loaded(async () => {
    await page.fill("#f-project", "");
    await page.fill("#f-status", "429");
    await page.click("#request-filters button[type=submit]");
  });
  out.refusedIds = await tableIds();
  await loaded(() => page.click("#f-clear"));
  out.clearedIds = await tableIds();
  await shot("explorer.png");

  // The range picker: a custom window in the past holds nothing, the last 15 minutes
  // hold the request.
  await loaded(() => page.selectOption("#range", "custom"));
  await loaded(async () => {
    await page.fill("#range-from", "2020-01-01T00:00");
    await page.fill("#range-to", "2020-01-02T00:00");
    await page.click("#range-apply");
  });
  out.pastIds = await tableIds();
  await loaded(() => page.selectOption("#range", "900000"));
  out.last15Ids = await tableIds();
  // Auto-refresh: once on, the tab reloads by itself; off again for the rest.
  await loaded(async () => {
    await page.selectOption("#refresh-interval", "5000");
    await page.check("#auto-refresh");
  });
  await page.uncheck("#auto-refresh");
  out.autoRefreshed = true;

  // Latency over time.
  await loaded(() => page.click("nav.tabs button[data-tab=latency]"));
  out.latencyPoints = await page.$$eval("svg[data-testid=chart-ttft] circle, svg[data-testid=chart-overhead] circle",
    (cs) => cs.map((c) => ({ model: c.dataset.model, stat: c.dataset.stat, value: Number(c.dataset.value),
                             bucket: Number(c.dataset.bucket) })));
  out.latencyPaths = await page.$$eval("svg[data-testid^=chart-] path[data-stat]",
                                       (ps) => ps.map((p) => p.dataset.model + "/" + p.dataset.stat));
  await shot("latency.png");

  // Keys: mint one, see the secret once, use it, revoke it, see it refused.
  await loaded(() => page.click("nav.tabs button[data-tab=keys]"));
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  await page.fill("#k-project", project);
  await page.fill("#k-models", "gpt-4o-mini");
  await page.fill("#k-id", "ui-minted");
  await page.click("#key-form button[type=submit]");
  await page.waitForSelector("#key-created:not([hidden])", { timeout: 30000 });
  await page.waitForSelector("[data-testid=table-admin-keys] tr[data-key-id=ui-minted]");
  const secret = await page.inputValue("#key-secret");
  out.secretPrefix = secret.slice(0, 10);
  await page.click("#key-copy");
  await page.waitForSelector("#key-copy-status:not(:empty)");
  out.copyStatus = await page.textContent("#key-copy-status");
  out.clipboardHasSecret = await page.evaluate(async (s) => {
    try { return (await navigator.clipboard.readText()) === s; } catch (e) { return "unreadable"; }
  }, secret);
  out.mintedRow = await page.$$eval("[data-testid=table-admin-keys] tr[data-key-id=ui-minted] td[data-key]",
    (tds) => Object.fromEntries(tds.map((td) => [td.dataset.key, td.textContent])));
  await shot("keys-new-secret.png");
  out.statusWithNewKey = await chat(secret);
  await page.click("#key-done");
  out.secretGoneAfterDone = await page.evaluate((s) =>
    !document.documentElement.outerHTML.includes(s) &&
    ![...document.querySelectorAll("input")].some((i) => i.value.includes(s)) &&
    !JSON.stringify(Object.assign({}, sessionStorage, localStorage)).includes(s), secret);
  out.secretPanelHidden = await page.isHidden("#key-created");

  await page.click("[data-testid=table-admin-keys] tr[data-key-id=ui-minted] button[data-action=revoke]");
  out.confirmShown = await page.textContent("[data-testid=table-admin-keys] tr[data-key-id=ui-minted] td[data-key=actions]");
  await page.click("[data-testid=table-admin-keys] tr[data-key-id=ui-minted] button[data-action=confirm-revoke]");
  await page.waitForSelector("[data-testid=table-admin-keys] tr[data-key-id=ui-minted]", { state: "detached", timeout: 30000 });
  out.keyError = await page.textContent("#key-error");
  out.statusAfterRevoke = await chat(secret);

  // Dark mode follows prefers-color-scheme.
  await loaded(() => page.click("nav.tabs button[data-tab=usage]"));
  await page.emulateMedia({ colorScheme: "dark" });
  out.darkBackground = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  out.darkText = await page.evaluate(() => getComputedStyle(document.body).color);
  await shot("usage-dark.png");
  await loaded(() => page.click("nav.tabs button[data-tab=requests]"));
  await shot("explorer-dark.png");
  out.problems = problems;
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
