/**
 * The crash simulation's HTML report (scripts/lib/sim/html.ts), a pure function over a report: one column per run,
 * two runs side by side on the same y-scale, three (static, adaptive, morpho) in report order, a morpho run without
 * breaker figures or lines, gaps for FAILED oracle prices, escaped text, no external resource, a small file for a long
 * run (down-sampling), and "no steps" for an empty series. No chain: synthetic reports only.
 */
import { expect } from "chai";

import { renderReportHtml } from "../../scripts/lib/sim/html.js";
import type { BreakerTrip, ParamsMode, RunReport, SimulationReport, StepRecord } from "../../scripts/lib/sim/types.js";

const START = Date.UTC(2020, 2, 12) / 1000;

interface RunOptions {
  /** Steps of the series. */
  steps?: number;
  /** Multiplies the WETH path price (a second run on another scale). */
  priceScale?: number;
  /** Step indexes at which the WETH oracle reports FAILED (null). */
  oracleGaps?: number[];
  breakerEvents?: BreakerTrip[];
  /** A step at which WETH crashes to $10 for that step only. */
  crashAt?: number;
}

/** A step `i` of a crash: WETH falls from $200 to about $100 over the run, the breaker trips halfway. */
function step(i: number, n: number, options: RunOptions): StepRecord {
  const scale = options.priceScale ?? 1;
  const weth = i === options.crashAt ? 10 : (200 - (100 * i) / Math.max(1, n - 1) + 5 * Math.sin(i)) * scale;
  const gap = options.oracleGaps?.includes(i) ?? false;
  return {
    timestamp: START + i * 60,
    price: { WETH: weth, USDC: 1 },
    oraclePrice: { WETH: gap ? null : weth * 0.99, USDC: 1 },
    poolPrice: { WETH: weth * 1.01 },
    aggregateHealth: i === 0 ? null : 3 - i / n,
    minHealth: i === 0 ? null : 1.5 - i / n,
    liquidatable: i % 7 === 0 ? 1 : 0,
    liquidations: i % 7 === 0 ? 2 : 0,
    liquidatedDebtUsd: i % 7 === 0 ? 1500 : 0,
    badDebtUsd: i > n / 2 ? 1234.5 : 0,
    totalDebtUsd: 1_000_000 - i * 10,
    breakerLevel: { global: i > n / 2 ? 2 : 0, WETH: i > n / 3 ? 1 : 0 },
    borrowLtv: { WETH: 0.75 - (i > n / 2 ? 0.1 : 0) },
    liquidationThreshold: { WETH: 0.8 },
  };
}

/** A run of `params` with a synthetic series. */
function run(params: ParamsMode, options: RunOptions = {}): RunReport {
  const n = options.steps ?? 50;
  return {
    params,
    badDebt: { baseUnits: "1234500000", usd: 1234.5, pctOfInitialBorrows: 0.12345 },
    liquidations: 1234,
    liquidatedDebt: { baseUnits: "9876543210000", usd: 9_876_543.21 },
    failedKeeperTxs: 3,
    failedArbitrageTxs: 0,
    keeperRejections: { "over-block-cap": 2, Unprofitable: 5 },
    openShortfallUsd: 42.5,
    breakerTrips: 2,
    timeInBreakerSeconds: 3 * 3600 + 5 * 60,
    lenderLossPct: 1.5,
    minHealthFactor: 0.42,
    borrowersAtStart: 100,
    borrowersAtEnd: 80,
    initialBorrows: { baseUnits: "1000000000000", usd: 1_000_000 },
    reserves: { baseUnits: "0", usd: 0 },
    steps: n,
    blocks: n * 2,
    wallSeconds: 12.5,
    setupSeconds: 3,
    stepsPerSecond: n / 12.5,
    breakerEvents: options.breakerEvents ?? [
      { timestamp: START + 1800, entry: "global", reasons: ["PRICE_DROP"], level: "NO_BORROW" },
    ],
    series: Array.from({ length: n }, (_, i) => step(i, n, options)),
  };
}

