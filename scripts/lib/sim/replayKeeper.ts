/**
 * The keeper of a Bulwark replay (engine.ts): after each block it snapshots the most urgent unhealthy accounts as
 * the keeper library's `readAccountSnapshots` does, in a few calls (keeperSnapshots.ts), leaving unread those the
 * health mirror shows no liquidation can touch at this block (the selection would drop them: same outcome, audited);
 * selects liquidations, write-offs and flags with `selectLiquidations`, simulates them against this block and queues
 * those that would succeed (liquidations through the flash liquidator); in adaptive mode it also samples volatility
 * and syncs the caps hourly; with a backstop (backstopSetup.ts) it runs the recovery module on every collateral that
 * is due, and settles the backstop's income share daily. Why it did not send is counted in `rejections`.
 */
import {
  readAccountSnapshots,
  revertName,
  selectLiquidations,
  type AccountSnapshot,
  type Action,
  type Selection,
} from "../keeper/index.js";
import { snapshotsInOneCall } from "./keeperSnapshots.js";
import type { Pending } from "./driver.js";
import { compareRatios } from "./figures.js";
import { underwater, type Liquidity } from "./health.js";
import type { SimMarket } from "./simMarket.js";
import { RECOVERY_ROUTE } from "./backstopSetup.js";

/** The keeper samples volatility this often in adaptive mode (the estimator's minimum interval). */
const VOLATILITY_INTERVAL = 3600;
/** The backstop's income share is settled this often (the keeper bot's default). */
const INCOME_INTERVAL = 86_400;
/** Liquidations and write-offs per block, and flags per block (the keeper's defaults). */
const MAX_PER_BLOCK = 10;
const MAX_FLAGS_PER_BLOCK = 10;
/** Unhealthy accounts the keeper snapshots per block, most urgent first: twice what it may act on. */
const SNAPSHOT_LIMIT = 2 * (MAX_PER_BLOCK + MAX_FLAGS_PER_BLOCK);
const KEEPER_GAS = 8_000_000n;
/**
 * Every this many passes that left accounts out of the snapshot (below), they are snapshotted too, and the replay
 * throws if any of them was a candidate after all.
 */
const AUDIT_EVERY = 50;

/** Times `task` under `label`. */
export type Timer = <T>(label: string, task: () => Promise<T>) => Promise<T>;

type Order = { borrower: string; collateral: string; maxRepay: bigint };

export class BulwarkReplayKeeper {
  /** Transactions not sent, by reason (a simulation's revert, or the selection's skip reason). */
  readonly rejections: Record<string, number> = {};
  private lastVolatility = -Infinity;
  private lastRecovery = -Infinity;
  private lastIncome = -Infinity;
  /** Passes that left accounts out of the snapshot, and how many accounts in all (the profile's counters). */
  readonly skippedReads = { passes: 0, accounts: 0, audits: 0 };
  private readonly collateralAddresses: string[];
  private readonly market: SimMarket;
  private readonly libraryReads: boolean;
  private readonly timed: Timer;

  /**
   * `libraryReads`: snapshot with the keeper library's own calls instead of `SimSnapshots` (the reference path);
   * `timed`: times each part of a pass under a label (the driver's profile).
   */
  constructor(market: SimMarket, libraryReads = false, timed: Timer = (_label, task) => task()) {
    this.market = market;
    this.libraryReads = libraryReads;
    this.timed = timed;
    this.collateralAddresses = market.collaterals.map((asset) => asset.address);
  }

  /**
   * The keeper's pass after a block: what it sends for `due`, leaving `busy` accounts alone. `mayLiquidate(i)`: whether
   * borrower `i` could be liquidated at this block at all (the mirror's `mayBeLiquidatable`).
   */
  async decide(
    blockTag: number,
    chainTime: number,
    liquidities: readonly Liquidity[],
    due: number,
    busy: ReadonlySet<string>,
    mayLiquidate: (i: number) => boolean = () => true,
  ): Promise<Pending[]> {
    const pending: Pending[] = [];
    const unhealthy = this.mostUrgent(liquidities);
    if (unhealthy.length > 0) {
      const selection = await this.timed("keeper.select", () => this.select(unhealthy, blockTag, busy, mayLiquidate));
      const liquidations = selection.actions.filter(
        (a): a is Extract<Action, { kind: "liquidate" }> => a.kind === "liquidate",
      );
      const orders = liquidations.map((a) => ({
        borrower: a.borrower,
        collateral: a.collateral,
        maxRepay: a.maxRepay,
      }));
      pending.push(...(await this.timed("keeper.liquidations", () => this.liquidations(orders, blockTag, due))));
      pending.push(...(await this.timed("keeper.writeOffs", () => this.writeOffs(selection, blockTag, due))));
      pending.push(...this.flags(selection, due));
    }
    pending.push(...this.riskUpdates(chainTime, due));
    pending.push(...(await this.backstopDuties(blockTag, chainTime, due)));
    return pending;
  }

