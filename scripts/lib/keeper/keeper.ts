/**
 * The keeper bot: on each new block it catches up the account index, snapshots the unhealthy accounts, decides with
 * `selection.ts`, and liquidates through a UniswapV3FlashLiquidator its wallet owns (capital-free: the seized
 * collateral is sold in a Uniswap v3 pool inside the flash callback); it also writes off dust accounts, flags the
 * liquidatable accounts it leaves, pokes the circuit breaker's entries, samples volatility and syncs the risk manager
 * when due, and runs the rebalancer when due.
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
import {
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type Provider,
  type Signer,
  ZeroAddress,
  getAddress,
} from "ethers";

import {
  CircuitBreaker__factory,
  CollateralVault__factory,
  LiquidationEngine__factory,
  MockERC20__factory,
  Rebalancer__factory,
  RiskManager__factory,
  UniswapV3FlashLiquidator__factory,
  VolatilityOracle__factory,
  type CircuitBreaker,
  type CollateralVault,
  type LiquidationEngine,
  type Rebalancer,
  type RiskManager,
  type UniswapV3FlashLiquidator,
  type VolatilityOracle,
} from "../../../typechain-types/index.js";
import { AccountIndex, readAccountSnapshots, type CatchUpReport, type RpcCall } from "./accounts.js";
import { Logger, type LogFields } from "./log.js";
import {
  DEFAULT_RETRY,
  backoffDelay,
  describeError,
  isTransientError,
  sleep,
  withRetry,
  type RetryPolicy,
} from "./rpc.js";
import { selectLiquidations, type Action, type Selection } from "./selection.js";

/** The contracts a keeper works with. Optional ones it leaves alone when absent. */
export interface KeeperContracts {
  vault: CollateralVault;
  engine: LiquidationEngine;
  breaker?: CircuitBreaker;
  volatility?: VolatilityOracle;
  riskManager?: RiskManager;
  rebalancer?: Rebalancer;
  /** The flash liquidator (owned by the keeper's wallet). Absent: liquidations are only previewed (dry run). */
  liquidator?: UniswapV3FlashLiquidator;
}

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
  duties?: { writeOff?: boolean; flag?: boolean; breaker?: boolean; volatility?: boolean; rebalance?: boolean };
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

/** One liquidation the keeper did (or, in a dry run, simulated). */
export interface LiquidationResult {
  borrower: string;
  collateral: string;
  repaid: bigint;
  seized: bigint;
  bonus: bigint;
  /** Base units the liquidator kept (sale proceeds − what it owed); undefined in a dry run. */
  profit?: bigint;
  txHash?: string;
  gasUsed?: bigint;
}

/** What one block's pass did. */
export interface BlockReport {
  block: number;
  timestamp: number;
  /** Accounts that may have debt, after the catch-up. */
  debtors: number;
  scan: CatchUpReport;
  selection: Selection;
  liquidations: LiquidationResult[];
  /** Hashes of every transaction sent (none in a dry run). */
  sent: string[];
  /** Every transaction simulated successfully but not sent (dry run), by log event. */
  simulated: string[];
  /** Transactions that failed their simulation (not sent), by log event with the decoded error. */
  rejected: { event: string; error: string; fields: LogFields }[];
}

export type StepResult =
  | { status: "processed"; report: BlockReport }
  | { status: "idle"; block: number }
  | { status: "failed"; error: string; failures: number; retryInMs: number };

/** A transaction to simulate and send. */
interface TxSpec<R> {
  /** Event logged when it is mined (`would-<event>` in a dry run, `<event>-failed` when a simulation fails). */
  event: string;
  fields: LogFields;
  simulate: (overrides: { blockTag: number; from?: string }) => Promise<R>;
  send: () => Promise<ContractTransactionResponse>;
  /** Fields the simulated result adds to the logs. */
  describe?: (result: R) => LogFields;
  /** Throws when a simulated result must not be sent (a batch with a failing item, say). */
  accept?: (result: R) => void;
}

