/**
 * The crash simulation's data: what a run is asked to do and what it reports. Plain data only (no chain, no ethers),
 * shared by the engine (`engine.ts`), the reports (`report.ts`, `html.ts`) and the CLI (`simulateCli.ts`).
 *
 * Units: amounts of the base asset are base units as decimal strings (exact); USD figures in the series are floats
 * (charts); ratios are plain fractions (0.05 = 5%), never percent, except fields whose name ends in `Pct`.
 */

/**
 * What a run replays the path against: Bulwark with `static` risk parameters (the listed LTVs and thresholds) or
 * `adaptive` ones (the risk manager tightens them with volatility; a keeper samples volatility and syncs caps every
 * hour), or `morpho`: the peer, Morpho Blue, one market per collateral with LLTV = Bulwark's threshold, its fixed
 * liquidation incentive and no breakers (morphoEngine.ts).
 */
export type ParamsMode = "static" | "adaptive" | "morpho";

/** A mode that runs Bulwark. */
export type BulwarkMode = Exclude<ParamsMode, "morpho">;

/** Every run mode, in the order reports show them. */
export const PARAMS_MODES: readonly ParamsMode[] = ["static", "adaptive", "morpho"];

/** What `--params` selects: one mode, `both` (Bulwark static and adaptive) or `all` (both, and Morpho). */
export type ParamsSelection = ParamsMode | "both" | "all";

/** Whether the run's protocol has Bulwark's circuit breaker (a morpho run has none: its breaker figures are 0). */
export const hasBreaker = (run: { params: ParamsMode }): boolean => run.params !== "morpho";

/** The modes a selection runs, in report order. */
export function modesOf(selection: ParamsSelection): ParamsMode[] {
  if (selection === "both") return ["static", "adaptive"];
  if (selection === "all") return [...PARAMS_MODES];
  return [selection];
}

/** Breaker levels, as ICircuitBreaker.Level. */
export const BREAKER_LEVEL_NAMES = ["NONE", "TIGHTEN", "NO_BORROW", "QUEUE", "NO_LIQUIDATION"] as const;

/** Breaker trip reasons, as ICircuitBreaker.Reason. */
export const BREAKER_REASON_NAMES = [
  "NONE",
  "ORACLE_DEGRADED",
  "ORACLE_FAILED",
  "PRICE_FALL_SOFT",
  "PRICE_FALL",
  "OUTFLOW",
  "BAD_DEBT",
  "GUARDIAN",
] as const;

/**
 * One step of a run: the chain state right after the keeper acted on one point of the path. In a `morpho` run an
 * "account" is a position (one borrower in one market: Morpho's markets are isolated), the oracle price is the feed's
 * answer its oracle reads, both parameters are the market's LLTV (Morpho lends up to it) and there is no breaker.
 */
export interface StepRecord {
  /** Unix seconds of the path point (historical time). */
  timestamp: number;
  /** Path price of each asset with a path or a fixed price, USD, by symbol. */
  price: Record<string, number>;
  /** Price the vault uses (the oracle adapter's low bound), USD, by symbol; null while the adapter reports FAILED. */
  oraclePrice: Record<string, number | null>;
  /** Spot price of each collateral's Uniswap v3 pool, USD, by symbol. */
  poolPrice: Record<string, number>;
  /** Σ liquidation limits / Σ debt values over accounts with debt (null without debt). */
  aggregateHealth: number | null;
  /** Lowest health factor of any account with debt (null without debt). */
  minHealth: number | null;
  /** Health factors of the accounts with debt at the 5th, 25th, 50th, 75th and 95th percentiles (null without debt;
   * absent in older reports). */
  healthBands?: number[] | null;
  /** Accounts with debt whose health factor is below 1 (absent in older reports). */
  belowOne?: number;
  /** Lenders' loss so far: the share price's fall from its peak up to this step, percent (absent in older reports). */
  lenderLossPct?: number;
  /** Accounts liquidatable after the keeper acted. */
  liquidatable: number;
  /** Liquidations mined in this step. */
  liquidations: number;
  /** Debt repaid by this step's liquidations, USD. */
  liquidatedDebtUsd: number;
  /** Bad debt written off so far (cumulative), USD. */
  badDebtUsd: number;
  /** Total debt outstanding, USD. */
  totalDebtUsd: number;
  /** Breaker level of each entry (0 NONE … 4 NO_LIQUIDATION), by symbol; "global" for the global entry (none in a
   * morpho run). */
  breakerLevel: Record<string, number>;
  /** Effective borrow LTV of each collateral (fraction). */
  borrowLtv: Record<string, number>;
  /** Effective liquidation threshold of each collateral (fraction). */
  liquidationThreshold: Record<string, number>;
}

