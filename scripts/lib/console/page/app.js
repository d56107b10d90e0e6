// The security console's page: reads /api/state and /api/history, then follows /api/events (server-sent events)
// and redraws what changed. Plain browser JavaScript (no build step), uPlot for the charts, served by the console.
// Everything from the chain is inserted as text, never as HTML.
"use strict";

const MAX_TIMELINE = 400;
const MAX_ALERTS = 200;
const state = { view: null, series: [], entries: [], alerts: [], filter: null, charts: {} };

const $ = (id) => document.getElementById(id);
const MAX_SERIES = 20000;
const num = (v) => (v === "∞" || v === null || v === undefined ? Infinity : v === "unknown" ? NaN : Number(v));
function fmt(v, digits = 2) {
  const n = num(v);
  if (Number.isNaN(n)) return "unknown";
  if (!Number.isFinite(n)) return "∞";
  return n.toLocaleString("en-US", { maximumFractionDigits: digits });
}
const pct = (v, digits = 1) => `${fmt(num(v) * 100, digits)}%`;
const short = (a) => (typeof a === "string" && a.startsWith("0x") ? `${a.slice(0, 6)}…${a.slice(-4)}` : String(a));
const when = (t) => new Date(t * 1000).toISOString().replace("T", " ").replace(".000Z", "Z");
function duration(s) {
  if (s <= 0) return "—";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

const symbolOf = (address) => {
  const o = state.view?.defences.oracles.find((x) => x.asset === address);
  return o ? o.symbol : short(address);
};
function link(kind, address, label) {
  const a = el(
    "a",
    { href: `#${kind}=${address}`, title: address, "data-kind": kind },
    label ?? (kind === "asset" ? symbolOf(address) : short(address)),
  );
  return a;
}

function row(cells, attrs = {}) {
  const tr = el("tr", attrs);
  for (const cell of cells) tr.append(cell instanceof Node ? el("td", {}, cell) : el("td", { text: String(cell) }));
  return tr;
}

function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows);
}

// ------------------------------------------------------------------ status, problems, demo

function renderStatus(status) {
  const node = $("status");
  node.className = `status ${status.state}`;
  node.dataset.state = status.state;
  node.textContent = `${status.state}: ${status.message}`;
}

function renderProblems(problems) {
  const node = $("problems");
  node.hidden = problems.length === 0;
  node.textContent = problems.join("\n");
}

function renderDemo(demo) {
  const node = $("demo");
  node.hidden = !demo;
  if (demo) node.textContent = `demo: ${demo.scenario} — ${demo.phase}`;
}

// ------------------------------------------------------------------ the view

