/**
 * The crash simulation's off-chain health mirror (scripts/lib/sim/health.ts, `liquidityOf`) against the real
 * CollateralVault on an in-process chain, over random states: a market priced by the OracleAdapter over
 * Chainlink-like feeds, twenty borrowers with seeded mixes of WETH and WBTC, and thirty rounds of random events
 * (price moves, jumps beyond the adapter's 20% bound that read DEGRADED until confirmed, feeds that revert and read
 * FAILED, a failing and a depegging base asset, time passing with interest, repayments, deposits, borrows and
 * withdrawals). After every round each account's mirrored liquidity, computed from one `MarketView` and
 * `VaultLens.positions` exactly as the simulation reads them, must equal `vault.accountLiquidity` field for field;
 * `VaultLens` must agree with the vault's own per-account reads.
 */
import { expect } from "chai";
import { MaxUint256, Wallet, ZeroAddress, id, parseUnits } from "ethers";
import { network } from "hardhat";

import {
  PERMISSIVE_TRIGGERS,
  collateral,
  deployChainlinkMarket,
  type ChainlinkMarket,
} from "../../scripts/lib/testMarket.js";
import {
  DEGRADED,
  FAILED,
  OK,
  liquidityFromChain,
  liquidityOf,
  type Liquidity,
  type MarketView,
  type PriceRead,
} from "../../scripts/lib/sim/health.js";
import { Rng } from "../../scripts/lib/sim/population.js";
import { decodeBlockRead } from "../../scripts/lib/sim/readerCodec.js";
import type { MockERC20, SimReader, TestAggregator, VaultLens } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time, setBalance } = networkHelpers;

const RAY = 10n ** 27n;
const BORROWERS = 20;
const ROUNDS = 30;
/** Rounds with a scripted status (no random feed failure there). */
const SCRIPTED = new Set([3, 5, 8, 11, 14, 17]);
/** TestAggregator.Mode. */
const NORMAL = 0;
const REVERT = 1;
/** Starting feed answers (8 decimals). */
const START: Record<string, bigint> = {
  USDC: parseUnits("1", 8),
  WETH: parseUnits("3000", 8),
  WBTC: parseUnits("60000", 8),
};

interface Fixture {
  market: ChainlinkMarket;
  lens: VaultLens;
  /** The replay's one-call reader (bench/contracts/sim/SimReader.sol), checked here against each view it wraps. */
  reader: SimReader;
  weth: MockERC20;
  wbtc: MockERC20;
  borrowers: Wallet[];
}