/** One liquidation (a seizure of one collateral of one account), for the report's table. */
export interface LiquidationRecord {
  /** Unix seconds (path time) of its block. */
  timestamp: number;
  account: string;
  /** The collateral's symbol. */
  collateral: string;
  /** Debt repaid, USD. */
  repaidUsd: number;
  /** Collateral seized, in its own units. */
  seized: number;
  /** The collateral's path price at the step it happened in, USD. */
  priceUsd: number;
  /** The liquidator's bonus, percent of the repaid value (Bulwark: as the engine applied it; Morpho: its LIF − 1). */
  bonusPct: number;
  /** Debt written off in the liquidation's own transaction, USD (Morpho's `badDebtAssets`; Bulwark's
   * `BadDebtWrittenOff` for the account in the same transaction). */
  badDebtUsd: number;
}

/** One breaker trip: an entry's level rose from NONE. */
export interface BreakerTrip {
  timestamp: number;
  /** Symbol of the entry ("global" for the global entry). */
  entry: string;
  /** Reason names tripped (ICircuitBreaker.Reason). */
  reasons: string[];
  level: string;
}

/** The outcome of one run of a path against one parameter mode. */
export interface RunReport {
  params: ParamsMode;
  /** Bad debt written off over the run (morpho: Σ `badDebtAssets` of its Liquidate events). */
  badDebt: { baseUnits: string; usd: number; pctOfInitialBorrows: number };
  /** Liquidations mined (each a seizure of one collateral of one account). */
  liquidations: number;
  /** Debt repaid by liquidations. */
  liquidatedDebt: { baseUnits: string; usd: number };
  /** Keeper transactions that reverted when mined (the state changed between decision and inclusion). */
  failedKeeperTxs: number;
  /** Arbitrage swaps that reverted (the pool then stays off the path until the next point). */
  failedArbitrageTxs: number;
  /**
   * Why the keeper held back, with counts over the run: a liquidation or write-off whose simulation reverted (by the
   * custom error's name, e.g. `Unprofitable`), or an account the selection skipped (by its reason, e.g.
   * `over-block-cap`).
   */
  keeperRejections: Record<string, number>;
  /** Times an entry's level rose from NONE. */
  breakerTrips: number;
  /** Seconds during which at least one breaker entry was above NONE. */
  timeInBreakerSeconds: number;
  /** Lenders' loss: fall of the vault share price from its peak to the end, percent (0 when it never fell); in a
   * morpho run, of the value of the lender's supply shares over every market. */
  lenderLossPct: number;
  /** Lowest health factor any account with debt reached at a step (null: no debt ever). */
  minHealthFactor: number | null;
  /**
   * Debt still open at the end that its collateral does not cover, USD at the path's last prices: Σ over positions of
   * max(0, debt − collateral). A loss the protocol has not written off (yet): Morpho realises bad debt only when a
   * liquidation takes a position's last collateral, Bulwark when the collateral left is dust.
   */
  openShortfallUsd: number;
  /** Accounts with debt at the start, and at the end. */
  borrowersAtStart: number;
  borrowersAtEnd: number;
  /** Total debt at the start (after the population borrowed). */
  initialBorrows: { baseUnits: string; usd: number };
  /** Reserves at the end (morpho: the fee recipient's supply). */
  reserves: { baseUnits: string; usd: number };
  /** Points of the path replayed. */
  steps: number;
  /** Blocks mined during the replay. */
  blocks: number;
  /** Wall-clock seconds of the replay (deployment and population excluded: `setupSeconds`). */
  wallSeconds: number;
  setupSeconds: number;
  stepsPerSecond: number;
  breakerEvents: BreakerTrip[];
  /** Every liquidation in order (absent in older reports). */
  liquidationEvents?: LiquidationRecord[];
  series: StepRecord[];
  /**
   * The risk parameters the run's contracts held when the replay started, read back from them ("scope.field" →
   * number; deployedParams.ts). Absent in reports written before it existed.
   */
  deployed?: Record<string, number>;
  /** The first-loss backstop's part, when the run had one (`--backstop PCT`; issue 26). */
  backstop?: BackstopFigures;
}