function renderView(view) {
  state.view = view;
  $("chain").textContent = `chain ${view.chainId} · block ${view.block} · ${when(view.timestamp)}`;
  const m = view.market;
  const cards = [
    ["Total supply", `${fmt(m.totalAssets)} ${m.baseSymbol}`],
    ["Borrows", `${fmt(m.totalBorrows)} ${m.baseSymbol}`],
    ["Cash", `${fmt(m.cash)} ${m.baseSymbol}`],
    ["Reserves", `${fmt(m.reserves)} ${m.baseSymbol}`],
    ["Bad debt written off", `${fmt(m.badDebt)} ${m.baseSymbol}`],
    ["Provisions", `${fmt(m.provisions)} ${m.baseSymbol}`],
    ["Lender share price", fmt(m.sharePrice, 6)],
    ["Utilisation", pct(m.utilisation)],
    ["Borrow rate", pct(m.borrowApr, 2)],
  ];
  $("market").replaceChildren(
    ...cards.map(([label, value]) =>
      el("div", { class: "card", "data-card": label }, el("span", { text: label }), el("b", { text: value })),
    ),
  );

  const d = view.defences;
  fill(
    "breakers",
    d.breakers.map((b) =>
      row(
        [
          b.asset === "global" ? "global" : link("asset", b.asset, b.symbol),
          el("span", { class: `lvl-${b.level}`, text: b.level }),
          b.actions.join(", ") || "—",
          b.reasons.join(", ") || "—",
          duration(b.resumesIn),
          `${fmt(b.outflowUsed)} / ${fmt(b.outflowLimit)}${Number.isFinite(num(b.outflowLimit)) && num(b.outflowLimit) > 0 ? ` (${pct(b.outflowUsed / b.outflowLimit, 0)})` : ""}`,
        ],
        { "data-asset": b.asset, "data-level": b.level },
      ),
    ),
  );
  $("queue").textContent = d.queue
    ? `Withdrawal queue: ${d.queue.claims} claims so far, ${fmt(d.queue.owed)} ${m.baseSymbol} owed now`
    : "No withdrawal queue.";
  fill(
    "oracles",
    d.oracles.map((o) =>
      row(
        [
          link("asset", o.asset, o.symbol),
          el("span", { class: `st-${o.status}`, text: o.status }),
          o.reason,
          `$${fmt(o.low, 4)} – $${fmt(o.high, 4)}`,
          o.primary === null ? "—" : `$${fmt(o.primary, 4)}`,
          o.primaryAge === null ? "—" : `${duration(o.primaryAge)} / ${duration(o.heartbeat)}`,
          o.secondary === null
            ? o.secondaryReason === "NONE" || o.secondaryReason === "NOT_CONFIGURED"
              ? "none"
              : o.secondaryReason
            : `$${fmt(o.secondary, 4)}`,
        ],
        { "data-asset": o.asset, "data-status": o.status },
      ),
    ),
  );
  $("sequencer").textContent =
    `Sequencer: ${d.sequencer.reason === "NONE" ? "up (or none on this chain)" : d.sequencer.reason}`;
  fill(
    "risk",
    d.risk.map((r) =>
      row([
        link("asset", r.asset, r.symbol),
        `${pct(r.ltv)} / ${pct(r.baseLtv)}`,
        `${pct(r.threshold)} / ${pct(r.baseThreshold)}`,
        r.ltvCap === null ? "—" : `${pct(r.ltvCap)}, ${pct(r.thresholdCap)}`,
        r.volatility === null ? "—" : pct(r.volatility, 0),
        r.reserveStatus ?? "—",
      ]),
    ),
  );
  const upkeep = d.upkeep
    ? `Upkeep ${short(d.upkeep.address)}: ${d.upkeep.lastPerformedBlock === null ? "not seen performing yet" : `last performed in block ${d.upkeep.lastPerformedBlock}`}.`
    : "No upkeep (SecurityOps) known for this deployment.";
  const timelock = d.timelock
    ? ` Timelock ${short(d.timelock.address)}: delay ${duration(d.timelock.minDelay)}.`
    : " No timelock known.";
  const keeper = d.keeper.lastAction
    ? ` Keeper: ${d.keeper.lastAction} (block ${d.keeper.lastBlock}).`
    : " Keeper: no action seen yet.";
  $("automation").textContent = upkeep + keeper + timelock;

  const acc = view.accounts;
  $("account-count").textContent = `${acc.count} with debt`;
  const max = Math.max(1, ...acc.distribution.map((b) => b.count));
  $("distribution").replaceChildren(
    ...acc.distribution.map((b, i) =>
      el(
        "div",
        {
          class: i === 0 ? "low" : i < 3 ? "mid" : "",
          style: `height:${Math.round((70 * b.count) / max)}px`,
          title: `health ${b.label}: ${b.count}`,
          "data-bucket": b.label,
        },
        el("em", { text: String(b.count) }),
        el("label", { text: b.label }),
      ),
    ),
  );
  fill(
    "closest",
    acc.closest.map((a) =>
      row(
        [
          link("account", a.account),
          fmt(a.health, 3),
          a.riskScore === null ? "—" : fmt(a.riskScore, 2),
          `${fmt(a.debt)} ${m.baseSymbol}`,
          `$${fmt(a.collateralValue)}`,
          a.priceStatus,
          [a.flagged ? "flagged" : "", a.provision > 0 ? `provision ${fmt(a.provision)}` : ""]
            .filter(Boolean)
            .join(", ") || "—",
        ],
        { "data-account": a.account },
      ),
    ),
  );
  fill(
    "watched",
    acc.watched.map((a) =>
      row([link("account", a.account), fmt(a.health, 3), fmt(a.debt), fmt(a.provision), a.flagged ? "yes" : "no"], {
        "data-account": a.account,
      }),
    ),
  );
  applyFilter();
}

// ------------------------------------------------------------------ charts

