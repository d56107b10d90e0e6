import type { RunReport } from "../../../scripts/lib/sim/types.js";

/**
 * A made-up simulation run for tests that need a RunReport and no chain: ten borrowers, $10,000 borrowed, no loss,
 * no steps; `overrides` sets what the test is about.
 */
export function runReport(overrides: Partial<RunReport> = {}): RunReport {
  return {
    params: "static",
    badDebt: { baseUnits: "0", usd: 0, pctOfInitialBorrows: 0 },
    liquidations: 10,
    liquidatedDebt: { baseUnits: "0", usd: 1000 },
    failedKeeperTxs: 0,
    failedArbitrageTxs: 0,
    keeperRejections: {},
    breakerTrips: 1,
    timeInBreakerSeconds: 3600,
    lenderLossPct: 0,
    minHealthFactor: 0.9,
    openShortfallUsd: 0,
    borrowersAtStart: 10,
    borrowersAtEnd: 8,
    initialBorrows: { baseUnits: "0", usd: 10_000 },
    reserves: { baseUnits: "0", usd: 0 },
    steps: 5,
    blocks: 5,
    wallSeconds: 1,
    setupSeconds: 1,
    stepsPerSecond: 5,
    breakerEvents: [],
    series: [],
    ...overrides,
  };
}

/**
 * `npm run simulate`'s arguments for a small static run: `source` (the price paths or a fork and its address book), 12
 * borrowers, static parameters, reports in `out`, then `extra`.
 */
export function smallStaticRun(source: readonly string[], out: string, extra: readonly string[] = []): string[] {
  return [...source, "--accounts", "12", "--params", "static", "--out", out, ...extra];
}
