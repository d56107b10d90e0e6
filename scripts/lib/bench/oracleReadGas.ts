/**
 * Oracle reads for the gas bench (vaultGas.ts; not transactions): the gas of IPriceOracle.getPrice measured inside
 * one eth_call by OracleReadGauge, a cold read then a warm one. WETH is Chainlink-only with every check on:
 * heartbeat, validity, bounds, and the previous round for the jump bound. The L2 row adds a sequencer uptime feed.
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";

import { DAY, type Timeline } from "../chain.js";
import { collateral, feedConfig, type ChainlinkMarket } from "../testMarket.js";
import type { Measurement } from "./shared.js";

/** Measures the reads on `market`'s adapter and on an L2 adapter over the same WETH feed; returns their rows. */
export async function measureOracleReads(
  ethers: HardhatEthers,
  timeline: Timeline,
  market: ChainlinkMarket,
): Promise<Measurement[]> {
  const wethAddress = await collateral(market, "WETH").getAddress();
  const gauge = await ethers.deployContract("OracleReadGauge");
  const [cold, warm, read] = await gauge.measure(market.adapter, wethAddress);
  if (read.status !== 0n) throw new Error(`scenario drifted: WETH price is not OK (status ${read.status})`);
  const sequencer = await ethers.deployContract("TestAggregator", [0, "L2 Sequencer Uptime"]);
  await timeline.send(() => sequencer.pushAt(0, timeline.timestamp - DAY, timeline.timestamp));
  const l2Adapter = await ethers.deployContract("OracleAdapter", [market.owner.address, sequencer, 3600n, 600n]);
  const wethFeed = await market.feeds.get("WETH")?.getAddress();
  if (wethFeed === undefined) throw new Error("the market has no WETH feed");
  const wethStart = (await market.adapter.getPrice(wethAddress)).low;
  await timeline.send(() => l2Adapter.setAssetConfig(wethAddress, feedConfig(wethFeed, wethStart)));
  const [, l2Warm, l2Read] = await gauge.measure(l2Adapter, wethAddress);
  if (l2Read.status !== 0n) throw new Error(`scenario drifted: WETH price on L2 is not OK (status ${l2Read.status})`);
  return [
    { name: "oracle.getPrice.cold", scenario: "WETH, Chainlink only, all checks, first read in the call", gas: cold },
    {
      name: "oracle.getPrice.warm",
      scenario: "same read again in the same call (target: <= 15k)",
      gas: warm,
      reference: "issue 3 target <= 15k",
    },
    {
      name: "oracle.getPrice.warmL2",
      scenario: "warm, plus the L2 sequencer uptime check",
      gas: l2Warm,
      reference: "issue 3 target <= 15k",
    },
  ];
}
