/**
 * The SecurityOps upkeep at its worst, for the gas bench (vaultGas.ts; issue 19, property 10): a market listing the
 * vault's maximum of 16 collaterals, and a full scan window (MAX_SCAN = 200 registered accounts) of borrowers each
 * holding all 16, so every account's health reads 17 prices. Measured on the scripted timeline:
 * - a check's cost per examined account (two shards of the healthy registry, the difference per account);
 * - a check under Chainlink Automation's 10M check gas limit after a crash of three collaterals, with the first
 *   round's asset work still due: it returns without reverting, with as much as its perform budget allows;
 * - the perform of that check's data under Automation's 5M perform limit (it must fit), and the next upkeep.
 * `checkUpkeep` runs off chain: its figures are `findWork` sent as a transaction (same code, same gas).
 */
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { MaxUint256, parseUnits } from "ethers";

import type { SecurityOps, SimBorrowerFactory } from "../../../typechain-types/index.js";
import { CHECK_LIMIT, DEFAULT_SECURITY_OPS_CONFIG, deploySecurityOps, PERFORM_LIMIT } from "../automation.js";
import type { Timeline } from "../chain.js";
import { deployRiskModules } from "../risk.js";
import {
  DEFAULT_COLLATERALS,
  deployChainlinkMarket,
  PERMISSIVE_TRIGGERS,
  type ChainlinkMarket,
  type CollateralParams,
} from "../testMarket.js";
import { usd, wad } from "../units.js";
import type { Measurement } from "./shared.js";

/** The vault's maximum number of listed collaterals. */
const COLLATERALS = 16;
/** A full scan window: SecurityOps' MAX_SCAN. */
const ACCOUNTS = 200;
/** Positions opened per transaction (each posts 16 collaterals: about 2.5M gas). */
const PER_TX = 5;

/** WETH and WBTC as shipped, then fourteen 18-decimal tokens at $100 (LTV 70%, threshold 75%). */
export const SIXTEEN: readonly CollateralParams[] = [
  ...DEFAULT_COLLATERALS,
  ...Array.from({ length: COLLATERALS - DEFAULT_COLLATERALS.length }, (_, i) => ({
    symbol: `TKN${i + 3}`,
    decimals: 18,
    priceUsd: "100",
    borrowLtv: wad("0.70"),
    liquidationThreshold: wad("0.75"),
    liquidationBonus: wad("0.05"),
    supplyCap: "1000000000",
  })),
];

/** The worst-case market, its registry full, and its SecurityOps. */
export interface WorstUpkeep {
  market: ChainlinkMarket;
  ops: SecurityOps;
}