/** A y-axis label: compact for large numbers ("588k"), `digits` decimals for small ones (a share price). */
function axisLabel(v, digits) {
  if (Math.abs(v) >= 1000)
    return Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(v);
  return v.toLocaleString("en-US", { maximumFractionDigits: digits ?? 2 });
}

const CHARTS = [
  { id: "chart-share", title: "Lender share price", digits: 6, series: [["sharePrice", "share price", "#58a6ff"]] },
  { id: "chart-util", title: "Utilisation", digits: 3, series: [["utilisation", "utilisation", "#d29922"]] },
  {
    id: "chart-size",
    title: "Supply, borrows, bad debt",
    series: [
      ["totalAssets", "supply", "#3fb950"],
      ["totalBorrows", "borrows", "#d29922"],
      ["badDebt", "bad debt", "#f85149"],
    ],
  },
  {
    id: "chart-risk",
    title: "Accounts below 1 · breakers tripped",
    series: [
      ["unhealthy", "accounts < 1", "#f85149"],
      ["tripped", "breakers tripped", "#d29922"],
    ],
  },
];

function chartData(spec) {
  return [state.series.map((p) => p.timestamp), ...spec.series.map(([key]) => state.series.map((p) => num(p[key])))];
}

function drawCharts() {
  if (typeof uPlot === "undefined") return;
  for (const spec of CHARTS) {
    const data = chartData(spec);
    const existing = state.charts[spec.id];
    if (existing) {
      existing.setData(data);
      continue;
    }
    const host = $(spec.id);
    const width = Math.max(280, host.clientWidth || 320);
    state.charts[spec.id] = new uPlot(
      {
        title: spec.title,
        width,
        height: 170,
        scales: { x: { time: true } },
        legend: { live: false },
        axes: [
          { stroke: "#8b98a8", grid: { stroke: "#2a3440" } },
          {
            stroke: "#8b98a8",
            grid: { stroke: "#2a3440" },
            size: 64,
            values: (_u, ticks) => ticks.map((v) => axisLabel(v, spec.digits)),
          },
        ],
        series: [{}, ...spec.series.map(([, label, color]) => ({ label, stroke: color, width: 1.5 }))],
      },
      data,
      host,
    );
  }
}

// ------------------------------------------------------------------ alerts and timeline

function alertItem(a) {
  const li = el("li", {
    class: `sev-${a.severity}`,
    "data-rule": a.rule,
    "data-severity": a.severity,
    "data-key": a.key,
  });
  li.append(el("span", { class: "when", text: `${when(a.timestamp)} · block ${a.block} · ${a.rule}` }), a.message);
  for (const account of a.accounts) li.append(" ", link("account", account));
  for (const asset of a.assets) li.append(" ", link("asset", asset));
  return li;
}

/** Adds what is not there yet (by key): the history and the live stream overlap around a (re)connection. */
function addAlerts(alerts, redraw = true) {
  const known = new Set(state.alerts.map((a) => a.key));
  state.alerts.push(...alerts.filter((a) => !known.has(a.key)));
  state.alerts.sort((a, b) => a.raisedAt - b.raisedAt);
  if (state.alerts.length > MAX_ALERTS) state.alerts.splice(0, state.alerts.length - MAX_ALERTS);
  if (redraw) renderAlerts();
}

function renderAlerts() {
  $("alerts").replaceChildren(...state.alerts.slice().reverse().map(alertItem));
  $("alert-count").textContent = String(state.alerts.length);
}

function entryItem(e) {
  const li = el("li", {
    "data-name": e.name,
    "data-source": e.source,
    "data-id": e.id,
    "data-accounts": e.accounts.join(" "),
    "data-assets": e.assets.join(" "),
  });
  li.append(el("span", { class: "when", text: `${when(e.timestamp)} · block ${e.block}` }), e.summary);
  if (e.eta !== undefined) li.append(el("span", { class: "when", text: ` · ETA ${when(e.eta)}` }));
  for (const account of e.accounts) li.append(" ", link("account", account));
  for (const asset of e.assets) li.append(" ", link("asset", asset));
  return li;
}

function addEntries(entries, redraw = true) {
  const known = new Set(state.entries.map((e) => e.id));
  state.entries.push(...entries.filter((e) => !known.has(e.id)));
  state.entries.sort((a, b) => a.block - b.block || a.logIndex - b.logIndex);
  if (state.entries.length > MAX_TIMELINE) state.entries.splice(0, state.entries.length - MAX_TIMELINE);
  if (redraw) renderTimeline();
}

