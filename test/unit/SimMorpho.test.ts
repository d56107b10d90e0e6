/**
 * The Morpho Blue side of the crash simulation (issue 9): `buildMorphoMarket` opens Bulwark's population on the real
 * Morpho, `morphoHealth` mirrors Morpho's own health and liquidation math to the unit, and `MorphoLens` reads what
 * Morpho would hold after accruing interest.
 */
import { expect } from "chai";
import { Interface } from "ethers";
import { network } from "hardhat";

import { inProcessSource } from "../../scripts/lib/sim/inProcess.js";
import { buildMarket, priceWadOf, unitsFor } from "../../scripts/lib/sim/simMarket.js";
import { buildMorphoMarket } from "../../scripts/lib/sim/morphoMarket.js";
import {
  borrowedAssets,
  healthFactor,
  isHealthy,
  planLiquidation,
  WAD,
  type MorphoMarketState,
} from "../../scripts/lib/sim/morphoHealth.js";
import { answerOf } from "../../scripts/lib/sim/driver.js";
import { BASE_ASSET, COLLATERAL_ASSETS, type AssetSpec } from "../../scripts/lib/sim/scenarios.js";

const morphoChain = await network.create();
const { ethers, networkHelpers } = morphoChain;
const { loadFixture, time } = networkHelpers;

const ACCOUNTS = 30;
const SEED = "sim-morpho";
const SPECS: AssetSpec[] = [BASE_ASSET, ...COLLATERAL_ASSETS.filter((a) => ["WETH", "WBTC"].includes(a.symbol))];
const source = () => inProcessSource(SPECS.map((spec) => ({ spec, startPriceWad: priceWadOf(spec.defaultPrice) })));
/** Morpho's Borrow event (EventsLib): not in the Morpho ABI (solc 0.8.19 leaves library events out). */
const BORROW = new Interface([
  "event Borrow(bytes32 indexed id, address caller, address indexed onBehalf, address indexed receiver, " +
    "uint256 assets, uint256 shares)",
]);

async function morphoFixture() {
  return buildMorphoMarket(ethers, source(), { accounts: ACCOUNTS, seed: SEED });
}

type Sim = Awaited<ReturnType<typeof morphoFixture>>;

/** Morpho's Borrow events of the build: assets by market id and borrower (lower case), and the last block. */
async function openingBorrows(sim: Sim): Promise<{ assets: Map<string, bigint>; block: number }> {
  const logs = await ethers.provider.getLogs({
    address: await sim.morpho.getAddress(),
    topics: [BORROW.getEvent("Borrow")!.topicHash],
    fromBlock: 0,
  });
  const assets = new Map<string, bigint>();
  let block = 0;
  for (const log of logs) {
    const parsed = BORROW.parseLog(log);
    if (parsed === null) continue;
    const key = `${String(parsed.args.id)}:${String(parsed.args.onBehalf).toLowerCase()}`;
    assets.set(key, (assets.get(key) ?? 0n) + BigInt(parsed.args.assets));
    block = Math.max(block, log.blockNumber);
  }
  return { assets, block };
}

