/**
 * The Bulwark replay's view of every borrower (engine.ts): each raw position (scaled debt, holdings) read once
 * through the `VaultLens` and again only for accounts a block's vault events name (in the simulation nothing else
 * changes a position), valued each block with that block's prices, parameters and borrow index (health.ts), and
 * checked against the vault's own `accountLiquidity` on a rotating sample every block. A block's reads (prices,
 * parameters, index, the sample, pools, breaker levels, the vault's totals) are one call to `SimReader`.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { ZeroAddress, toQuantity } from "ethers";

import {
  collateralPart,
  liquidityFromParts,
  mayBeLiquidatable,
  sameLiquidity,
  type CollateralPart,
  type Liquidity,
  type MarketView,
} from "./health.js";
import { decodeBlockRead } from "./readerCodec.js";
import type { SimMarket } from "./simMarket.js";

/** Accounts per lens call. */
const LENS_CHUNK = 500;
const RAY = 10n ** 27n;
const mulDivUp = (a: bigint, b: bigint, d: bigint): bigint => (a * b + d - 1n) / d;
/** Accounts whose mirrored health is checked against the vault each block. */
const MIRROR_CHECKS = 2;

/** What one block of a replay reads (`SimReader.read`), in the replay's terms. */
export interface BlockReads {
  /** The block read. */
  block: number;
  view: MarketView;
  borrowIndex: bigint;
  /** Indices (in `market.borrowers`) of the accounts checked against the vault, and the vault's own answer for each. */
  samples: readonly { index: number; liquidity: Liquidity }[];
  /** Each collateral's pool √price (`slot0`), in `market.collaterals` order (0 without a pool). */
  poolSqrtPrices: readonly bigint[];
  /** Each breaker entry's level, by asset address (lower case; the zero address is the global entry). */
  breakerLevels: ReadonlyMap<string, number>;
  badDebt: bigint;
  totalDebt: bigint;
  /** What one whole share is worth in base units. */
  shareValue: bigint;
}

export class VaultMirror {
  /** Scaled debt of each borrower, in `market.borrowers` order. */
  private readonly scaledDebts: bigint[] = [];
  /** Holdings of each borrower, one per collateral in `market.collaterals` order. */
  readonly holdings: bigint[][] = [];
  /** Index of each borrower (lower case) in `market.borrowers`. */
  private readonly position: Map<string, number>;
  private readonly collateralAddresses: string[];
  private checkCursor = 0;
  /** Each holding's liquidity part, by collateral then borrower, under the price and parameters of `partKeys`. */
  private parts: (CollateralPart | undefined)[][] = [];
  private readonly partKeys: string[] = [];
  /** Each collateral's oracle ceiling (`priceCeiling`), read once by `readCeilings`. */
  private ceilings: bigint[] | undefined;
  /** The reader's and the breaker's addresses, read once. */
  private readerAddress: string | undefined;
  private breakerAddress: string | undefined;
  /** Each collateral's pool address (the zero address without one), read once. */
  private pools: string[] | undefined;
  private readonly ethers: HardhatEthers;
  private readonly market: SimMarket;
  private readonly vaultAddress: string;

  constructor(ethers: HardhatEthers, market: SimMarket, vaultAddress: string) {
    this.ethers = ethers;
    this.market = market;
    this.vaultAddress = vaultAddress;
    this.position = new Map(market.borrowers.map((account, i) => [account.toLowerCase(), i] as const));
    this.collateralAddresses = market.collaterals.map((asset) => asset.address);
  }

  /** Reads the positions of the borrowers at `indices` at `blockTag`. */
  async refresh(indices: readonly number[], blockTag: number): Promise<void> {
    const { market } = this;
    for (let k = 0; k < indices.length; k += LENS_CHUNK) {
      const chunk = indices.slice(k, k + LENS_CHUNK);
      const accounts = chunk.map((i) => market.borrowers[i]);
      const [scaled, balances] = await market.lens.positions(this.vaultAddress, this.collateralAddresses, accounts, {
        blockTag,
      });
      chunk.forEach((i, j) => {
        this.scaledDebts[i] = scaled[j];
        this.holdings[i] = [...balances[j]];
        for (const column of this.parts) column[i] = undefined;
      });
    }
  }

  /** Reads every borrower's position at `blockTag`. */
  refreshAll(blockTag: number): Promise<void> {
    return this.refresh(
      this.market.borrowers.map((_, i) => i),
      blockTag,
    );
  }

  /**
   * Reads each collateral's oracle ceiling (what the engine values collateral of FAILED price at; set by governance,
   * which a replay never calls). Until then `mayBeLiquidatable` says "may" for every account.
   */
  async readCeilings(blockTag: number): Promise<void> {
    const { adapter, collaterals } = this.market;
    this.ceilings = await Promise.all(collaterals.map((asset) => adapter.priceCeiling(asset.address, { blockTag })));
  }

