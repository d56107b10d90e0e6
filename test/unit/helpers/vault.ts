/**
 * Shared fixtures and helpers for the CollateralVault unit tests (no tests here).
 *
 * Fixtures take the network connection that `networkHelpers.loadFixture` passes in, so every test file can share
 * them while keeping its own connection. Amounts: `usd("1")` is one USDC (6 decimals), `wad("1")` is 1e18.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { MaxUint256, parseUnits } from "ethers";
import type { AddressLike } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import {
  collateral,
  DEFAULT_BASE_TRIGGERS,
  deployMarket,
  PERMISSIVE_TRIGGERS,
} from "../../../scripts/lib/testMarket.js";
import type { Market } from "../../../scripts/lib/testMarket.js";
import { usd, wad } from "../../../scripts/lib/units.js";
import type {
  CollateralVault,
  FeeOnTransferERC20,
  KinkedRateModel,
  MockERC20,
  ReentrantERC20,
  VaultLens,
} from "../../../typechain-types/index.js";

export { usd, wad };

export const WAD = 10n ** 18n;
export const RAY = 10n ** 27n;
export const YEAR = 365n * 24n * 60n * 60n;

/** Any of the test tokens: all we read from them is a balance. */
export type BalanceToken = MockERC20 | FeeOnTransferERC20 | ReentrantERC20;

export interface MarketFixture extends Market {
  weth: MockERC20;
  wbtc: MockERC20;
  lender: HardhatEthersSigner;
  borrower: HardhatEthersSigner;
  alice: HardhatEthersSigner;
  bob: HardhatEthersSigner;
  attacker: HardhatEthersSigner;
}

// ----------------------------------------------------------------------------------------------- fixed-point math

export const mulDivDown = (x: bigint, y: bigint, d: bigint): bigint => (x * y) / d;
export const mulDivUp = (x: bigint, y: bigint, d: bigint): bigint => (x * y + d - 1n) / d;
export const ceilDiv = (x: bigint, d: bigint): bigint => (x + d - 1n) / d;

/** FixedPointMath.compoundFactorUp replicated off-chain: 1 + x + x²/2 + x³/6 in RAY, every term rounded up. */
export function compoundFactorUp(ratePerSecondWad: bigint, elapsed: bigint): bigint {
  const x = ratePerSecondWad * elapsed * 10n ** 9n;
  const x2 = mulDivUp(x, x, 2n * RAY);
  const x3 = mulDivUp(x2, x, 3n * RAY);
  return RAY + x + x2 + x3;
}

// ----------------------------------------------------------------------------------------------- fixtures

/** Default market (USDC base; WETH $3000 LTV 80%; WBTC $60000 LTV 73%), actors funded and approved; nothing lent. */
export async function emptyMarketFixture({ ethers }: NetworkConnection): Promise<MarketFixture> {
  const [owner, lender, borrower, alice, bob, attacker] = await ethers.getSigners();
  // The vault's own rules are tested here: the breaker is wired, with its outflow limit at 100% of the window's base
  // (CircuitBreaker.*.test.ts test the shipped limits).
  const market = await deployMarket(ethers, {
    owner,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: { ...PERMISSIVE_TRIGGERS, maxFall: DEFAULT_BASE_TRIGGERS.maxFall },
  });
  const weth = collateral(market, "WETH");
  const wbtc = collateral(market, "WBTC");
  for (const actor of [lender, borrower, alice, bob, attacker]) {
    await market.usdc.mint(actor.address, usd("10000000"));
    await weth.mint(actor.address, wad("1000"));
    await wbtc.mint(actor.address, parseUnits("100", 8));
    for (const token of [market.usdc, weth, wbtc]) {
      await token.connect(actor).approve(market.vault, MaxUint256);
    }
  }
  return { ...market, weth, wbtc, lender, borrower, alice, bob, attacker };
}

/** The empty market after `lender` deposited 1,000,000 USDC. */
export async function fundedMarketFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await emptyMarketFixture(connection);
  await f.vault.connect(f.lender).deposit(usd("1000000"), f.lender.address);
  return f;
}

/** The funded market after `borrower` posted 300 WETH ($900k, limit $720k) and borrowed 500,000 USDC (50% used). */
export async function borrowedMarketFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await fundedMarketFixture(connection);
  await f.vault.connect(f.borrower).depositCollateral(f.weth, wad("300"), f.borrower.address);
  await f.vault.connect(f.borrower).borrow(usd("500000"), f.borrower.address);
  return f;
}

/**
 * The borrowed market a year later, with interest accrued on chain and then frozen: the rate model is swapped for a
 * zero-rate one, so the share price, debts and reserves stop moving and tests can assert exact numbers.
 */
