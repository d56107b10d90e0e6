/**
 * The Monte Carlo's statistics (issue 22): loss distributions over paths. Pure. Every figure is computed from the
 * outcomes sorted by path index first, so it is the same however the paths were sharded.
 *
 * Definitions, for n outcomes sorted ascending L(1) ≤ … ≤ L(n), a level q (0.95, 0.99) and k = ⌈q·n⌉:
 *   - VaR_q = L(k): the smallest loss at least a share q of paths stay at or below;
 *   - ES_q  = [Σ_{i>k} L(i) + (k − q·n)·L(k)] / ((1 − q)·n) (Acerbi and Tasche): the mean loss over the worst
 *     (1 − q)·n paths, the boundary one counted in part; when q·n is whole (200 paths at 95%), the mean of the
 *     worst (1 − q)·n. So ES_q ≥ VaR_q;
 *   - P(x)  = the share of paths where x happened.
 */
import type { PathOutcome } from "./session.js";

/** One loss figure's distribution over paths. */
export interface Distribution {
  mean: number;
  var95: number;
  var99: number;
  es95: number;
  max: number;
}

/** A count's (or duration's) distribution over paths. */
export interface Spread {
  mean: number;
  p95: number;
  max: number;
}

/** One protocol's figures over every path of a setting. */
export interface ProtocolSummary {
  paths: number;
  /** Bad debt written off, USD. */
  badDebtUsd: Distribution;
  /** Bad debt plus underwater debt still open at the end, USD. */
  lossUsd: Distribution;
  /** Lenders' loss (share price fall from its peak), percent. */
  lenderLossPct: Distribution;
  /** Share of paths that booked any bad debt. */
  probBadDebt: number;
  /** Share of paths with any loss (booked or open). */
  probLoss: number;
  liquidations: Spread;
  /** Hours with a breaker entry above NONE. */
  breakerHours: Spread;
  /** Share of paths where a breaker tripped. */
  probBreakerTrip: number;
  /** Keeper transactions that reverted, over every path. */
  failedKeeperTxs: number;
}

/** VaR_q as defined above (0 for no outcomes). */
export function valueAtRisk(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[tailRank(sorted.length, q) - 1];
}

/** ES_q as defined above (0 for no outcomes). */
export function expectedShortfall(values: readonly number[], q: number): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const k = tailRank(n, q);
  const qn = exact(q * n);
  let tail = (k - qn) * sorted[k - 1];
  for (let i = k; i < n; i++) tail += sorted[i];
  const weight = n - qn;
  // q·n = n (q = 1) leaves no tail beyond the worst outcome: ES is that outcome.
  return weight <= 0 ? sorted[n - 1] : tail / weight;
}

/** k = ⌈q·n⌉ within [1, n], computed so that 0.95 × 200 is exactly 190 (not 190.00000000000003). */
function tailRank(n: number, q: number): number {
  return Math.min(n, Math.max(1, Math.ceil(exact(q * n))));
}

const exact = (x: number): number => Number(x.toFixed(9));

/** The largest of `values` (0 for none), without spreading them into arguments (which fails past ~125k). */
function largest(values: readonly number[]): number {
  let max = values.length === 0 ? 0 : -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
}

export function distribution(values: readonly number[]): Distribution {
  const mean = values.length === 0 ? 0 : values.reduce((sum, x) => sum + x, 0) / values.length;
  return {
    mean: round(mean),
    var95: round(valueAtRisk(values, 0.95)),
    var99: round(valueAtRisk(values, 0.99)),
    es95: round(expectedShortfall(values, 0.95)),
    max: round(largest(values)),
  };
}

export function spread(values: readonly number[]): Spread {
  const mean = values.length === 0 ? 0 : values.reduce((sum, x) => sum + x, 0) / values.length;
  return {
    mean: round(mean),
    p95: round(valueAtRisk(values, 0.95)),
    max: round(largest(values)),
  };
}

/** The summary of `outcomes` (any order: sorted by path index first). */
export function summarise(outcomes: readonly PathOutcome[]): ProtocolSummary {
  const rows = [...outcomes].sort((a, b) => a.index - b.index);
  const share = (test: (o: PathOutcome) => boolean): number =>
    rows.length === 0 ? 0 : round(rows.filter(test).length / rows.length);
  return {
    paths: rows.length,
    badDebtUsd: distribution(rows.map((o) => o.badDebtUsd)),
    lossUsd: distribution(rows.map((o) => o.lossUsd)),
    lenderLossPct: distribution(rows.map((o) => o.lenderLossPct)),
    probBadDebt: share((o) => o.badDebtUsd > 0),
    probLoss: share((o) => o.lossUsd > 0),
    liquidations: spread(rows.map((o) => o.liquidations)),
    breakerHours: spread(rows.map((o) => o.breakerHours)),
    probBreakerTrip: share((o) => o.breakerTrips > 0),
    failedKeeperTxs: rows.reduce((sum, o) => sum + o.failedKeeperTxs, 0),
  };
}

/** Six significant decimals: enough for USD cents and percentages, and stable in JSON. */
const round = (x: number): number => Number(x.toFixed(6));
