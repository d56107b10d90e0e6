/**
 * Reads a deployed Bulwark into the console's `ChainView`, read-only: the market, every account with debt (found by
 * the keeper's `AccountIndex` from the vault's events), the circuit breaker, the oracle, the risk manager's caps and
 * the withdrawal queue. Contracts are found from the vault's own wiring (through a VaultLens), so the console follows
 * governance when it replaces one; optional ones (risk manager, queue, upkeep, timelock) are left out when absent.
 */
import { Contract, ZeroAddress, formatUnits, getAddress, type Provider } from "ethers";

import {
  KinkedRateModel__factory,
  MockERC20__factory,
  OracleAdapter__factory,
  SecurityOps__factory,
  TimelockController__factory,
  WithdrawalQueue__factory,
  type OracleAdapter,
  type SecurityOps,
  type TimelockController,
  type WithdrawalQueue,
} from "../../../typechain-types/index.js";
import { AccountIndex, discoverContracts, mapLimit, type KeeperContracts } from "../keeper/index.js";
import {
  FAILED as FAILED_STATUS,
  liquidationHealth,
  liquidityOf,
  type MarketView as HealthMarket,
  type PriceRead,
} from "../sim/health.js";
import { BREAKER_LEVEL_NAMES, BREAKER_REASON_NAMES } from "../sim/types.js";
import type {
  AccountRow,
  AccountsView,
  BreakerView,
  ChainView,
  DefenceView,
  MarketView,
  OracleView,
  RiskView,
} from "./types.js";

const RAY = 10n ** 27n;
const MAX_UINT256 = 2n ** 256n - 1n;
const YEAR = 365 * 24 * 3600;

/** Breaker levels and reasons (ICircuitBreaker's enums), as the simulation names them. */
export const BREAKER_LEVELS = BREAKER_LEVEL_NAMES;
export const BREAKER_REASONS = BREAKER_REASON_NAMES;
/** The breaker's action bits (BreakerState.sol), low bit first. */
export const BREAKER_ACTIONS = [
  "supply",
  "withdraw",
  "borrow",
  "deposit-collateral",
  "withdraw-collateral",
  "liquidate",
];
export const PRICE_STATUSES = ["OK", "DEGRADED", "FAILED"] as const;
export const PRICE_REASONS = [
  "NONE",
  "NOT_CONFIGURED",
  "FEED_REVERTED",
  "INVALID_ANSWER",
  "STALE",
  "OUT_OF_BOUNDS",
  "SOURCES_DISAGREE",
  "UNCONFIRMED_JUMP",
  "SECONDARY_FAILED",
  "SEQUENCER_DOWN",
  "SEQUENCER_GRACE",
  "SEQUENCER_FEED_BROKEN",
] as const;
export const RESERVE_STATUSES = ["UNCHECKED", "OK", "SHORT", "STALE", "BROKEN"] as const;

/** Health buckets of the distribution (upper bounds; the last is open). */
export const HEALTH_BUCKETS: ReadonlyArray<{ label: string; below: number }> = [
  { label: "< 1", below: 1 },
  { label: "1 – 1.05", below: 1.05 },
  { label: "1.05 – 1.1", below: 1.1 },
  { label: "1.1 – 1.25", below: 1.25 },
  { label: "1.25 – 1.5", below: 1.5 },
  { label: "1.5 – 2", below: 2 },
  { label: "≥ 2", below: Infinity },
];

/** Where the console reads a deployment: the vault and a VaultLens, and optionally the timelock and the upkeep. */
export interface ConsoleAddresses {
  vault: string;
  lens: string;
  timelock?: string;
  securityOps?: string;
}

/** A Chainlink-style feed, read for its latest answer and age (no TypeChain binding ships for the interface). */
export interface FeedReader {
  latest(blockTag: number): Promise<{ answer: bigint; updatedAt: bigint } | undefined>;
  decimals: number;
}

const FEED_ABI = [
  "function latestRoundData() view returns (uint80, int256, uint256, uint256, uint80)",
  "function decimals() view returns (uint8)",
];

/** A `FeedReader` for the feed at `address`; undefined reads where the feed reverts. */
export async function feedReader(address: string, provider: Provider): Promise<FeedReader> {
  const feed = new Contract(address, FEED_ABI, provider);
  const decimals = Number((await feed.decimals().catch(() => 8n)) as bigint);
  return {
    decimals,
    async latest(blockTag: number) {
      try {
        const round = (await feed.latestRoundData({ blockTag })) as [bigint, bigint, bigint, bigint, bigint];
        return { answer: round[1], updatedAt: round[3] };
      } catch {
        return undefined;
      }
    },
  };
}

