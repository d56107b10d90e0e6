/**
 * The keeper bot: on each new block it catches up the account index, snapshots the unhealthy accounts, decides with
 * `selection.ts`, and liquidates through a UniswapV3FlashLiquidator its wallet owns (capital-free: the seized
 * collateral is sold in a Uniswap v3 pool inside the flash callback); it also writes off dust accounts, flags the
 * liquidatable accounts it leaves, pokes the circuit breaker's entries, samples volatility and syncs the risk manager
 * when due, runs the rebalancer when due, keeps the backstop's records (checkpoints, income share) when the vault
 * has one, and runs the backstop's allocator (recalls; allocations when its wallet is the agent). Each of those jobs is a task in `tasks/`, run in that order; every
 * transaction goes through the `TransactionRunner` (txRunner.ts).
 *
 * Rules it keeps:
 * - Every transaction is simulated (`staticCall`) first, at the block it is sent in: the block number is read before
 *   the simulation and again before sending, and a block in between means simulate again. Only what simulated
 *   successfully is sent; with `dryRun` nothing is (the simulations are logged as `would-…`).
 * - RPC reads are retried with capped exponential backoff; a step that fails anyway is logged and the next one waits
 *   longer (capped), so an RPC outage never ends the loop. Blocks are followed by polling `eth_blockNumber`: after a
 *   gap the latest block is processed (the index catches up every log in between); a chain that goes backwards (a
 *   restarted node) resets the index.
 * - Logs are one JSON object per line (`log.ts`).
 *
 * Tests and the crash simulation drive it with `runOnce(blockNumber)` or `step()`; the CLI (`scripts/keeper.ts`) with
 * `run()` and `stop()`.
 */
import { type Provider, type Signer, ZeroAddress, getAddress } from "ethers";

import { MockERC20__factory } from "../../../typechain-types/index.js";
import { AccountIndex, readAccountSnapshots, type RpcCall } from "./accounts.js";
import type { BlockReport, StepResult } from "./blockReport.js";
import type { KeeperContracts } from "./contracts.js";
import { Logger, type LogFields } from "./log.js";
import type { KeeperOptions } from "./options.js";
import { DEFAULT_RETRY, backoffDelay, describeError, sleep, withRetry, type RetryPolicy } from "./rpc.js";
import { selectLiquidations } from "./selection.js";
import { AllocatorTask } from "./tasks/allocator.js";
import { BackstopTask } from "./tasks/backstop.js";
import { BreakerPokeTask } from "./tasks/breakerPokes.js";
import type { KeeperContext } from "./tasks/context.js";
import { FlagTask } from "./tasks/flags.js";
import { LiquidationTask } from "./tasks/liquidations.js";
import { RebalanceTask } from "./tasks/rebalance.js";
import { RiskSyncTask } from "./tasks/riskSync.js";
import { VolatilityTask } from "./tasks/volatility.js";
import { WriteOffTask } from "./tasks/writeOffs.js";
import { TransactionRunner } from "./txRunner.js";

export type { BlockReport, LiquidationResult, StepResult } from "./blockReport.js";
export {
  deployLens,
  deployLiquidator,
  discoverContracts,
  setLiquidatorPools,
  type KeeperContracts,
} from "./contracts.js";
export type { KeeperOptions } from "./options.js";
export { BREAKER_LEVELS } from "./tasks/breakerPokes.js";

export class Keeper {
  readonly contracts: KeeperContracts;
  readonly provider: Provider;
  readonly index: AccountIndex;
  readonly logger: Logger;
  /** The wallet that sends (undefined: dry run only). */
  private readonly signer: Signer | undefined;
  private readonly dryRun: boolean;
  private readonly options: KeeperOptions;
  private readonly retry: RetryPolicy;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly abort = new AbortController();
  /** Blocks between two reads of the collaterals, the dust threshold and the liquidator's pools. */
  static readonly REFRESH_BLOCKS = 300;
  private initialized = false;
  private initializedAt: number | undefined;
  private ready = false;
  private stopping = false;
  private base = ZeroAddress;
  /** The wallet's address (set by `init`; undefined without a wallet). */
  private walletAddress: string | undefined;
  private collaterals: string[] = [];
  private readonly symbols = new Map<string, string>();
  private readonly pools = new Map<string, string>();
  private dustValue: bigint | undefined;
  private indexedRanges = 0;
  private lastBlock: number | undefined;
  private failures = 0;
  /** Sends every transaction: simulated first, at the block it goes out in. */
  private readonly runner: TransactionRunner;
  /** One task per job, in the order each block runs them. */
  private readonly tasks: {
    liquidations: LiquidationTask;
    writeOffs: WriteOffTask;
    flags: FlagTask;
    breakerPokes: BreakerPokeTask;
    volatility: VolatilityTask;
    riskSync: RiskSyncTask;
    rebalance: RebalanceTask;
    backstop: BackstopTask;
    allocator: AllocatorTask;
  };

