/**
 * What every keeper task (one per job: liquidations, write-offs, flags, breaker pokes, volatility samples and risk
 * syncs, rebalancing, the backstop's records and allocator) works with, from the `Keeper` that runs it: its contracts and options, its log, RPC reads and
 * transaction runner, and what it read of the market at start-up.
 */
import type { RpcCall } from "../accounts.js";
import type { KeeperContracts } from "../contracts.js";
import type { Logger } from "../log.js";
import type { KeeperOptions } from "../options.js";
import type { TransactionRunner } from "../txRunner.js";

export interface KeeperContext {
  readonly contracts: KeeperContracts;
  readonly options: KeeperOptions;
  readonly logger: Logger;
  /** An RPC read with retries. */
  readonly rpc: RpcCall;
  readonly runner: TransactionRunner;
  /** Simulate and log, never send. */
  readonly dryRun: boolean;
  /** Whether `stop()` was called: a task abandons what it has not sent yet. */
  readonly stopping: boolean;
  /** The vault's base asset (checksummed). */
  readonly base: string;
  /** The vault's collaterals (checksummed), in the vault's order. */
  readonly collaterals: readonly string[];
  /** The keeper wallet's address (undefined without one, or before `init`). */
  readonly wallet: string | undefined;
  /** The token symbol of `asset` ("global" for the breaker's global entry). */
  symbol(asset: string): string;
}
