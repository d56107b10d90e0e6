/**
 * The SecurityOps upkeep (Chainlink Automation) for the gas bench (vaultGas.ts): `performUpkeep` as Automation would
 * send it, with the data `checkUpkeep` returned, on a market of its own with a real Uniswap v3 WETH/USDC pool. Three
 * cases: the first upkeep (every breaker entry poked, volatility sampled and caps synced, reserves synced); a crash
 * with the default maximum of liquidations (5 flash liquidations, each selling its WETH in the pool) plus the work it
 * makes due; the one liquidation left. `checkUpkeep` itself runs off chain: its gas (`findWork`, the same code, sent
 * as a transaction) is reported beside them.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";

import type { SecurityOps } from "../../../typechain-types/index.js";
import { CHECK_LIMIT, deploySecurityOps } from "../automation.js";
import type { Timeline } from "../chain.js";
import { deployRiskModules } from "../risk.js";
import { collateral, deployChainlinkMarket, PERMISSIVE_TRIGGERS, type ChainlinkMarket } from "../testMarket.js";
import { fundAndApprove } from "../tokens.js";
import { deployPoolWithLiquidity, deployUniswapV3Factory } from "../uniswap.js";
import { eth, usd } from "../units.js";
import type { Measurement } from "./shared.js";

/** The upkeep's market and its SecurityOps. */
export interface OpsBench {
  market: ChainlinkMarket;
  ops: SecurityOps;
}

/** The upkeep's market, risk modules, WETH/USDC pool and SecurityOps, deployed before the timeline starts. */
export async function prepareSecurityOps(ethers: HardhatEthers): Promise<OpsBench> {
  const [deployer, , , , , , , , , treasury] = await ethers.getSigners();
  const market = await deployChainlinkMarket(ethers, {
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const risk = await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const weth = collateral(market, "WETH");
  const factory = await deployUniswapV3Factory(ethers, deployer);
  const { pool } = await deployPoolWithLiquidity(ethers, factory, weth, market.usdc, eth("2700"), eth("10000"));
  const { ops } = await deploySecurityOps(ethers, {
    vault: market.vault,
    engine: market.engine,
    volatility: risk.volatility,
    proceedsRecipient: treasury.address,
    owner: deployer,
  });
  await (await ops.setLiquidationPool(weth.target, pool)).wait();
  return { market, ops };
}

/** Opens six borrowers near their limit, then measures the three upkeeps (each with its `checkUpkeep`). */
export async function measureSecurityOps(
  ethers: HardhatEthers,
  timeline: Timeline,
  bench: OpsBench,
): Promise<Measurement[]> {
  console.log("Measuring the SecurityOps upkeep: first round, a crash with 5 liquidations, the last liquidation");
  const { market, ops } = bench;
  const signers = await ethers.getSigners();
  const [lender, keeper] = [signers[7], signers[8]];
  const borrowers = signers.slice(10, 16);
  const { vault, usdc } = market;
  const weth = collateral(market, "WETH");
  const wethAddress = await weth.getAddress();
  const vaultAddress = await vault.getAddress();
  const send = (action: () => Promise<ContractTransactionResponse>) => timeline.send(action);
  await market.heartbeat(send);
  await fundAndApprove(timeline, usdc, lender, usd("2000000"), vaultAddress);
  await send(() => vault.connect(lender).deposit(usd("1000000"), lender.address));
  // Six WETH borrowers at $3,000 ETH, each near the 80% limit: 10 WETH against 23,500 USDC.
  for (const b of borrowers) {
    await fundAndApprove(timeline, weth, b, eth("10"), vaultAddress);
    await send(() => vault.connect(b).depositCollateral(wethAddress, eth("10"), b.address));
    await send(() => vault.connect(b).borrow(usd("23500"), b.address));
  }
  await send(() => ops.connect(keeper).track(borrowers.map((b) => b.address)));

  const rows: Measurement[] = [];
  const upkeep = async (name: string, scenario: string, expectLiquidations: number): Promise<void> => {
    // The check's own code and gas (checkUpkeep is findWork, encoded), sent as a transaction with Automation's check
    // gas limit: a limit from eth_estimateGas would be the least gas at which it returns, and a check short of gas
    // returns less work rather than reverting (its price reads fail for want of gas), so it would measure a cheaper
    // check than the one whose work the perform below runs.
    const checkGas = (await send(() => ops.connect(keeper).findWork("0x", { gasLimit: CHECK_LIMIT }))).gasUsed;
    const [needed, data] = await ops.connect(keeper).checkUpkeep.staticCall("0x", { gasLimit: CHECK_LIMIT });
    if (!needed) throw new Error(`scenario drifted: ${name}: no upkeep needed`);
    const receipt = await send(() => ops.connect(keeper).performUpkeep(data));
    const liquidated = receipt.logs.filter(
      (log) => log.topics[0] === market.engine.interface.getEvent("LiquidationExecuted").topicHash,
    ).length;
    if (liquidated !== expectLiquidations) {
      throw new Error(`scenario drifted: ${name}: ${liquidated} liquidations, expected ${expectLiquidations}`);
    }
    rows.push({ name: `securityOps.performUpkeep.${name}`, scenario, gas: receipt.gasUsed });
    rows.push({
      name: `securityOps.checkUpkeep.${name}`,
      scenario: `the check before it (findWork as a transaction; off chain in Automation)`,
      gas: checkGas,
    });
  };
  await upkeep("first", "4 breaker pokes, 2 volatility samples + cap syncs, reserve sync", 0);
  // ETH −10%: every borrower is liquidatable; five go in this upkeep (maxLiquidations), one in the next.
  await timeline.advance(3600);
  await send(() => market.prices.set(wethAddress, eth("2700")));
  await market.heartbeat(send);
  await upkeep("crash5", "5 flash liquidations (WETH sold in the pool) + the pokes and samples due", 5);
  await upkeep("crash1", "1 flash liquidation, the sixth account", 1);
  return rows;
}