async function fixture(): Promise<Fixture> {
  const [owner, lender] = await ethers.getSigners();
  // Permissive triggers: the breaker is wired (every hook runs) but never stops the borrows that open the book.
  const market = await deployChainlinkMarket(ethers, {
    owner,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const { vault, usdc, lens } = market;
  const weth = collateral(market, "WETH");
  const wbtc = collateral(market, "WBTC");

  const supply = parseUnits("20000000", 6);
  await (await usdc.mint(lender.address, supply)).wait();
  await (await usdc.connect(lender).approve(vault, MaxUint256)).wait();
  await (await vault.connect(lender).deposit(supply, lender.address)).wait();

  const rng = new Rng("sim-health");
  const borrowers: Wallet[] = [];
  for (let i = 0; i < BORROWERS; i++) {
    const who = new Wallet(id(`sim-health-borrower-${i}`), ethers.provider);
    borrowers.push(who);
    await setBalance(who.address, 10n ** 20n);
    // Mix: WETH only, WBTC only or both; odd sizes so the roundings bite.
    const mix = rng.pick([40, 30, 30]);
    const wethAmount =
      mix === 1 ? 0n : BigInt(Math.floor(rng.uniform(0.05, 40) * 1e12)) * 10n ** 6n + BigInt(i * 7 + 1);
    const wbtcAmount = mix === 0 ? 0n : BigInt(Math.floor(rng.uniform(0.002, 2.5) * 1e8)) + 3n;
    // Enough USDC to repay any debt with interest.
    await (await usdc.mint(who.address, parseUnits("5000000", 6))).wait();
    await (await usdc.connect(who).approve(vault, MaxUint256)).wait();
    for (const [token, amount] of [
      [weth, wethAmount],
      [wbtc, wbtcAmount],
    ] as const) {
      if (amount === 0n) continue;
      await (await token.mint(who.address, amount * 10n)).wait();
      await (await token.connect(who).approve(vault, MaxUint256)).wait();
      await (await vault.connect(who).depositCollateral(token, amount, who.address)).wait();
    }
    // Borrow 0% (the first two accounts) or 10%-97% of the limit, in USDC (6 decimals).
    const limitUsd = (Number(wethAmount) / 1e18) * 3000 * 0.8 + (Number(wbtcAmount) / 1e8) * 60000 * 0.73;
    const share = i < 2 ? 0 : rng.uniform(0.1, 0.97);
    const borrow = BigInt(Math.floor(limitUsd * share * 1e6));
    if (borrow > 0n) await (await vault.connect(who).borrow(borrow, who.address)).wait();
  }
  const reader = await ethers.deployContract("SimReader");
  return { market, lens, reader, weth, wbtc, borrowers };
}

/**
 * SimReader.read at `blockTag` gives what each view gives on its own: the prices and parameters (`view`), the borrow
 * index, each sampled account's `accountLiquidity`, each breaker entry's level, the vault's totals and a share's value.
 */
async function expectReaderAgrees(
  f: Fixture,
  blockTag: number,
  view: MarketView,
  index: bigint,
  samples: readonly string[],
  collaterals: readonly string[],
): Promise<void> {
  const { vault, breaker, usdc } = f.market;
  const shareUnit = 10n ** (await vault.decimals());
  const noPools = collaterals.map(() => ZeroAddress);
  const read = await f.reader.read(vault, breaker, usdc, [...collaterals], noPools, [...samples], shareUnit, {
    blockTag,
  });
  const price = (p: { low: bigint; high: bigint; status: bigint }): PriceRead => ({
    low: p.low,
    high: p.high,
    status: Number(p.status),
  });
  // The replay's own decoder (readerCodec.ts) reads the same call's raw result as ethers does.
  const raw = await ethers.provider.call({
    to: await f.reader.getAddress(),
    data: f.reader.interface.encodeFunctionData("read", [
      await vault.getAddress(),
      await breaker.getAddress(),
      await usdc.getAddress(),
      [...collaterals],
      noPools,
      [...samples],
      shareUnit,
    ]),
    blockTag,
  });
  expect(decodeBlockRead(raw)).to.deep.equal({
    base: price(read.base),
    collaterals: read.collaterals.map((c) => ({
      price: price(c.price),
      borrowLtv: c.borrowLtv,
      liquidationThreshold: c.liquidationThreshold,
    })),
    borrowIndex: read.borrowIndex,
    samples: read.samples.map((l) => liquidityFromChain(l)),
    poolSqrtPrices: [...read.poolSqrtPrices],
    breakerAssets: read.breakerAssets.map((a) => a.toLowerCase()),
    breakerLevels: read.breakerLevels.map(Number),
    badDebt: read.badDebt,
    totalDebt: read.totalDebt,
    shareValue: read.shareValue,
  });
  expect(price(read.base)).to.deep.equal(view.base);
  expect(
    read.collaterals.map((c) => ({
      price: price(c.price),
      borrowLtv: c.borrowLtv,
      liquidationThreshold: c.liquidationThreshold,
    })),
  ).to.deep.equal(
    view.collaterals.map(({ price: p, borrowLtv, liquidationThreshold }) => ({
      price: p,
      borrowLtv,
      liquidationThreshold,
    })),
  );
  expect(read.borrowIndex).to.equal(index);
  expect(read.poolSqrtPrices).to.deep.equal(noPools.map(() => 0n));
  for (const [k, account] of samples.entries()) {
    const onChain = await vault.accountLiquidity(account, { blockTag });
    expect(liquidityFromChain(read.samples[k])).to.deep.equal(liquidityFromChain(onChain), `sample ${account}`);
  }
  const entries = await breaker.state({ blockTag });
  expect([...read.breakerAssets]).to.deep.equal(entries.map((e) => e.asset));
  expect(read.breakerLevels.map(Number)).to.deep.equal(entries.map((e) => Number(e.level)));
  expect(read.badDebt).to.equal(await vault.badDebt({ blockTag }));
  expect(read.totalDebt).to.equal(await vault.totalDebt({ blockTag }));
  expect(read.shareValue).to.equal(await vault.convertToAssets(shareUnit, { blockTag }));
}

/** Reads everything at `blockTag` and compares the mirror with the vault for every borrower. */
async function compare(f: Fixture, blockTag: number): Promise<{ view: MarketView; mirrored: Liquidity[] }> {
  const { market, lens, borrowers } = f;
  const { vault, adapter } = market;
  const collaterals = [f.weth, f.wbtc];
  const decimals = [18n, 8n];
  const read = async (token: string): Promise<PriceRead> => {
    const p = await adapter.getPrice(token, { blockTag });
    return { low: p.low, high: p.high, status: Number(p.status) };
  };
  // The MarketView from each view on its own; the replay's one call (SimReader, checked against it below) gives it.
  const collateralViews = [];
  for (const [j, token] of collaterals.entries()) {
    const [borrowLtv, liquidationThreshold] = await vault.riskParams(token, { blockTag });
    collateralViews.push({
      price: await read(await token.getAddress()),
      unit: 10n ** decimals[j],
      borrowLtv,
      liquidationThreshold,
    });
  }
  const view: MarketView = {
    base: await read(await market.usdc.getAddress()),
    baseUnit: 10n ** 6n,
    collaterals: collateralViews,
  };

  const vaultAddress = await vault.getAddress();
  const accounts = borrowers.map((b) => b.address);
  const assets = await Promise.all(collaterals.map((c) => c.getAddress()));
  const [scaledDebts, balances] = await lens.positions(vaultAddress, assets, accounts, { blockTag });
  const lensLiquidities = await lens.liquidities(vaultAddress, accounts, { blockTag });
  const index = await vault.borrowIndex({ blockTag });
  await expectReaderAgrees(f, blockTag, view, index, accounts.slice(0, 3), assets);
  expect(scaledDebts).to.have.length(BORROWERS);
  expect(lensLiquidities).to.have.length(BORROWERS);

  const mirrored: Liquidity[] = [];
  for (const [i, account] of accounts.entries()) {
    // VaultLens.positions is the vault's own per-account reads.
    expect(scaledDebts[i]).to.equal(await lens.scaledDebtOf(vault, account, { blockTag }));
    expect(balances[i]).to.have.length(assets.length);
    for (const [j, asset] of assets.entries()) {
      expect(balances[i][j]).to.equal(await vault.collateralOf(account, asset, { blockTag }));
    }
    const expected = liquidityFromChain(await vault.accountLiquidity(account, { blockTag }));
    // VaultLens.liquidities is accountLiquidity.
    expect(liquidityFromChain(lensLiquidities[i])).to.deep.equal(expected, `lens.liquidities of ${account}`);
    // The mirror: debt = ceil(scaled × index / 1e27), valued with the block's view.
    const debt = scaledDebts[i] === 0n ? 0n : (scaledDebts[i] * index + RAY - 1n) / RAY;
    const mine = liquidityOf(view, debt, [...balances[i]]);
    expect(mine).to.deep.equal(expected, `liquidityOf of borrower ${i} (${account}) at block ${blockTag}`);
    mirrored.push(mine);
  }
  return { view, mirrored };
}

describe("Simulation health mirror (liquidityOf) against CollateralVault.accountLiquidity", function () {
  this.timeout(600_000);

  it("agrees with the vault right after the book opens, and VaultLens agrees with the vault's own reads", async function () {
    const f = await loadFixture(fixture);
    const { view, mirrored } = await compare(f, await ethers.provider.getBlockNumber());
    expect(view.base.status).to.equal(OK);
    expect(view.collaterals.map((c) => c.price.status)).to.deep.equal([OK, OK]);
    expect(view.collaterals[0].price.low).to.equal(parseUnits("3000", 18));
    expect(view.collaterals[1].borrowLtv).to.equal(parseUnits("0.73", 18));
    // The book: two accounts without debt, the others borrowing; both assets held.
    expect(mirrored.filter((l) => l.debt === 0n)).to.have.length(2);
    expect(mirrored.filter((l) => l.debt > 0n && l.debtValue <= l.borrowLimit)).to.have.length(BORROWERS - 2);
    const [, balances] = await f.lens.positions(
      await f.market.vault.getAddress(),
      [await f.weth.getAddress(), await f.wbtc.getAddress()],
      f.borrowers.map((b) => b.address),
    );
    expect(balances.filter((b) => b[0] > 0n && b[1] > 0n).length).to.be.greaterThan(0);
    expect(balances.filter((b) => b[0] > 0n && b[1] === 0n).length).to.be.greaterThan(0);
    expect(balances.filter((b) => b[0] === 0n && b[1] > 0n).length).to.be.greaterThan(0);
  });

  it("agrees with the vault for every account over 30 rounds of random prices, statuses, interest and repayments", async function () {
    const f = await loadFixture(fixture);
    const { market, borrowers } = f;
    const { vault } = market;
    const rng = new Rng("sim-health-rounds");
    const feed = (symbol: string): TestAggregator => {
      const found = market.feeds.get(symbol);
      if (found === undefined) throw new Error(`no ${symbol} feed`);
      return found;
    };
    const answers: Record<string, bigint> = { ...START };
    const push = async (symbol: string, answer: bigint): Promise<void> => {
      answers[symbol] = answer;
      await (await feed(symbol).push(answer)).wait();
    };
    /** Moves `symbol` by `factor`, kept within 1/5× and 3× of its start (inside the adapter's plausible bounds). */
    const move = async (symbol: string, factor: number): Promise<void> => {
      const next = BigInt(Math.round(Number(answers[symbol]) * factor));
      const clamped =
        next < START[symbol] / 5n ? START[symbol] / 5n : next > START[symbol] * 3n ? START[symbol] * 3n : next;
      await push(symbol, clamped);
    };
    const reverting = new Set<string>();
    const seen = {
      collateralDegraded: 0,
      collateralFailed: 0,
      baseDegraded: 0,
      baseFailed: 0,
      accountDegraded: 0,
      accountFailed: 0,
      failedBaseWithoutDebt: 0,
      fullRepayments: 0,
      partialRepayments: 0,
      timeSteps: 0,
    };
    const indexAtStart = await vault.borrowIndex();
    const statusOf = async (symbol: string): Promise<number> => {
      const token = symbol === "USDC" ? market.usdc : collateral(market, symbol);
      return Number((await market.adapter.getPrice(token)).status);
    };

    for (let round = 0; round < ROUNDS; round++) {
      // Feeds reverting last round come back.
      for (const symbol of reverting) await (await feed(symbol).setMode(NORMAL)).wait();
      reverting.clear();

      // Time passes (interest); most of the time the feeds then publish a heartbeat round, else they read STALE.
      if (rng.next() < 0.35) {
        seen.timeSteps++;
        await time.increase(Math.floor(rng.uniform(600, 20 * 86_400)));
        if (rng.next() < 0.8) for (const symbol of Object.keys(answers)) await push(symbol, answers[symbol]);
      }

      // Borrowers act: repay part or all, post more collateral, borrow a little more, withdraw.
      for (let k = Math.floor(rng.uniform(1, 4)); k > 0; k--) {
        const who = borrowers[rng.pick(borrowers.map(() => 1))];
        const debt = (await vault.accountLiquidity(who.address)).debt;
        const action = rng.pick([45, 25, 15, 15]);
        if (action === 0 && debt > 0n) {
          if (rng.next() < 0.2) {
            await (await vault.connect(who).repay(MaxUint256, who.address)).wait();
            seen.fullRepayments++;
          } else {
            const amount = (debt * BigInt(Math.floor(rng.uniform(0.05, 0.9) * 1000))) / 1000n;
            if (amount > 0n) await (await vault.connect(who).repay(amount, who.address)).wait();
            seen.partialRepayments++;
          }
        } else if (action === 1) {
          const token = rng.next() < 0.5 ? f.weth : f.wbtc;
          const held = await token.balanceOf(who.address);
          const amount = (held * BigInt(Math.floor(rng.uniform(0.01, 0.3) * 1000))) / 1000n + 1n;
          if (held >= amount) await (await vault.connect(who).depositCollateral(token, amount, who.address)).wait();
        } else if (action === 2) {
          const liq = await vault.accountLiquidity(who.address);
          const room = liq.borrowLimit > liq.debtValue ? (liq.borrowLimit - liq.debtValue) / 10n ** 12n : 0n;
          const amount = (room * BigInt(Math.floor(rng.uniform(0.1, 0.9) * 1000))) / 1000n;
          // Reverts (and is skipped) under a doubted price or the breaker; the mirror is checked either way.
          if (amount > 0n)
            await vault
              .connect(who)
              .borrow(amount, who.address)
              .then(
                (tx) => tx.wait(),
                () => undefined,
              );
        } else if (action === 3 && debt === 0n) {
          // Withdraw a whole holding: the vault clears the asset from the account's mask.
          const token = rng.next() < 0.5 ? f.weth : f.wbtc;
          const balance = await vault.collateralOf(who.address, token);
          if (balance > 0n) {
            await vault
              .connect(who)
              .withdrawCollateral(token, balance, who.address)
              .then(
                (tx) => tx.wait(),
                () => undefined,
              );
          }
        }
      }

      // Prices move: mostly small steps, sometimes a jump beyond the adapter's 20% bound (DEGRADED until confirmed).
      for (const symbol of ["WETH", "WBTC"]) {
        const kind = rng.pick([35, 30, 15, 10, 10]);
        if (kind === 1) await move(symbol, rng.uniform(0.95, 1.05));
        else if (kind === 2) await move(symbol, rng.uniform(0.82, 1.18));
        else if (kind === 3) await move(symbol, rng.next() < 0.6 ? rng.uniform(0.55, 0.75) : rng.uniform(1.3, 1.5));
        else if (kind === 4) await push(symbol, answers[symbol]); // a repeat confirms a pending jump
      }
      if (rng.next() < 0.3) await move("USDC", rng.uniform(0.985, 1.015));
      if (!SCRIPTED.has(round) && rng.next() < 0.08) {
        const symbol = ["WETH", "WBTC", "USDC"][rng.pick([45, 45, 10])];
        await (await feed(symbol).setMode(REVERT)).wait();
        reverting.add(symbol);
      }

      // Scripted events, so that every branch is compared whatever the draws. A jump is measured from the previous
      // round within the jump window: publish the current answer first, then jump.
      const jump = async (symbol: string, factor: number): Promise<void> => {
        await push(symbol, answers[symbol]);
        await move(symbol, factor);
      };
      if (round === 3) await jump("WETH", 0.7); // −30% within the jump window: DEGRADED
      if (round === 5) await jump("WBTC", 1.35); // +35%: DEGRADED
      if (round === 8) {
        await (await feed("WBTC").setMode(REVERT)).wait(); // FAILED
        reverting.add("WBTC");
      }
      if (round === 11) {
        await (await feed("USDC").setMode(REVERT)).wait(); // base FAILED: debt value 2^256 − 1
        reverting.add("USDC");
      }
      if (round === 14) await jump("USDC", 0.75); // a depeg beyond 20%: base DEGRADED
      if (round === 17) {
        await (await feed("WETH").setMode(REVERT)).wait();
        reverting.add("WETH");
        await jump("WBTC", 0.7);
      }
      if (round === 3) expect(await statusOf("WETH")).to.equal(DEGRADED);
      if (round === 5) expect(await statusOf("WBTC")).to.equal(DEGRADED);
      if (round === 17) expect([await statusOf("WETH"), await statusOf("WBTC")]).to.deep.equal([FAILED, DEGRADED]);
      if (round === 8) expect(await statusOf("WBTC")).to.equal(FAILED);
      if (round === 11) expect(await statusOf("USDC")).to.equal(FAILED);
      if (round === 14) expect(await statusOf("USDC")).to.equal(DEGRADED);

      const { view, mirrored } = await compare(f, await ethers.provider.getBlockNumber());
      for (const c of view.collaterals) {
        if (c.price.status === DEGRADED) {
          seen.collateralDegraded++;
          expect(c.price.low < c.price.high).to.equal(true);
        }
        if (c.price.status === FAILED) seen.collateralFailed++;
      }
      if (view.base.status === DEGRADED) seen.baseDegraded++;
      if (view.base.status === FAILED) seen.baseFailed++;
      for (const l of mirrored) {
        if (l.priceStatus === DEGRADED && l.debt > 0n) seen.accountDegraded++;
        if (l.priceStatus === FAILED && l.debt > 0n) seen.accountFailed++;
        if (view.base.status === FAILED && l.debt === 0n) {
          seen.failedBaseWithoutDebt++;
          expect(l.debtValue).to.equal(0n);
        }
        if (view.base.status === FAILED && l.debt > 0n) expect(l.debtValue).to.equal(MaxUint256);
      }
    }

    // Every branch of the mirror was compared against the vault, under debt, and interest accrued.
    expect(seen.collateralDegraded, "rounds with a DEGRADED collateral").to.be.at.least(2);
    expect(seen.collateralFailed, "rounds with a FAILED collateral").to.be.at.least(2);
    expect(seen.baseDegraded, "rounds with a DEGRADED base").to.be.at.least(1);
    expect(seen.baseFailed, "rounds with a FAILED base").to.be.at.least(1);
    expect(seen.accountDegraded, "accounts compared with a DEGRADED status").to.be.greaterThan(0);
    expect(seen.accountFailed, "accounts compared with a FAILED status").to.be.greaterThan(0);
    expect(seen.failedBaseWithoutDebt, "accounts without debt under a FAILED base").to.be.greaterThan(0);
    expect(seen.partialRepayments, "partial repayments").to.be.greaterThan(0);
    expect(seen.timeSteps, "rounds with time passing").to.be.greaterThan(0);
    expect((await vault.borrowIndex()) > indexAtStart, "interest accrued").to.equal(true);
  });
});