describe("Simulation: Morpho Blue peer market", function () {
  it("opens every planned position with the planned collateral and borrow", async () => {
    const sim = await loadFixture(morphoFixture);
    expect(sim.markets.map((m) => m.asset.spec.symbol)).to.deep.equal(["WETH", "WBTC"]);
    expect(sim.borrowers).to.have.length(ACCOUNTS);
    for (const m of sim.markets) {
      expect(m.lltv).to.equal(
        BigInt(Math.round((m.asset.spec.collateral?.liquidationThreshold ?? 0) * 1e6)) * 10n ** 12n,
      );
      expect(m.lif).to.be.greaterThan(WAD);
      const [loanToken, collateralToken, oracle, irm, lltv] = await sim.morpho.idToMarketParams(m.id);
      expect([loanToken, collateralToken, oracle, irm, lltv]).to.deep.equal([
        m.params.loanToken,
        m.params.collateralToken,
        m.params.oracle,
        m.params.irm,
        m.params.lltv,
      ]);
      expect((await sim.morpho.market(m.id)).fee).to.equal(10n ** 17n);
    }
    const { assets: opened } = await openingBorrows(sim);
    let positions = 0;
    for (const [i, borrower] of sim.borrowers.entries()) {
      const planned = sim.positions[i];
      let limit = 0;
      for (const m of sim.markets) {
        limit += (planned.collateralUsd[m.asset.spec.symbol] ?? 0) * (m.asset.spec.collateral?.borrowLtv ?? 0);
      }
      for (const [j, m] of sim.markets.entries()) {
        const usd = planned.collateralUsd[m.asset.spec.symbol];
        const p = await sim.morpho.position(m.id, borrower);
        if (usd === undefined) {
          expect(p.collateral).to.equal(0n);
          expect(p.borrowShares).to.equal(0n);
          continue;
        }
        positions++;
        expect(p.collateral).to.equal(unitsFor(usd, m.asset.startPriceWad, m.asset.decimals));
        expect(p.collateral).to.equal(sim.accounts[i].collateral[j]);
        // The same share of its borrow limit as the Bulwark account: borrowUsd × (value × LTV) / Σ (value × LTV).
        const share = (usd * (m.asset.spec.collateral?.borrowLtv ?? 0)) / limit;
        const plan = unitsFor(planned.borrowUsd * share, sim.base.startPriceWad, sim.base.decimals);
        const borrowed = opened.get(`${m.id}:${borrower.toLowerCase()}`) ?? 0n;
        expect(borrowed).to.equal(sim.accounts[i].borrows[j]);
        const diff = borrowed > plan ? borrowed - plan : plan - borrowed;
        expect(diff <= 1n, `account ${i} ${m.asset.spec.symbol}: borrowed ${borrowed}, plan ${plan}`).to.equal(true);
      }
    }
    expect(positions).to.be.greaterThan(ACCOUNTS);
  });

  it("borrows in total what Bulwark's market borrows for the same seed", async () => {
    const sim = await loadFixture(morphoFixture);
    const { block } = await openingBorrows(sim);
    let morphoTotal = 0n;
    for (const m of sim.markets) morphoTotal += (await sim.morpho.market(m.id, { blockTag: block })).totalBorrowAssets;

    const bulwarkChain = await network.create();
    const bulwark = await buildMarket(bulwarkChain.ethers, source(), {
      accounts: ACCOUNTS,
      seed: SEED,
      params: "static",
    });
    expect(bulwark.positions).to.deep.equal(sim.positions);
    const borrowedLogs = await bulwark.vault.queryFilter(bulwark.vault.filters.Borrowed(), 0);
    const bulwarkBlock = Math.max(...borrowedLogs.map((log) => log.blockNumber));
    const bulwarkTotal = await bulwark.vault.totalDebt({ blockTag: bulwarkBlock });
    const positions = sim.accounts.reduce((n, a) => n + a.collateral.filter((c) => c > 0n).length, 0);
    const diff = morphoTotal > bulwarkTotal ? morphoTotal - bulwarkTotal : bulwarkTotal - morphoTotal;
    expect(diff <= BigInt(positions), `Morpho ${morphoTotal}, Bulwark ${bulwarkTotal}`).to.equal(true);
  });

  it("judges health and plans liquidations exactly as Morpho does after a price drop", async () => {
    const sim = await loadFixture(morphoFixture);
    const now = await time.latest();
    // WETH −30%, WBTC −35% on the feeds only (the pools stay: every sale is profitable, nothing hides a revert).
    const drops: Record<string, bigint> = { WETH: 70n, WBTC: 65n };
    for (const asset of sim.collaterals) {
      await (
        await ethers.provider.getTransaction(
          await asset.publish(answerOf((asset.startPriceWad * drops[asset.spec.symbol]) / 100n), now),
        )
      )?.wait();
    }
    await time.increase(3600);
    // The lens's totals are accrued to the latest block, the moment a call at "latest" liquidates at.
    const [totals] = await sim.lens.read(
      sim.markets.map((m) => m.params),
      [],
    );
    const states: MorphoMarketState[] = totals.map((t) => ({
      totalBorrowAssets: t.totalBorrowAssets,
      totalBorrowShares: t.totalBorrowShares,
    }));
    const liquidator = sim.liquidator.connect(sim.keeper);
    let healthy = 0;
    let liquidatable = 0;
    let badDebt = 0;
    let fullRepay = 0;
    for (const [j, m] of sim.markets.entries()) {
      const oracle = await ethers.getContractAt("ChainlinkMorphoOracle", m.params.oracle);
      const price = await oracle.price();
      const pool = m.asset.pool;
      if (pool === undefined) throw new Error("no pool");
      for (const borrower of sim.borrowers) {
        const raw = await sim.morpho.position(m.id, borrower);
        if (raw.borrowShares === 0n) continue;
        const position = { borrowShares: raw.borrowShares, collateral: raw.collateral };
        const mirror = isHealthy(position, states[j], price, m.lltv);
        expect(healthFactor(position, states[j], price, m.lltv) >= WAD).to.equal(mirror);
        const plan = planLiquidation(position, states[j], price, m.lltv);
        if (mirror) {
          healthy++;
          expect(plan).to.equal(null);
          await expect(
            liquidator.liquidate.staticCall(m.params, borrower, 0n, position.borrowShares, pool, 0n, {
              blockTag: "latest",
            }),
          ).to.be.revertedWith("position is healthy");
          continue;
        }
        liquidatable++;
        if (plan === null) throw new Error(`no plan for an unhealthy position of ${borrower}`);
        if (plan.badDebtAssets > 0n) badDebt++;
        if (plan.repaidShares > 0n) fullRepay++;
        const [seized, repaid] = await liquidator.liquidate.staticCall(
          m.params,
          borrower,
          plan.seizedAssets,
          plan.repaidShares,
          pool,
          0n,
          { blockTag: "latest" },
        );
        expect([seized, repaid]).to.deep.equal([plan.expectedSeized, plan.expectedRepaidAssets]);
        expect(borrowedAssets(position, states[j])).to.be.greaterThan(0n);
      }
    }
    expect(healthy).to.be.greaterThan(0);
    expect(liquidatable).to.be.greaterThan(0);
    expect(badDebt).to.be.greaterThan(0);
    expect(fullRepay).to.be.greaterThan(0);
  });

  it("MorphoLens reads each market's totals accrued to now and every position", async () => {
    const sim = await loadFixture(morphoFixture);
    await time.increase(30 * 86_400);
    const at = (await time.latest()) + 60;
    const params = sim.markets.map((m) => m.params);
    // The lens accrues 30 days without a transaction (a call on the pending block, at `at`); then Morpho accrues
    // both markets for real in that block.
    await time.setNextBlockTimestamp(at);
    const [totals, positions] = await sim.lens.read(params, sim.borrowers, { blockTag: "pending" });
    for (const [i, m] of sim.markets.entries()) {
      expect(totals[i].totalBorrowAssets).to.be.greaterThan((await sim.morpho.market(m.id)).totalBorrowAssets);
    }
    await ethers.provider.send("evm_setAutomine", [false]);
    try {
      for (const m of sim.markets) await sim.morpho.accrueInterest(m.params, { gasLimit: 500_000n });
      await ethers.provider.send("evm_mine", []);
    } finally {
      await ethers.provider.send("evm_setAutomine", [true]);
    }
    expect(await time.latest()).to.equal(at);
    for (const [i, m] of sim.markets.entries()) {
      const market = await sim.morpho.market(m.id);
      expect([totals[i].totalSupplyAssets, totals[i].totalSupplyShares]).to.deep.equal([
        market.totalSupplyAssets,
        market.totalSupplyShares,
      ]);
      expect([totals[i].totalBorrowAssets, totals[i].totalBorrowShares]).to.deep.equal([
        market.totalBorrowAssets,
        market.totalBorrowShares,
      ]);
      const oracle = await ethers.getContractAt("ChainlinkMorphoOracle", m.params.oracle);
      expect(totals[i].price).to.equal(await oracle.price());
      for (const [k, borrower] of sim.borrowers.entries()) {
        const p = await sim.morpho.position(m.id, borrower);
        expect([positions[i][k].borrowShares, positions[i][k].collateral]).to.deep.equal([
          p.borrowShares,
          p.collateral,
        ]);
      }
    }
  });
});