  /**
   * With a backstop: every route interval, a sale of each collateral the recovery module says is due (simulated at
   * this block first; a sale that would revert, e.g. under its price floor, is counted in `rejections`); daily, the
   * backstop's income share.
   */
  private async backstopDuties(blockTag: number, chainTime: number, due: number): Promise<Pending[]> {
    const sim = this.market.backstop;
    if (sim === undefined) return [];
    const pending: Pending[] = [];
    if (chainTime - this.lastRecovery >= RECOVERY_ROUTE.interval) {
      this.lastRecovery = chainTime;
      const rebalancer = sim.rebalancer.connect(this.market.keeper);
      for (const asset of this.collateralAddresses) {
        if (!(await rebalancer.isDue(asset, { blockTag }))) continue;
        try {
          await rebalancer.rebalance.staticCall(asset, { blockTag });
        } catch (error) {
          this.reject(`rebalance:${revertName(error) ?? "reverted"}`);
          continue;
        }
        pending.push({
          due,
          label: "rebalance",
          accounts: [],
          send: () => rebalancer.rebalance(asset, { gasLimit: KEEPER_GAS }),
        });
      }
    }
    if (chainTime - this.lastIncome >= INCOME_INTERVAL) {
      this.lastIncome = chainTime;
      const vault = this.market.vault.connect(this.market.keeper);
      pending.push({
        due,
        label: "backstop-income",
        accounts: [],
        send: () => vault.settleBackstopIncomeShare({ gasLimit: KEEPER_GAS }),
      });
    }
    return pending;
  }

  private reject(reason: string): void {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
  }

  /**
   * The keeper snapshots (holdings, flags, engine previews: several reads each) only the most urgent accounts it
   * could act on this block; the rest wait, as they would for the block cap.
   */
  private mostUrgent(liquidities: readonly Liquidity[]): { account: string; index: number }[] {
    return this.market.borrowers
      .map((account, index) => ({ account, index, liq: liquidities[index] }))
      .filter(({ liq }) => underwater(liq))
      .sort((a, b) => compareHealth(a.liq, b.liq))
      .slice(0, SNAPSHOT_LIMIT)
      .map(({ account, index }) => ({ account, index }));
  }

  /**
   * Snapshots `urgent` at `blockTag` and selects what to do, as the keeper bot does. Accounts that cannot be
   * liquidated at this block (`mayLiquidate`: underwater at the oracle's low bounds, as the keeper's list sorts them,
   * but not at the liquidation side's bounds, as during a doubted price) are not read: the selection would drop
   * them unread (it acts only on liquidatable accounts), so the outcome is the same; an audit pass reads them anyway.
   */
  private async select(
    urgent: readonly { account: string; index: number }[],
    blockTag: number,
    busy: ReadonlySet<string>,
    mayLiquidate: (i: number) => boolean,
  ): Promise<Selection> {
    const { market } = this;
    const read = { blockTag, collaterals: this.collateralAddresses };
    const snapshot = (accounts: string[]): Promise<AccountSnapshot[]> =>
      this.libraryReads
        ? readAccountSnapshots(market.vault, market.engine, accounts, read)
        : snapshotsInOneCall(market.snapshots, market.vault, market.engine, accounts, read);
    // The reference path reads every account, as the keeper bot does.
    const accounts: string[] = [];
    const left: string[] = [];
    for (const u of urgent) (this.libraryReads || mayLiquidate(u.index) ? accounts : left).push(u.account);
    if (left.length > 0) {
      this.skippedReads.passes++;
      this.skippedReads.accounts += left.length;
      if (this.skippedReads.passes % AUDIT_EVERY === 1) await this.audit(left, snapshot, blockTag);
    }
    const snapshots = accounts.length === 0 ? [] : await snapshot(accounts);
    const selection = selectLiquidations(snapshots, {
      maxPerBlock: MAX_PER_BLOCK,
      canSell: (asset) => market.byAddress.get(asset.toLowerCase())?.pool !== undefined,
      dustValue: market.dustValue,
      maxFlagsPerBlock: MAX_FLAGS_PER_BLOCK,
      exclude: busy,
    });
    for (const skipped of selection.skipped) if (skipped.reason !== "excluded") this.reject(skipped.reason);
    return selection;
  }