export async function frozenMarketFixture(connection: NetworkConnection): Promise<MarketFixture> {
  const f = await borrowedMarketFixture(connection);
  await connection.networkHelpers.time.increase(Number(YEAR));
  const zeroModel = await deployZeroRateModel(connection.ethers);
  await f.vault.connect(f.owner).setInterestRateModel(zeroModel);
  return f;
}

/** A rate model that always returns 0 (no interest). */
export async function deployZeroRateModel(ethers: HardhatEthers): Promise<KinkedRateModel> {
  return ethers.deployContract("KinkedRateModel", [0n, 0n, 0n, wad("0.5")]);
}

/** Default collateral config used when listing extra test tokens: LTV 50%, LT 60%, bonus 5%, cap `supplyCap`. */
export function config(
  supplyCap: bigint = MaxUint256 >> 128n,
  borrowLtv: bigint = wad("0.5"),
  liquidationThreshold: bigint = wad("0.6"),
  liquidationBonus: bigint = wad("0.05"),
): { borrowLtv: bigint; liquidationThreshold: bigint; liquidationBonus: bigint; supplyCap: bigint } {
  return { borrowLtv, liquidationThreshold, liquidationBonus, supplyCap };
}

// ----------------------------------------------------------------------------------------------- state snapshots

export interface AccountState {
  baseBalance: bigint;
  shares: bigint;
  debt: bigint;
  collateral: bigint[];
  tokenBalances: bigint[];
}

export interface VaultState {
  totalAssets: bigint;
  totalSupply: bigint;
  cash: bigint;
  reserves: bigint;
  totalDebt: bigint;
  borrowIndex: bigint;
  vaultBaseBalance: bigint;
  vaultTokenBalances: bigint[];
  totalDeposited: bigint[];
  accounts: AccountState[];
}

/** Everything a vault call could change for `accounts` and `tokens` (collateral-like tokens, listed or not). */
export async function readState(
  vault: CollateralVault,
  lens: VaultLens,
  base: BalanceToken,
  tokens: readonly BalanceToken[],
  accounts: readonly AddressLike[],
): Promise<VaultState> {
  const listed = new Set((await vault.collateralAssets()).map((a) => a.toLowerCase()));
  const totalDeposited: bigint[] = [];
  const vaultTokenBalances: bigint[] = [];
  for (const token of tokens) {
    const address = (await token.getAddress()).toLowerCase();
    totalDeposited.push(listed.has(address) ? (await lens.collateralInfo(vault, address)).totalDeposited : -1n);
    vaultTokenBalances.push(await token.balanceOf(vault));
  }
  const accountStates: AccountState[] = [];
  for (const account of accounts) {
    const collateralBalances: bigint[] = [];
    const tokenBalances: bigint[] = [];
    for (const token of tokens) {
      collateralBalances.push(await vault.collateralOf(account, token));
      tokenBalances.push(await token.balanceOf(account));
    }
    accountStates.push({
      baseBalance: await base.balanceOf(account),
      shares: await vault.balanceOf(account),
      debt: await vault.debtOf(account),
      collateral: collateralBalances,
      tokenBalances,
    });
  }
  return {
    totalAssets: await vault.totalAssets(),
    totalSupply: await vault.totalSupply(),
    cash: await vault.cash(),
    reserves: await vault.reserves(),
    totalDebt: await vault.totalDebt(),
    borrowIndex: await vault.borrowIndex(),
    vaultBaseBalance: await base.balanceOf(vault),
    vaultTokenBalances,
    totalDeposited,
    accounts: accountStates,
  };
}

/** State reader over the default market's tokens and actors. */
export function marketState(f: MarketFixture, extraTokens: readonly BalanceToken[] = []): () => Promise<VaultState> {
  const tokens = [f.weth, f.wbtc, ...extraTokens];
  const accounts = [f.owner, f.lender, f.borrower, f.alice, f.bob, f.attacker];
  return () => readState(f.vault, f.lens, f.usdc, tokens, accounts);
}

/** Runs `action` (a revert assertion) and asserts that the state read by `read` is exactly the same afterwards. */
export async function expectUnchanged<T>(read: () => Promise<T>, action: () => Promise<void>): Promise<void> {
  const before = await read();
  await action();
  expect(await read()).to.deep.equal(before);
}

/** Share price probe with 18 extra digits: assets per whole share (1e12 share units) × 1e18, rounded down. */
export async function sharePrice(vault: CollateralVault): Promise<bigint> {
  return vault.convertToAssets(10n ** 30n);
}