  /**
   * `signer` sends every transaction and must own `contracts.liquidator`; without one only a dry run is possible.
   * `contracts` should be connected to `signer` (or, in a dry run, to `provider`).
   */
  constructor(contracts: KeeperContracts, provider: Provider, signer: Signer | undefined, options: KeeperOptions = {}) {
    this.contracts = contracts;
    this.provider = provider;
    this.signer = signer;
    this.options = options;
    this.dryRun = options.dryRun ?? false;
    if (!this.dryRun && signer === undefined) throw new Error("a keeper without a wallet can only do a dry run");
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.wait = options.sleep ?? sleep;
    this.logger = options.logger ?? new Logger();
    this.index = new AccountIndex(contracts.vault, provider, {
      fromBlock: options.fromBlock,
      maxBlockRange: options.maxBlockRange,
      rescanDepth: options.rescanDepth,
      rpc: this.rpc,
      onRange: (from, to, found) => {
        this.indexedRanges++;
        // A long first scan (a vault deployed long ago) shows its progress every 50 ranges.
        this.logger.log(this.indexedRanges % 50 === 0 ? "info" : "debug", "indexing", { from, to, events: found });
      },
    });
    this.runner = new TransactionRunner({
      provider,
      rpc: this.rpc,
      logger: this.logger,
      dryRun: this.dryRun,
      hasSigner: signer !== undefined,
      txTimeoutSeconds: options.txTimeoutSeconds ?? 120,
      stopping: () => this.stopping,
    });
    const context = this.context();
    this.tasks = {
      liquidations: new LiquidationTask(context),
      writeOffs: new WriteOffTask(context),
      flags: new FlagTask(context),
      breakerPokes: new BreakerPokeTask(context),
      volatility: new VolatilityTask(context),
      riskSync: new RiskSyncTask(context),
      rebalance: new RebalanceTask(context),
      backstop: new BackstopTask(context),
      allocator: new AllocatorTask(context),
    };
  }

  /** What the tasks see of this keeper (live: `stopping`, `base` and `collaterals` follow it). */
  private context(): KeeperContext {
    const keeper = this;
    return {
      contracts: this.contracts,
      options: this.options,
      logger: this.logger,
      rpc: this.rpc,
      runner: this.runner,
      dryRun: this.dryRun,
      get stopping() {
        return keeper.stopping;
      },
      get base() {
        return keeper.base;
      },
      get collaterals() {
        return keeper.collaterals;
      },
      get wallet() {
        return keeper.walletAddress;
      },
      symbol: (asset) => this.symbol(asset),
    };
  }

  /** Whether `stop()` was called. */
  get stopped(): boolean {
    return this.stopping;
  }

  /** Asks the loop to end: the current step abandons what it has not sent yet, and `run()` returns. */
  stop(): void {
    this.stopping = true;
    this.abort.abort();
  }

  /** An RPC read with retries; each retry is logged. */
  readonly rpc: RpcCall = (label, call) =>
    withRetry(
      call,
      this.retry,
      (attempt, delayMs, error) =>
        this.logger.warn("rpc-retry", { call: label, attempt, retryInMs: delayMs, error: describeError(error) }),
      (ms) => this.wait(ms, this.abort.signal),
    );

