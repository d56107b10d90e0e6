/**
 * Issue 26, "the Uniswap pool pushed 30% below the oracle during a crash": the backstop paid a write-off past
 * reserves, and the protocol owns the written-off account's collateral, which the Rebalancer sells through a real
 * Uniswap v3 pool (from `@uniswap/v3-core`'s artifacts) to repay lenders, then the backstop. An attacker pushes that
 * pool 30% below the oracle. Each rule with what would break it: the recovery is not sold into the pushed pool (the
 * lenders' and the backstop's claims would be repaid with 70 cents on the dollar, for good); the backstop's entry price
 * stays at the oracle's (a staker entering at the pool's price would buy the recovery cheap from the stakers who bore
 * the write-off); nobody gains by pushing the pool, staking, and waiting for the sale at the market's price. The
 * oracle here is the fixture's settable one, which the pool does not move: the entry-price checks pin that neither the
 * backstop nor the recovery reads the pool (an oracle with the pool as its TWAP secondary is OracleTwap.test.ts's).
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import { deployRiskModules } from "../../scripts/lib/risk.js";
import type { Backstop, ITestUniswapV3Pool, Rebalancer, UniswapV3Actor } from "../../typechain-types/index.js";
import { deployLinkedBackstop } from "./helpers/backstop.js";
import { liquidationFixture, type LiquidationFixture } from "./helpers/liquidationModel.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory, movePoolTo } from "./helpers/uniswap.js";
import { usd, wad } from "./helpers/vault.js";

const { networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const DAY = 86_400n;
const HOUR = 3_600n;
const RELEASE = 7n * DAY;

interface CrashFixture extends LiquidationFixture {
  backstop: Backstop;
  staker: HardhatEthersSigner;
  rebalancer: Rebalancer;
  pool: ITestUniswapV3Pool;
  wethIsToken0: boolean;
  /** Trades in the pool to move its price, funded with plenty of both tokens. */
  mover: UniswapV3Actor;
}

/**
 * The liquidation fixture (zero rate; 1,200 USDC of reserves; alice owes 24,000 USDC against 10 WETH at $3,000), the
 * risk modules wired (the Rebalancer is the vault's recovery module), a backstop with 10,000 USDC staked, and a
 * WETH/USDC 0.3% pool with $15M of full-range liquidity on each side at $3,000. The Rebalancer's route sells up to
 * 10 WETH an hour, at most 2% under the oracle.
 */
async function crashFixture(connection: NetworkConnection): Promise<CrashFixture> {
  const f = await liquidationFixture(connection);
  const signers = await connection.ethers.getSigners();
  const staker = signers[8];
  const { rebalancer } = await deployRiskModules(connection.ethers, f.vault, {
    collaterals: new Map([["WETH", f.weth]]),
  });
  const backstop = await deployLinkedBackstop(connection, f, [staker, f.attacker], usd("10000"));
  const factory = await deployUniswapV3Factory(connection.ethers, f.owner);
  const { pool, baseIsToken0 } = await deployPoolWithLiquidity(
    connection.ethers,
    factory,
    f.weth,
    f.usdc,
    wad("3000"),
    wad("5000"),
  );
  await pool.increaseObservationCardinalityNext(64);
  const mover = await connection.ethers.deployContract("UniswapV3Actor");
  await f.usdc.mint(mover, usd("1000000000"));
  await f.weth.mint(mover, wad("1000000"));
  await rebalancer
    .connect(f.owner)
    .setRoute(f.weth, { pool, maxChunk: wad("10"), maxSlippage: wad("0.02"), interval: HOUR, twapWindow: 0 });
  return { ...f, backstop, staker, rebalancer, pool, wethIsToken0: baseIsToken0, mover };
}

/** Moves the pool to `priceWad` (USDC per WETH) by trading through the mover. */
const movePool = (f: CrashFixture, priceWad: bigint) =>
  movePoolTo(f.mover, f.pool, f.weth, f.usdc, f.wethIsToken0, 18, 6, priceWad);

/** The crash: WETH at $9 makes alice's 10 WETH dust and the engine writes her 24,000 off (reserves 1,200, the
 *  backstop 10,000, lenders 12,800); WETH comes back to $2,000 on the oracle and in the pool; past the breaker's
 *  bad-debt window, stakes are open again. */