function renderTimeline() {
  $("timeline").replaceChildren(...state.entries.slice().reverse().map(entryItem));
  applyFilter();
}

// ------------------------------------------------------------------ links: filter by account or asset

function applyFilter() {
  const match = /^#(account|asset)=(0x[0-9a-fA-F]{40})$/.exec(location.hash);
  state.filter = match ? { kind: match[1], address: match[2] } : null;
  const badge = $("filter");
  badge.hidden = state.filter === null;
  if (state.filter)
    badge.textContent = `· only ${state.filter.kind} ${state.filter.kind === "asset" ? symbolOf(state.filter.address) : short(state.filter.address)} (clear)`;
  for (const li of $("timeline").children) {
    const touched =
      state.filter === null || (li.dataset[`${state.filter.kind}s`] ?? "").split(" ").includes(state.filter.address);
    li.hidden = !touched;
  }
  for (const tr of document.querySelectorAll("tr[data-account], tr[data-asset]")) {
    const value = state.filter?.kind === "account" ? tr.dataset.account : tr.dataset.asset;
    tr.classList.toggle("hl", state.filter !== null && value === state.filter.address);
  }
}
window.addEventListener("hashchange", applyFilter);
$("filter").addEventListener("click", () => {
  history.replaceState(null, "", location.pathname);
  applyFilter();
});

// ------------------------------------------------------------------ start

function applyState(s) {
  renderStatus(s.status);
  renderProblems([...s.problems, ...s.idleRules.map((r) => `rule ${r.rule} is idle: ${r.why}`)]);
  state.problems = s.problems;
  state.idleRules = s.idleRules;
  renderDemo(s.demo);
  if (s.view) renderView(s.view);
}

/** Loads the stored history and merges it with what the page has (called at each (re)connection of the stream). */
async function loadHistory() {
  const history = await fetch("/api/history?hours=72").then((r) => r.json());
  const known = new Set(state.series.map((p) => p.block));
  state.series = [...state.series, ...history.series.filter((p) => !known.has(p.block))].sort(
    (a, b) => a.block - b.block,
  );
  if (state.series.length > MAX_SERIES) state.series.splice(0, state.series.length - MAX_SERIES);
  addEntries(history.entries, false);
  addAlerts(history.alerts, false);
  renderTimeline();
  renderAlerts();
  drawCharts();
}

function start() {
  // The stream first, then the history on its first message (and again after each reconnection): nothing said
  // between the two is lost, and what both carry is shown once.
  const events = new EventSource("/api/events");
  const on = (name, handler) => events.addEventListener(name, (event) => handler(JSON.parse(event.data)));
  on("state", (s) => {
    applyState(s);
    loadHistory().catch((error) =>
      renderStatus({ state: "error", message: `the page could not load the history: ${error}` }),
    );
  });
  on("status", renderStatus);
  on("problems", (problems) => {
    state.problems = problems;
    renderProblems([...problems, ...(state.idleRules ?? []).map((r) => `rule ${r.rule} is idle: ${r.why}`)]);
  });
  on("idle", (idle) => {
    state.idleRules = idle;
    renderProblems([...(state.problems ?? []), ...idle.map((r) => `rule ${r.rule} is idle: ${r.why}`)]);
  });
  on("demo", renderDemo);
  on("view", ({ view, point }) => {
    renderView(view);
    const last = state.series.at(-1);
    if (!last || last.block < point.block) state.series.push(point);
    if (state.series.length > MAX_SERIES) state.series.splice(0, state.series.length - MAX_SERIES);
    drawCharts();
  });
  on("entries", (entries) => addEntries(entries));
  // A reorg: what the page shows after the block the console went back to is gone from the chain.
  on("rewound", ({ block }) => {
    state.entries = state.entries.filter((e) => e.block <= block);
    state.series = state.series.filter((p) => p.block <= block);
    renderTimeline();
    drawCharts();
  });
  on("alerts", (alerts) => addAlerts(alerts));
  events.onerror = () =>
    renderStatus({
      state: "reconnecting",
      message: "lost the console's event stream; the browser reconnects on its own",
    });
}

start();
