/**
 * Issue 19, property 10: the upkeep cannot be starved.
 * - Registration costs real debt: an account enters SecurityOps' scanned registry only with at least `minDebt` of
 *   debt (it used to take 1 wei), and an entry whose debt falls below it is pruned.
 * - `checkUpkeep` never reverts for want of gas or because one read fails: a feed that burns its whole gas budget on
 *   every read used to make the first account scan past the limit revert the whole check (the oracle adapter refuses
 *   a read it cannot fund), stopping every automated action. Now the check finds its asset work first, examines
 *   accounts while gas lasts, gives each read only the gas above a reserve, and returns what it found.
 * - A check cut short still covers every account over time: each visit of a window starts at a different point.
 */
import { expect } from "chai";
import { MaxUint256 } from "ethers";
import { network } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type { SecurityOps } from "../../typechain-types/index.js";
import { DEFAULT_SECURITY_OPS_CONFIG, deploySecurityOps } from "../../scripts/lib/automation.js";
import { deployRiskModules } from "../../scripts/lib/risk.js";
import {
  collateral,
  deployChainlinkMarket,
  PERMISSIVE_TRIGGERS,
  type ChainlinkMarket,
} from "../../scripts/lib/testMarket.js";
import { deployZeroRateModel } from "./helpers/vault.js";
import { usd, wad } from "./helpers/vault.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;

/** TestAggregator modes. */
const Mode = { Normal: 0n, BurnGas: 3n } as const;
/** The registry's minimum debt in the shipped parameters: 100 USDC. */
const MIN_DEBT = usd("100");
const BORROWERS = 30;

interface StarveFixture {
  market: ChainlinkMarket;
  ops: SecurityOps;
  borrowers: HardhatEthersSigner[];
  attacker: HardhatEthersSigner;
  keeper: HardhatEthersSigner;
  governance: HardhatEthersSigner;
}

/** A market at $3,000 WETH, 30 borrowers at 1,000 USDC each on 1 WETH (all tracked), SecurityOps with the defaults. */
async function starveFixture(): Promise<StarveFixture> {
  const signers = await ethers.getSigners();
  const [owner, lender, governance, keeper, attacker, treasury] = signers;
  const borrowers: HardhatEthersSigner[] = [];
  for (let i = 0; i < BORROWERS; i++) {
    const wallet = ethers.Wallet.createRandom().connect(ethers.provider);
    await networkHelpers.setBalance(wallet.address, 10n ** 20n);
    borrowers.push(wallet as unknown as HardhatEthersSigner);
  }
  const market = await deployChainlinkMarket(ethers, {
    owner,
    assetTriggers: PERMISSIVE_TRIGGERS,
    baseTriggers: PERMISSIVE_TRIGGERS,
  });
  const { vault, usdc, engine } = market;
  const weth = collateral(market, "WETH");
  await vault.connect(owner).setInterestRateModel(await deployZeroRateModel(ethers));
  const risk = await deployRiskModules(ethers, vault, { collaterals: market.collaterals });
  await usdc.mint(lender.address, usd("1000000"));
  await usdc.connect(lender).approve(vault, MaxUint256);
  await vault.connect(lender).deposit(usd("1000000"), lender.address);
  for (const who of [...borrowers, attacker]) {
    await weth.mint(who.address, wad("10"));
    await weth.connect(who).approve(vault, MaxUint256);
    await usdc.connect(who).approve(vault, MaxUint256);
    if (who === attacker) continue;
    await vault.connect(who).depositCollateral(weth, wad("1"), who.address);
    await vault.connect(who).borrow(usd("1000"), who.address);
  }
  const { ops } = await deploySecurityOps(ethers, {
    vault,
    engine,
    volatility: risk.volatility,
    config: { ...DEFAULT_SECURITY_OPS_CONFIG, scanSize: 50 },
    proceedsRecipient: treasury.address,
    owner: governance,
  });
  await ops.connect(keeper).track(borrowers.map((b) => b.address));
  return { market, ops, borrowers, attacker, keeper, governance };
}

