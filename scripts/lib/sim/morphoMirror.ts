/**
 * The Morpho replay's view of every market and position (morphoEngine.ts): each market's totals (interest accrued to
 * the block) and oracle price from `MorphoLens`, every position (borrow shares, collateral) read once and again only
 * for the borrowers the engine names, and their values with Morpho's own math (morphoHealth.ts).
 */
import { shortfallUsd } from "./figures.js";
import {
  borrowedAssets,
  maxBorrow,
  toAssetsDown,
  type MorphoMarketState,
  type MorphoPositionState,
} from "./morphoHealth.js";
import type { SimMorphoMarket, SimMorphoMarketEntry } from "./morphoMarket.js";

/** Accounts per lens call. */
const LENS_CHUNK = 500;

/** A market's totals at a block (MorphoLens.read), interest accrued. */
export interface Totals extends MorphoMarketState {
  totalSupplyAssets: bigint;
  totalSupplyShares: bigint;
  /** Oracle price, 1e36-scaled loan units per collateral unit; 0 when the oracle reverts. */
  price: bigint;
}

/** A position in debt, valued at a block's totals and oracle price: what Morpho lends on it and what it owes. */
export interface Valued {
  market: number;
  account: number;
  /** `maxBorrow`: collateral × price × LLTV, loan units. */
  limit: bigint;
  /** `borrowedAssets`, loan units (> 0). */
  borrowed: bigint;
}

export class MorphoMirror {
  /** Every market's totals at the latest `read`. */
  totals: Totals[] = [];
  /** Every position (borrow shares, collateral), per market then account. */
  readonly positions: MorphoPositionState[][];
  private readonly market: SimMorphoMarket;
  private readonly params: SimMorphoMarketEntry["params"][];
  private readonly everyone: number[];

  constructor(market: SimMorphoMarket) {
    this.market = market;
    this.params = market.markets.map((m) => m.params);
    this.positions = market.markets.map(() => []);
    this.everyone = market.borrowers.map((_, j) => j);
  }

  /** Reads every market's totals and every position at `blockTag`. */
  readAll(blockTag: number): Promise<void> {
    return this.read(this.everyone, blockTag);
  }

  /** Reads every market's totals at `blockTag` and the positions of `accounts` (none: one call for the totals). */
  async read(accounts: readonly number[], blockTag: number): Promise<void> {
    const { lens, borrowers } = this.market;
    for (let k = 0; k < Math.max(accounts.length, 1); k += LENS_CHUNK) {
      const chunk = accounts.slice(k, k + LENS_CHUNK);
      const [t, p] = await lens.read(
        this.params,
        chunk.map((j) => borrowers[j]),
        { blockTag },
      );
      this.totals = t.map((x) => ({
        totalSupplyAssets: x.totalSupplyAssets,
        totalSupplyShares: x.totalSupplyShares,
        totalBorrowAssets: x.totalBorrowAssets,
        totalBorrowShares: x.totalBorrowShares,
        price: x.price,
      }));
      p.forEach((row, i) =>
        row.forEach((position, n) => {
          this.positions[i][chunk[n]] = { borrowShares: position.borrowShares, collateral: position.collateral };
        }),
      );
    }
  }

  /** Every market's borrowed assets, summed. */
  totalBorrowed(): bigint {
    return this.totals.reduce((sum, t) => sum + t.totalBorrowAssets, 0n);
  }

  /** Borrowers with debt in any market. */
  inDebt(): number {
    return this.everyone.filter((j) => this.positions.some((row) => row[j].borrowShares > 0n)).length;
  }

  /** What `shares` (one per market) of supply are worth at the latest totals, summed over markets. */
  supplyValue(shares: readonly bigint[]): bigint {
    return this.totals.reduce(
      (sum, t, i) => sum + toAssetsDown(shares[i], t.totalSupplyAssets, t.totalSupplyShares),
      0n,
    );
  }

  /** Every position in debt, valued at the latest totals and oracle prices. */
  valueAll(): Valued[] {
    const out: Valued[] = [];
    this.market.markets.forEach((m, i) => {
      const t = this.totals[i];
      this.positions[i].forEach((position, j) => {
        if (position.borrowShares === 0n) return;
        out.push({
          market: i,
          account: j,
          limit: maxBorrow(position, t.price, m.lltv),
          borrowed: borrowedAssets(position, t),
        });
      });
    });
    return out;
  }

  /** Σ over positions in debt of what the debt exceeds the collateral by, USD at the path's last prices `last`. */
  openShortfall(last: Record<string, bigint>): number {
    const { markets, base } = this.market;
    let openShortfall = 0;
    markets.forEach((m, i) => {
      for (const position of this.positions[i]) {
        if (position.borrowShares === 0n) continue;
        openShortfall += shortfallUsd(
          borrowedAssets(position, this.totals[i]),
          10n ** BigInt(base.decimals),
          last[base.spec.symbol],
          [{ units: position.collateral, unit: 10n ** BigInt(m.asset.decimals), priceWad: last[m.asset.spec.symbol] }],
        );
      }
    });
    return openShortfall;
  }
}