async function crashAndWriteOff(f: CrashFixture): Promise<void> {
  await f.oracle.setPrice(f.weth, wad("9"));
  await f.engine.connect(f.bob).writeOff(f.alice.address);
  expect(await f.lens.protocolCollateral(f.vault, f.weth)).to.equal(wad("10"));
  expect((await f.lens.backstop(f.vault)).owed).to.equal(usd("10000"));
  expect(await f.lens.unrecoveredLoss(f.vault)).to.equal(usd("12800"));
  await f.oracle.setPrice(f.weth, wad("2000"));
  await movePool(f, wad("2000"));
  await time.increase(8n * DAY);
  await f.breaker.poke(ZeroAddress);
  expect(await f.backstop.closedReason()).to.equal(0n);
}

/** Every book the sale would move. */
async function books(f: CrashFixture) {
  return {
    owned: await f.lens.protocolCollateral(f.vault, f.weth),
    owedToBackstop: (await f.lens.backstop(f.vault)).owed,
    lendersLoss: await f.lens.unrecoveredLoss(f.vault),
    vaultAssets: await f.vault.totalAssets(),
    backstopAssets: await f.backstop.totalAssets(),
    recoverable: await f.backstop.recoverable(),
  };
}

describe("Backstop in a crash: the Uniswap pool pushed 30% below the oracle (issue 26)", function () {
  it("the recovery is not sold into the pushed pool, and the backstop's entry price stays at the oracle's", async function () {
    const f = await loadFixture(crashFixture);
    await crashAndWriteOff(f);
    // $20,000 of WETH at the oracle: 12,800 to lenders first, 7,200 to the backstop.
    expect(await f.backstop.recoverable()).to.equal(usd("7200"));
    await movePool(f, wad("1400"));
    const before = await books(f);
    expect(before.recoverable).to.equal(usd("7200")); // the pool does not price the backstop's entries
    const [, limit] = await f.rebalancer.floorPrice(f.weth);
    await expect(f.rebalancer.rebalance(f.weth))
      .to.be.revertedWithCustomError(f.rebalancer, "PoolOutsideBound")
      .withArgs((await f.pool.slot0())[0], limit);
    expect(await books(f)).to.deep.equal(before);
    // Held there for a day, hour after hour: nothing is ever sold into it.
    for (let hour = 0; hour < 24; hour++) {
      await time.increase(HOUR);
      await expect(f.rebalancer.rebalance(f.weth)).to.be.revertedWithCustomError(f.rebalancer, "PoolOutsideBound");
    }
    expect(await f.lens.protocolCollateral(f.vault, f.weth)).to.equal(wad("10"));
    // Arbitrage brings the pool back: the sale goes through at the market's price, and repays lenders first.
    await movePool(f, wad("2000"));
    await f.rebalancer.rebalance(f.weth);
    expect(await f.lens.protocolCollateral(f.vault, f.weth)).to.equal(0n);
    expect(await f.lens.unrecoveredLoss(f.vault)).to.equal(0n);
    const repaid = before.owedToBackstop - (await f.lens.backstop(f.vault)).owed;
    expect(repaid).to.be.greaterThanOrEqual(usd("19600") - usd("12800")); // at least 98% of $20,000, less lenders'
    expect(repaid).to.be.lessThanOrEqual(usd("7200"));
  });

  it("pushing the pool, staking in it and waiting for the sale gains the attacker nothing", async function () {
    const f = await loadFixture(crashFixture);
    await crashAndWriteOff(f);
    await movePool(f, wad("1400"));
    // The attacker stakes while the pool says $1,400: priced at the oracle's $2,000 all the same.
    expect(await f.backstop.entryAssets()).to.equal(usd("7200"));
    const paid = usd("7200");
    await f.backstop.connect(f.attacker).deposit(paid, f.attacker.address);
    const shares = await f.backstop.balanceOf(f.attacker.address);
    const stakerShares = await f.backstop.balanceOf(f.staker.address);
    expect(shares).to.be.lessThanOrEqual(stakerShares); // half the backstop for half its worth (rounded down)
    expect(shares).to.be.greaterThan((stakerShares * 9_999n) / 10_000n);
    // The pool comes back; the recovery sells; its proceeds reach the backstop over the release.
    await movePool(f, wad("2000"));
    const owed = (await f.lens.backstop(f.vault)).owed;
    await f.rebalancer.rebalance(f.weth);
    const repaid = owed - (await f.lens.backstop(f.vault)).owed;
    await time.increase(RELEASE);
    expect(await f.backstop.previewRedeem(shares)).to.be.lessThanOrEqual(paid);
    // The stakers who bore the write-off keep at least what the sale repaid them.
    expect(await f.backstop.previewRedeem(await f.backstop.balanceOf(f.staker.address))).to.be.greaterThanOrEqual(
      repaid - 1n,
    );
  });
});