/** One listed asset (the base first). */
export interface AssetInfo {
  address: string;
  symbol: string;
  decimals: number;
  feed?: FeedReader;
  heartbeat: number;
}

/** The contracts a console reads, found once at start (and again when the wiring changes). */
export interface ConsoleContracts extends KeeperContracts {
  oracle: OracleAdapter;
  queue?: WithdrawalQueue;
  securityOps?: SecurityOps;
  timelock?: TimelockController;
  rateModel: string;
  assets: AssetInfo[];
  /** Address (checksummed) → role name, for the timeline. */
  roles: Map<string, string>;
  /** Address (checksummed) → symbol. */
  symbols: Map<string, string>;
  shareDecimals: number;
  baseDecimals: number;
}

const num = (value: bigint, decimals: number): number => Number(formatUnits(value, decimals));
const wadNum = (value: bigint): number => (value === MAX_UINT256 ? Infinity : num(value, 18));

/** Checks there is code at each address; throws one line naming the first that has none. */
export async function checkCode(provider: Provider, named: Record<string, string | undefined>): Promise<void> {
  for (const [name, address] of Object.entries(named)) {
    if (address === undefined) continue;
    if ((await provider.getCode(address)) === "0x") {
      throw new Error(
        `no contract at the ${name} address ${address} on this chain (a record of another chain, or of a node since restarted?)`,
      );
    }
  }
}

/** Finds every contract from the vault's wiring. */
export async function discoverConsoleContracts(
  provider: Provider,
  addresses: ConsoleAddresses,
): Promise<ConsoleContracts> {
  await checkCode(provider, {
    vault: addresses.vault,
    lens: addresses.lens,
    timelock: addresses.timelock,
    upkeep: addresses.securityOps,
  });
  const keeper = await discoverContracts(provider, addresses.vault, addresses.lens);
  const [oracleAddress, rateModel] = await keeper.lens.parameters(addresses.vault);
  const [, queueAddress] = await keeper.lens.circuitBreaker(addresses.vault);
  const oracle = OracleAdapter__factory.connect(oracleAddress, provider);
  const base = await keeper.vault.asset();
  const collaterals = await keeper.vault.collateralAssets();
  const assets: AssetInfo[] = [];
  for (const address of [base, ...collaterals]) {
    const token = MockERC20__factory.connect(address, provider);
    const symbol = await token.symbol().catch(() => address.slice(0, 8));
    const decimals = Number(await token.decimals());
    let feed: FeedReader | undefined;
    let heartbeat = 0;
    try {
      const config = await oracle.assetConfig(address);
      if (config.primary.feed !== ZeroAddress) {
        feed = await feedReader(config.primary.feed, provider);
        heartbeat = Number(config.primary.heartbeat);
      }
    } catch {
      // Another IPriceOracle than the adapter: no feed details.
    }
    assets.push({ address: getAddress(address), symbol, decimals, feed, heartbeat });
  }
  const roles = new Map<string, string>();
  const add = (role: string, address: string | undefined): void => {
    if (address !== undefined && address !== ZeroAddress) roles.set(getAddress(address), role);
  };
  add("vault", addresses.vault);
  add("engine", String(keeper.engine.target));
  add("breaker", keeper.breaker === undefined ? undefined : String(keeper.breaker.target));
  add("oracle", oracleAddress);
  add("riskManager", keeper.riskManager === undefined ? undefined : String(keeper.riskManager.target));
  add("volatility", keeper.volatility === undefined ? undefined : String(keeper.volatility.target));
  add("rebalancer", keeper.rebalancer === undefined ? undefined : String(keeper.rebalancer.target));
  add("queue", queueAddress);
  add("upkeep", addresses.securityOps);
  add("timelock", addresses.timelock);
  add("rateModel", rateModel);
  return {
    ...keeper,
    oracle,
    queue: queueAddress === ZeroAddress ? undefined : WithdrawalQueue__factory.connect(queueAddress, provider),
    securityOps:
      addresses.securityOps === undefined ? undefined : SecurityOps__factory.connect(addresses.securityOps, provider),
    timelock:
      addresses.timelock === undefined ? undefined : TimelockController__factory.connect(addresses.timelock, provider),
    rateModel,
    assets,
    roles,
    symbols: new Map(assets.map((a) => [a.address, a.symbol])),
    shareDecimals: Number(await keeper.vault.decimals()),
    baseDecimals: assets[0].decimals,
  };
}

