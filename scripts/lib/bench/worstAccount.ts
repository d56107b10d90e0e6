/**
 * The worst account for the vault's own operations, for the gas bench (issue 21): a market listing the vault's maximum
 * of 16 collaterals (upkeepWorstCase.ts's), and a borrower holding all 16, so every health check reads 17 prices.
 * Measured on a chain of its own (a fresh in-process chain and timeline), so it moves no other figure of the bench:
 * - a borrow by that account (the borrow-limit check values all 16 holdings);
 * - its liquidation after three of its collaterals fall 90% (confirmed by a second round): the keeper repays from its
 *   wallet and seizes WETH.
 */
import { MaxUint256, parseUnits } from "ethers";
import { network } from "hardhat";

import { Timeline } from "../chain.js";
import { deployChainlinkMarket, PERMISSIVE_TRIGGERS } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { usd, wad } from "../units.js";
import { expectScenario, type Measurement } from "./shared.js";
import { SIXTEEN } from "./upkeepWorstCase.js";

/** Measures a borrow and a liquidation of an account holding the maximum of 16 collaterals. */
export async function measureWorstAccount(log: (line: string) => void = console.log): Promise<Measurement[]> {
  log(`Measuring the worst account: a borrow and a liquidation of an account holding ${SIXTEEN.length} collaterals`);
  const { ethers, networkHelpers } = await network.create();
  const [, lender, borrower, keeper] = await ethers.getSigners();
  const market = await deployChainlinkMarket(ethers, {
    collaterals: SIXTEEN,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const { vault, usdc, engine } = market;
  const vaultAddress = await vault.getAddress();
  const timeline = await Timeline.start(networkHelpers);
  const send = timeline.send.bind(timeline);
  await fundAndApprove(timeline, usdc, lender, usd("1000000"), vaultAddress);
  await fundAndApprove(timeline, usdc, keeper, usd("100000"), vaultAddress);
  await send(() => vault.connect(lender).deposit(usd("1000000"), lender.address));
  // $100 of each collateral: borrow limit $1,133, liquidation limit $1,213.
  for (const params of SIXTEEN) {
    const token = market.collaterals.get(params.symbol)!;
    const amount = (parseUnits("100", params.decimals) * 10n ** 18n) / wad(params.priceUsd);
    await fundAndApprove(timeline, token, borrower, amount, vaultAddress);
    await send(() => vault.connect(borrower).depositCollateral(token.target, amount, borrower.address));
  }
  await market.heartbeat(send);
  const borrow = await send(() => vault.connect(borrower).borrow(usd("1100"), borrower.address));
  // Three collaterals −90%, each confirmed by a second round: liquidation limit $1,011 < $1,100 of debt.
  for (const symbol of ["TKN3", "TKN4", "TKN5"]) {
    const token = market.collaterals.get(symbol)!.target as string;
    for (let i = 0; i < 2; i++) await send(() => market.prices.set(token, wad("10")));
  }
  await market.heartbeat(send);
  expectScenario(await vault.isLiquidatable(borrower.address), "the 16-collateral account is not liquidatable");
  const weth = market.collaterals.get("WETH")!.target as string;
  const liquidation = await send(() =>
    engine.connect(keeper).liquidate(borrower.address, weth, MaxUint256, keeper.address),
  );
  return [
    {
      name: "borrow.worst16",
      scenario: `an account holding all ${SIXTEEN.length} collaterals borrows 1,100 USDC (17 prices read)`,
      gas: borrow.gasUsed,
    },
    {
      name: "liquidate.worst16",
      scenario: `that account after 3 of its collaterals fell 90%: keeper repays from its wallet, seizes WETH`,
      gas: liquidation.gasUsed,
    },
  ];
}
