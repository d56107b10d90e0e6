/**
 * The backstop's gas, for the gas bench (issue 26): on a chain of its own (a fresh in-process chain), so it moves no
 * other figure of the bench. Two markets alike (a lender's 1,000,000 USDC; a borrower's 10 WETH and 24,000 USDC of
 * debt), one with a backstop of 30,000 USDC, one without; WETH falls to $2,000 (the engine flags the account: its
 * provision is past reserves, and the backstop earmarks cash for it in the same transaction), then to $9 (the engine
 * writes the debt off: the backstop pays past reserves in the same transaction). Then a month of interest on another
 * borrower's 200,000 USDC (against WBTC), and the backstop's share of the reserve income is settled.
 */
import { network } from "hardhat";

import { collateral, deployMarket, PERMISSIVE_TRIGGERS } from "../testMarket.js";
import { usd, wad } from "../units.js";
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