/**
 * What the console keeps between blocks (from the timeline), stored with each step: flagged accounts, each
 * provisioned account's provision (base units, as a decimal string), the last upkeep and keeper actions, and where the
 * accounts index stands.
 */
export interface ReaderMemory {
  /** The first block the console watched (events before it raise no alert). */
  watchingFrom: number;
  flagged: Set<string>;
  provisions: Record<string, string>;
  lastUpkeep: { block: number; timestamp: number } | null;
  lastKeeper: { action: string; block: number; by: string } | null;
  index?: { scannedTo: number; debtors: string[] };
  /**
   * Contracts learned from wiring events (address → role): followed for good, across restarts, even once replaced
   * (a catch-up over a replaced contract's life reads its events).
   */
  followed?: Record<string, string>;
}

export const emptyMemory = (watchingFrom: number): ReaderMemory => ({
  watchingFrom,
  flagged: new Set(),
  provisions: {},
  lastUpkeep: null,
  lastKeeper: null,
});

/** A copy of `memory` a step can change without touching the original. */
export const cloneMemory = (memory: ReaderMemory): ReaderMemory => memoryFromJson(memoryToJson(memory))!;

/** `memory` as JSON (the history database keeps it between runs). */
export const memoryToJson = (memory: ReaderMemory): string =>
  JSON.stringify({ ...memory, flagged: [...memory.flagged] });

/** The inverse of `memoryToJson`; undefined for anything else. */
export function memoryFromJson(text: string | undefined): ReaderMemory | undefined {
  if (text === undefined) return undefined;
  try {
    const raw = JSON.parse(text) as Omit<ReaderMemory, "flagged"> & { flagged: string[] };
    if (typeof raw.watchingFrom !== "number" || !Array.isArray(raw.flagged) || typeof raw.provisions !== "object")
      return undefined;
    return { ...raw, flagged: new Set(raw.flagged) };
  } catch {
    return undefined;
  }
}

export interface ReaderOptions {
  /** Accounts listed as closest to liquidation (default 15). */
  closest?: number;
  /** Accounts per `positions` and `riskScores` call (default 200). */
  chunk?: number;
  /** Most blocks per `eth_getLogs` of the accounts index (default 2,000). */
  maxBlockRange?: number;
  /** Where the accounts index stood (from the history database): it goes on from there instead of rescanning. */
  index?: { scannedTo: number; debtors: readonly string[] };
}

/** One block's prices and effective risk parameters: read once, used by the accounts and the defences alike. */
interface BlockPrices {
  /** The assets listed at the block, base first: what the other fields follow. */
  assets: AssetInfo[];
  /** `getPrice` of each asset, base first. */
  prices: Array<{ low: bigint; high: bigint; status: bigint; reason: bigint }>;
  /** Effective (borrow LTV, threshold) of each collateral. */
  effective: Array<[bigint, bigint]>;
  borrowIndex: bigint;
}

/** Reads `ChainView`s of one deployment. */
export class ChainReader {
  readonly index: AccountIndex;
  readonly provider: Provider;
  readonly contracts: ConsoleContracts;
  readonly chainId: number;
  private readonly closest: number;
  private readonly chunk: number;

  constructor(
    provider: Provider,
    contracts: ConsoleContracts,
    chainId: number,
    fromBlock: number,
    options: ReaderOptions = {},
  ) {
    this.provider = provider;
    this.contracts = contracts;
    this.chainId = chainId;
    const resume = options.index !== undefined && options.index.scannedTo >= fromBlock ? options.index : undefined;
    this.index = new AccountIndex(contracts.vault, provider, {
      fromBlock: resume === undefined ? fromBlock : resume.scannedTo + 1,
      maxBlockRange: options.maxBlockRange,
    });
    for (const debtor of resume?.debtors ?? []) this.index.add(debtor);
    this.closest = options.closest ?? 15;
    this.chunk = options.chunk ?? 200;
  }

  /** Where the accounts index stands (kept in the history database). */
  indexState(): { scannedTo: number; debtors: string[] } {
    return { scannedTo: this.index.scannedTo, debtors: [...this.index.debtors] };
  }