describe("the upkeep cannot be starved (issue 19, property 10)", function () {
  describe("registration costs real debt; dust and dead entries are pruned", function () {
    it("an account owing less than minDebt is neither tracked nor found by checkLog; one owing minDebt is", async function () {
      const { market, ops, attacker, keeper } = await networkHelpers.loadFixture(starveFixture);
      const { vault } = market;
      expect((await ops.config()).minDebt).to.equal(MIN_DEBT);
      await vault.connect(attacker).depositCollateral(collateral(market, "WETH"), wad("1"), attacker.address);
      const tiny = await vault.connect(attacker).borrow(1n, attacker.address); // one unit: 0.000001 USDC
      expect(await ops.connect(keeper).track.staticCall([attacker.address])).to.equal(0n);
      await ops.connect(keeper).track([attacker.address]);
      expect(await ops.isTracked(attacker.address)).to.equal(false);
      const log = (await tiny.wait())!.logs.find(
        (l) => l.topics[0] === vault.interface.getEvent("Borrowed").topicHash,
      )!;
      const asLog = {
        index: 0,
        timestamp: 0,
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
        blockHash: log.blockHash,
        source: log.address,
        topics: [...log.topics],
        data: log.data,
      };
      expect((await ops.checkLog(asLog, "0x"))[0]).to.equal(false);
      // Owing the minimum, it enters.
      await vault.connect(attacker).borrow(MIN_DEBT - 1n, attacker.address);
      await ops.connect(keeper).track([attacker.address]);
      expect(await ops.isTracked(attacker.address)).to.equal(true);
    });

    it("an entry whose debt falls below minDebt is listed to prune and prune removes it; governance bounds minDebt", async function () {
      const { market, ops, borrowers, keeper, governance } = await networkHelpers.loadFixture(starveFixture);
      const [b0, b1] = borrowers;
      await market.vault.connect(b0).repay(usd("950"), b0.address); // 50 USDC left: dust
      const [, data] = await ops.checkUpkeep.staticCall("0x");
      expect(decodeWork(ops, data).prune).to.deep.equal([b0.address]);
      expect(await ops.connect(keeper).prune.staticCall(b1.address)).to.equal(false);
      await ops.connect(keeper).prune(b0.address);
      expect(await ops.isTracked(b0.address)).to.equal(false);
      expect(await ops.accountCount()).to.equal(BigInt(BORROWERS - 1));
      // Governance may raise it (within 1,000,000 whole base units): every entry below it becomes prunable.
      const max = 1_000_000n * 10n ** 6n;
      await expect(
        ops.connect(governance).setConfig({ ...DEFAULT_SECURITY_OPS_CONFIG, minDebt: max + 1n }),
      ).to.be.revertedWithCustomError(ops, "ParameterOutOfBounds");
      await ops.connect(governance).setConfig({ ...DEFAULT_SECURITY_OPS_CONFIG, minDebt: usd("1001") });
      expect(await ops.connect(keeper).prune.staticCall(b1.address)).to.equal(true);
    });
    it("a small account in trouble stays registered: below minDebt but liquidatable, it is neither listed nor pruned", async function () {
      const { market, ops, borrowers, keeper } = await networkHelpers.loadFixture(starveFixture);
      const [b0] = borrowers;
      await market.vault.connect(b0).repay(usd("950"), b0.address); // 50 USDC left on 1 WETH
      // WETH −99.5% (confirmed): 50 USDC against $15 of WETH, liquidatable.
      const weth = await collateral(market, "WETH").getAddress();
      for (const price of [
        "2000",
        "1400",
        "1000",
        "700",
        "500",
        "350",
        "250",
        "175",
        "120",
        "80",
        "55",
        "40",
        "28",
        "20",
        "15",
        "15",
      ]) {
        await market.prices.set(weth, wad(price));
      }
      expect(await market.vault.isLiquidatable(b0.address)).to.equal(true);
      const [, data] = await ops.checkUpkeep.staticCall("0x");
      expect(decodeWork(ops, data).prune).to.not.include(b0.address);
      expect(await ops.connect(keeper).prune.staticCall(b0.address)).to.equal(false);
    });
  });

  describe("checkUpkeep never reverts", function () {
    it("a feed that burns its whole gas budget on every read: the check returns, with the asset work found", async function () {
      const { market, ops } = await networkHelpers.loadFixture(starveFixture);
      await market.feeds.get("WETH")!.setMode(Mode.BurnGas);
      // Automation's check limits (5M and 10M on most registries), and this node's transaction cap.
      for (const gasLimit of [5_000_000n, 10_000_000n, 16_000_000n]) {
        const [needed, data] = await ops.checkUpkeep.staticCall("0x", { gasLimit });
        expect(needed, `gas limit ${gasLimit}`).to.equal(true); // the first round's pokes are due
        expect(data.length).to.be.greaterThan(2);
      }
    });

    it("a check short of gas returns what it found rather than reverting, down to a few hundred thousand gas", async function () {
      const { ops } = await networkHelpers.loadFixture(starveFixture);
      for (const gasLimit of [700_000n, 1_000_000n, 1_500_000n, 3_000_000n]) {
        await ops.checkUpkeep.staticCall("0x", { gasLimit });
      }
    });
  });

  it("a check that gas cuts short still reaches every account: each visit of a window starts elsewhere", async function () {
    const { market, ops, borrowers, keeper } = await networkHelpers.loadFixture(starveFixture);
    // The first round's asset work done, a check is mostly its scan.
    await ops.connect(keeper).performUpkeep((await ops.checkUpkeep.staticCall("0x"))[1]);
    // WETH −70%, confirmed by a second round: every borrower (1,000 USDC on $900 of WETH) is liquidatable, and with
    // no pool to sell in, each is flagged. Limit the check so that it examines about a third of the registry.
    for (let i = 0; i < 2; i++) await market.prices.set(await collateral(market, "WETH").getAddress(), wad("900"));
    expect(decodeWork(ops, (await ops.checkUpkeep.staticCall("0x"))[1]).flags).to.have.length(BORROWERS);
    // The smallest limit (in steps of 250,000) at which a check finds at least five: well short of thirty.
    let gasLimit = 1_000_000n;
    while (decodeWork(ops, (await ops.checkUpkeep.staticCall("0x", { gasLimit }))[1]).flags.length < 5) {
      gasLimit += 250_000n;
    }
    const seen = new Set<string>();
    let shortest = BORROWERS;
    for (let visit = 0; visit < 24; visit++) {
      const [, data] = await ops.checkUpkeep.staticCall("0x", { gasLimit });
      const { flags } = decodeWork(ops, data);
      shortest = Math.min(shortest, flags.length);
      for (const a of flags) seen.add(a);
      await networkHelpers.mine();
    }
    expect(shortest).to.be.lessThan(BORROWERS); // the limit did cut the scan short
    expect([...seen].sort()).to.deep.equal(borrowers.map((b) => b.address).sort());
  });
});

/** The account lists of an encoded Work. */
function decodeWork(ops: SecurityOps, data: string): { flags: string[]; prune: string[] } {
  const workType = ops.interface.getFunction("findWork").outputs[0];
  const [work] = ops.interface.getAbiCoder().decode([workType], data);
  const { flags, prune } = work as { flags: string[]; prune: string[] };
  return { flags: [...flags], prune: [...prune] };
}