  /**
   * Reads what seldom changes: base asset, collaterals, symbols, dust threshold, liquidator pools. Read again every
   * `REFRESH_BLOCKS` blocks, so a newly listed collateral or a new pool is picked up without a restart.
   */
  async init(): Promise<void> {
    if (this.initialized) return;
    const { vault, engine, liquidator } = this.contracts;
    this.base = getAddress(await this.rpc("asset", () => vault.asset()));
    this.collaterals = (await this.rpc("collateralAssets", () => vault.collateralAssets())).map((a) => getAddress(a));
    for (const asset of [this.base, ...this.collaterals]) {
      const symbol = await this.rpc(`symbol ${asset}`, () =>
        MockERC20__factory.connect(asset, this.provider)
          .symbol()
          .catch(() => asset),
      );
      this.symbols.set(asset, symbol);
    }
    this.dustValue = (await this.rpc("engine.params", () => engine.params())).dustValue;
    if (liquidator !== undefined) {
      const owner = getAddress(await this.rpc("liquidator.owner", () => liquidator.owner()));
      this.runner.simulateAs(owner);
      if (this.signer !== undefined && getAddress(await this.signer.getAddress()) !== owner) {
        throw new Error(
          `the liquidator ${await liquidator.getAddress()} is owned by ${owner}, not by the keeper's wallet ${await this.signer.getAddress()}`,
        );
      }
    }
    if (this.signer !== undefined) this.walletAddress = getAddress(await this.signer.getAddress());
    await this.refreshPools();
    this.initialized = true;
  }

  /** Re-reads the liquidator's pool for each collateral (after `setPool`). */
  async refreshPools(): Promise<void> {
    this.pools.clear();
    const { liquidator } = this.contracts;
    if (liquidator === undefined) return;
    for (const asset of this.collaterals) {
      const pool = await this.rpc(`poolFor ${asset}`, () => liquidator.poolFor(asset));
      if (pool !== ZeroAddress) this.pools.set(asset, getAddress(pool));
    }
  }

  /** The addresses and settings the keeper runs with, for the start-up log. */
  describe(): LogFields {
    const { vault, engine, breaker, volatility, riskManager, rebalancer, backstop, liquidator } = this.contracts;
    const address = (contract: { target: unknown } | undefined): string | undefined =>
      contract === undefined ? undefined : String(contract.target);
    return {
      vault: address(vault),
      engine: address(engine),
      breaker: address(breaker),
      volatility: address(volatility),
      riskManager: address(riskManager),
      rebalancer: address(rebalancer),
      backstop: address(backstop),
      liquidator: address(liquidator),
      base: this.base,
      collaterals: Object.fromEntries(this.collaterals.map((asset) => [this.symbol(asset), asset])),
      pools: Object.fromEntries([...this.pools].map(([asset, pool]) => [this.symbol(asset), pool])),
      dryRun: this.dryRun,
    };
  }

  private symbol(asset: string): string {
    return asset === ZeroAddress ? "global" : (this.symbols.get(getAddress(asset)) ?? asset);
  }

  private canSell = (asset: string): boolean => {
    if (this.contracts.liquidator !== undefined) return this.pools.has(getAddress(asset));
    const sellable = this.options.sellable;
    return sellable === undefined || sellable.some((a) => getAddress(a) === getAddress(asset));
  };

  /**
   * Follows the chain once: reads the latest block number and, if it is new, processes it (`runOnce`). Never throws:
   * a failure is logged and returned with the wait before the next try (capped exponential backoff).
   */
  async step(): Promise<StepResult> {
    try {
      await this.init();
      const latest = await this.rpc("blockNumber", () => this.provider.getBlockNumber());
      if (this.lastBlock !== undefined && latest < this.lastBlock) {
        this.logger.warn("chain-reset", { block: latest, previous: this.lastBlock });
        this.index.reset();
        this.tasks.breakerPokes.reset();
        this.lastBlock = undefined;
        this.initialized = false;
        this.initializedAt = undefined;
      }
      if (latest === this.lastBlock) {
        this.failures = 0;
        return { status: "idle", block: latest };
      }
      if (this.lastBlock !== undefined && latest > this.lastBlock + 1) {
        this.logger.debug("blocks-skipped", { from: this.lastBlock + 1, to: latest - 1 });
      }
      const report = await this.runOnce(latest);
      this.lastBlock = latest;
      this.failures = 0;
      return { status: "processed", report };
    } catch (error) {
      this.failures++;
      const retryInMs = backoffDelay(
        this.failures,
        this.options.pollIntervalMs ?? 2000,
        this.options.maxBackoffMs ?? 30_000,
      );
      const message = describeError(error);
      this.logger.error("step-failed", { error: message, failures: this.failures, retryInMs });
      return { status: "failed", error: message, failures: this.failures, retryInMs };
    }
  }