type TxOutcome<R> =
  | { status: "sent"; result: R; receipt: ContractTransactionReceipt }
  | { status: "simulated"; result: R }
  | { status: "rejected"; error: string }
  | { status: "not-sent"; error: string };

/** Level names of ICircuitBreaker.Level. */
export const BREAKER_LEVELS = ["NONE", "TIGHTEN", "NO_BORROW", "QUEUE", "NO_LIQUIDATION"] as const;

/**
 * Finds every contract from the vault's own wiring (the engine, the breaker, the risk modules, the volatility oracle
 * behind the risk manager), so the keeper follows governance when it replaces one. `liquidator` is connected as given.
 */
export async function discoverContracts(
  runner: ContractRunner,
  vaultAddress: string,
  liquidatorAddress?: string,
): Promise<KeeperContracts> {
  const vault = CollateralVault__factory.connect(vaultAddress, runner);
  const engineAddress = await vault.liquidationEngine();
  if (engineAddress === ZeroAddress) throw new Error(`the vault at ${vaultAddress} has no liquidation engine`);
  const [breakerAddress] = await vault.circuitBreaker();
  const [riskManagerAddress, rebalancerAddress] = await vault.riskModules();
  const contracts: KeeperContracts = { vault, engine: LiquidationEngine__factory.connect(engineAddress, runner) };
  if (breakerAddress !== ZeroAddress) contracts.breaker = CircuitBreaker__factory.connect(breakerAddress, runner);
  if (riskManagerAddress !== ZeroAddress) {
    contracts.riskManager = RiskManager__factory.connect(riskManagerAddress, runner);
    const volatility = await contracts.riskManager.volatilityOracle();
    contracts.volatility = VolatilityOracle__factory.connect(volatility, runner);
  }
  if (rebalancerAddress !== ZeroAddress) contracts.rebalancer = Rebalancer__factory.connect(rebalancerAddress, runner);
  if (liquidatorAddress !== undefined) {
    contracts.liquidator = UniswapV3FlashLiquidator__factory.connect(liquidatorAddress, runner);
  }
  return contracts;
}

/** Deploys a UniswapV3FlashLiquidator owned by `owner`'s address, for `contracts`' engine and vault. */
export async function deployLiquidator(owner: Signer, contracts: KeeperContracts): Promise<UniswapV3FlashLiquidator> {
  const base = await contracts.vault.asset();
  const factory = new UniswapV3FlashLiquidator__factory(owner);
  const liquidator = await factory.deploy(
    await contracts.engine.getAddress(),
    await contracts.vault.getAddress(),
    base,
    await owner.getAddress(),
  );
  await liquidator.waitForDeployment();
  return liquidator;
}

/**
 * Sets the pool each collateral is sold in (`collateral → pool`), simulating each call first; pools already set are
 * left alone. Returns the collaterals changed.
 */
