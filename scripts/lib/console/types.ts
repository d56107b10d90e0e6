/**
 * What the security console serves: one `ChainView` per followed block (the page's live state), the timeline's
 * entries decoded from the contracts' events, and the monitor's alerts. Plain JSON (numbers in whole units, USD or
 * fractions), so the page, the history database, the JSON-lines log and webhooks all carry the same shapes.
 */

/** The lending market at one block. Amounts in whole base tokens. */
export interface MarketView {
  baseSymbol: string;
  baseDecimals: number;
  /** What lenders' shares are worth (ERC-4626 `totalAssets`). */
  totalAssets: number;
  totalBorrows: number;
  cash: number;
  reserves: number;
  /** Σ provisions: bad debt recognised on accounts not yet written off. */
  provisions: number;
  /** Running total of debt written off. */
  badDebt: number;
  /** Bad debt lenders bore beyond reserves that recovery has not paid back. */
  unrecoveredLoss: number;
  /** Base tokens one whole lender share redeems for. */
  sharePrice: number;
  /** Borrows / (cash + borrows). */
  utilisation: number;
  /** Borrow rate, per year (fraction). */
  borrowApr: number;
  borrowCap: number;
}

/** One account with debt. */
export interface AccountRow {
  account: string;
  /** Liquidation limit / debt value; null when it has no debt. */
  health: number | null;
  /** The risk manager's standard deviations of adverse move to liquidation; null without a risk manager. */
  riskScore: number | null;
  debt: number;
  /** USD, at the price the vault values debt at. */
  debtUsd: number;
  /** USD. */
  collateralValue: number;
  flagged: boolean;
  /** Base tokens provisioned as bad debt on it. */
  provision: number;
  /** The oracle status its valuation used (OK, DEGRADED, FAILED). */
  priceStatus: string;
}

export interface AccountsView {
  /** Accounts with debt. */
  count: number;
  /** Health buckets: `label` → count of accounts with debt. */
  distribution: Array<{ label: string; count: number }>;
  /** The accounts closest to liquidation, lowest health first. */
  closest: AccountRow[];
  /** Flagged or provisioned accounts (whatever their health). */
  watched: AccountRow[];
}

/** One asset's circuit-breaker entry (the global entry has asset "global"). */
export interface BreakerView {
  asset: string;
  symbol: string;
  level: string;
  /** Actions stopped (or, for withdrawals, queued) now. */
  actions: string[];
  reasons: string[];
  /** Chain time the trip may reset after (0: none). */
  cooldownUntil: number;
  /** Seconds of chain time until it may resume (0 when calm or past its cooldown). */
  resumesIn: number;
  liquidationsFrom: number;
  outflowUsed: number;
  outflowLimit: number;
}

export interface OracleView {
  asset: string;
  symbol: string;
  status: string;
  reason: string;
  /** The adapter's conservative bounds, USD. */
  low: number;
  high: number;
  /** The primary feed's latest answer, USD, and its age in seconds against its heartbeat. */
  primary: number | null;
  primaryAge: number | null;
  heartbeat: number;
  /** The cross-check's price (USD) and why it is not usable (NONE when it is). */
  secondary: number | null;
  secondaryReason: string;
}

export interface RiskView {
  asset: string;
  symbol: string;
  /** Governance ceilings. */
  baseLtv: number;
  baseThreshold: number;
  /** Effective now (after ramps and the risk manager's caps). */
  ltv: number;
  threshold: number;
  /** The risk manager's caps and measured volatility (annualised); null without one. */
  ltvCap: number | null;
  thresholdCap: number | null;
  volatility: number | null;
  reserveStatus: string | null;
}

export interface DefenceView {
  breakers: BreakerView[];
  oracles: OracleView[];
  sequencer: { reason: string; readySince: number };
  risk: RiskView[];
  queue: { claims: number; owed: number } | null;
  /** The timelock that owns the contracts (null when none is known), and its delay in seconds. */
  timelock: { address: string; minDelay: number } | null;
  upkeep: {
    address: string;
    lastPerformedBlock: number | null;
    lastPerformedAt: number | null;
    /** The block silence is counted from: the last perform, or the first block the console watched. */
    silentSince: number;
  } | null;
  keeper: { lastAction: string | null; lastBlock: number | null; lastBy: string | null };
}

/** Everything the page shows for one block. */
export interface ChainView {
  chainId: number;
  block: number;
  /** Chain time of the block. */
  timestamp: number;
  market: MarketView;
  accounts: AccountsView;
  defences: DefenceView;
}

/**
 * One decoded event. `id` is `block:logIndex`, unique on a chain; `key` is its transaction and its place among the
 * transaction's Bulwark events, which stays the same if a reorg mines the transaction in another block (an alert is
 * keyed by it, so it is raised once).
 */
export interface TimelineEntry {
  id: string;
  key: string;
  logIndex: number;
  block: number;
  timestamp: number;
  tx: string;
  /** The contract's role: vault, engine, breaker, oracle, riskManager, upkeep, timelock, queue. */
  source: string;
  name: string;
  /** One line for people. */
  summary: string;
  accounts: string[];
  assets: string[];
  /** For new bad debt (a write-off, a provision's rise): the amount in whole base tokens. */
  amount?: number;
  /** For timelock operations: when it may execute (chain time). */
  eta?: number;
  /** The event's arguments, as strings. */
  args: Record<string, string>;
}

export type Severity = "info" | "warning" | "critical";

/** One alert the monitor raised. `key` names the condition (one alert per episode of it). */
export interface Alert {
  id: string;
  rule: string;
  key: string;
  severity: Severity;
  block: number;
  timestamp: number;
  message: string;
  /** The timeline entry it came from, if any. */
  entry?: string;
  accounts: string[];
  assets: string[];
  /** Wall-clock time it was raised (ms since the epoch). */
  raisedAt: number;
}

/** What the follower says about its connection, shown on the page. */
export interface FollowerStatus {
  state: "starting" | "following" | "reconnecting" | "error";
  message: string;
  rpc: string;
  since: number;
}

/**
 * JSON.stringify's replacer for everything the console stores and serves: Infinity (no debt, no limit) as "∞" and
 * NaN (a health that cannot be read under a FAILED price) as "unknown", where plain JSON would write null.
 */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value !== "number" || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "unknown" : "∞";
}
