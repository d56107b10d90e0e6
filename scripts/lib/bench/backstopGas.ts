/**
 * The backstop's gas, for the gas bench (issue 26): on a chain of its own (a fresh in-process chain), so it moves no
 * other figure of the bench. Two markets alike (a lender's 1,000,000 USDC; a borrower's 10 WETH and 24,000 USDC of
 * debt), one with a backstop of 30,000 USDC, one without; WETH falls to $2,000 (the engine flags the account: its
 * provision is past reserves, and the backstop earmarks cash for it in the same transaction), then to $9 (the engine
 * writes the debt off: the backstop pays past reserves in the same transaction). Then a month of interest on another
 * borrower's 200,000 USDC (against WBTC), and the backstop's share of the reserve income is settled.
 */
import { network } from "hardhat";

import { deployAaveV3 } from "../aave.js";
import { createMorphoMarket, deployMorpho } from "../morpho.js";
import { collateral, deployMarket, PERMISSIVE_TRIGGERS } from "../testMarket.js";
import { usd, wad } from "../units.js";
import { deployCollateralVault } from "../vaultLibraries.js";
import { expectScenario, type Measurement } from "./shared.js";

const MONTH = 30 * 86_400;

/** Measures a flag, a write-off (with and without a backstop) and the settlement of the backstop's income share. */
export async function measureBackstop(log: (line: string) => void = console.log): Promise<Measurement[]> {
  log("Measuring the backstop: the provision it earmarks for, the write-off it pays, its income share");
  const { ethers, networkHelpers } = await network.create();
  const [owner, lender, borrower, keeper, staker, other] = await ethers.getSigners();
  const gas = new Map<string, bigint>();
  for (const withBackstop of [true, false]) {
    const market = await deployMarket(ethers, {
      owner,
      assetTriggers: PERMISSIVE_TRIGGERS,
      baseTriggers: PERMISSIVE_TRIGGERS,
    });
    const { vault, usdc, engine, oracle } = market;
    const weth = collateral(market, "WETH");
    await (await usdc.mint(lender.address, usd("1000000"))).wait();
    await (await usdc.connect(lender).approve(vault, usd("1000000"))).wait();
    await (await vault.connect(lender).deposit(usd("1000000"), lender.address)).wait();
    await (await weth.mint(borrower.address, wad("10"))).wait();
    await (await weth.connect(borrower).approve(vault, wad("10"))).wait();
    await (await vault.connect(borrower).depositCollateral(weth, wad("10"), borrower.address)).wait();
    await (await vault.connect(borrower).borrow(usd("24000"), borrower.address)).wait();
    // Another borrower, on WBTC (whose price stays), whose interest grows reserves after the crash.
    const wbtc = collateral(market, "WBTC");
    const btc = 10n ** (await wbtc.decimals());
    await (await wbtc.mint(other.address, 10n * btc)).wait();
    await (await wbtc.connect(other).approve(vault, 10n * btc)).wait();
    await (await vault.connect(other).depositCollateral(wbtc, 10n * btc, other.address)).wait();
    await (await vault.connect(other).borrow(usd("200000"), other.address)).wait();
    const suffix = withBackstop ? "" : ".noBackstop";
    if (withBackstop) {
      const backstop = await ethers.deployContract("Backstop", [
        vault,
        "Backstop",
        "BS",
        owner,
        7 * 86_400,
        2 * 86_400,
      ]);
      await (await usdc.mint(staker.address, usd("30000"))).wait();
      await (await usdc.connect(staker).approve(backstop, usd("30000"))).wait();
      await (await backstop.connect(staker).deposit(usd("30000"), staker.address)).wait();
      await (await vault.connect(owner).linkBackstopAndShare(backstop, wad("0.2"))).wait();
    }
    await (await oracle.setPrice(weth, wad("2000"))).wait();
    const flag = await (await engine.connect(keeper).flag(borrower.address)).wait();
    await (await oracle.setPrice(weth, wad("9"))).wait();
    const writeOff = await (await engine.connect(keeper).writeOff(borrower.address)).wait();
    if (flag === null || writeOff === null) throw new Error("no receipt");
    expectScenario((await vault.debtOf(borrower.address)) === 0n, "the write-off left debt");
    gas.set(`backstop.flag${suffix}`, flag.gasUsed);
    gas.set(`backstop.writeOff${suffix}`, writeOff.gasUsed);
    if (!withBackstop) continue;
    // A month of interest on the other borrower's debt grows reserves: income the backstop has a share of.
    await networkHelpers.time.increase(MONTH);
    const settle = await (await vault.connect(keeper).settleBackstopIncomeShare()).wait();
    if (settle === null) throw new Error("no receipt");
    const paid = settle.logs.some((l) => vault.interface.parseLog(l)?.name === "BackstopIncomePaid");
    expectScenario(paid, "the backstop was paid no income");
    gas.set("backstop.settleIncomeShare", settle.gasUsed);
  }
  const scenario: Record<string, string> = {
    "backstop.flag": "engine flags an account whose provision is past reserves; the backstop earmarks cash for it",
    "backstop.flag.noBackstop": "the same flag without a backstop (the loss lowers lenders' share price)",
    "backstop.writeOff": "engine writes off 24,000 USDC: reserves, then the backstop pays the rest in the same tx",
    "backstop.writeOff.noBackstop": "the same write-off without a backstop (lenders bear what reserves do not)",
    "backstop.settleIncomeShare": "anyone settles the backstop's 20% share of a month's reserve income",
  };
  return [...gas].map(([name, used]) => ({ name, scenario: scenario[name] ?? name, gas: used }));
}

