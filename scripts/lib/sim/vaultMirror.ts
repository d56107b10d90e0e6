/**
 * The Bulwark replay's view of every borrower (engine.ts): each raw position (scaled debt, holdings) read once
 * through the `VaultLens` and again only for accounts a block's vault events name (in the simulation nothing else
 * changes a position), valued each block with that block's prices, parameters and borrow index (health.ts), and
 * checked against the vault's own `accountLiquidity` on a rotating sample every block.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";

import { liquidityOf, sameLiquidity, type Liquidity, type MarketView, type PriceRead } from "./health.js";
import type { MarketAsset, SimMarket } from "./simMarket.js";

/** Accounts per lens call. */
const LENS_CHUNK = 500;
const RAY = 10n ** 27n;
const mulDivUp = (a: bigint, b: bigint, d: bigint): bigint => (a * b + d - 1n) / d;
/** Accounts whose mirrored health is checked against the vault each block. */
const MIRROR_CHECKS = 2;

export class VaultMirror {
  /** Scaled debt of each borrower, in `market.borrowers` order. */
  private readonly scaledDebts: bigint[] = [];
  /** Holdings of each borrower, one per collateral in `market.collaterals` order. */
  readonly holdings: bigint[][] = [];
  /** Index of each borrower (lower case) in `market.borrowers`. */
  private readonly position: Map<string, number>;
  private readonly collateralAddresses: string[];
  private checkCursor = 0;
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

  /** Prices and effective parameters at `blockTag`, read once for every account. */
  async readView(blockTag: number): Promise<MarketView> {
    const { market } = this;
    const read = async (asset: MarketAsset): Promise<PriceRead> => {
      const p = await market.adapter.getPrice(asset.address, { blockTag });
      return { low: p.low, high: p.high, status: Number(p.status) };
    };
    const collateralViews = [];
    for (const asset of market.collaterals) {
      const [borrowLtv, liquidationThreshold] = await market.vault.riskParams(asset.address, { blockTag });
      collateralViews.push({
        price: await read(asset),
        unit: 10n ** BigInt(asset.decimals),
        borrowLtv,
        liquidationThreshold,
      });
    }
    return {
      base: await read(market.base),
      baseUnit: 10n ** BigInt(market.base.decimals),
      collaterals: collateralViews,
    };
  }

  /** Every borrower's liquidity at `blockTag` under `view`; throws when the sampled ones disagree with the vault. */
  async liquidities(blockTag: number, view: MarketView): Promise<Liquidity[]> {
    const { vault, borrowers } = this.market;
    const index = await vault.borrowIndex({ blockTag });
    const out = borrowers.map((_, i) =>
      liquidityOf(view, this.scaledDebts[i] === 0n ? 0n : mulDivUp(this.scaledDebts[i], index, RAY), this.holdings[i]),
    );
    // The mirror must agree with the vault: check a rotating sample against accountLiquidity every block.
    for (let k = 0; k < MIRROR_CHECKS && borrowers.length > 0; k++) {
      const i = this.checkCursor++ % borrowers.length;
      const onChain = await vault.accountLiquidity(borrowers[i], { blockTag });
      const chain: Liquidity = {
        collateralValue: onChain.collateralValue,
        borrowLimit: onChain.borrowLimit,
        liquidationLimit: onChain.liquidationLimit,
        debtValue: onChain.debtValue,
        debt: onChain.debt,
        priceStatus: Number(onChain.priceStatus),
      };
      if (!sameLiquidity(chain, out[i])) {
        throw new Error(`health mirror disagrees with the vault for ${borrowers[i]} at block ${blockTag}`);
      }
    }
    return out;
  }
}
