/**
 * Liquidations and the adaptive-risk round of the gas bench (vaultGas.ts), on its measured market and timeline.
 *
 * Liquidations: 62 borrowers each post 1 WETH and borrow 2,300 USDC (LTV 77%); WETH then falls 3,000 → 2,650, every
 * account's health factor to 0.979: a partial liquidation back to 1.05 at a 3.6% bonus. A keeper liquidates one
 * account from its wallet, one through the UniswapV3FlashLiquidator (no capital: the seized WETH is sold in a real
 * Uniswap v3 pool inside the callback, swap included in the figure), then batches of 10 and 50 from its wallet.
 *
 * Adaptive risk: the keeper's hourly round (volatility sample, caps sync, reserve boost) and a risk score.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { MaxUint256 } from "ethers";

import type { Timeline } from "../chain.js";
import type { RiskModules } from "../risk.js";
import { collateral, type ChainlinkMarket } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory } from "../uniswap.js";
import { eth, usd } from "../units.js";
import { REFERENCE, expectScenario, type GasRecorder } from "./shared.js";

/** The gas bench's chain, measured market and recorder. */
export interface GasBenchContext {
  ethers: HardhatEthers;
  networkHelpers: NetworkHelpers;
  timeline: Timeline;
  market: ChainlinkMarket;
  /** Fresh rounds on every feed of `market`, on the timeline. */
  heartbeat: () => Promise<void>;
  recorder: GasRecorder;
}

/** Opens the 62 positions, crashes WETH and measures the single, flash and batch liquidations. */
export async function measureLiquidations(bench: GasBenchContext): Promise<void> {
  const { ethers, networkHelpers, timeline, market, heartbeat, recorder } = bench;
  console.log(
    "Setting up liquidations: 62 borrowers at 77% LTV, a real Uniswap v3 WETH/USDC pool, a WETH fall to 2,650",
  );
  const { engine, vault, usdc } = market;
  const weth = collateral(market, "WETH");
  const wethAddress = await weth.getAddress();
  const vaultAddress = await vault.getAddress();
  const [keeper] = await ethers.getSigners();
  const borrowers: HardhatEthersSigner[] = [];
  for (let i = 0; i < 62; i++) {
    if (i % 10 === 0) await heartbeat(); // setup spans hours of 12 s blocks: keep the feeds fresh
    const address = ethers.getAddress(`0x${(0xb0000 + i).toString(16).padStart(40, "0")}`);
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 18n);
    const signer = await ethers.getSigner(address);
    await fundAndApprove(timeline, weth, signer, eth("1"), vaultAddress);
    await timeline.send(() => vault.connect(signer).depositCollateral(weth.target, eth("1"), address));
    await timeline.send(() => vault.connect(signer).borrow(usd("2300"), address));
    borrowers.push(signer);
  }
  await fundAndApprove(timeline, usdc, keeper, usd("1000000"), vaultAddress);
  const factory = await deployUniswapV3Factory(ethers, keeper);
  const { pool } = await deployPoolWithLiquidity(ethers, factory, weth, usdc, eth("2650"), eth("2000"));
  const flash = await ethers.deployContract("UniswapV3FlashLiquidator", [engine, vault, usdc, keeper.address]);
  await timeline.send(() => flash.setPool(weth.target, pool));
  await timeline.send(() => market.prices.set(wethAddress, eth("2650")));
  await heartbeat();
  const liquidatable = await vault.isLiquidatable(borrowers[0].address);
  expectScenario(liquidatable, "the first borrower is not liquidatable after the fall");
  const liquidations = borrowers.map((b) => ({ borrower: b.address, collateral: wethAddress, maxRepay: MaxUint256 }));

  await recorder.measure(
    {
      name: "liquidate.single",
      scenario: "keeper repays from its wallet; partial, back to health 1.05",
      reference: REFERENCE.liquidate,
      accrues: true,
    },
    () => engine.connect(keeper).liquidate(borrowers[0].address, weth.target, MaxUint256, keeper.address),
  );
  await recorder.measure(
    {
      name: "liquidate.flash",
      scenario: "no capital: seized WETH sold in a real Uniswap v3 pool in the callback",
      reference: REFERENCE.liquidate,
      accrues: true,
    },
    () => flash.connect(keeper).liquidate(borrowers[1].address, weth.target, MaxUint256, 0n),
  );
  for (const [size, start] of [
    [10, 2],
    [50, 12],
  ] as const) {
    const orders = liquidations.slice(start, start + size);
    const receipt = await recorder.measure(
      {
        name: `liquidate.batch${size}`,
        scenario: `liquidateBatch of ${size} accounts, whole transaction`,
        accrues: true,
      },
      () => engine.connect(keeper).liquidateBatch(orders, keeper.address, "0x"),
    );
    const skipped = receipt.logs.filter(
      (log) => log.topics[0] === engine.interface.getEvent("LiquidationSkipped").topicHash,
    );
    const reasons = skipped.map((log) => {
      const raw = String(engine.interface.parseLog(log)?.args[2]);
      return (engine.interface.parseError(raw) ?? market.adapter.interface.parseError(raw))?.name ?? raw;
    });
    expectScenario(
      skipped.length === 0,
      `${skipped.length} of the batch of ${size} were skipped: ${reasons.join(", ")}`,
    );
    recorder.add({
      name: `liquidate.batch${size}.perAccount`,
      scenario: `the same, per account`,
      reference: REFERENCE.liquidate,
      gas: receipt.gasUsed / BigInt(size),
    });
  }
  expectScenario(!(await vault.isLiquidatable(borrowers[61].address)), "the last account is still liquidatable");
}

/** The keeper's hourly round on `risk` (volatility sample, caps sync, reserve boost), then `account`'s risk score. */
export async function measureRiskRound(
  bench: GasBenchContext,
  risk: RiskModules,
  account: HardhatEthersSigner,
): Promise<void> {
  const { ethers, timeline, market, heartbeat, recorder } = bench;
  const [keeper] = await ethers.getSigners();
  const wethAddress = await collateral(market, "WETH").getAddress();
  await recorder.measure(
    { name: "risk.volatility.first", scenario: "first WETH sample: records the price", accrues: false },
    () => risk.volatility.connect(keeper).update(wethAddress),
  );
  await timeline.advance(3600);
  await timeline.send(() => market.prices.set(wethAddress, eth("2400")));
  await heartbeat();
  await recorder.measure(
    { name: "risk.volatility.update", scenario: "an hour later, WETH −9.4%: ln, EWMA, √", accrues: false },
    () => risk.volatility.connect(keeper).update(wethAddress),
  );
  await recorder.measure(
    { name: "risk.sync", scenario: "WETH caps from the new volatility; the vault restarts the ramp", accrues: false },
    () => risk.riskManager.connect(keeper).sync(wethAddress),
  );
  await recorder.measure(
    {
      name: "risk.syncReserves",
      scenario: "reserves under 2% of debt: the boost goes on (vault accrues)",
      accrues: true,
    },
    () => risk.riskManager.connect(keeper).syncReserves(),
  );
  recorder.add({
    name: "risk.riskScore",
    scenario: "view, account with WETH + WBTC (eth_estimateGas, 21,000 base included)",
    gas: await risk.riskManager.riskScore.estimateGas(account.address),
  });
}