  /** The view at `block` (its accounts index caught up to it first), and every account it valued. */
  async read(block: number, memory: ReaderMemory): Promise<{ view: ChainView; accounts: AccountRow[] }> {
    await this.index.catchUp(block);
    const header = await this.provider.getBlock(block);
    if (header === null) throw new Error(`block ${block} is not available from the RPC`);
    const at = { blockTag: block };
    const { vault, oracle } = this.contracts;
    // The assets listed at this block (one listed later, seen by a newer discovery, has no parameters here yet).
    const listed = new Set((await vault.collateralAssets(at)).map((a) => getAddress(a)));
    const assets = [this.contracts.assets[0], ...this.contracts.assets.slice(1).filter((a) => listed.has(a.address))];
    const [prices, effective, borrowIndex] = await Promise.all([
      Promise.all(assets.map((a) => oracle.getPrice(a.address, at))),
      Promise.all(assets.slice(1).map((a) => vault.riskParams(a.address, at))),
      vault.borrowIndex(at),
    ]);
    const block_: BlockPrices = {
      assets,
      prices: prices.map((p) => ({ low: p.low, high: p.high, status: p.status, reason: p.reason })),
      effective: effective.map(([ltv, threshold]) => [ltv, threshold]),
      borrowIndex,
    };
    const [market, accounts, defences] = await Promise.all([
      this.market(at),
      this.accounts(at, memory, block_),
      this.defences(at, header.timestamp, memory, block_),
    ]);
    return {
      view: { chainId: this.chainId, block, timestamp: header.timestamp, market, accounts: accounts.view, defences },
      accounts: accounts.rows,
    };
  }

  private async market(at: { blockTag: number }): Promise<MarketView> {
    const { vault, lens } = this.contracts;
    const d = this.contracts.baseDecimals;
    const vaultAddress = String(vault.target);
    const [totalAssets, totalDebt, cash, reserves, badDebt, provisions, unrecovered, sharePrice, parameters] =
      await Promise.all([
        vault.totalAssets(at),
        vault.totalDebt(at),
        vault.cash(at),
        vault.reserves(at),
        vault.badDebt(at),
        lens.totalProvision(vaultAddress, at),
        lens.unrecoveredLoss(vaultAddress, at),
        vault.convertToAssets(10n ** BigInt(this.contracts.shareDecimals), at),
        lens.parameters(vaultAddress, at),
      ]);
    const borrowCap = parameters[3];
    const rate = await KinkedRateModel__factory.connect(this.contracts.rateModel, this.provider)
      .borrowRatePerSecond(cash, totalDebt, at)
      .catch(() => 0n);
    const lent = cash + totalDebt;
    return {
      baseSymbol: this.contracts.assets[0].symbol,
      baseDecimals: d,
      totalAssets: num(totalAssets, d),
      totalBorrows: num(totalDebt, d),
      cash: num(cash, d),
      reserves: num(reserves, d),
      provisions: num(provisions, d),
      badDebt: num(badDebt, d),
      unrecoveredLoss: num(unrecovered, d),
      sharePrice: num(sharePrice, d),
      utilisation: lent === 0n ? 0 : Number((totalDebt * 1_000_000n) / lent) / 1_000_000,
      borrowApr: wadNum(rate) * YEAR,
      borrowCap: num(borrowCap, d),
    };
  }