export async function setLiquidatorPools(
  liquidator: UniswapV3FlashLiquidator,
  pools: Readonly<Record<string, string>>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const [collateral, pool] of Object.entries(pools)) {
    if (getAddress(await liquidator.poolFor(collateral)) === getAddress(pool)) continue;
    await liquidator.setPool.staticCall(collateral, pool);
    const receipt = await (await liquidator.setPool(collateral, pool)).wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`setPool(${collateral}, ${pool}) failed`);
    changed.push(getAddress(collateral));
  }
  return changed;
}

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
  private collaterals: string[] = [];
  private readonly symbols = new Map<string, string>();
  private readonly pools = new Map<string, string>();
  private dustValue: bigint | undefined;
  /** Who simulations of owner-only liquidator calls come from (the owner, in a dry run without a key). */
  private liquidatorOwner: string | undefined;
  /** Chain time of the last poke of each breaker entry. */
  private readonly lastPoke = new Map<string, number>();
  /** Last simulation failure logged per action key, so a persistent one is logged once per change. */
  private readonly lastRejection = new Map<string, string>();
  private indexedRanges = 0;
  private lastBlock: number | undefined;
  private failures = 0;

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
      this.liquidatorOwner = getAddress(await this.rpc("liquidator.owner", () => liquidator.owner()));
      if (this.signer !== undefined && getAddress(await this.signer.getAddress()) !== this.liquidatorOwner) {
        throw new Error(
          `the liquidator ${await liquidator.getAddress()} is owned by ${this.liquidatorOwner}, not by the keeper's wallet ${await this.signer.getAddress()}`,
        );
      }
    }
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
    const { vault, engine, breaker, volatility, riskManager, rebalancer, liquidator } = this.contracts;
    const address = (contract: { target: unknown } | undefined): string | undefined =>
      contract === undefined ? undefined : String(contract.target);
    return {
      vault: address(vault),
      engine: address(engine),
      breaker: address(breaker),
      volatility: address(volatility),
      riskManager: address(riskManager),
      rebalancer: address(rebalancer),
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
        this.lastPoke.clear();
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

    await this.liquidate(selection.actions, report);
    for (const action of selection.actions) {
      if (action.kind === "writeOff" && !this.stopping) await this.writeOff(action.borrower, report);
    }
    // Flag what is left liquidatable: the accounts selection left without an action, and those whose liquidation
    // failed its simulation (their bonus climbs from the flag, which may make them worth liquidating).
    const unflagged = new Set(snapshots.filter((s) => s.flaggedAt === 0n).map((s) => s.account));
    const failed = report.rejected.flatMap((r) =>
      r.event === "liquidate" && typeof r.fields.borrower === "string" ? [r.fields.borrower] : [],
    );
    const flags = [...new Set([...selection.flags, ...failed.filter((a) => unflagged.has(a))])].slice(0, maxFlags);
    for (const account of flags) if (!this.stopping) await this.flag(account, report);
    if ((duties.breaker ?? true) && !this.stopping) await this.pokeBreaker(timestamp, report);
    if ((duties.volatility ?? true) && !this.stopping) await this.updateVolatility(report);
    if ((duties.rebalance ?? true) && !this.stopping) await this.rebalance(report);
    return report;
  }

  // ------------------------------------------------------------------------------------------------ transactions

  /**
   * Simulates `spec` at the current block and, unless this is a dry run, sends it — only if no block arrived since
   * the simulation (else it simulates again, up to three times). Logs the outcome.
   */
  private async execute<R>(spec: TxSpec<R>, report: BlockReport, key: string): Promise<TxOutcome<R>> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (this.stopping) return { status: "not-sent", error: "stopping" };
      const block = await this.rpc("blockNumber", () => this.provider.getBlockNumber());
      let result: R;
      try {
        result = await this.rpc(`simulate ${spec.event}`, () =>
          spec.simulate({ blockTag: block, ...this.fromOverride() }),
        );
        spec.accept?.(result);
      } catch (error) {
        if (isTransientError(error)) throw error;
        const message = describeError(error);
        report.rejected.push({ event: spec.event, error: message, fields: spec.fields });
        this.logger.log(this.rejectionLevel(key, message), "simulation-failed", {
          action: spec.event,
          block,
          ...spec.fields,
          error: message,
        });
        return { status: "rejected", error: message };
      }
      this.lastRejection.delete(key);
      const described = spec.describe?.(result) ?? {};
      if (this.dryRun) {
        report.simulated.push(spec.event);
        this.logger.info(`would-${spec.event}`, { block, ...spec.fields, ...described, dryRun: true });
        return { status: "simulated", result };
      }
      const now = await this.rpc("blockNumber", () => this.provider.getBlockNumber());
      if (now !== block) {
        this.logger.debug("resimulate", { action: spec.event, simulatedAt: block, now });
        continue;
      }
      let receipt: ContractTransactionReceipt | null;
      try {
        const tx = await spec.send();
        report.sent.push(tx.hash);
        this.logger.debug("tx-sent", { action: spec.event, txHash: tx.hash, ...spec.fields });
        receipt = await tx.wait(1, (this.options.txTimeoutSeconds ?? 120) * 1000);
      } catch (error) {
        const message = describeError(error);
        this.logger.error(`${spec.event}-failed`, { ...spec.fields, error: message });
        return { status: "not-sent", error: message };
      }
      if (receipt === null) return { status: "not-sent", error: "no receipt" };
      return { status: "sent", result, receipt };
    }
    this.logger.warn("not-sent", {
      action: spec.event,
      ...spec.fields,
      error: "a new block arrived after each simulation",
    });
    return { status: "not-sent", error: "chain moving" };
  }

  private simulateFrom(): string | undefined {
    return this.signer === undefined ? this.liquidatorOwner : undefined;
  }

  private txFields(receipt: ContractTransactionReceipt): LogFields {
    return { txHash: receipt.hash, block: receipt.blockNumber, gasUsed: receipt.gasUsed };
  }

  // ------------------------------------------------------------------------------------------------ liquidations

  private async liquidate(actions: readonly Action[], report: BlockReport): Promise<void> {
    const orders = actions.flatMap((action) =>
      action.kind === "liquidate"
        ? [{ borrower: action.borrower, collateral: action.collateral, maxRepay: action.maxRepay }]
        : [],
    );
    if (orders.length === 0) return;
    const { liquidator } = this.contracts;
    if (liquidator === undefined) {
      if (!this.dryRun) {
        this.logger.warn("no-liquidator", { borrowers: orders.map((o) => o.borrower) });
        return;
      }
      // A dry run without a liquidator: the engine's preview, read with the snapshot, is the simulation.
      for (const action of actions) {
        if (action.kind !== "liquidate" || action.preview?.ok !== true) continue;
        const { repay, seize, bonus } = action.preview;
        report.simulated.push("liquidate");
        report.liquidations.push({
          borrower: action.borrower,
          collateral: action.collateral,
          repaid: repay,
          seized: seize,
          bonus,
        });
        this.logger.info("would-liquidate", {
          borrower: action.borrower,
          collateral: action.collateral,
          symbol: this.symbol(action.collateral),
          repay,
          seize,
          bonus,
          health: action.health,
          simulation: "engine preview (no liquidator)",
          dryRun: true,
        });
      }
      return;
    }
    const minProfit = this.options.minProfit ?? 0n;
    let singles = orders;
    if ((this.options.batch ?? true) && orders.length > 1) {
      // Keep only the orders that simulate on their own, then send them as one batch if the batch simulates whole.
      const fine: typeof orders = [];
      for (const order of orders) {
        try {
          await this.rpc("simulate liquidate", () =>
            liquidator.liquidate.staticCall(
              order.borrower,
              order.collateral,
              order.maxRepay,
              minProfit,
              this.fromOverride(),
            ),
          );
          fine.push(order);
          this.lastRejection.delete(`liquidate:${order.borrower}:${order.collateral}`);
        } catch (error) {
          if (isTransientError(error)) throw error;
          this.rejectLiquidation(order, describeError(error), report);
        }
      }
      singles = fine;
      if (fine.length > 1) {
        const outcome = await this.execute(
          {
            event: "liquidate-batch",
            fields: { orders: fine.length, borrowers: fine.map((o) => o.borrower) },
            simulate: (overrides) => liquidator.liquidateBatch.staticCall(fine, minProfit, overrides),
            accept: ([, succeeded]) => {
              const failed = succeeded.findIndex((ok) => !ok);
              if (failed >= 0) throw new Error(`batch item ${failed} (${fine[failed].borrower}) would be skipped`);
            },
            send: () => liquidator.liquidateBatch(fine, minProfit),
            describe: ([quotes]) => ({ repay: quotes.map((q) => q.repay), seize: quotes.map((q) => q.seize) }),
          },
          report,
          `batch:${fine.map((o) => o.borrower).join(",")}`,
        );
        if (outcome.status === "sent") {
          this.recordLiquidations(outcome.receipt, report, fine.length);
          return;
        }
        if (outcome.status === "simulated") {
          const [quotes] = outcome.result;
          fine.forEach((order, i) =>
            report.liquidations.push({
              borrower: order.borrower,
              collateral: order.collateral,
              repaid: quotes[i].repay,
              seized: quotes[i].seize,
              bonus: quotes[i].bonus,
            }),
          );
          return;
        }
        // The batch did not simulate whole (one sale moved the pool for the next, say): one by one, each simulated
        // right before it is sent.
        this.logger.info("batch-fallback", { orders: fine.length });
      }
    }
    for (const order of singles) {
      if (this.stopping) return;
      const fields = { borrower: order.borrower, collateral: order.collateral, symbol: this.symbol(order.collateral) };
      const outcome = await this.execute(
        {
          event: "liquidate",
          fields,
          simulate: (overrides) =>
            liquidator.liquidate.staticCall(order.borrower, order.collateral, order.maxRepay, minProfit, overrides),
          send: () => liquidator.liquidate(order.borrower, order.collateral, order.maxRepay, minProfit),
          describe: (q) => ({ repay: q.repay, seize: q.seize, bonus: q.bonus, health: q.health }),
        },
        report,
        `liquidate:${order.borrower}:${order.collateral}`,
      );
      if (outcome.status === "sent") this.recordLiquidations(outcome.receipt, report, 1);
      if (outcome.status === "simulated") {
        const q = outcome.result;
        report.liquidations.push({ ...fields, repaid: q.repay, seized: q.seize, bonus: q.bonus });
      }
    }
  }

  private fromOverride(): { from?: string } {
    const from = this.simulateFrom();
    return from === undefined ? {} : { from };
  }

  private rejectLiquidation(order: { borrower: string; collateral: string }, error: string, report: BlockReport): void {
    const key = `liquidate:${order.borrower}:${order.collateral}`;
    const fields = { borrower: order.borrower, collateral: order.collateral, symbol: this.symbol(order.collateral) };
    report.rejected.push({ event: "liquidate", error, fields });
    this.logger.log(this.rejectionLevel(key, error), "simulation-failed", { action: "liquidate", ...fields, error });
  }

  /**
   * `warn` for a new simulation failure of the action `key`, `debug` when it failed the same way (the same error,
   * whatever its arguments) last time: a persistent failure is reported once, not every block.
   */
  private rejectionLevel(key: string, error: string): "warn" | "debug" {
    const kind = error.replace(/\(.*$/s, "");
    const repeated = this.lastRejection.get(key) === kind;
    this.lastRejection.set(key, kind);
    return repeated ? "debug" : "warn";
  }

  /** Logs one `liquidated` line per liquidation the receipt carries (and `liquidation-skipped` for batch skips). */
  private recordLiquidations(receipt: ContractTransactionReceipt, report: BlockReport, orders: number): void {
    const { engine, liquidator } = this.contracts;
    const executed: {
      borrower: string;
      collateral: string;
      repaid: bigint;
      seized: bigint;
      fee: bigint;
      bonus: bigint;
      healthBefore: bigint;
    }[] = [];
    const sales: { received: bigint; owed: bigint }[] = [];
    const engineAddress = String(engine.target).toLowerCase();
    const liquidatorAddress = String(liquidator?.target ?? "").toLowerCase();
    for (const log of receipt.logs) {
      const from = log.address.toLowerCase();
      if (from !== engineAddress && from !== liquidatorAddress) continue;
      const engineEvent = from === engineAddress ? engine.interface.parseLog(log) : null;
      if (engineEvent?.name === "LiquidationExecuted") {
        const [borrower, collateral, , repaid, seized, fee, bonus, healthBefore] = engineEvent.args as unknown as [
          string,
          string,
          string,
          bigint,
          bigint,
          bigint,
          bigint,
          bigint,
        ];
        executed.push({ borrower, collateral, repaid, seized, fee, bonus, healthBefore });
        continue;
      }
      if (engineEvent?.name === "LiquidationSkipped") {
        const [borrower, collateral, reason] = engineEvent.args as unknown as [string, string, string];
        this.logger.warn("liquidation-skipped", { borrower, collateral, error: describeError({ data: reason }) });
        continue;
      }
      const sale = from === liquidatorAddress ? liquidator?.interface.parseLog(log) : undefined;
      if (sale?.name === "CollateralSold") {
        const [, , received, owed] = sale.args as unknown as [string, bigint, bigint, bigint];
        sales.push({ received, owed });
      }
    }
    executed.forEach((item, i) => {
      const sale = sales[i];
      const profit = sale === undefined ? undefined : sale.received - sale.owed;
      report.liquidations.push({
        borrower: item.borrower,
        collateral: item.collateral,
        repaid: item.repaid,
        seized: item.seized,
        bonus: item.bonus,
        profit,
        txHash: receipt.hash,
        gasUsed: receipt.gasUsed,
      });
      this.logger.info("liquidated", {
        borrower: item.borrower,
        collateral: item.collateral,
        symbol: this.symbol(item.collateral),
        repaid: item.repaid,
        seized: item.seized,
        fee: item.fee,
        bonus: item.bonus,
        healthBefore: item.healthBefore,
        profit,
        ...this.txFields(receipt),
        ...(orders > 1 ? { batch: orders } : {}),
      });
    });
  }

  // ------------------------------------------------------------------------------------------------ other duties

  private async writeOff(borrower: string, report: BlockReport): Promise<void> {
    const { engine } = this.contracts;
    const outcome = await this.execute(
      {
        event: "written-off",
        fields: { borrower },
        simulate: (overrides) => engine.writeOff.staticCall(borrower, overrides),
        send: () => engine.writeOff(borrower),
        describe: (amount) => ({ amount }),
      },
      report,
      `writeOff:${borrower}`,
    );
    if (outcome.status === "sent") {
      this.logger.info("written-off", { borrower, amount: outcome.result, ...this.txFields(outcome.receipt) });
    }
  }

  private async flag(account: string, report: BlockReport): Promise<void> {
    const { engine } = this.contracts;
    const outcome = await this.execute(
      {
        event: "flagged",
        fields: { borrower: account },
        simulate: (overrides) => engine.flag.staticCall(account, overrides),
        send: () => engine.flag(account),
      },
      report,
      `flag:${account}`,
    );
    if (outcome.status === "sent")
      this.logger.info("flagged", { borrower: account, ...this.txFields(outcome.receipt) });
  }

  /**
   * Pokes each breaker entry (the base asset, each collateral, the global entry) whose poke would change its action
   * mask or level, and every entry not poked for `pokeIntervalSeconds` of chain time.
   */
  private async pokeBreaker(timestamp: number, report: BlockReport): Promise<void> {
    const { breaker } = this.contracts;
    if (breaker === undefined) return;
    const interval = this.options.pokeIntervalSeconds ?? 600;
    for (const asset of [this.base, ...this.collaterals, ZeroAddress]) {
      if (this.stopping) return;
      const entry = await this.rpc(`breaker.entry ${asset}`, () => breaker.entry(asset));
      const before = { mask: entry.actionMask, level: entry.level };
      let after: { mask: bigint; level: bigint };
      try {
        const [mask, level] = await this.rpc(`simulate poke ${asset}`, () => breaker.poke.staticCall(asset));
        after = { mask, level };
      } catch (error) {
        if (isTransientError(error)) throw error;
        this.rejectOther("breaker-poked", { asset, symbol: this.symbol(asset) }, describeError(error), report);
        continue;
      }
      const changed = after.mask !== before.mask || after.level !== before.level;
      const last = this.lastPoke.get(asset);
      const due = last === undefined || timestamp - last >= interval;
      if (!changed && !due) continue;
      const fields: LogFields = {
        asset,
        symbol: this.symbol(asset),
        why: changed ? "changed" : "interval",
        levelBefore: BREAKER_LEVELS[Number(before.level)] ?? String(before.level),
        levelAfter: BREAKER_LEVELS[Number(after.level)] ?? String(after.level),
        maskBefore: before.mask,
        maskAfter: after.mask,
      };
      const outcome = await this.execute(
        {
          event: "breaker-poked",
          fields,
          simulate: (overrides) => breaker.poke.staticCall(asset, overrides),
          send: () => breaker.poke(asset),
        },
        report,
        `poke:${asset}`,
      );
      if (outcome.status === "sent" || outcome.status === "simulated") this.lastPoke.set(asset, timestamp);
      if (outcome.status === "sent") {
        this.logger.log(changed ? "info" : "debug", "breaker-poked", { ...fields, ...this.txFields(outcome.receipt) });
      }
    }
  }

  /** Samples volatility of every collateral that is due, then has the risk manager sync those collaterals. */
  private async updateVolatility(report: BlockReport): Promise<void> {
    const { volatility, riskManager } = this.contracts;
    if (volatility === undefined) return;
    const due: string[] = [];
    for (const asset of this.collaterals) {
      if (await this.rpc(`volatility.isDue ${asset}`, () => volatility.isDue(asset))) due.push(asset);
    }
    if (due.length === 0 || this.stopping) return;
    const symbols = due.map((asset) => this.symbol(asset));
    const outcome = await this.execute(
      {
        event: "volatility-updated",
        fields: { assets: due, symbols },
        simulate: (overrides) => volatility.updateMany.staticCall(due, overrides),
        accept: (updated) => {
          if (updated === 0n) throw new Error("no asset would be updated");
        },
        send: () => volatility.updateMany(due),
        describe: (updated) => ({ updated }),
      },
      report,
      `volatility:${due.join(",")}`,
    );
    if (outcome.status === "sent") {
      this.logger.info("volatility-updated", {
        assets: due,
        symbols,
        updated: outcome.result,
        ...this.txFields(outcome.receipt),
      });
    }
    if (outcome.status === "rejected" || outcome.status === "not-sent" || riskManager === undefined || this.stopping) {
      return;
    }
    const synced = await this.execute(
      {
        event: "risk-synced",
        fields: { assets: due, symbols },
        simulate: (overrides) => riskManager.syncMany.staticCall(due, overrides),
        send: () => riskManager.syncMany(due),
      },
      report,
      `sync:${due.join(",")}`,
    );
    if (synced.status === "sent") {
      this.logger.info("risk-synced", { assets: due, symbols, ...this.txFields(synced.receipt) });
    }
  }

  /** Runs the rebalancer for every collateral it says is due. */
  private async rebalance(report: BlockReport): Promise<void> {
    const { rebalancer } = this.contracts;
    if (rebalancer === undefined) return;
    for (const asset of this.collaterals) {
      if (this.stopping) return;
      if (!(await this.rpc(`rebalancer.isDue ${asset}`, () => rebalancer.isDue(asset)))) continue;
      const fields = { asset, symbol: this.symbol(asset) };
      const outcome = await this.execute(
        {
          event: "rebalanced",
          fields,
          simulate: (overrides) => rebalancer.rebalance.staticCall(asset, overrides),
          send: () => rebalancer.rebalance(asset),
          describe: ([sold, received]) => ({ sold, received }),
        },
        report,
        `rebalance:${asset}`,
      );
      if (outcome.status === "sent") {
        const [sold, received] = outcome.result;
        this.logger.info("rebalanced", { ...fields, sold, received, ...this.txFields(outcome.receipt) });
      }
    }
  }

  private rejectOther(event: string, fields: LogFields, error: string, report: BlockReport): void {
    report.rejected.push({ event, error, fields });
    this.logger.warn("simulation-failed", { action: event, ...fields, error });
  }
}
