/**
 * Liquidations of the Bulwark vs Morpho Blue bench (morphoGas.ts). As in the gas bench: each account posts 1 WETH
 * and borrows 2,300 USDC (LTV 77%); WETH then falls 3,000 → 2,650 on the shared feed: 2,650 × 0.85 = 2,252.5 < 2,300
 * on both sides (Bulwark health 0.979). 61 accounts on Bulwark (one alone, then batches of 10 and 50), one on Morpho,
 * which has no batch.
 */
import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkHelpers } from "@nomicfoundation/hardhat-network-helpers/types";
import { MaxUint256 } from "ethers";

import type { Morpho } from "../../../typechain-types/index.js";
import type { Timeline } from "../chain.js";
import { formatToken } from "../format.js";
import type { MorphoMarketParams } from "../morpho.js";
import { collateral, type ChainlinkMarket } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { eth, usd } from "../units.js";
import type { PeerRow } from "./morphoGas.js";
import { expectScenario } from "./shared.js";

/** The side-by-side bench's chain, its Bulwark market, its Morpho market and the keeper that liquidates on both. */
export interface PeerBench {
  ethers: HardhatEthers;
  networkHelpers: NetworkHelpers;
  timeline: Timeline;
  market: ChainlinkMarket;
  /** Fresh rounds on every feed of `market`, on the timeline. */
  heartbeat: () => Promise<void>;
  morpho: Morpho;
  marketParams: MorphoMarketParams;
  /** The Morpho market's id. */
  id: string;
  keeper: HardhatEthersSigner;
}

/** Opens the positions, crashes WETH, and measures a single liquidation on both and Bulwark's batches. */
export async function measureMorphoLiquidations(bench: PeerBench): Promise<PeerRow[]> {
  const { ethers, networkHelpers, timeline, market, heartbeat, morpho, marketParams, id, keeper } = bench;
  const { vault, usdc, engine } = market;
  const weth = collateral(market, "WETH");
  const wethAddress = await weth.getAddress();
  const vaultAddress = await vault.getAddress();
  const morphoAddress = await morpho.getAddress();
  const onMorpho = (signer: HardhatEthersSigner) => morpho.connect(signer);
  const send = timeline.send.bind(timeline);
  const rows: PeerRow[] = [];
  console.log("Setting up liquidations: 61 Bulwark accounts and 1 Morpho account at 77% LTV, then WETH 3,000 → 2,650");
  const account = async (n: number): Promise<HardhatEthersSigner> => {
    const address = ethers.getAddress(`0x${n.toString(16).padStart(40, "0")}`);
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 18n);
    return ethers.getSigner(address);
  };
  const morphoVictim = await account(0xc0000);
  await fundAndApprove(timeline, weth, morphoVictim, eth("1"), morphoAddress);
  await send(() => onMorpho(morphoVictim).supplyCollateral(marketParams, eth("1"), morphoVictim.address, "0x"));
  await send(() =>
    onMorpho(morphoVictim).borrow(marketParams, usd("2300"), 0n, morphoVictim.address, morphoVictim.address),
  );
  const victims: HardhatEthersSigner[] = [];
  for (let i = 0; i < 61; i++) {
    if (i % 10 === 0) await heartbeat(); // setup spans hours of 12 s blocks: keep the feeds fresh
    const signer = await account(0xb0000 + i);
    await fundAndApprove(timeline, weth, signer, eth("1"), vaultAddress);
    await send(() => vault.connect(signer).depositCollateral(wethAddress, eth("1"), signer.address));
    await send(() => vault.connect(signer).borrow(usd("2300"), signer.address));
    victims.push(signer);
  }
  await fundAndApprove(timeline, usdc, keeper, usd("1000000"), vaultAddress);
  await fundAndApprove(timeline, usdc, keeper, usd("1000000"), morphoAddress);
  // A keeper with WETH already (as one that has liquidated before): the seized WETH lands in a balance slot that is
  // not empty on either side. Without it, the first liquidation measured (Bulwark's, in lockstep) would pay the
  // keeper's first WETH balance (about 17,000 gas) and Morpho's would not.
  await fundAndApprove(timeline, weth, keeper, eth("1"), vaultAddress);
  await send(() => market.prices.set(wethAddress, eth("2650")));
  await heartbeat();
  expectScenario(await vault.isLiquidatable(victims[0].address), "the first Bulwark account is not liquidatable");

  // Single: Bulwark's engine picks the amount (back to health 1.05); Morpho repays the same USDC amount, given as
  // shares at the share price before the call (Morpho's liquidator chooses the amount; it has no close factor).
  const executedTopic = engine.interface.getEvent("LiquidationExecuted").topicHash;
  const bulwarkSingle = await send(() =>
    engine.connect(keeper).liquidate(victims[0].address, wethAddress, MaxUint256, keeper.address),
  );
  const executed = bulwarkSingle.logs.find((log) => log.topics[0] === executedTopic);
  const repaid = executed === undefined ? undefined : (engine.interface.parseLog(executed)?.args[3] as bigint);
  if (repaid === undefined) throw new Error("scenario drifted: the Bulwark liquidation did not execute");
  const state = await morpho.market(id);
  // SharesMathLib.toSharesDown with Morpho's virtual shares (1e6) and virtual assets (1).
  const repaidShares = (repaid * (state.totalBorrowShares + 10n ** 6n)) / (state.totalBorrowAssets + 1n);
  const morphoSingle = await send(() =>
    onMorpho(keeper).liquidate(marketParams, morphoVictim.address, 0n, repaidShares, "0x"),
  );
  const victimAfter = await morpho.position(id, morphoVictim.address);
  expectScenario(
    victimAfter.borrowShares > 0n && victimAfter.collateral > 0n,
    "the Morpho liquidation was not partial",
  );
  rows.push({
    name: "liquidate.single",
    scenario: `one account, liquidator pays from its balance; same repayment (${formatToken(repaid, 6)} USDC)`,
    bulwark: bulwarkSingle.gasUsed,
    morpho: morphoSingle.gasUsed,
  });

  const skippedTopic = engine.interface.getEvent("LiquidationSkipped").topicHash;
  for (const [size, start] of [
    [10, 1],
    [50, 11],
  ] as const) {
    const orders = victims
      .slice(start, start + size)
      .map((v) => ({ borrower: v.address, collateral: wethAddress, maxRepay: MaxUint256 }));
    const receipt = await send(() => engine.connect(keeper).liquidateBatch(orders, keeper.address, "0x"));
    const skipped = receipt.logs.filter((log) => log.topics[0] === skippedTopic).length;
    expectScenario(skipped === 0, `${skipped} of the batch of ${size} were skipped`);
    rows.push({
      name: `liquidate.batch${size}.perAccount`,
      scenario: `liquidateBatch of ${size}, gas / ${size}; Morpho: its single liquidation (no batch)`,
      bulwark: receipt.gasUsed / BigInt(size),
      morpho: morphoSingle.gasUsed,
    });
  }
  return rows;
}