  /**
   * Follows the chain until `stop()`: a step per poll, waiting `pollIntervalMs` between steps and longer after
   * failures. Logs `ready` after the first successful step and `stopped` at the end.
   */
  async run(): Promise<void> {
    while (!this.stopping) {
      const result = await this.step();
      if (result.status !== "failed" && !this.ready) {
        this.ready = true;
        this.logger.info("ready", {
          block: result.status === "processed" ? result.report.block : result.block,
          accounts: this.index.seen.size,
          debtors: this.index.debtors.size,
          pollIntervalMs: this.options.pollIntervalMs ?? 2000,
        });
      }
      if (this.stopping) break;
      await this.wait(
        result.status === "failed" ? result.retryInMs : (this.options.pollIntervalMs ?? 2000),
        this.abort.signal,
      );
    }
    this.logger.info("stopped", {});
  }

  /** Processes block `blockNumber`: index, snapshot, select, liquidate, then the other duties. Throws on failure. */
  async runOnce(blockNumber: number): Promise<BlockReport> {
    const stale = this.initializedAt !== undefined && blockNumber - this.initializedAt >= Keeper.REFRESH_BLOCKS;
    if (stale) this.initialized = false;
    if (stale || this.initializedAt === undefined) {
      await this.init();
      this.initializedAt = blockNumber;
    }
    const scan = await this.index.catchUp(blockNumber);
    if (scan.added.length > 0 || scan.removed.length > 0) {
      this.logger.info("index-updated", {
        block: blockNumber,
        added: scan.added,
        removed: scan.removed,
        debtors: this.index.debtors.size,
      });
    }
    const header = await this.rpc(`block ${blockNumber}`, () => this.provider.getBlock(blockNumber));
    const timestamp = header?.timestamp ?? Math.floor(Date.now() / 1000);
    const { vault, engine } = this.contracts;
    const snapshots = await readAccountSnapshots(vault, engine, this.index.debtors, {
      blockTag: blockNumber,
      collaterals: this.collaterals,
      rpc: this.rpc,
    });
    const duties = this.options.duties ?? {};
    const maxFlags = (duties.flag ?? true) ? (this.options.maxFlagsPerBlock ?? 10) : 0;
    const selection = selectLiquidations(snapshots, {
      maxPerBlock: this.options.maxLiquidationsPerBlock ?? 10,
      canSell: this.canSell,
      dustValue: (duties.writeOff ?? true) ? this.dustValue : undefined,
      maxFlagsPerBlock: maxFlags,
    });
    const report: BlockReport = {
      block: blockNumber,
      timestamp,
      debtors: this.index.debtors.size,
      scan,
      selection,
      liquidations: [],
      sent: [],
      simulated: [],
      rejected: [],
    };
    const unhealthy = snapshots.filter((s) => s.liquidatable).length;
    this.logger.log(selection.actions.length > 0 ? "info" : "debug", "block", {
      block: blockNumber,
      debtors: this.index.debtors.size,
      liquidatable: unhealthy,
      actions: selection.actions.length,
      flags: selection.flags.length,
    });
    for (const skip of selection.skipped) {
      this.logger.debug("account-skipped", {
        borrower: skip.account,
        reason: skip.reason,
        detail: skip.detail === undefined ? undefined : { ...skip.detail },
      });
    }

    const { tasks } = this;
    await tasks.liquidations.run(selection.actions, report);
    await tasks.writeOffs.run(selection.actions, report);
    await tasks.flags.run(snapshots, selection, report, maxFlags);
    if ((duties.breaker ?? true) && !this.stopping) await tasks.breakerPokes.run(timestamp, report);
    if ((duties.volatility ?? true) && !this.stopping) {
      const sampled = await tasks.volatility.run(report);
      if (sampled !== undefined) await tasks.riskSync.run(sampled, report);
    }
    if ((duties.rebalance ?? true) && !this.stopping) await tasks.rebalance.run(report);
    if ((duties.backstop ?? true) && !this.stopping) await tasks.backstop.run(timestamp, report);
    if ((duties.allocator ?? true) && !this.stopping) await tasks.allocator.run(report);
    return report;
  }
}
