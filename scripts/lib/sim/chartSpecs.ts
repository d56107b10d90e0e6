/**
 * The charts of report.html as data (html.ts draws them with uPlot, inlined into the page): one spec per chart, with
 * its x values (unix seconds), its series (label, colour, dash, values; null is a gap) and how to show its y values.
 * Pure: the specs are what the page draws, so tests check them without a browser.
 *
 * Runs are overlaid on one chart per measure (static, adaptive, morpho in their colours); the health distribution is
 * one chart per run (percentile bands); prices are one chart per asset with the path, the oracle and the pool drawn
 * differently (an asset held at a fixed price has none). Long series are down-sampled to at most about MAX_POINTS points, keeping each bucket's first point,
 * its lowest price and its lowest health, so crash lows survive.
 */
import { PARAMS_MODES, type RunReport, type SimulationReport, type StepRecord } from "./types.js";

/** Most points per series drawn. */
export const MAX_POINTS = 2000;

/** Each run's colour, and its name as the charts show it. */
export const RUN_COLOURS: Record<string, string> = { static: "#1f77b4", adaptive: "#2ca02c", morpho: "#d62728" };

export interface SeriesSpec {
  label: string;
  colour: string;
  values: Array<number | null>;
  dash?: number[];
  width?: number;
  /** Drawn as a step line (the value holds until the next point). */
  step?: boolean;
  /** Points only, no line (sparse series). */
  points?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  /** How the y values read: a dollar amount, a percentage, a health factor or a count. */
  unit: "usd" | "pct" | "health" | "count" | "ratio";
  x: number[];
  series: SeriesSpec[];
  /** Filled bands between two series (1-based indices into `series`, as uPlot counts them after x). */
  bands?: Array<{ series: [number, number]; fill: string }>;
  /** A y range that always shows (e.g. health 1). */
  yMin?: number;
  yMax?: number;
}

/** A run as shown. */
export interface RunView {
  name: string;
  run: RunReport;
}

/** The runs of a report, in report order (static, adaptive, morpho); a report without `runs`, its top level. */
export function runViews(report: SimulationReport): RunView[] {
  const views: RunView[] = [];
  for (const mode of PARAMS_MODES) {
    const run = report.runs[mode];
    if (run !== undefined) views.push({ name: mode, run });
  }
  if (views.length === 0) views.push({ name: report.params, run: report });
  return views;
}

const finite = (value: number | null | undefined): number | null =>
  value === null || value === undefined || !Number.isFinite(value) ? null : value;

/** The step indices drawn: all of them, or per bucket its first, lowest-price and lowest-health step. */
export function sampleIndices(series: readonly StepRecord[], priceSymbol: string | undefined): number[] {
  if (series.length <= MAX_POINTS) return series.map((_, i) => i);
  const size = Math.ceil((series.length * 3) / MAX_POINTS);
  const keep = new Set<number>();
  for (let start = 0; start < series.length; start += size) {
    const end = Math.min(start + size, series.length);
    let lowPrice = start;
    let lowHealth = start;
    for (let i = start; i < end; i++) {
      const price = priceSymbol === undefined ? undefined : series[i].price[priceSymbol];
      const best = priceSymbol === undefined ? undefined : series[lowPrice].price[priceSymbol];
      if (price !== undefined && best !== undefined && price < best) lowPrice = i;
      const health = series[i].minHealth;
      const lowest = series[lowHealth].minHealth;
      if (health !== null && (lowest === null || health < lowest)) lowHealth = i;
    }
    keep.add(start).add(lowPrice).add(lowHealth);
  }
  keep.add(series.length - 1);
  return [...keep].sort((a, b) => a - b);
}

/** Per symbol keys present in any step of any run, collaterals first in `order`. */
function symbols(views: RunView[], pick: (step: StepRecord) => Record<string, unknown>, order: string[]): string[] {
  const seen = new Set<string>();
  for (const view of views)
    for (const step of view.run.series) for (const key of Object.keys(pick(step))) seen.add(key);
  return [...order.filter((key) => seen.has(key)), ...[...seen].filter((key) => !order.includes(key)).sort()];
}