/** A morpho run: no breaker (no levels, trips or time in breaker), both risk parameters at the LLTV. */
function morphoRun(options: RunOptions = {}): RunReport {
  const base = run("morpho", { ...options, breakerEvents: [] });
  return {
    ...base,
    breakerTrips: 0,
    timeInBreakerSeconds: 0,
    series: base.series.map((s) => ({
      ...s,
      breakerLevel: {},
      borrowLtv: { WETH: 0.86 },
      liquidationThreshold: { WETH: 0.86 },
    })),
  };
}

/** A report of the given runs (the primary one, adaptive when present, at the top level). */
function report(runs: Partial<Record<ParamsMode, RunReport>>, description = "Black Thursday replay"): SimulationReport {
  const primary = runs.adaptive ?? runs.static ?? runs.morpho;
  if (primary === undefined) throw new Error("no run");
  return {
    ...primary,
    meta: {
      scenario: "black-thursday",
      description,
      prices: { WETH: "data/prices/eth-2020-03-12.csv" },
      assets: [
        { symbol: "USDC", role: "base", startPriceUsd: 1, hasPath: false },
        { symbol: "WETH", role: "collateral", startPriceUsd: 200, hasPath: true },
      ],
      accounts: 100,
      seed: "seed-1",
      keeperDelayBlocks: 2,
      keeperOutages: [{ from: 10, to: 20 }],
      chain: "in-process",
      pathStart: START,
      pathEnd: START + 49 * 60,
    },
    runs,
  };
}

/** The `<svg>` element named `chart` (`data-chart`), or undefined. */
function svg(html: string, chart: string): string | undefined {
  const start = html.indexOf(`data-chart="${chart}"`);
  if (start < 0) return undefined;
  return html.slice(html.lastIndexOf("<svg", start), html.indexOf("</svg>", start) + "</svg>".length);
}

/** The y-axis tick labels of an SVG chart. */
function yTicks(chart: string): string[] {
  return [...chart.matchAll(/<text class="ytick"[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
}

/** The `data-run` columns of each chart row (`data-row`), in page order. */
function runColumns(html: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const section of html.match(/<section class="row"[\s\S]*?<\/section>/g) ?? []) {
    const id = /data-row="([^"]*)"/.exec(section)![1];
    rows.set(
      id,
      [...section.matchAll(/<div class="col" data-run="([^"]*)"/g)].map((match) => match[1]),
    );
  }
  return rows;
}

