/** What a keeper may be told (`new Keeper(contracts, provider, signer, options)`); every field has a default. */
import type { Logger } from "./log.js";
import type { RetryPolicy } from "./rpc.js";

export interface KeeperOptions {
  /** Simulate and log, never send (default false). */
  dryRun?: boolean;
  /** Most liquidations and write-offs per block (default 10). */
  maxLiquidationsPerBlock?: number;
  /** Most flags per block (default 10; 0: never flag). */
  maxFlagsPerBlock?: number;
  /** Base units each flash liquidation must leave the liquidator on top of the debt it repays (default 0). */
  minProfit?: bigint;
  /** Send two or more liquidations of one block as one `liquidateBatch` (default true). */
  batch?: boolean;
  /** Poke every breaker entry at least this often, in chain seconds (default 600), and whenever one would change. */
  pokeIntervalSeconds?: number;
  /** Which duties to do besides liquidations (each default true). */
  duties?: {
    writeOff?: boolean;
    flag?: boolean;
    breaker?: boolean;
    volatility?: boolean;
    rebalance?: boolean;
    backstop?: boolean;
    allocator?: boolean;
  };
  /** Venues the keeper, as the backstop allocator's agent, puts idle cash into, in order (default none). */
  allocatorVenues?: readonly string[];
  /** Idle cash the agent keeps, as a multiple of the allocator's floor (WAD; default 1.5e18). */
  allocatorIdleTarget?: bigint;
  /** Chain seconds between two settlements of the backstop's income share (default 86,400). */
  backstopIncomeSeconds?: number;
  /** Chain seconds between two checkpoints that mark the recovery's prices while the vault owes the backstop (3,600;
   *  at most 4,800: the backstop starts its span again after 90 minutes without a sighting). */
  backstopMarkSeconds?: number;
  /** Collaterals the keeper may seize when it has no liquidator (dry run): default every listed one. */
  sellable?: readonly string[];
  /** Milliseconds between polls of the block number (default 2,000). */
  pollIntervalMs?: number;
  /** Cap on the wait after failed steps (default 30,000 ms). */
  maxBackoffMs?: number;
  /** Retries of each RPC read (default: 4 tries, 250 ms doubling, capped at 10 s). */
  retry?: RetryPolicy;
  /** Seconds to wait for a receipt before giving up on it (default 120). */
  txTimeoutSeconds?: number;
  /** Event scan: first block (the vault's deployment block), blocks per getLogs (≤ 2,000), reorg rescan depth. */
  fromBlock?: number;
  maxBlockRange?: number;
  rescanDepth?: number;
  logger?: Logger;
  /** How the keeper waits (tests pass a fast one). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}