  /**
   * Every account with debt (and every flagged or provisioned one), valued off chain from its raw position
   * (`VaultLens.positions`, one call per chunk) at this block's prices, thresholds and index, on the liquidation side
   * exactly as `VaultLens.healthFactor` (sim/health.ts `liquidationHealth`): 1 is the liquidation point even under a
   * doubted price, and an account whose valuation needs a FAILED base price has no health (null).
   */
  private async accounts(
    at: { blockTag: number },
    memory: ReaderMemory,
    block: BlockPrices,
  ): Promise<{ view: AccountsView; rows: AccountRow[] }> {
    const { vault, lens, riskManager, engine } = this.contracts;
    const assets = block.assets;
    const vaultAddress = String(vault.target);
    const collaterals = assets.slice(1);
    const provisioned = Object.entries(memory.provisions).filter(([, amount]) => amount !== "0");
    const watchedSet = new Set([...memory.flagged, ...provisioned.map(([account]) => account)]);
    const all = [...new Set([...this.index.debtors, ...watchedSet])];
    const chunks: string[][] = [];
    for (let i = 0; i < all.length; i += this.chunk) chunks.push(all.slice(i, i + this.chunk));
    const collateralAddresses = collaterals.map((a) => a.address);
    const positions = await mapLimit(chunks, 2, (chunk) =>
      lens.positions(vaultAddress, collateralAddresses, chunk, at),
    );
    const scaled = positions.flatMap(([debts]) => [...debts]);
    const balances = positions.flatMap(([, held]) => held.map((row) => [...row]));
    const scores =
      riskManager === undefined
        ? undefined
        : (
            await mapLimit(chunks, 2, (chunk) =>
              riskManager.riskScores(chunk, at).catch(() => chunk.map(() => MAX_UINT256)),
            )
          ).flat();
    const priceOf = (i: number): PriceRead => ({
      low: block.prices[i].low,
      high: block.prices[i].high,
      status: Number(block.prices[i].status),
    });
    const market: HealthMarket = {
      base: priceOf(0),
      baseUnit: 10n ** BigInt(this.contracts.baseDecimals),
      collaterals: collaterals.map((c, k) => ({
        price: priceOf(k + 1),
        unit: 10n ** BigInt(c.decimals),
        borrowLtv: block.effective[k][0],
        liquidationThreshold: block.effective[k][1],
      })),
    };
    const d = this.contracts.baseDecimals;
    const rows: AccountRow[] = all.map((account, i) => {
      // Debt as the vault computes it: scaled × index / RAY, rounded up.
      const debt = (scaled[i] * block.borrowIndex + RAY - 1n) / RAY;
      const liq = liquidityOf(market, debt, balances[i]);
      const health = liquidationHealth(market, debt, balances[i]);
      const debtValue = market.base.status === FAILED_STATUS ? 0n : (debt * market.base.low) / market.baseUnit;
      return {
        account: getAddress(account),
        health: debt === 0n ? null : health === undefined ? NaN : wadNum(health),
        riskScore: scores === undefined ? null : wadNum(scores[i]),
        debt: num(debt, d),
        debtUsd: debt === 0n ? 0 : wadNum(debtValue),
        collateralValue: wadNum(liq.collateralValue),
        flagged: memory.flagged.has(getAddress(account)),
        provision: 0,
        priceStatus: PRICE_STATUSES[liq.priceStatus] ?? String(liq.priceStatus),
      };
    });
    const withDebt = rows.filter((r) => r.health !== null);
    const distribution = HEALTH_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
    let unknown = 0;
    for (const row of withDebt) {
      if (Number.isNaN(row.health)) {
        unknown++;
        continue;
      }
      const bucket = HEALTH_BUCKETS.findIndex((b) => (row.health ?? Infinity) < b.below);
      distribution[bucket === -1 ? distribution.length - 1 : bucket].count++;
    }
    if (unknown > 0) distribution.push({ label: "unknown (FAILED price)", count: unknown });
    const byHealth = (a: AccountRow, b: AccountRow): number =>
      (Number.isNaN(a.health) ? -1 : (a.health ?? Infinity)) - (Number.isNaN(b.health) ? -1 : (b.health ?? Infinity));
    const closest = [...withDebt].sort(byHealth).slice(0, this.closest);
    const watched = rows.filter((r) => watchedSet.has(r.account));
    // Flags and provisions as the chain holds them now, for the rows shown.
    await mapLimit([...new Set([...closest, ...watched])], 8, async (row) => {
      const [flaggedAt, provision] = await Promise.all([
        engine.flaggedAt(row.account, at),
        lens.provisionOf(vaultAddress, row.account, at),
      ]);
      row.flagged = flaggedAt > 0n;
      row.provision = num(provision, d);
    });
    return {
      view: {
        count: withDebt.length,
        distribution,
        closest,
        watched: watched.filter((r) => r.flagged || r.provision > 0),
      },
      rows,
    };
  }