/** The cells of the summary row labelled `label`. */
function summaryRow(html: string, label: string): string[] {
  const match = new RegExp(`<tr><th>${label}</th>((?:<td[^>]*>[^<]*</td>)+)</tr>`).exec(html);
  expect(match, `summary row ${label}`).to.not.equal(null);
  return [...match![1].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((cell) => cell[1]);
}

/** The `data-run` column of `run` in the chart row `row`. */
function column(html: string, row: string, run: string): string {
  const section = html.slice(html.indexOf(`data-row="${row}"`));
  const start = section.indexOf(`data-run="${run}"`);
  expect(start, `${row}:${run}`).to.be.at.least(0);
  const end = section.indexOf(`<div class="col"`, start + 1);
  return section.slice(start, end < 0 ? section.indexOf("</section>") : end);
}

/** The `d` of the path labelled `label` in an SVG chart. */
function pathOf(chart: string, label: string): string {
  const match = new RegExp(`<path data-label="${label}" d="([^"]*)"`).exec(chart);
  expect(match, `path ${label}`).to.not.equal(null);
  return match![1];
}

describe("Simulation HTML report", function () {
  it("renders a single run in one column with its charts, meta and summary", function () {
    const html = renderReportHtml(report({ static: run("static") }));

    expect(html.startsWith("<!DOCTYPE html>")).to.equal(true);
    expect(html).to.contain("black-thursday");
    expect(html).to.contain("Black Thursday replay");
    expect(html).to.contain("data/prices/eth-2020-03-12.csv");
    expect(html).to.contain("2020-03-12 00:00 UTC");
    expect(html).to.contain("$9,876,543.21"); // liquidated debt, thousands separators
    expect(html).to.contain("3:05"); // time in breaker, h:mm
    expect(html).to.contain("1.50%"); // lender loss, 2 decimals
    expect(html).to.contain("NO_BORROW"); // breaker level names and the trip table
    expect(html).to.contain("PRICE_DROP");
    expect(html).to.contain("Unprofitable: 5, over-block-cap: 2"); // keeper rejections, most frequent first

    expect(html).to.contain(`class="cols cols-1"`);
    expect(html).to.not.contain(`class="cols cols-2"`);
    expect(html).to.not.contain('data-run="adaptive"');
    for (const chart of [
      "price-WETH:static",
      "price-USDC:static",
      "health:static",
      "liquidations:static",
      "liquidated-debt:static",
      "debt:static",
      "breaker:static",
      "risk-WETH:static",
    ]) {
      const element = svg(html, chart);
      expect(element, chart).to.not.equal(undefined);
      expect(element!).to.match(/<path data-label="[^"]+" d="M[\d.]+,[\d.]+/);
    }
    // The price chart draws path, oracle and pool lines; USDC has no pool.
    const weth = svg(html, "price-WETH:static")!;
    for (const label of ["path", "oracle", "pool"]) expect(pathOf(weth, label)).to.match(/^M[\d.]+,[\d.]+L/);
    expect(svg(html, "price-USDC:static")!).to.not.contain('data-label="pool"');
    // Health: a dashed reference at 1.0.
    expect(svg(html, "health:static")!).to.contain('class="ref"');
  });

  it("puts two runs side by side, static left, on the same y-scale", function () {
    const html = renderReportHtml(report({ adaptive: run("adaptive", { priceScale: 3 }), static: run("static") }));

    expect(html).to.contain(`class="cols cols-2"`);
    const staticAt = html.indexOf('data-run="static"');
    const adaptiveAt = html.indexOf('data-run="adaptive"');
    expect(staticAt).to.be.greaterThan(0);
    expect(adaptiveAt).to.be.greaterThan(staticAt);
    // Summary: one column per run, static first.
    expect(html).to.match(/<thead><tr><th><\/th><th>static<\/th><th>adaptive<\/th><\/tr><\/thead>/);

    const left = yTicks(svg(html, "price-WETH:static")!);
    const right = yTicks(svg(html, "price-WETH:adaptive")!);
    expect(left.length).to.be.greaterThan(2);
    expect(left).to.deep.equal(right);
    // The shared scale spans both runs: static's lows (~$95) and adaptive's highs (~$615).
    const values = left.map((label) => Number(label.replace(/[$,]/g, "")));
    expect(Math.min(...values)).to.be.at.most(95);
    expect(Math.max(...values)).to.be.at.least(615);
    expect(yTicks(svg(html, "debt:static")!)).to.deep.equal(yTicks(svg(html, "debt:adaptive")!));
  });

  it("puts three runs side by side in report order: static, adaptive, morpho", function () {
    // Inserted out of order: the page orders them.
    const html = renderReportHtml(
      report({
        morpho: morphoRun({ priceScale: 0.5 }),
        adaptive: run("adaptive", { priceScale: 3 }),
        static: run("static"),
      }),
    );

    expect(html).to.contain(".cols-3{grid-template-columns:repeat(3,minmax(0,1fr))}");
    expect(html).to.not.contain(`class="cols cols-2"`);
    const rows = runColumns(html);
    expect([...rows.keys()]).to.include.members(["price-WETH", "health", "breaker", "risk-WETH", "debt"]);
    expect(rows.size).to.equal(html.match(/class="cols cols-3"/g)!.length);
    for (const [row, runs] of rows) expect(runs, row).to.deep.equal(["static", "adaptive", "morpho"]);
    expect(html).to.match(/<thead><tr><th><\/th><th>static<\/th><th>adaptive<\/th><th>morpho<\/th><\/tr><\/thead>/);

    // One y-scale over the three runs: static's lows (~$95) and adaptive's highs (~$615).
    const ticks = yTicks(svg(html, "price-WETH:morpho")!);
    expect(ticks).to.deep.equal(yTicks(svg(html, "price-WETH:static")!));
    expect(ticks).to.deep.equal(yTicks(svg(html, "price-WETH:adaptive")!));

    // Morpho has no breaker: "—" in its breaker cells, no line in its breaker chart, a note instead of the trips.
    expect(summaryRow(html, "Breaker trips")).to.deep.equal(["2", "2", "—"]);
    expect(summaryRow(html, "Time in breaker \\(h:mm\\)")).to.deep.equal(["3:05", "3:05", "—"]);
    expect(summaryRow(html, "Liquidations")).to.deep.equal(["1,234", "1,234", "1,234"]);
    const breaker = svg(html, "breaker:morpho")!;
    expect(breaker).to.not.contain("<path");
    expect(breaker).to.contain("NO_LIQUIDATION"); // the level axis is still drawn
    expect(svg(html, "breaker:static")!).to.match(/<path data-label="global" d="M[\d.]+,[\d.]+/);
    expect(column(html, "breaker", "morpho")).to.contain("Morpho Blue has no circuit breaker.");
    expect(column(html, "breaker", "morpho")).to.not.contain("No breaker trips.");
    expect(column(html, "breaker", "static")).to.not.contain("Morpho Blue");
    expect(column(html, "breaker", "static")).to.contain("PRICE_DROP");
    expect(html.match(/Morpho Blue has no circuit breaker\./g)).to.have.length(1);
    expect(html).to.not.contain("NaN");

    // Its risk chart draws the LLTV as both lines.
    const risk = svg(html, "risk-WETH:morpho")!;
    expect(pathOf(risk, "borrow LTV")).to.equal(pathOf(risk, "liquidation threshold"));
  });

  it("renders a morpho run alone in one column, without breaker lines", function () {
    const html = renderReportHtml(report({ morpho: morphoRun() }));

    expect(html).to.contain(`class="cols cols-1"`);
    expect(html).to.not.contain('data-run="static"');
    expect(html).to.not.contain('data-run="adaptive"');
    for (const [row, runs] of runColumns(html)) expect(runs, row).to.deep.equal(["morpho"]);
    expect(html).to.match(/<thead><tr><th><\/th><th>morpho<\/th><\/tr><\/thead>/);
    expect(summaryRow(html, "Breaker trips")).to.deep.equal(["—"]);
    expect(summaryRow(html, "Time in breaker \\(h:mm\\)")).to.deep.equal(["—"]);
    for (const chart of ["price-WETH:morpho", "health:morpho", "debt:morpho", "risk-WETH:morpho"]) {
      expect(svg(html, chart)!, chart).to.match(/<path data-label="[^"]+" d="M[\d.]+,[\d.]+/);
    }
    const breaker = svg(html, "breaker:morpho")!;
    expect(breaker).to.not.contain("<path");
    expect(breaker).to.not.contain("NaN");
    expect(html).to.contain("Morpho Blue has no circuit breaker.");
    expect(html).to.not.contain("No breaker trips.");
    expect(html).to.not.contain("NaN");
  });

  it("leaves a gap, not a zero, where the oracle reported FAILED", function () {
    const html = renderReportHtml(report({ static: run("static", { oracleGaps: [20, 21, 22] }) }));
    const chart = svg(html, "price-WETH:static")!;
    const oracle = pathOf(chart, "oracle");
    expect(oracle.match(/M/g)).to.have.length(2);
    expect(oracle).to.match(/^M[^M]+M[\d.]+,[\d.]+L/);
    // The path line has no gap.
    expect(pathOf(chart, "path").match(/M/g)).to.have.length(1);
    // No point of the oracle line sits at the bottom of the plot (where a zero would be drawn or clamped).
    const bottom = 230 - 36;
    const ys = [...oracle.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((match) => Number(match[1]));
    expect(ys).to.have.length(47);
    expect(Math.max(...ys)).to.be.lessThan(bottom);
  });

  it("lists at most 50 breaker trips per run, then how many more", function () {
    const trips = Array.from({ length: 57 }, (_, i) => ({
      timestamp: START + i * 60,
      entry: i === 56 ? "LASTENTRY" : "WETH",
      reasons: ["PRICE_DROP"],
      level: "TIGHTEN",
    }));
    const html = renderReportHtml(report({ static: run("static", { breakerEvents: trips }) }));
    expect(html.match(/<tr><td>2020-03-12/g)).to.have.length(50);
    expect(html).to.contain("and 7 more");
    expect(html).to.not.contain("LASTENTRY");
  });

  it("escapes every text from the report", function () {
    const hostile = run("static", {
      breakerEvents: [{ timestamp: START, entry: "<b>global</b>", reasons: ["<i>X</i>"], level: "NO_BORROW" }],
    });
    const r = report({ static: hostile }, `<script>alert("x")</script> & more`);
    r.meta.scenario = "<img onerror=1>";
    r.meta.prices.WETH = `"><script>1</script>.csv`;
    const html = renderReportHtml(r);

    expect(html).to.not.contain("<script");
    expect(html).to.not.contain("<img");
    expect(html).to.not.contain("<b>global");
    expect(html).to.not.contain("<i>X");
    expect(html).to.contain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more");
    expect(html).to.contain("&lt;img onerror=1&gt;");
    expect(html).to.contain("&lt;b&gt;global&lt;/b&gt;");
  });

  it("references no external resource", function () {
    const html = renderReportHtml(report({ static: run("static"), adaptive: run("adaptive") }));
    expect(html).to.not.match(/\b(src|href)\s*=/i);
    expect(html).to.not.match(/url\(/i);
    expect(html).to.not.match(/@import/i);
    // The only URL is the SVG namespace.
    const urls = new Set(html.match(/https?:\/\/[^"'\s>]+/g));
    expect([...urls]).to.deep.equal(["http://www.w3.org/2000/svg"]);
  });

  it("keeps a 10,000-step two-run report under 1.5 MB, crash lows included", function () {
    const steps = 10_000;
    const html = renderReportHtml(
      report({
        static: run("static", { steps, crashAt: 5003 }),
        adaptive: run("adaptive", { steps, priceScale: 1.1 }),
      }),
    );
    expect(Buffer.byteLength(html)).to.be.lessThan(1_500_000);
    const chart = svg(html, "price-WETH:static")!;
    const path = pathOf(chart, "path");
    const points = path.match(/[ML]/g)!.length;
    expect(points).to.be.at.most(1000);
    expect(points).to.be.greaterThan(100);
    // The one-step crash to $10 survives down-sampling: the axis starts at $0 and the line reaches its lowest tenth.
    expect(yTicks(chart)[0]).to.equal("$0");
    const ys = [...path.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((match) => Number(match[1]));
    const [top, bottom] = [26, 230 - 36];
    expect(Math.max(...ys)).to.be.greaterThan(bottom - (bottom - top) / 10);
    // The adaptive run, without the crash, shares that axis.
    expect(yTicks(svg(html, "price-WETH:adaptive")!)[0]).to.equal("$0");
    // Many steps per bar: the title says so.
    expect(html).to.contain("Liquidations per 20 steps");
  });

  it("renders 'no steps' for an empty series", function () {
    const empty = run("static", { steps: 0, breakerEvents: [] });
    const html = renderReportHtml(report({ static: empty }));
    expect(html).to.contain("no steps");
    expect(html).to.not.contain("<svg");

    // One run empty, the other not: the empty one says so, the other draws.
    const mixed = renderReportHtml(report({ static: empty, adaptive: run("adaptive") }));
    expect(mixed).to.contain("no steps");
    expect(svg(mixed, "price-WETH:adaptive")).to.not.equal(undefined);
    expect(svg(mixed, "price-WETH:static")).to.equal(undefined);
  });
});