/** Deploys the 16-collateral market and opens a full window of 16-collateral borrowers, before the timeline starts. */
export async function prepareWorstUpkeep(ethers: HardhatEthers): Promise<WorstUpkeep> {
  console.log(`Setting up the upkeep's worst case: ${COLLATERALS} collaterals, ${ACCOUNTS} borrowers holding all`);
  const [deployer, lender, , , , , , , , treasury] = await ethers.getSigners();
  const market = await deployChainlinkMarket(ethers, {
    collaterals: SIXTEEN,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const { vault, usdc, engine } = market;
  await (await usdc.mint(lender.address, usd("10000000"))).wait();
  await (await usdc.connect(lender).approve(vault, MaxUint256)).wait();
  await (await vault.connect(lender).deposit(usd("10000000"), lender.address)).wait();
  // Each borrower posts $100 of each collateral ($1,600: borrow limit $1,133, liquidation limit $1,213) and borrows
  // 1,100 USDC: healthy, and above minDebt.
  const factory = (await ethers.deployContract("SimBorrowerFactory")) as unknown as SimBorrowerFactory;
  const assets: string[] = [];
  const amounts: bigint[] = [];
  for (const params of SIXTEEN) {
    const token = market.collaterals.get(params.symbol)!;
    const amount = (parseUnits("100", params.decimals) * 10n ** 18n) / wad(params.priceUsd);
    assets.push(await token.getAddress());
    amounts.push(amount);
    await (await token.mint(await factory.getAddress(), amount * BigInt(ACCOUNTS))).wait();
  }
  const borrowers: string[] = [];
  for (let i = 0; i < ACCOUNTS; i += PER_TX) {
    const batch = Array.from({ length: PER_TX }, () => ({ assets, amounts, borrow: usd("1100") }));
    const receipt = await (await factory.openMany(vault, batch, deployer.address, { gasLimit: 16_000_000n })).wait();
    for (const log of receipt!.logs) {
      const parsed = factory.interface.parseLog(log);
      if (parsed?.name === "BorrowerOpened") borrowers.push(parsed.args.borrower as string);
    }
  }
  const risk = await deployRiskModules(ethers, vault, { collaterals: market.collaterals });
  const { ops } = await deploySecurityOps(ethers, {
    vault,
    engine,
    volatility: risk.volatility,
    config: { ...DEFAULT_SECURITY_OPS_CONFIG, scanSize: ACCOUNTS },
    proceedsRecipient: treasury.address,
    owner: deployer,
  });
  for (let i = 0; i < borrowers.length; i += 50) await (await ops.track(borrowers.slice(i, i + 50))).wait();
  if ((await ops.accountCount()) !== BigInt(ACCOUNTS)) throw new Error("the worst-case registry is not full");
  return { market, ops };
}

/** Measures the worst-case check and perform on the scripted timeline. */
export async function measureWorstUpkeep(
  ethers: HardhatEthers,
  timeline: Timeline,
  bench: WorstUpkeep,
): Promise<Measurement[]> {
  console.log(`Measuring the upkeep's worst case: a check under ${CHECK_LIMIT} gas and its perform`);
  const { market, ops } = bench;
  const [, , , , , , , , keeper] = await ethers.getSigners();
  const send = timeline.send.bind(timeline);
  await market.heartbeat(send);
  // The first round (every entry poked, samples, syncs) out of the way, as on a running market.
  const shard = (from: number, to: number) => ops.interface.getAbiCoder().encode(["uint256", "uint256"], [from, to]);
  const findGas = async (data: string, gasLimit = 16_000_000n) =>
    (await send(() => ops.connect(keeper).findWork(data, { gasLimit }))).gasUsed;
  // Healthy accounts: the difference between a 20-account and a 10-account shard is ten examinations.
  const ten = await findGas(shard(0, 10));
  const twenty = await findGas(shard(0, 20));
  const perAccount = (twenty - ten) / 10n;

  // A crash of three collaterals (−90%, confirmed by a second round) leaves every account liquidatable (limit
  // $1,011 < $1,100), while the first round's asset work (every entry poked, every asset sampled and synced) is
  // still due: the most a check can find at once. With no pool to sell in, the check flags each account it takes.
  for (const symbol of ["TKN3", "TKN4", "TKN5"]) {
    const token = market.collaterals.get(symbol)!.target as string;
    for (let i = 0; i < 2; i++) await send(() => market.prices.set(token, wad("10")));
  }
  await market.heartbeat(send);
  const workType = ops.interface.getFunction("findWork").outputs[0];
  const upkeep = async () => {
    const [, data] = await ops.connect(keeper).checkUpkeep.staticCall("0x", { gasLimit: CHECK_LIMIT });
    const [work] = ops.interface.getAbiCoder().decode([workType], data);
    const checkGas = await findGas("0x", CHECK_LIMIT);
    // Automation's perform limit: the work a check returns must fit it.
    const perform = await send(() => ops.connect(keeper).performUpkeep(data, { gasLimit: PERFORM_LIMIT }));
    const w = work as { flags: string[]; pokes: string[]; volatility: string[]; syncs: string[] };
    return {
      checkGas,
      performGas: perform.gasUsed,
      flags: w.flags.length,
      assets: w.pokes.length + w.volatility.length + w.syncs.length,
    };
  };
  const first = await upkeep();
  const next = await upkeep();
  return [
    {
      name: "securityOps.checkUpkeep.worst16.perAccount",
      scenario: `one healthy account holding ${COLLATERALS} collaterals examined (17 prices read)`,
      gas: perAccount,
    },
    {
      name: "securityOps.checkUpkeep.worst16.crashAtFirst",
      scenario: `${ACCOUNTS} accounts × ${COLLATERALS} collaterals, 3 crashed, first round due; ${CHECK_LIMIT} gas`,
      gas: first.checkGas,
    },
    {
      name: "securityOps.performUpkeep.worst16.crashAtFirst",
      scenario: `its work: ${first.assets} asset items and ${first.flags} flags, within the ${PERFORM_LIMIT} limit`,
      gas: first.performGas,
    },
    {
      name: "securityOps.checkUpkeep.worst16.next",
      scenario: `the next check (${CHECK_LIMIT} gas)`,
      gas: next.checkGas,
    },
    {
      name: "securityOps.performUpkeep.worst16.next",
      scenario: `its work: ${next.assets} asset items and ${next.flags} flags`,
      gas: next.performGas,
    },
  ];
}