  private async defences(
    at: { blockTag: number },
    now: number,
    memory: ReaderMemory,
    block: BlockPrices,
  ): Promise<DefenceView> {
    const { breaker, oracle, riskManager, vault, lens, queue, securityOps } = this.contracts;
    const vaultAddress = String(vault.target);
    const symbolOf = (address: string): string =>
      address === ZeroAddress ? "global" : (this.contracts.symbols.get(getAddress(address)) ?? address);
    const decimalsOf = (address: string): number =>
      this.contracts.assets.find((a) => a.address === getAddress(address))?.decimals ?? this.contracts.baseDecimals;
    const breakers: BreakerView[] =
      breaker === undefined
        ? []
        : (await breaker.state(at)).map((e) => {
            const asset = e.asset === ZeroAddress ? "global" : getAddress(e.asset);
            // Outflow is counted in the asset itself (the base for lenders' withdrawals, a collateral for its own).
            const decimals = e.asset === ZeroAddress ? this.contracts.baseDecimals : decimalsOf(e.asset);
            const reasons = BREAKER_REASONS.filter((_, i) => i > 0 && (Number(e.reasons) & (1 << i)) !== 0);
            return {
              asset,
              symbol: symbolOf(e.asset),
              level: BREAKER_LEVELS[Number(e.level)] ?? String(e.level),
              actions: BREAKER_ACTIONS.filter((_, i) => (Number(e.actionMask) & (1 << i)) !== 0),
              reasons: [...reasons],
              cooldownUntil: Number(e.cooldownUntil),
              resumesIn: Math.max(0, Number(e.cooldownUntil) - now),
              liquidationsFrom: Number(e.liquidationsFrom),
              outflowUsed: num(e.outflowUsed, decimals),
              outflowLimit: e.outflowLimit === MAX_UINT256 ? Infinity : num(e.outflowLimit, decimals),
            };
          });
    const oracles: OracleView[] = await Promise.all(
      block.assets.map(async (asset, i) => {
        const price = block.prices[i];
        const [secondary, round] = await Promise.all([
          oracle.secondaryPrice(asset.address, at).catch(() => undefined),
          asset.feed?.latest(at.blockTag),
        ]);
        const feedDecimals = asset.feed?.decimals ?? 8;
        return {
          asset: asset.address,
          symbol: asset.symbol,
          status: PRICE_STATUSES[Number(price.status)] ?? String(price.status),
          reason: PRICE_REASONS[Number(price.reason)] ?? String(price.reason),
          low: wadNum(price.low),
          high: wadNum(price.high),
          primary: round === undefined ? null : num(round.answer, feedDecimals),
          primaryAge: round === undefined ? null : now - Number(round.updatedAt),
          heartbeat: asset.heartbeat,
          secondary: secondary === undefined || secondary.price === 0n ? null : wadNum(secondary.price),
          secondaryReason:
            secondary === undefined ? "NONE" : (PRICE_REASONS[Number(secondary.reason)] ?? String(secondary.reason)),
        };
      }),
    );
    const [seqReason, readySince] = await oracle.sequencerState(at);
    const risk: RiskView[] = await Promise.all(
      block.assets.slice(1).map(async (asset, k) => {
        const [ltv, threshold] = block.effective[k];
        const [[config], caps] = await Promise.all([
          lens.collateralInfo(vaultAddress, asset.address, at),
          riskManager?.caps(asset.address, at).catch(() => undefined),
        ]);
        return {
          asset: asset.address,
          symbol: asset.symbol,
          baseLtv: wadNum(config.borrowLtv),
          baseThreshold: wadNum(config.liquidationThreshold),
          ltv: wadNum(ltv),
          threshold: wadNum(threshold),
          ltvCap: caps === undefined ? null : wadNum(caps.ltvCap),
          thresholdCap: caps === undefined ? null : wadNum(caps.thresholdCap),
          volatility: caps === undefined ? null : wadNum(caps.vol),
          reserveStatus: caps === undefined ? null : (RESERVE_STATUSES[Number(caps.status)] ?? String(caps.status)),
        };
      }),
    );
    const timelock = this.contracts.timelock;
    const timelockView: DefenceView["timelock"] =
      timelock === undefined
        ? null
        : { address: String(timelock.target), minDelay: Number(await timelock.getMinDelay(at).catch(() => 0n)) };
    let queueView: DefenceView["queue"] = null;
    if (queue !== undefined) {
      const [claims, owed] = await Promise.all([
        queue.claimCount(at),
        queue.owed(this.contracts.assets[0].address, at),
      ]);
      queueView = { claims: Number(claims), owed: num(owed, this.contracts.baseDecimals) };
    }
    return {
      breakers,
      oracles,
      sequencer: {
        reason: PRICE_REASONS[Number(seqReason)] ?? String(seqReason),
        readySince: readySince === MAX_UINT256 ? -1 : Number(readySince),
      },
      risk,
      queue: queueView,
      timelock: timelockView,
      upkeep:
        securityOps === undefined
          ? null
          : {
              address: String(securityOps.target),
              lastPerformedBlock: memory.lastUpkeep?.block ?? null,
              lastPerformedAt: memory.lastUpkeep?.timestamp ?? null,
              silentSince: memory.lastUpkeep?.block ?? memory.watchingFrom,
            },
      keeper: {
        lastAction: memory.lastKeeper?.action ?? null,
        lastBlock: memory.lastKeeper?.block ?? null,
        lastBy: memory.lastKeeper?.by ?? null,
      },
    };
  }
}
