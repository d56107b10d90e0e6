/**
 * The crash simulation's HTML report (scripts/lib/sim/html.ts) and its charts as data (chartSpecs.ts), pure functions
 * over a report: runs overlaid on one chart per measure in report order, a health distribution per run, prices with
 * path, oracle and pool drawn apart, gaps for FAILED oracle prices, breaker timelines, the liquidations table, a
 * morpho run without breaker figures, escaped text, no external resource, a bounded file for a long run, and "no
 * steps" for an empty series. No chain, no browser (ReportBrowser.test.ts draws the page in Chromium).
 */
import { expect } from "chai";

import { MAX_POINTS, chartSpecs, type ChartSpec } from "../../scripts/lib/sim/chartSpecs.js";
import { MAX_LIQUIDATION_ROWS, renderReportHtml } from "../../scripts/lib/sim/html.js";
import { near } from "./helpers/approx.js";
import { runReport } from "./helpers/simRun.js";
import type {
  BreakerTrip,
  LiquidationRecord,
  ParamsMode,
  RunReport,
  SimulationReport,
  StepRecord,
} from "../../scripts/lib/sim/types.js";

const START = Date.UTC(2020, 2, 12) / 1000;

interface RunOptions {
  /** Steps of the series. */
  steps?: number;
  /** Multiplies the WETH path price (a second run on another scale). */
  priceScale?: number;
  /** Step indexes at which the WETH oracle reports FAILED (null). */
  oracleGaps?: number[];
  breakerEvents?: BreakerTrip[];
  liquidationEvents?: LiquidationRecord[];
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
    healthBands: i === 0 ? null : [1.5, 1.8, 2, 2.4, 3].map((h) => h - i / n),
    belowOne: i > n / 2 ? 3 : 0,
    lenderLossPct: i > n / 2 ? 1.5 : 0,
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
  // The shared made-up run (helpers/simRun.ts), with figures large and odd enough to check the page's formatting.
  return runReport({
    params,
    badDebt: { baseUnits: "1234500000", usd: 1234.5, pctOfInitialBorrows: 0.12345 },
    liquidations: 1234,
    liquidatedDebt: { baseUnits: "9876543210000", usd: 9_876_543.21 },
    failedKeeperTxs: 3,
    keeperRejections: { "over-block-cap": 2, Unprofitable: 5 },
    openShortfallUsd: 42.5,
    breakerTrips: 2,
    timeInBreakerSeconds: 3 * 3600 + 5 * 60,
    lenderLossPct: 1.5,
    minHealthFactor: 0.42,
    borrowersAtStart: 100,
    borrowersAtEnd: 80,
    initialBorrows: { baseUnits: "1000000000000", usd: 1_000_000 },
    steps: n,
    blocks: n * 2,
    wallSeconds: 12.5,
    setupSeconds: 3,
    stepsPerSecond: n / 12.5,
    breakerEvents: options.breakerEvents ?? [
      { timestamp: START + 1800, entry: "global", reasons: ["PRICE_DROP"], level: "NO_BORROW" },
    ],
    liquidationEvents: options.liquidationEvents ?? [
      liquidation(START + 600, "0x00000000000000000000000000000000000000a1"),
    ],
    series: Array.from({ length: n }, (_, i) => step(i, n, options)),
  });
}