/** Every chart of the report, in page order. */
export function chartSpecs(report: SimulationReport): ChartSpec[] {
  const views = runViews(report).filter((view) => view.run.series.length > 0);
  if (views.length === 0) return [];
  const order = [...report.meta.assets]
    .sort((a, b) => Number(a.role === "base") - Number(b.role === "base"))
    .map((asset) => asset.symbol);
  const primary = views[0].run.series;
  const indices = sampleIndices(primary, order[0]);
  const x = indices.map((i) => primary[i].timestamp);
  /** A measure of every step of `run`, at the drawn indices (a run shorter than the first: nulls). */
  const pick = (run: RunReport, read: (step: StepRecord) => number | null | undefined): Array<number | null> =>
    indices.map((i) => (run.series[i] === undefined ? null : finite(read(run.series[i]))));
  const overlay = (
    id: string,
    title: string,
    unit: ChartSpec["unit"],
    read: (s: StepRecord) => number | null | undefined,
    extra: Partial<ChartSpec> = {},
  ): ChartSpec => ({
    id,
    title,
    unit,
    x,
    series: views.map((view) => ({
      label: view.name,
      colour: RUN_COLOURS[view.name] ?? "#555",
      values: pick(view.run, read),
    })),
    ...extra,
  });
  const charts: ChartSpec[] = [];
  // Prices: one chart per asset, from the first run (every run replays the same path; the oracle and pool follow it).
  const source = views.find((view) => view.name !== "morpho") ?? views[0];
  const fixed = new Set(report.meta.assets.filter((asset) => !asset.hasPath).map((asset) => asset.symbol));
  for (const symbol of symbols([source], (step) => step.price, order).filter((symbol) => !fixed.has(symbol))) {
    const series: SeriesSpec[] = [
      { label: "path", colour: "#1f77b488", width: 4, values: pick(source.run, (s) => s.price[symbol]) },
      {
        label: "oracle (the vault's price)",
        colour: "#ff7f0e",
        dash: [8, 4],
        width: 1.5,
        step: true,
        values: pick(source.run, (s) => s.oraclePrice[symbol]),
      },
    ];
    if (source.run.series.some((step) => step.poolPrice[symbol] !== undefined)) {
      series.push({
        label: "Uniswap v3 pool",
        colour: "#9467bd",
        points: true,
        values: pick(source.run, (s) => s.poolPrice[symbol]),
      });
    }
    charts.push({ id: `price-${symbol}`, title: `Price: ${symbol} (${source.name} run)`, unit: "usd", x, series });
  }
  // Health: the distribution per run, then the measures overlaid.
  for (const view of views) {
    if (!view.run.series.some((step) => step.healthBands !== undefined && step.healthBands !== null)) continue;
    const band = (k: number) => pick(view.run, (s) => s.healthBands?.[k] ?? null);
    const colour = RUN_COLOURS[view.name] ?? "#555";
    charts.push({
      id: `health-bands-${view.name}`,
      title: `Health factor distribution: ${view.name} (5th–95th and 25th–75th percentiles, median)`,
      unit: "health",
      x,
      series: [
        { label: "5th percentile", colour, width: 0.5, values: band(0) },
        { label: "25th", colour, width: 0.5, values: band(1) },
        { label: "median", colour, width: 2, values: band(2) },
        { label: "75th", colour, width: 0.5, values: band(3) },
        { label: "95th", colour, width: 0.5, values: band(4) },
        { label: "lowest", colour: "#000", width: 1, dash: [3, 3], values: pick(view.run, (s) => s.minHealth) },
        { label: "health 1", colour: "#d62728", width: 1, dash: [6, 4], values: x.map(() => 1) },
      ],
      bands: [
        { series: [5, 1], fill: `${colour}22` },
        { series: [4, 2], fill: `${colour}44` },
      ],
      yMin: 0.5,
    });
  }
  charts.push(overlay("below-one", "Accounts below health 1", "count", (s) => s.belowOne ?? null));
  charts.push(
    overlay("aggregate-health", "Aggregate health (Σ liquidation limits / Σ debt)", "health", (s) => s.aggregateHealth),
  );
  charts.push(overlay("min-health", "Lowest account health", "health", (s) => s.minHealth, { yMin: 0.5 }));
  charts.push(overlay("bad-debt", "Bad debt written off (USD)", "usd", (s) => s.badDebtUsd, { yMin: 0, yMax: 1 }));
  charts.push(
    overlay("lender-loss", "Lender loss (share price below its peak, %)", "pct", (s) => s.lenderLossPct ?? null, {
      yMin: 0,
      yMax: 0.01,
    }),
  );
  charts.push(
    overlay("liquidated", "Debt repaid by liquidations, cumulative (USD)", "usd", cumulative(views), { yMin: 0 }),
  );
  charts.push(overlay("total-debt", "Total debt (USD)", "usd", (s) => s.totalDebtUsd, { yMin: 0 }));
  for (const symbol of symbols(views, (step) => step.liquidationThreshold, order)) {
    charts.push({
      id: `risk-${symbol}`,
      title: `${symbol}: effective borrow LTV (dashed) and liquidation threshold`,
      unit: "ratio",
      x,
      series: views.flatMap((view) => [
        {
          label: `${view.name} threshold`,
          colour: RUN_COLOURS[view.name] ?? "#555",
          step: true,
          values: pick(view.run, (s) => s.liquidationThreshold[symbol]),
        },
        {
          label: `${view.name} LTV`,
          colour: RUN_COLOURS[view.name] ?? "#555",
          step: true,
          dash: [6, 3],
          values: pick(view.run, (s) => s.borrowLtv[symbol]),
        },
      ]),
    });
  }
  return charts;
}

/**
 * Cumulative liquidated debt at each drawn step, per run: summed over every step (not only the drawn ones), so the
 * line is exact at each point it shows.
 */
function cumulative(views: RunView[]): (step: StepRecord) => number | null {
  const totals = new Map<StepRecord, number>();
  for (const view of views) {
    let sum = 0;
    for (const step of view.run.series) {
      sum += step.liquidatedDebtUsd;
      totals.set(step, sum);
    }
  }
  return (step) => totals.get(step) ?? null;
}