  /** Reads the accounts a pass left out and throws if any could be liquidated after all (a mirror's mistake). */
  private async audit(
    left: string[],
    snapshot: (accounts: string[]) => Promise<AccountSnapshot[]>,
    blockTag: number,
  ): Promise<void> {
    this.skippedReads.audits++;
    for (const s of await snapshot(left)) {
      if (s.liquidatable) {
        throw new Error(`the replay's keeper left ${s.account} unread at block ${blockTag}, but it is liquidatable`);
      }
    }
  }

  /** One `liquidate`, or one `liquidateBatch` of the orders that simulate in the batch. */
  private async liquidations(orders: Order[], blockTag: number, due: number): Promise<Pending[]> {
    const { liquidator } = this.market;
    if (orders.length === 1) {
      const [o] = orders;
      try {
        await liquidator.liquidate.staticCall(o.borrower, o.collateral, o.maxRepay, 0n, { blockTag });
        return [
          {
            due,
            label: "liquidate",
            accounts: [o.borrower],
            send: () => liquidator.liquidate(o.borrower, o.collateral, o.maxRepay, 0n, { gasLimit: KEEPER_GAS }),
          },
        ];
      } catch (error) {
        // The sale would not cover the debt at this block (or the engine refuses): the keeper does not send.
        this.reject(revertName(error) ?? "unknown");
        return [];
      }
    }
    if (orders.length === 0) return [];
    const [, succeeded] = await liquidator.liquidateBatch.staticCall(orders, 0n, { blockTag });
    const good = orders.filter((_, i) => succeeded[i]);
    for (const o of orders.filter((_, i) => !succeeded[i])) {
      // The batch only says which items failed: ask for this one's reason.
      await liquidator.liquidate
        .staticCall(o.borrower, o.collateral, o.maxRepay, 0n, { blockTag })
        .then(() => this.reject("batch-only"))
        .catch((error: unknown) => this.reject(revertName(error) ?? "unknown"));
    }
    if (good.length === 0) return [];
    return [
      {
        due,
        label: "liquidateBatch",
        accounts: good.map((o) => o.borrower),
        send: () => liquidator.liquidateBatch(good, 0n, { gasLimit: KEEPER_GAS }),
      },
    ];
  }

  /** The selection's write-offs that simulate at `blockTag`. */
  private async writeOffs(selection: Selection, blockTag: number, due: number): Promise<Pending[]> {
    const engine = this.market.engine.connect(this.market.keeper);
    const pending: Pending[] = [];
    for (const action of selection.actions) {
      if (action.kind !== "writeOff") continue;
      try {
        await engine.writeOff.staticCall(action.borrower, { blockTag });
        pending.push({
          due,
          label: "writeOff",
          accounts: [action.borrower],
          send: () => engine.writeOff(action.borrower, { gasLimit: KEEPER_GAS }),
        });
      } catch (error) {
        this.reject(revertName(error) ?? "unknown");
      }
    }
    return pending;
  }

  /** The selection's flags, queued without a simulation. */
  private flags(selection: Selection, due: number): Pending[] {
    const engine = this.market.engine.connect(this.market.keeper);
    return selection.flags.map((account) => ({
      due,
      label: "flag",
      accounts: [account],
      send: () => engine.flag(account, { gasLimit: KEEPER_GAS }),
    }));
  }

  /** In adaptive mode, hourly: a volatility sample of every collateral, then the caps synced. */
  private riskUpdates(chainTime: number, due: number): Pending[] {
    const { market } = this;
    if (market.volatility === undefined || market.riskManager === undefined) return [];
    if (chainTime - this.lastVolatility < VOLATILITY_INTERVAL) return [];
    this.lastVolatility = chainTime;
    const volatility = market.volatility.connect(market.keeper);
    const riskManager = market.riskManager.connect(market.keeper);
    const assets = this.collateralAddresses;
    return [
      {
        due,
        label: "volatility",
        accounts: [],
        send: () => volatility.updateMany(assets, { gasLimit: KEEPER_GAS }),
      },
      { due, label: "sync", accounts: [], send: () => riskManager.syncMany(assets, { gasLimit: KEEPER_GAS }) },
    ];
  }
}

/** Orders two positions by health factor, lowest first (a FAILED base price sorts first). */
function compareHealth(a: Liquidity, b: Liquidity): number {
  return compareRatios(a.liquidationLimit, a.debtValue, b.liquidationLimit, b.debtValue);
}