/** A liquidation of `account` at `timestamp`. */
function liquidation(timestamp: number, account: string): LiquidationRecord {
  return {
    timestamp,
    account,
    collateral: "WETH",
    repaidUsd: 1500,
    seized: 7.5,
    priceUsd: 190,
    bonusPct: 5,
    badDebtUsd: 0,
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

/** The chart specs the page embeds (what its script draws). */
function embedded(html: string): ChartSpec[] {
  const match = /<script id="chart-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  expect(match, "chart data").to.not.equal(null);
  return JSON.parse(match![1]) as ChartSpec[];
}

const byId = (specs: ChartSpec[], id: string): ChartSpec => {
  const spec = specs.find((s) => s.id === id);
  expect(spec, id).to.not.equal(undefined);
  return spec!;
};

/** The cells of the summary row labelled `label`. */
function summaryRow(html: string, label: string): string[] {
  const match = new RegExp(`<tr><th>${label}</th>((?:<td[^>]*>[^<]*</td>)+)</tr>`).exec(html);
  expect(match, `summary row ${label}`).to.not.equal(null);
  return [...match![1].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((cell) => cell[1]);
}

describe("Simulation HTML report", function () {
  it("renders one run: inputs, summary, a chart per measure (the fixed-price base has none), its placeholders drawn from the embedded data", function () {
    const html = renderReportHtml(report({ static: run("static") }));
    expect(html).to.contain("<h1>Crash simulation: black-thursday</h1>").and.contain("Black Thursday replay");
    expect(summaryRow(html, "Bad debt")).to.deep.equal(["$1,234.50 (0.12% of initial borrows)"]);
    const specs = embedded(html);
    expect(specs).to.deep.equal(chartSpecs(report({ static: run("static") })));
    expect(specs.map((s) => s.id)).to.deep.equal([
      "price-WETH",
      "health-bands-static",
      "below-one",
      "aggregate-health",
      "min-health",
      "bad-debt",
      "lender-loss",
      "liquidated",
      "total-debt",
      "risk-WETH",
    ]);
    for (const spec of specs) expect(html, spec.id).to.contain(`<div class="chart" id="${spec.id}"></div>`);
  });

  it("overlays the runs on one chart per measure, in report order, each in its colour, bad debt and lender loss on their own axes", function () {
    const specs = chartSpecs(report({ morpho: morphoRun(), adaptive: run("adaptive"), static: run("static") }));
    for (const id of ["bad-debt", "lender-loss", "below-one", "min-health", "total-debt", "liquidated"]) {
      const spec = byId(specs, id);
      expect(
        spec.series.map((s) => s.label),
        id,
      ).to.deep.equal(["static", "adaptive", "morpho"]);
      expect(new Set(spec.series.map((s) => s.colour)).size, id).to.equal(3);
    }
    expect(byId(specs, "bad-debt").unit).to.equal("usd");
    expect(byId(specs, "bad-debt").series[0].values.at(-1)).to.equal(1234.5);
    expect(byId(specs, "lender-loss").unit).to.equal("pct");
    expect(byId(specs, "total-debt").unit).to.equal("usd");
    // The cumulative liquidated debt sums every step: 8 steps of $1,500 in 50.
    expect(byId(specs, "liquidated").series[0].values.at(-1)).to.equal(8 * 1500);
    expect(specs.filter((s) => s.id.startsWith("health-bands-")).map((s) => s.id)).to.deep.equal([
      "health-bands-static",
      "health-bands-adaptive",
      "health-bands-morpho",
    ]);
  });

  it("draws the health distribution as 5–95 and 25–75 bands around the median, with the lowest account and health 1", function () {
    const spec = byId(chartSpecs(report({ static: run("static") })), "health-bands-static");
    expect(spec.series.map((s) => s.label)).to.deep.equal([
      "5th percentile",
      "25th",
      "median",
      "75th",
      "95th",
      "lowest",
      "health 1",
    ]);
    expect(spec.bands).to.deep.equal([
      { series: [5, 1], fill: "#1f77b422" },
      { series: [4, 2], fill: "#1f77b444" },
    ]);
    near(spec.series[2].values[10], 2 - 10 / 50, 1e-12);
    expect(spec.series[6].values.every((v) => v === 1)).to.equal(true);
    expect(spec.series[0].values[0]).to.equal(null); // no debt at the first step
  });

  it("tells the price path, the oracle and the pool apart, and leaves a gap, not a zero, where the oracle reported FAILED", function () {
    const spec = byId(chartSpecs(report({ static: run("static", { oracleGaps: [5, 6] }) })), "price-WETH");
    const [path, oracle, pool] = spec.series;
    expect([path.label, oracle.label, pool.label]).to.deep.equal([
      "path",
      "oracle (the vault's price)",
      "Uniswap v3 pool",
    ]);
    expect(path.width).to.equal(4);
    expect(oracle.dash).to.deep.equal([8, 4]);
    expect(oracle.step).to.equal(true);
    expect(pool.points).to.equal(true);
    expect(oracle.values[5]).to.equal(null);
    expect(oracle.values[6]).to.equal(null);
    expect(oracle.values[7]).to.be.a("number");
  });

  it("draws each Bulwark run's breaker entries as a timeline of levels, and a note for a morpho run", function () {
    const html = renderReportHtml(report({ static: run("static"), morpho: morphoRun() }));
    const timeline = /<div class="timeline" data-run="static">([\s\S]*?)<\/div><\/div>(?=<h|<\/)/.exec(html);
    expect(timeline, "static timeline").to.not.equal(null);
    const lanes = [
      ...html.matchAll(
        /<div class="lane"><span class="entry">([^<]*)<\/span><span class="bar">([\s\S]*?)<\/span><\/div>/g,
      ),
    ];
    expect(lanes.map((lane) => lane[1])).to.deep.equal(["global", "WETH"]);
    for (const lane of lanes) {
      const widths = [...lane[2].matchAll(/width:([\d.]+)%/g)].map((m) => Number(m[1]));
      near(
        widths.reduce((a, b) => a + b, 0),
        100,
        0.01,
      );
      expect(lane[2], lane[1])
        .to.match(/data-level="0"/)
        .and.match(/data-level="[12]"/);
    }
    expect(html).to.contain('title="global: NO_BORROW (borrowing paused) from');
    expect(html).to.not.contain('data-run="morpho"><div class="lane"');
    expect(html).to.contain('<h3>morpho</h3><p class="note">Morpho Blue has no circuit breaker.</p>');
    expect(summaryRow(html, "Breaker trips")).to.deep.equal(["2", "—"]);
  });

  it("lists each run's liquidations, at most 500, then how many more", function () {
    const many = Array.from({ length: MAX_LIQUIDATION_ROWS + 7 }, (_, i) =>
      liquidation(START + i, `0x${(i + 1).toString(16).padStart(40, "0")}`),
    );
    const html = renderReportHtml(
      report({ static: run("static", { liquidationEvents: many }), adaptive: run("adaptive") }),
    );
    const table = (name: string): string =>
      new RegExp(`<table class="liquidations" data-run="${name}">([\\s\\S]*?)</table>`).exec(html)![1];
    expect([...table("static").matchAll(/<tr><td>/g)]).to.have.length(MAX_LIQUIDATION_ROWS);
    expect(html).to.contain("and 7 more (all in report.json)");
    expect(table("adaptive")).to.contain(
      '<td title="0x00000000000000000000000000000000000000a1">0x0000…00a1</td><td>WETH</td><td class="num">$1,500.00</td>' +
        '<td class="num">7.500000</td><td class="num">$190.00</td><td class="num">5.00%</td><td class="num">$0.00</td>',
    );
  });

  it("lists at most 50 breaker trips per run, then how many more", function () {
    const trips = Array.from({ length: 53 }, (_, i) => ({
      timestamp: START + i * 60,
      entry: "WETH",
      reasons: ["PRICE_FALL"],
      level: "TIGHTEN",
    }));
    const html = renderReportHtml(report({ static: run("static", { breakerEvents: trips }) }));
    expect([...html.matchAll(/<td>TIGHTEN<\/td>/g)]).to.have.length(50);
    expect(html).to.contain("and 3 more");
  });

  it("escapes every text from the report, the embedded chart data included", function () {
    // A symbol reaches the chart data (id, title) and the markup (the chart's id): make it hostile.
    const evil = "W</script><b>";
    const base = run("static");
    const hostile: RunReport = {
      ...base,
      series: base.series.map((s) => ({ ...s, price: { [evil]: s.price.WETH }, oraclePrice: { [evil]: 1 } })),
    };
    const r = report({ static: hostile }, '<script>alert("x")</script> & </script>');
    r.meta.assets.push({ symbol: evil, role: "collateral", startPriceUsd: 1, hasPath: true });
    const html = renderReportHtml(r);
    expect(html).to.contain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;");
    const data = /<script id="chart-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(data).to.contain("\\u003c/script>\\u003cb>"); // the symbol is in the data, its "<" escaped
    expect(data).to.not.contain("<");
    expect(html).to.contain('<div class="chart" id="price-W&lt;/script&gt;&lt;b&gt;"></div>');
    expect(JSON.parse(data)[0].title).to.equal(`Price: ${evil} (static run)`);
    expect(html.match(/<script/g)).to.have.length(3); // the data, uPlot, the drawing
  });

  it("references no external resource: uPlot and its stylesheet are inlined", function () {
    const html = renderReportHtml(report({ static: run("static") }));
    expect(html).to.not.match(/<(script|img|link)[^>]+(src|href)=/i);
    expect(html).to.not.match(/url\(\s*["']?https?:/i);
    expect(html).to.contain(".uplot").and.contain("uPlot");
  });

  it("keeps a 10,000-step three-run report under 2.5 MB, down-sampled with the crash low kept", function () {
    const n = 10_000;
    const crashAt = 7_777;
    const long = report({
      static: run("static", { steps: n, crashAt }),
      adaptive: run("adaptive", { steps: n, crashAt }),
      morpho: morphoRun({ steps: n, crashAt }),
    });
    const html = renderReportHtml(long);
    expect(html.length).to.be.below(2_500_000);
    const price = byId(embedded(html), "price-WETH");
    expect(price.x.length)
      .to.be.at.most(MAX_POINTS + 3)
      .and.be.greaterThan(MAX_POINTS / 2);
    expect(price.x).to.include(START + crashAt * 60);
    expect(Math.min(...price.series[0].values.filter((v): v is number => v !== null))).to.equal(10);
  });

  it("renders 'no steps' for an empty series", function () {
    const html = renderReportHtml(report({ static: run("static", { steps: 0 }) }));
    expect(html).to.contain('<p class="empty">no steps</p>');
    expect(embedded(html)).to.deep.equal([]);
  });
});