  /** Re-reads the positions of borrowers named by any vault event of `blockTag`. */
  async refreshTouched(blockTag: number): Promise<void> {
    const { vault } = this.market;
    const touched = new Set<number>();
    const logs = await this.ethers.provider.getLogs({
      address: this.vaultAddress,
      fromBlock: blockTag,
      toBlock: blockTag,
    });
    for (const log of logs) {
      const parsed = vault.interface.parseLog(log);
      if (parsed === null) continue;
      for (const arg of parsed.args) {
        const i = typeof arg === "string" ? this.position.get(arg.toLowerCase()) : undefined;
        if (i !== undefined) touched.add(i);
      }
    }
    if (touched.size > 0) await this.refresh([...touched], blockTag);
  }

  /** Everything the replay reads at `blockTag`, in one call; the next accounts of the rotating sample are checked. */
  async readBlock(blockTag: number, shareUnit: bigint): Promise<BlockReads> {
    const { market } = this;
    const { borrowers } = market;
    const sampled: number[] = [];
    for (let k = 0; k < MIRROR_CHECKS && borrowers.length > 0; k++) sampled.push(this.checkCursor++ % borrowers.length);
    this.pools ??= await Promise.all(
      market.collaterals.map((asset) => (asset.pool === undefined ? ZeroAddress : asset.pool.getAddress())),
    );
    this.readerAddress ??= await market.reader.getAddress();
    this.breakerAddress ??= await market.breaker.getAddress();
    // A plain eth_call, decoded by hand (readerCodec.ts): an ethers Contract call cost half as much again.
    const data = market.reader.interface.encodeFunctionData("read", [
      this.vaultAddress,
      this.breakerAddress,
      market.base.address,
      this.collateralAddresses,
      this.pools,
      sampled.map((i) => borrowers[i]),
      shareUnit,
    ]);
    const read = decodeBlockRead(
      (await this.ethers.provider.send("eth_call", [{ to: this.readerAddress, data }, toQuantity(blockTag)])) as string,
    );
    if (read.collaterals.length !== market.collaterals.length || read.samples.length !== sampled.length) {
      throw new Error(
        `SimReader.read at block ${blockTag}: ${read.collaterals.length} collaterals, ${read.samples.length} samples`,
      );
    }
    return {
      block: blockTag,
      view: {
        base: read.base,
        baseUnit: 10n ** BigInt(market.base.decimals),
        collaterals: market.collaterals.map((asset, i) => ({
          ...read.collaterals[i],
          unit: 10n ** BigInt(asset.decimals),
        })),
      },
      borrowIndex: read.borrowIndex,
      samples: sampled.map((index, k) => ({ index, liquidity: read.samples[k] })),
      poolSqrtPrices: read.poolSqrtPrices,
      breakerLevels: new Map(read.breakerAssets.map((asset, i) => [asset, read.breakerLevels[i]])),
      badDebt: read.badDebt,
      totalDebt: read.totalDebt,
      shareValue: read.shareValue,
    };
  }

  /**
   * Whether borrower `i` (with `debt`, interest included) could be liquidated under `reads` (`mayBeLiquidatable`: the
   * liquidation side's bounds); false means no liquidation of it can succeed at this block.
   */
  mayBeLiquidatable(i: number, debt: bigint, reads: BlockReads): boolean {
    if (this.ceilings === undefined) return true;
    return mayBeLiquidatable(reads.view, debt, this.holdings[i], this.ceilings);
  }

  /**
   * Every borrower's liquidity under `reads`; throws when the sampled ones disagree with the vault. A holding's part
   * (collateralPart) is kept until its collateral's price, status or parameters change or the account is read again:
   * most blocks move one price or none, while the debt side moves with the index every block.
   */
  liquidities(blockTag: number, reads: BlockReads): Liquidity[] {
    const index = reads.borrowIndex;
    const { view } = reads;
    view.collaterals.forEach((c, k) => {
      const key = `${c.price.low}:${c.price.high}:${c.price.status}:${c.borrowLtv}:${c.liquidationThreshold}`;
      if (this.partKeys[k] !== key) {
        this.partKeys[k] = key;
        this.parts[k] = [];
      }
    });
    const out = this.market.borrowers.map((_, i) => {
      const holding = this.holdings[i];
      const parts: CollateralPart[] = [];
      view.collaterals.forEach((c, k) => {
        const amount = holding[k] ?? 0n;
        if (amount === 0n) return;
        const column = this.parts[k];
        let part = column[i];
        if (part === undefined) {
          part = collateralPart(c, amount);
          column[i] = part;
        }
        parts.push(part);
      });
      const debt = this.scaledDebts[i] === 0n ? 0n : mulDivUp(this.scaledDebts[i], index, RAY);
      return liquidityFromParts(view, debt, parts);
    });
    // The mirror must agree with the vault: a rotating sample is checked against accountLiquidity every block.
    for (const { index: i, liquidity } of reads.samples) {
      if (!sameLiquidity(liquidity, out[i])) {
        throw new Error(`health mirror disagrees with the vault for ${this.market.borrowers[i]} at block ${blockTag}`);
      }
    }
    return out;
  }
}