/** What the backstop did over a run (USD at the path's last base price). */
export interface BackstopFigures {
  /** Its stake as a percent of the borrows when it was placed. */
  sharePct: number;
  stakeUsd: number;
  /** Paid to the vault on write-offs past reserves. */
  absorbedUsd: number;
  /** Held for provisions past reserves at the end (a loss recognised, not yet written off). */
  earmarkedEndUsd: number;
  /** Repaid to it from recovered collateral. */
  recoveredUsd: number;
  /** Reserve income it was paid. */
  incomeUsd: number;
  /** absorbed + earmarked at the end − recovered: its loss from the run's crash, before income. */
  netLossUsd: number;
  /** Protocol-owned collateral the recovery module sold, and what the sales raised (lenders, backstop, reserves). */
  recoverySales: number;
  recoveryProceedsUsd: number;
  /** The same path and population without a backstop (or recovery module): lenders' loss and bad debt then. */
  without?: { lenderLossPct: number; badDebtUsd: number; reservesUsd: number };
}

/** A run's verdict (verdict.ts): its loss against the limits the command line set. */
export interface Verdict {
  params: ParamsMode;
  /** PASS/FAIL with limits set; LOSS/NO LOSS without. */
  status: "PASS" | "FAIL" | "LOSS" | "NO LOSS";
  /** Bad debt booked plus the shortfall still open at the end, percent of initial borrows. */
  lossPct: number;
  /** Lenders' worst loss at any step of the run, percent. */
  lenderLossPct: number;
  /** The limits exceeded, in words ("bad debt 0.37% > --max-bad-debt 0.1%"). */
  exceeded: string[];
  line: string;
}

/** What the run was asked to do, as the report records it. */
export interface SimulationMeta {
  /** Scenario name, or "custom" for `--prices`. */
  scenario: string;
  description: string;
  /** Price files by asset symbol (paths relative to the project when inside it). */
  prices: Record<string, string>;
  /** Assets of the market: base first. */
  assets: { symbol: string; role: "base" | "collateral"; startPriceUsd: number; hasPath: boolean }[];
  accounts: number;
  seed: string;
  keeperDelayBlocks: number;
  keeperOutages: { from: number; to: number }[];
  /** "in-process" or the fork URL and block. */
  chain: string;
  pathStart: number;
  pathEnd: number;
  /** Which runs `--params` asked for. Absent in older reports, as are the fields below. */
  params?: ParamsSelection;
  /** The git commit the contracts and scripts came from (dirty: uncommitted changes), null outside a checkout. */
  commit?: { sha: string; dirty: boolean } | null;
  /** When the report was written (ISO 8601, UTC). */
  generatedAt?: string;
  /** `--max-bad-debt` and `--max-lender-loss`, percent (null: not set). */
  limits?: { maxBadDebtPct: number | null; maxLenderLossPct: number | null };
  /** `--backstop`: the backstop's stake, percent of the borrows (absent: none). */
  backstopPct?: number;
}

/** report.json: the primary run's fields at the top level (adaptive when both ran), every run in `runs`. */
export interface SimulationReport extends RunReport {
  meta: SimulationMeta;
  runs: Partial<Record<ParamsMode, RunReport>>;
  /** One per run, in report order (absent in older reports). */
  verdicts?: Verdict[];
}
