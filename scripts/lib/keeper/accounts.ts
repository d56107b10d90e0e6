/**
 * Which accounts a keeper watches, and what they look like in one block.
 *
 * `AccountIndex` builds the set of accounts that may have debt from the vault's own events, scanned in bounded block
 * ranges (`eth_getLogs` over at most `maxBlockRange` blocks per call): `Borrowed` adds an account; `Repaid` and
 * `Liquidated` have it checked (`scaledDebtOf`) and dropped once it owes nothing; `BadDebtWrittenOff` drops it (its
 * debt is gone; a later `Borrowed` adds it back). Collateral events record every account with a position (`seen`).
 * Each catch-up re-scans the last `rescanDepth` blocks, so a shallow reorg cannot hide a borrow.
 *
 * `readAccountSnapshots` values those accounts through view calls (`accountLiquidity`, and for unhealthy ones
 * `isLiquidatable`, `flaggedAt`, `collateralOf`, `liquidationView` and `previewLiquidation` per holding) into the
 * plain `AccountSnapshot`s `selection.ts` decides on.
 */
import { getAddress, type Provider } from "ethers";

import type { CollateralVault, LiquidationEngine } from "../../../typechain-types/index.js";
import { describeError, isTransientError } from "./rpc.js";
import { MAX_UINT256, WAD, type AccountSnapshot, type CollateralPosition, type PreviewResult } from "./selection.js";

/** Wraps each RPC call (the keeper retries transient failures through it); `label` names the call in logs. */
export type RpcCall = <T>(label: string, call: () => Promise<T>) => Promise<T>;

const direct: RpcCall = (_label, call) => call();

/** Runs `task` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** The vault events the index reads. */
export const INDEXED_EVENTS = [
  "Borrowed",
  "Repaid",
  "CollateralDeposited",
  "CollateralWithdrawn",
  "Liquidated",
  "BadDebtWrittenOff",
] as const;

export interface AccountIndexOptions {
  /** First block to scan (the vault's deployment block; default 0). */
  fromBlock?: number;
  /** Most blocks per `eth_getLogs` (default 2,000). */
  maxBlockRange?: number;
  /** Blocks behind the last scanned block that each catch-up scans again (default 5). */
  rescanDepth?: number;
  /** Concurrent `scaledDebtOf` checks (default 8). */
  concurrency?: number;
  rpc?: RpcCall;
  /** Hears of each range scanned (progress of a long first scan). */
  onRange?: (from: number, to: number, events: number) => void;
}

export interface CatchUpReport {
  /** Blocks scanned (inclusive); `from > to` when there was nothing new. */
  from: number;
  to: number;
  /** `eth_getLogs` calls made. */
  requests: number;
  /** Vault events read. */
  events: number;
  /** Accounts that entered and left the debtor set. */
  added: string[];
  removed: string[];
}

/** The set of accounts that may have debt, kept up to date from the vault's events. */
export class AccountIndex {
  /** Accounts that may have debt (checksummed). */
  readonly debtors = new Set<string>();
  /** Every account seen in a vault position event (checksummed). */
  readonly seen = new Set<string>();
  private readonly vault: CollateralVault;
  private readonly provider: Pick<Provider, "getLogs">;
  private readonly fromBlock: number;
  private readonly maxBlockRange: number;
  private readonly rescanDepth: number;
  private readonly concurrency: number;
  private readonly rpc: RpcCall;
  private readonly onRange: ((from: number, to: number, events: number) => void) | undefined;
  private readonly topics: string[];
  private vaultAddress: string | undefined;
  /** First block not scanned yet. */
  private next: number;

  constructor(vault: CollateralVault, provider: Pick<Provider, "getLogs">, options: AccountIndexOptions = {}) {
    this.vault = vault;
    this.provider = provider;
    this.fromBlock = options.fromBlock ?? 0;
    this.maxBlockRange = Math.max(1, options.maxBlockRange ?? 2000);
    this.rescanDepth = Math.max(0, options.rescanDepth ?? 5);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.rpc = options.rpc ?? direct;
    this.onRange = options.onRange;
    this.topics = INDEXED_EVENTS.map((name) => vault.interface.getEvent(name).topicHash);
    this.next = this.fromBlock;
  }

  /** The last block scanned (fromBlock − 1 before the first catch-up). */
  get scannedTo(): number {
    return this.next - 1;
  }

  /** Forgets everything (after the chain went backwards: a restarted node, a deep reorg). */
  reset(): void {
    this.debtors.clear();
    this.seen.clear();
    this.next = this.fromBlock;
  }

