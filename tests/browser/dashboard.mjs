// dashboard.mjs - open C12's dashboard in Debian's Chromium (playwright-core,
// no downloaded browser), wait until it shows what the test expects, read
// its numbers and take screenshots. tests/integration/test_dashboard.py runs
// it against a real server and compares what it prints with the ledger.
//
// Environment: C12_URL (the server), C12_KEY (an API key to type into the
// page's key form, optional), EXPECT_DECISIONS (rows the decision list must
// reach), EXPECT_SITES (rows the sites panel must show), EXPECT_DOWN (the
// sites, comma-separated, it must show down), SHOT_DIR (where the
// screenshots go), CHROMIUM (default /usr/bin/chromium). Prints one JSON object; exits 1 on a failed wait.
import { chromium } from "playwright-core";

const url = process.env.C12_URL;
const expect = Number(process.env.EXPECT_DECISIONS || "0");
const shots = process.env.SHOT_DIR || ".";
const sitesWanted = { n: Number(process.env.EXPECT_SITES || "0"),
  down: (process.env.EXPECT_DOWN || "").split(",").filter(Boolean) };
const TIMEOUT = 60000;

// As root, in a sandbox-less container, with no network beyond 127.0.0.1:
// no background connections, which this machine refuses.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  timeout: TIMEOUT,
});
const out = { console_errors: [], page_errors: [], failed_requests: [], statuses: {} };
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  const page = await ctx.newPage();
  page.on("console", (m) => { if (m.type() === "error") out.console_errors.push(m.text()); });
  page.on("pageerror", (e) => out.page_errors.push(String(e)));
  page.on("requestfailed", (r) => out.failed_requests.push(r.url()));
  page.on("response", (r) => { out.statuses[new URL(r.url()).pathname] = r.status(); });
  await page.goto(url + "/", { waitUntil: "load", timeout: TIMEOUT });
  if (process.env.C12_KEY) { // the server wants a key: the page asks for it
    await page.waitForSelector("#keyform:not([hidden])", { timeout: TIMEOUT });
    out.asked_for_key = true;
    // what the browser logged for the first call's 401, before the key
    out.errors_before_key = out.console_errors.splice(0);
    await page.fill("#key", process.env.C12_KEY);
    await page.click("#keyform button[type=submit]");
  }
  await page.waitForFunction((n) => document.body.dataset.loaded &&
    document.querySelectorAll("#decisions tbody tr").length >= n, expect, { timeout: TIMEOUT });
  await page.waitForFunction((w) => { // the sites as the test expects them, after a refresh or a few
    const rows = [...document.querySelectorAll("#sites tbody tr")];
    return rows.length >= w.n && w.down.every((n) => rows.some((r) => r.dataset.site === n && r.dataset.up === "false"));
  }, sitesWanted, { timeout: TIMEOUT });
  out.sites = await page.evaluate(() => ({
    empty_hidden: document.getElementById("sites-empty").hidden,
    rows: [...document.querySelectorAll("#sites tbody tr")].map((tr) => ({ site: tr.dataset.site, up: tr.dataset.up,
      cleanest: tr.dataset.cleanest, cells: [...tr.cells].map((c) => c.textContent) })) }));
  out.totals = await page.evaluate(() => Object.fromEntries(
    ["total-requests", "total-errors", "total-tokens", "total-prompt", "total-output", "total-j", "total-g",
      "g-per-1k", "saved-g", "grid-now"].map((id) => [id, document.getElementById(id).dataset.value])));
  out.text = await page.evaluate(() => ({
    saved_note: document.getElementById("saved-note").textContent,
    grid_src: document.getElementById("grid-src").textContent,
    cleanest: document.getElementById("grid-cleanest").textContent,
    empty_hidden: document.getElementById("empty").hidden,
    key_form_hidden: document.getElementById("keyform").hidden,
  }));
  out.decisions = await page.evaluate(() => [...document.querySelectorAll("#decisions tbody tr")].map((tr) => ({
    request_id: tr.dataset.requestId, cells: [...tr.cells].map((c) => c.textContent) })));
  out.by_model = await page.evaluate(() => [...document.querySelectorAll("#by-model tbody tr")].map(
    (tr) => [...tr.cells].map((c) => c.textContent)));
  out.pool = await page.evaluate(() => [...document.querySelectorAll("#pool tbody tr")].map(
    (tr) => [...tr.cells].map((c) => c.textContent)));
  out.charts = await page.evaluate(() => document.querySelectorAll(".uplot canvas").length);
  await page.screenshot({ path: `${shots}/dashboard-light.png`, fullPage: true });
  await page.click("#theme");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${shots}/dashboard-dark.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  out.phone_overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: `${shots}/dashboard-phone.png`, fullPage: false });
  await ctx.close();
} catch (e) {
  out.error = String(e);
}
await browser.close();
console.log(JSON.stringify(out));
process.exit(out.error ? 1 : 0);
