/* app.js - the built-in dashboard: polls C12's /dashboard/api/* JSON every
 * few seconds and draws it with uPlot (vendored, web/vendor/uplot). No data
 * is kept here beyond what is on screen; the API key, when the server wants
 * one, stays in this browser's localStorage. Numbers shown are the API's,
 * and each total also sits in a data-value attribute unrounded (the
 * browser test compares them with the ledger). */
"use strict";
(function () {
  const REFRESH_MS = Number(new URLSearchParams(location.search).get("refresh_ms")) || 5000;
  const KEY_STORE = "c12.dashboard.key";
  const $ = (id) => document.getElementById(id);
  const state = { charts: {}, last: {}, busy: false };

  /* ---- fetching ---- */
  class AuthError extends Error {}
  async function api(path) {
    const headers = {};
    const key = localStorage.getItem(KEY_STORE);
    if (key) headers.Authorization = "Bearer " + key;
    const r = await fetch(path, { headers, cache: "no-store" });
    if (r.status === 401) throw new AuthError("the server wants an API key");
    const body = await r.json();
    if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText);
    return body;
  }

  /* ---- formatting ---- */
  const nf = (d) => new Intl.NumberFormat(undefined, { maximumFractionDigits: d, minimumFractionDigits: 0 });
  const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : nf(d).format(x));
  const sig = (x) => (Math.abs(x) >= 100 ? fmt(x, 0) : Math.abs(x) >= 1 ? fmt(x, 2) : fmt(x, 4));
  const bytes = (b) => (b >= 1 << 30 ? fmt(b / (1 << 30), 2) + " GiB" : fmt(b / (1 << 20), 0) + " MiB");
  const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const when = (t) => new Date(t * 1000).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
  const age = (s) => (s === null ? "–" : s < 90 ? fmt(s, 0) + " s" : s < 5400 ? fmt(s / 60, 0) + " min" : fmt(s / 3600, 1) + " h");
  function setNum(id, value, digits) {
    const el = $(id);
    el.dataset.value = value === null || value === undefined ? "" : String(value);
    el.textContent = digits === undefined ? sig(value) : fmt(value, digits);
  }
  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function fillTable(id, rows, cols) {
    const tb = $(id).tBodies[0];
    tb.replaceChildren();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const [get, cls] of cols) cell(tr, get(row), cls);
      tb.appendChild(tr);
    }
  }

  /* ---- charts ---- */
  const css = (v) => getComputedStyle(document.documentElement).getPropertyValue(v).trim();
  const PALETTE = ["#2f7d4f", "#3b6fb6", "#b7791f", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d35400"];
  function axes() {
    const stroke = css("--muted"), grid = { stroke: css("--grid"), width: 1 };
    return [{ stroke, grid, ticks: grid }, { stroke, grid, ticks: grid, size: 60 }];
  }
  /* Shade [from, to] (Unix s) on the chart: the cleanest window. */
  function bandPlugin(get) {
    return { hooks: { drawClear: (u) => {
      const b = get();
      if (!b) return;
      const x0 = u.valToPos(b.from, "x", true), x1 = u.valToPos(b.to, "x", true);
      u.ctx.save();
      u.ctx.fillStyle = css("--accent") + "33";
      u.ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
      u.ctx.restore();
    } } };
  }
  function nowPlugin() {
    return { hooks: { draw: (u) => {
      const x = u.valToPos(Date.now() / 1000, "x", true);
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
      u.ctx.save();
      u.ctx.strokeStyle = css("--muted");
      u.ctx.setLineDash([4, 4]);
      u.ctx.beginPath();
      u.ctx.moveTo(x, u.bbox.top);
      u.ctx.lineTo(x, u.bbox.top + u.bbox.height);
      u.ctx.stroke();
      u.ctx.restore();
    } } };
  }
  /* (Re)draw chart `name` in element `id` when its series changed, else
   * just give it the new data. */
  function chart(name, id, series, data, extra) {
    const el = $(id);
    const sig2 = JSON.stringify(series.map((s) => s.label)) + css("--fg");
    let c = state.charts[name];
    if (c && c.sig === sig2) {
      c.u.setData(data);
      return;
    }
    if (c) c.u.destroy();
    const opts = Object.assign({
      width: Math.max(el.clientWidth, 280), height: el.classList.contains("small") ? 200 : 260,
      series: [{}].concat(series), axes: axes(), legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }, extra || {});
    state.charts[name] = { u: new uPlot(opts, data, el), sig: sig2 };
  }
  function resize() {
    for (const [name, c] of Object.entries(state.charts)) {
      const el = c.u.root.parentElement;
      c.u.setSize({ width: Math.max(el.clientWidth, 280), height: name === "saved" ? 200 : 260 });
    }
  }

  /* ---- the grid ---- */
  function renderGrid(g) {
    state.last.grid = g;
    if (g.now) {
      $("grid-now").textContent = fmt(g.now.value, 0) + " g/kWh";
      $("grid-now").dataset.value = String(g.now.value);
      $("grid-src").textContent = `${g.now.provider} (${g.now.type}), ${g.now.region}, ${age(g.now.age_s)} old`;
      $("grid-meta").textContent = `${g.now.region} · ${g.now.provider} · forecast by ${g.forecast.by || "–"}`;
    } else {
      $("grid-now").textContent = "–";
      $("grid-src").textContent = g.note || "no carbon reading";
    }
    const c = g.cleanest;
    $("grid-cleanest").textContent = c
      ? `Cleanest ${c.window_h} h ahead: ${when(c.from)}–${clock(c.to)}, mean ${fmt(c.mean, 0)} g/kWh (shaded).`
      : g.forecast.note || "No forecast yet.";
    /* one x axis: history then forecast, each a step series with gaps */
    const xs = [], hist = [], fc = [];
    for (const [from, , v] of g.history.points) { xs.push(from); hist.push(v); fc.push(null); }
    if (g.history.points.length && g.forecast.points.length) { /* join the two lines at now */
      const last = g.history.points[g.history.points.length - 1];
      xs.push(last[1]); hist.push(last[2]); fc.push(g.forecast.points[0][2]);
    }
    for (const [from, , v] of g.forecast.points) { if (xs.length && from <= xs[xs.length - 1]) continue; xs.push(from); hist.push(null); fc.push(v); }
    const stepped = uPlot.paths.stepped({ align: 1 });
    chart("grid", "chart-grid", [
      { label: "measured g/kWh", stroke: css("--fg"), width: 2, paths: stepped, spanGaps: false },
      { label: "forecast g/kWh", stroke: css("--accent"), width: 2, dash: [6, 4], paths: stepped, spanGaps: false },
    ], [xs, hist, fc], { plugins: [bandPlugin(() => state.last.grid && state.last.grid.cleanest), nowPlugin()] });
  }

  /* ---- what the ledger holds (c12 report's document: docs/ledger.md) ---- */
  const table = (doc, by) => (doc.tables.find((t) => t.by === by && !t.by2) || { rows: [] }).rows;
  function renderSummary(s) {
    const t = s.totals;
    setNum("total-requests", t.requests, 0);
    setNum("total-errors", t.errors, 0);
    setNum("total-tokens", t.prompt_tokens + t.completion_tokens, 0);
    setNum("total-prompt", t.prompt_tokens, 0);
    setNum("total-output", t.completion_tokens, 0);
    setNum("total-j", t.energy_j);
    $("total-wh").textContent = sig(t.energy_j / 3600);
    setNum("total-g", t.co2_g);
    setNum("g-per-1k", t.gco2_per_1k_tokens);
    const cf = s.counterfactuals.strongest, sv = t.savings.strongest;
    if (cf.known && sv) {
      setNum("saved-g", sv.saved_g);
      $("saved-note").textContent = `${sv.saved_pct === null ? "–" : fmt(sv.saved_pct, 1)}% vs always ${cf.model} (${cf.basis})`;
    } else {
      setNum("saved-g", null);
      $("saved-note").textContent = `vs always ${cf.model || "the strongest model"}: unknown (no energy rates)`;
    }
    if (t.cached) $("saved-note").textContent += `; the response cache answered ${t.cached}, ${sig(t.cache_saved_co2_g)} g not emitted again`;
    $("empty").hidden = t.requests > 0;
    const cols = [[(r) => r.key], [(r) => fmt(r.requests, 0), "num"], [(r) => fmt(r.prompt_tokens + r.completion_tokens, 0), "num"],
      [(r) => sig(r.energy_j), "num"], [(r) => sig(r.co2_g), "num"], [(r) => sig(r.gco2_per_1k_tokens), "num"]];
    fillTable("by-model", table(s, "model"), cols);
    fillTable("by-category", table(s, "category"), cols);
  }

  const METRIC = {
    requests: (r) => r.requests, tokens: (r) => r.prompt_tokens + r.completion_tokens,
    energy_j: (r) => r.energy_j, co2_g: (r) => r.co2_g,
  };
  /* The x range of the span: from its start (or the first bucket) to now,
   * or to the end of the last bucket when that is later; y from 0. */
  function spanRange(d, times) {
    const now = Date.now() / 1000, lo = d.since_ms ? d.since_ms / 1000 : times.length ? times[0] : now - 86400;
    const end = times.length ? times[times.length - 1] + d.step_s : now;
    const hi = d.until_ms ? d.until_ms / 1000 : Math.max(now, end);
    return { x: { time: true, range: () => [lo, hi] },
      y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } };
  }
  /* Rows are (time bucket, group): key2 is the model or category. The bars
   * are stacked: each series is drawn at the sum of itself and those below
   * it, the tallest first, and the legend shows its own value. */
  function renderSeries(d) {
    state.last.series = d;
    const by = $("series-by").value, get = METRIC[$("series-metric").value];
    const rows = by === "model" ? d.by_model : d.by_category;
    const times = [...new Set(d.by_model.map((r) => r.bucket_ms / 1000))].sort((a, b) => a - b);
    const keys = [...new Set(rows.map((r) => r.key2))].sort();
    const ix = new Map(times.map((t, i) => [t, i]));
    const own = keys.map(() => times.map(() => 0));
    for (const r of rows) own[keys.indexOf(r.key2)][ix.get(r.bucket_ms / 1000)] += get(r);
    const stacked = own.map((_, k) => times.map((_, i) => own.slice(0, k + 1).reduce((a, y) => a + y[i], 0)));
    const order = keys.map((_, k) => keys.length - 1 - k); /* the top of the stack first */
    const bars = uPlot.paths.bars({ size: [0.8, 40] });
    const step = d.step_s;
    chart("series", "chart-series", order.map((k) => ({ label: keys[k], stroke: PALETTE[k % PALETTE.length],
      fill: PALETTE[k % PALETTE.length] + "aa", paths: bars, points: { show: false },
      value: (u, v, si, di) => (di === null || di === undefined ? "–" : sig(own[k][di])) })),
    [times.map((t) => t + step / 2)].concat(order.map((k) => stacked[k])),
    { scales: spanRange(d, times), legend: { live: true } });
    /* the saving against the strongest per bucket, summed over models, accumulated from 0 at the start */
    const saved = times.map(() => 0);
    for (const r of d.by_model) if (r.savings.strongest) saved[ix.get(r.bucket_ms / 1000)] += r.savings.strongest.saved_g;
    let run = 0;
    const cum = saved.map((v) => (run += v));
    const xs = times.length ? [times[0]].concat(times.map((t) => t + step)) : [];
    chart("saved", "chart-saved", [{ label: "saved g CO₂e", stroke: css("--accent"), width: 2,
      fill: css("--accent") + "22", paths: uPlot.paths.stepped({ align: -1 }),
      value: (u, v) => (v === null || v === undefined ? "–" : sig(v)) }],
    [xs, xs.length ? [0].concat(cum) : []], { scales: spanRange(d, times) });
  }

  function renderDecisions(d) {
    fillTable("decisions", d.data, [
      [(r) => clock(r.created)], [(r) => r.model], [(r) => (r.site ? r.site + (r.site_region ? ` (${r.site_region})` : "") : "–")],
      [(r) => r.route], [(r) => fmt(r.prompt_tokens + r.completion_tokens, 0), "num"],
      [(r) => sig(r.energy_j), "num"], [(r) => sig(r.co2_g), "num"], [(r) => r.status],
    ]);
    const trs = $("decisions").tBodies[0].rows;
    d.data.forEach((r, i) => { trs[i].dataset.requestId = r.request_id; if (r.status !== "ok") trs[i].classList.add("bad"); });
  }

  function renderStatus(st) {
    const p = st.pool;
    $("pool-mem").textContent = `${bytes(p.used_bytes)} of ${bytes(p.budget_bytes)} · ${p.queued} queued · ${st.in_flight} in flight`;
    $("pool-bar").style.width = Math.min(100, (100 * p.used_bytes) / Math.max(p.budget_bytes, 1)) + "%";
    fillTable("pool", p.models, [[(m) => m.id + (m.default ? " (default)" : "")], [(m) => m.state],
      [(m) => (m.bytes ? bytes(m.bytes) : "–"), "num"], [(m) => `${m.busy} / ${m.slots}`, "num"], [(m) => fmt(m.queued, 0), "num"]]);
  }
  /* The fleet's sites (docs/fleet.md): down when the breaker is open or
   * the last probe found nothing; the cleanest of those up is starred. */
  function siteState(s) {
    if (!s.up) return s.state === "open" ? "down (breaker open)" : "down (no answer)";
    if (s.state === "half-open") return "half-open (on trial)";
    return s.reachable === null ? "up (not probed yet)" : "up";
  }
  function renderSites(sites) {
    $("sites-empty").hidden = sites.length > 0;
    $("sites").hidden = sites.length === 0;
    fillTable("sites", sites, [
      [(s) => s.name + (s.cleanest ? " ★ cleanest" : "")], [(s) => s.region || "–"], [(s) => s.host], [siteState],
      [(s) => `${s.in_flight} / ${s.max_concurrent}`, "num"], [(s) => (s.queue === null ? "–" : fmt(s.queue, 0)), "num"],
      [(s) => (s.ttft_s === null ? "–" : fmt(s.ttft_s * 1000, 0) + " ms"), "num"],
      [(s) => (s.tokens_per_s === null ? "–" : fmt(s.tokens_per_s, 1)), "num"],
      [(s) => (s.intensity === null ? "–" : `${fmt(s.intensity, 0)} (${s.intensity_provider})`), "num"],
      [(s) => (s.requests_today === null ? "–" : fmt(s.requests_today, 0)), "num"],
      [(s) => (s.co2_g_today === null ? "–" : sig(s.co2_g_today)), "num"],
    ]);
    const trs = $("sites").tBodies[0].rows;
    sites.forEach((s, i) => {
      Object.assign(trs[i].dataset, { site: s.name, up: String(s.up), cleanest: String(s.cleanest) });
      trs[i].cells[0].className = s.cleanest ? "good" : "";
      trs[i].cells[3].className = !s.up ? "bad" : s.state === "half-open" ? "warn" : "good";
    });
  }
  function renderBatches(b) {
    if (!b) { $("batches").textContent = "The Batch API is off."; return; }
    const by = Object.entries(b.by_status).map(([k, v]) => `${v} ${k.replace("_", " ")}`).join(", ");
    $("batches").textContent = by
      ? `${by} · ${fmt(b.lines_pending, 0)} lines pending · waited ${fmt(b.deferred_h, 1)} h for cleaner power · ` +
        `${sig(b.co2_avoided_g)} g CO2e avoided against running at submission`
      : "No batch yet: POST /v1/batches (docs/batch.md), or c12 batch submit FILE.jsonl.";
  }
  function renderProviders(g) {
    fillTable("providers", g.providers, [[(p) => `${p.name} (${p.type})`], [(p) => p.region || "–"],
      [(p) => (p.value === null ? "–" : fmt(p.value, 0)), "num"], [(p) => age(p.age_s), "num"],
      [(p) => (p.errors ? `${p.errors}: ${p.last_error || ""}` : "0")]]);
  }

  /* ---- the loop ---- */
  const SPAN_STEP = { "1h": 60, "24h": 3600, "7d": 6 * 3600, all: 86400 };
  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    const span = $("span").value, q = `since=${encodeURIComponent(span)}`;
    try {
      const status = await api("/dashboard/api/status"); /* first: one 401 when a key is needed */
      const [grid, summary, series, decisions] = await Promise.all([
        api("/dashboard/api/grid"), api(`/dashboard/api/summary?${q}`),
        api(`/dashboard/api/series?${q}&step=${SPAN_STEP[span]}`), api("/dashboard/api/decisions?limit=50"),
      ]);
      $("keyform").hidden = true;
      renderGrid(grid); renderProviders(grid); renderStatus(status); renderSites(status.sites || []); renderBatches(status.batches);
      renderSummary(summary); renderSeries(series); renderDecisions(decisions);
      $("updated").textContent = "updated " + clock(Date.now() / 1000);
      $("updated").className = "muted";
      document.body.dataset.loaded = String(Date.now());
    } catch (e) {
      if (e instanceof AuthError) $("keyform").hidden = false;
      $("updated").textContent = e.message;
      $("updated").className = "bad";
    } finally {
      state.busy = false;
    }
  }

  function setTheme(t) {
    if (t) document.documentElement.dataset.theme = t;
    for (const c of Object.values(state.charts)) c.u.destroy();
    state.charts = {};
    if (state.last.grid) renderGrid(state.last.grid);
    if (state.last.series) renderSeries(state.last.series);
  }
  $("theme").addEventListener("click", () => {
    const dark = document.documentElement.dataset.theme
      ? document.documentElement.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
    setTheme(dark ? "light" : "dark");
  });
  $("keyform").addEventListener("submit", (ev) => {
    ev.preventDefault();
    localStorage.setItem(KEY_STORE, $("key").value);
    refresh();
  });
  $("span").addEventListener("change", refresh);
  for (const id of ["series-metric", "series-by"])
    $(id).addEventListener("change", () => state.last.series && renderSeries(state.last.series));
  for (const el of document.querySelectorAll(".origin")) el.textContent = location.origin;
  window.addEventListener("resize", resize);
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