  /** Adds an account by hand (one known from elsewhere); the next snapshot tells whether it owes anything. */
  add(account: string): void {
    this.debtors.add(getAddress(account));
  }

  /** Scans the vault's events up to `toBlock` (inclusive) and updates the debtor set. */
  async catchUp(toBlock: number): Promise<CatchUpReport> {
    const from = Math.max(this.fromBlock, this.next - this.rescanDepth);
    const report: CatchUpReport = { from, to: toBlock, requests: 0, events: 0, added: [], removed: [] };
    if (from > toBlock) return report;
    this.vaultAddress ??= await this.vault.getAddress();
    const before = new Set(this.debtors);
    /** Accounts whose debt may have gone to zero: checked once the scan is done. */
    const check = new Set<string>();
    for (let start = from; start <= toBlock; start += this.maxBlockRange) {
      const end = Math.min(toBlock, start + this.maxBlockRange - 1);
      const address = this.vaultAddress;
      const logs = await this.rpc(`getLogs ${start}-${end}`, () =>
        this.provider.getLogs({ address, fromBlock: start, toBlock: end, topics: [this.topics] }),
      );
      report.requests++;
      const ordered = [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
      for (const log of ordered) {
        const parsed = this.vault.interface.parseLog(log);
        if (parsed === null) continue;
        report.events++;
        switch (parsed.name) {
          case "Borrowed": {
            const account = getAddress(parsed.args.account as string);
            this.debtors.add(account);
            this.seen.add(account);
            check.delete(account);
            break;
          }
          case "Repaid":
          case "Liquidated": {
            const account = getAddress(
              (parsed.name === "Repaid" ? parsed.args.account : parsed.args.borrower) as string,
            );
            this.seen.add(account);
            check.add(account);
            break;
          }
          case "BadDebtWrittenOff": {
            const account = getAddress(parsed.args.account as string);
            this.debtors.delete(account);
            check.delete(account);
            break;
          }
          default:
            this.seen.add(getAddress(parsed.args.account as string));
        }
      }
      // Progress is kept range by range: a failure later in a long catch-up does not rescan what is done.
      this.next = end + 1;
      this.onRange?.(start, end, logs.length);
    }
    const accounts = [...check];
    // Zero debt exactly when zero scaled debt (the index is never below 1).
    const debts = await mapLimit(accounts, this.concurrency, (account) =>
      this.rpc(`debtOf ${account}`, () => this.vault.debtOf(account, { blockTag: toBlock })),
    );
    accounts.forEach((account, i) => {
      if (debts[i] === 0n) this.debtors.delete(account);
      else this.debtors.add(account);
    });
    report.added = [...this.debtors].filter((account) => !before.has(account));
    report.removed = [...before].filter((account) => !this.debtors.has(account));
    return report;
  }
}

export interface SnapshotOptions {
  /** Block the views read (default: latest). */
  blockTag?: number;
  /** Listed collateral assets (default: `vault.collateralAssets()`). */
  collaterals?: readonly string[];
  /** `maxRepay` of each preview (default MAX_UINT256). */
  maxRepay?: bigint;
  /** Ask the engine to preview each holding of an unhealthy account (default true). */
  preview?: boolean;
  /** Concurrent accounts (default 8). */
  concurrency?: number;
  rpc?: RpcCall;
}

const FAILED = 2n; // IPriceOracle.Status.FAILED

/**
 * An account's snapshot from its `accountLiquidity` alone: what a healthy account's snapshot is, and where an unhealthy
 * one's starts (not liquidatable, unflagged, no holdings read yet).
 */
export function liquiditySnapshot(
  account: string,
  liq: { debt: bigint; debtValue: bigint; collateralValue: bigint; liquidationLimit: bigint },
): AccountSnapshot {
  return {
    account,
    debt: liq.debt,
    debtValue: liq.debtValue,
    collateralValue: liq.collateralValue,
    liquidationLimit: liq.liquidationLimit,
    health: healthOf(liq.liquidationLimit, liq.debtValue, liq.debt),
    liquidatable: false,
    basePriceAvailable: liq.debtValue !== MAX_UINT256,
    flaggedAt: 0n,
    collaterals: [],
  };
}

/** One holding of an unhealthy account, valued at its collateral's low price (0 while that price is FAILED). */
export function holdingPosition(
  asset: string,
  amount: bigint,
  price: { low: bigint; status: bigint },
  decimals: bigint,
): CollateralPosition {
  const priceAvailable = price.status !== FAILED;
  const value = priceAvailable ? (amount * price.low) / 10n ** decimals : 0n;
  return { asset: getAddress(asset), amount, value, priceAvailable };
}

/** `snapshot` with its holdings and flag: liquidatable when the vault says so or any holding's preview quotes. */
export function completeSnapshot(
  snapshot: AccountSnapshot,
  positions: CollateralPosition[],
  liquidatable: boolean,
  flaggedAt: bigint,
): AccountSnapshot {
  snapshot.collaterals = positions;
  snapshot.flaggedAt = flaggedAt;
  snapshot.liquidatable =
    liquidatable || positions.some((position) => position.preview !== undefined && position.preview.ok);
  return snapshot;
}

/** An engine quote as a successful preview. */
export const quoteResult = (q: {
  repay: bigint;
  seize: bigint;
  fee: bigint;
  bonus: bigint;
  writeOff: boolean;
}): PreviewResult => ({ ok: true, repay: q.repay, seize: q.seize, fee: q.fee, bonus: q.bonus, writeOff: q.writeOff });

/** Liquidation limit / debt value (WAD, rounded down) as the vault computes it; MAX_UINT256 without debt. */
export function healthOf(liquidationLimit: bigint, debtValue: bigint, debt: bigint): bigint {
  if (debt === 0n) return MAX_UINT256;
  if (debtValue === 0n) return MAX_UINT256;
  return (liquidationLimit * WAD) / debtValue;
}

/**
 * Reads `accounts` through view calls into snapshots for `selectLiquidations`. Every account gets its position
 * (`accountLiquidity`); only unhealthy ones (debt value above the liquidation limit, or a FAILED price in the way) get
 * their holdings, prices, flag and the engine's previews. An account is liquidatable when the vault says so or, with a
 * FAILED price somewhere, when the engine prices a liquidation of one of its holdings. Reverting previews are recorded
 * in the snapshot; transient RPC errors propagate (after `rpc`'s retries).
 */
export async function readAccountSnapshots(
  vault: CollateralVault,
  engine: LiquidationEngine,
  accounts: Iterable<string>,
  options: SnapshotOptions = {},
): Promise<AccountSnapshot[]> {
  const rpc = options.rpc ?? direct;
  const blockTag = options.blockTag;
  const at = blockTag === undefined ? {} : { blockTag };
  const maxRepay = options.maxRepay ?? MAX_UINT256;
  const collaterals = options.collaterals ?? (await rpc("collateralAssets", () => vault.collateralAssets(at)));
  const preview = async (account: string, asset: string): Promise<PreviewResult> => {
    try {
      const q = await rpc(`previewLiquidation ${account} ${asset}`, () =>
        engine.previewLiquidation(account, asset, maxRepay, at),
      );
      return quoteResult(q);
    } catch (error) {
      if (isTransientError(error)) throw error;
      return { ok: false, error: describeError(error) };
    }
  };

  const read = async (account: string): Promise<AccountSnapshot> => {
    const liq = await rpc(`accountLiquidity ${account}`, () => vault.accountLiquidity(account, at));
    const snapshot = liquiditySnapshot(account, liq);
    const unknownPrice = liq.priceStatus === FAILED;
    if (liq.debt === 0n || (!unknownPrice && liq.debtValue <= liq.liquidationLimit)) return snapshot;

    const [liquidatable, flaggedAt] = await Promise.all([
      rpc(`isLiquidatable ${account}`, () => vault.isLiquidatable(account, at)),
      rpc(`flaggedAt ${account}`, () => engine.flaggedAt(account, at)),
    ]);
    const positions: CollateralPosition[] = [];
    for (const asset of collaterals) {
      const amount = await rpc(`collateralOf ${account} ${asset}`, () => vault.collateralOf(account, asset, at));
      if (amount === 0n) continue;
      const view = await rpc(`liquidationView ${account} ${asset}`, () => vault.liquidationView(account, asset, at));
      if (view.basePrice.status === FAILED) snapshot.basePriceAvailable = false;
      const position = holdingPosition(asset, amount, view.collateralPrice, view.decimals);
      if ((options.preview ?? true) && position.priceAvailable) position.preview = await preview(account, asset);
      positions.push(position);
    }
    return completeSnapshot(snapshot, positions, liquidatable, flaggedAt);
  };
  return mapLimit([...accounts], options.concurrency ?? 8, read);
}