/** The venues the allocator's gas is measured on: a second Bulwark market, a Morpho Blue market, an Aave v3 reserve. */
export type AllocatorVenueKind = "bulwark" | "morpho" | "aave";

const WHERE: Record<AllocatorVenueKind, string> = {
  bulwark: "a second Bulwark market",
  morpho: "a Morpho Blue market (MorphoMarketVenue)",
  aave: "an Aave v3 reserve (AaveV3Venue)",
};

/**
 * The hedging agent's gas (issue 26), on a chain of its own per venue: a backstop of 30,000 USDC, its allocator, and
 * the venue over the same USDC (a second Bulwark market; `MorphoMarketVenue` supplying a real Morpho Blue market,
 * the figures' names ending `.morpho`; `AaveV3Venue` over a real Aave v3 pool's USDC reserve, ending `.aave`). The agent allocates (the venue's first position, then a second deposit into
 * it) and deallocates; a staker's exit is paid out of the venue first; after a freeze anyone recalls the rest.
 */
export async function measureAllocator(log: (line: string) => void = console.log): Promise<Measurement[]> {
  const all: Measurement[] = [];
  for (const kind of ["bulwark", "morpho", "aave"] as const) all.push(...(await measureAllocatorOn(kind, log)));
  return all;
}

async function measureAllocatorOn(kind: AllocatorVenueKind, log: (line: string) => void): Promise<Measurement[]> {
  const where = WHERE[kind];
  log(`Measuring the backstop's allocator on ${where}: allocate, deallocate, an exit paid out of it, a recall`);
  const { ethers, networkHelpers } = await network.create();
  const [owner, staker, agent, anyone] = await ethers.getSigners();
  const market = await deployMarket(ethers, {
    owner,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const { vault, usdc, oracle, rateModel } = market;
  const backstop = await ethers.deployContract("Backstop", [vault, "Backstop", "BS", owner, 7 * 86_400, 2 * 86_400]);
  await (await usdc.mint(staker.address, usd("30000"))).wait();
  await (await usdc.connect(staker).approve(backstop, usd("30000"))).wait();
  await (await backstop.connect(staker).deposit(usd("30000"), staker.address)).wait();
  await (await vault.connect(owner).linkBackstopAndShare(backstop, wad("0.2"))).wait();
  let venue: string;
  if (kind === "bulwark") {
    const second = await deployCollateralVault(ethers, [
      await usdc.getAddress(),
      "Bulwark USDC 2",
      "bwUSDC2",
      await oracle.getAddress(),
      await rateModel.getAddress(),
      wad("0.1"),
      2n ** 127n,
      owner.address,
    ]);
    venue = await second.getAddress();
  } else if (kind === "aave") {
    const aave = await deployAaveV3(ethers, owner, [
      { token: usdc, symbol: "USDC", decimals: 6, price: 10n ** 8n, borrowing: true },
      { token: collateral(market, "WETH"), symbol: "WETH", decimals: 18, price: 3000n * 10n ** 8n, ltv: 8000 },
    ]);
    const aaveVenue = await ethers.deployContract("AaveV3Venue", [aave.pool, usdc, "Aave venue", "av"]);
    venue = await aaveVenue.getAddress();
  } else {
    const morpho = await deployMorpho(ethers, owner);
    const [wethFeed, usdcFeed] = [
      await ethers.deployContract("TestAggregator", [8, "WETH / USD"]),
      await ethers.deployContract("TestAggregator", [8, "USDC / USD"]),
    ];
    await (await wethFeed.push(3000n * 10n ** 8n)).wait();
    await (await usdcFeed.push(10n ** 8n)).wait();
    const morphoOracle = await ethers.deployContract("ChainlinkMorphoOracle", [wethFeed, 18, usdcFeed, 6]);
    const irm = await ethers.deployContract("KinkedIrm", [rateModel]);
    const { marketParams } = await createMorphoMarket(ethers, morpho, owner, {
      loanToken: usdc,
      collateralToken: collateral(market, "WETH"),
      oracle: morphoOracle,
      irm,
      lltv: wad("0.86"),
    });
    const morphoVenue = await ethers.deployContract("MorphoMarketVenue", [morpho, marketParams, "Morpho venue", "mv"]);
    venue = await morphoVenue.getAddress();
  }
  const allocator = await ethers.deployContract("BackstopAllocator", [backstop, owner, agent.address, wad("0.2")]);
  await (await backstop.connect(owner).setAllocator(allocator)).wait();
  const config = {
    cap: usd("20000"),
    depositCapacity: usd("20000"),
    withdrawCapacity: usd("20000"),
    period: 86_400,
    allowed: true,
  };
  await (await allocator.connect(owner).setVenue(venue, config)).wait();
  const suffix = kind === "bulwark" ? "" : `.${kind}`;
  const gas = new Map<string, bigint>();
  const measure = async (name: string, tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<void> => {
    const receipt = await (await tx).wait();
    if (receipt === null) throw new Error(`${name}: no receipt`);
    gas.set(name + suffix, receipt.gasUsed);
  };
  await measure("allocator.allocate.first", allocator.connect(agent).allocate(venue, usd("15000")));
  await measure("allocator.allocate", allocator.connect(agent).allocate(venue, usd("5000")));
  await measure("allocator.deallocate", allocator.connect(agent).deallocate(venue, usd("2000")));
  expectScenario((await backstop.idle()) === usd("12000"), "the allocator left 12,000 idle");
  await (await backstop.connect(staker).requestUnstake(await backstop.balanceOf(staker.address))).wait();
  await networkHelpers.time.increase(7 * 86_400);
  await measure(
    "backstop.exitFromVenue",
    backstop.connect(staker).withdraw(usd("15000"), staker.address, staker.address),
  );
  await (await allocator.connect(owner).freeze()).wait();
  await measure("allocator.recall", allocator.connect(anyone).recall(venue));
  expectScenario((await backstop.venues()).length === 0, "the recall left a position");
  const scenario: Record<string, string> = {
    "allocator.allocate.first": `the agent puts 15,000 idle USDC into ${where} (its first position)`,
    "allocator.allocate": "the agent adds 5,000 to that position",
    "allocator.deallocate": "the agent takes 2,000 back",
    "backstop.exitFromVenue": "a staker withdraws 15,000: paid out of the venue first (18,000 there), idle untouched",
    "allocator.recall": "after a freeze, anyone recalls the whole position",
  };
  return [...gas].map(([name, used]) => {
    const text = scenario[name.slice(0, name.length - suffix.length)] ?? name;
    return { name, scenario: suffix === "" || text.includes(where) ? text : `${text} (${where})`, gas: used };
  });
}
