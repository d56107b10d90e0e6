import { expect } from "chai";
import { formatUnits } from "ethers";
import { network } from "hardhat";

import { DEFAULT_COLLATERALS, deployChainlinkMarket } from "../../scripts/lib/testMarket.js";
import type { ChainlinkMarket } from "../../scripts/lib/testMarket.js";
import { readPricePath } from "../../scripts/lib/pricePath.js";
import type { PricePoint } from "../../scripts/lib/pricePath.js";
import { defaultAssetRisk, deployRiskModules, REFERENCE_VOLATILITY } from "../../scripts/lib/risk.js";
import type { RiskModules } from "../../scripts/lib/risk.js";
import type { MockERC20 } from "../../typechain-types/index.js";
import { wad } from "../../scripts/lib/units.js";

const { ethers, networkHelpers } = await network.create();

/** ETH/USD, 10-minute closes over 2020-03-12 (CoinAPI via BerkeleyBlockchain/stablesims; scripts/scenarios/SOURCES.md). */
const PATH_FILE = "scripts/scenarios/blackthursday2020_eth_usd_10min_coinapi.csv";
const HOUR = 3600;
/** Calm hours replayed after the path (the price held at its last close) to watch the parameters come back. */
const CALM_HOURS = 72;

const WETH = DEFAULT_COLLATERALS[0];
const STATIC_LTV = WETH.borrowLtv;
const STATIC_THRESHOLD = WETH.liquidationThreshold;
const RISK = defaultAssetRisk(REFERENCE_VOLATILITY.WETH);

/** One hourly observation of the replay: after the volatility update and the sync of that hour. */
interface Observation {
  hour: number;
  price: bigint;
  /** Return since the previous hourly observation, WAD (signed). */
  hourlyReturn: bigint;
  volatility: bigint;
  ltv: bigint;
  threshold: bigint;
  time: number;
}

interface Replay {
  market: ChainlinkMarket;
  risk: RiskModules;
  weth: MockERC20;
  crash: Observation[];
  calm: Observation[];
}

/**
 * Replays the path through the real oracle adapter the way a Chainlink feed with a 10-minute cadence would (one round
 * per close), keeps the other feeds alive with hourly heartbeats, and on every hour runs what a keeper runs: a
 * volatility update and a risk-manager sync. Then holds the last price for CALM_HOURS.
 */
async function replayFixture(): Promise<Replay> {
  const path: PricePoint[] = readPricePath(PATH_FILE);
  const startPrice = formatUnits(path[0].priceWad, 18);
  const market = await deployChainlinkMarket(ethers, {
    collaterals: [{ ...WETH, priceUsd: startPrice }, DEFAULT_COLLATERALS[1]],
  });
  const weth = market.collaterals.get("WETH")!;
  const wethAddress = await weth.getAddress();
  const risk = await deployRiskModules(ethers, market.vault, { collaterals: market.collaterals });
  const t0 = await networkHelpers.time.latest();
  const origin = path[0].timestamp;

  const observe = async (hour: number, price: bigint, previous: Observation | undefined): Promise<Observation> => {
    await (await risk.volatility.updateMany([wethAddress])).wait();
    await (await risk.riskManager.sync(wethAddress)).wait();
    const [ltv, threshold] = await market.vault.riskParams(wethAddress);
    return {
      hour,
      price,
      hourlyReturn: previous === undefined ? 0n : ((price - previous.price) * 10n ** 18n) / previous.price,
      volatility: await risk.volatility.volatility(wethAddress),
      ltv,
      threshold,
      time: await networkHelpers.time.latest(),
    };
  };

  const crash: Observation[] = [];
  for (const point of path) {
    const elapsed = point.timestamp - origin;
    if (elapsed > 0) await networkHelpers.time.increaseTo(t0 + elapsed);
    await (await market.prices.set(wethAddress, point.priceWad)).wait();
    if (elapsed % HOUR === 0) {
      await market.heartbeat();
      crash.push(await observe(elapsed / HOUR, point.priceWad, crash.at(-1)));
    }
  }
  const last = path[path.length - 1];
  const calm: Observation[] = [];
  let previous = crash.at(-1);
  const lastHour = Math.ceil((last.timestamp - origin) / HOUR);
  for (let h = 1; h <= CALM_HOURS; h++) {
    await networkHelpers.time.increaseTo(t0 + (lastHour + h) * HOUR);
    await market.heartbeat();
    previous = await observe(lastHour + h, last.priceWad, previous);
    calm.push(previous);
  }
  return { market, risk, weth, crash, calm };
}

describe("Adaptive risk on Black Thursday (ETH/USD, 2020-03-12, 10-minute closes)", function () {
  it("ships the path with its provenance", async function () {
    const path = readPricePath(PATH_FILE);
    expect(path).to.have.length(144);
    expect(path[0].timestamp).to.equal(1583971800); // 2020-03-12 00:10 UTC
    expect(path[0].priceWad).to.equal(wad("194.52"));
  });

  it("leaves the static parameters alone before the crash, while volatility is at its reference", async function () {
    const { crash } = await networkHelpers.loadFixture(replayFixture);
    expect(crash[0].volatility).to.equal(REFERENCE_VOLATILITY.WETH);
    expect(crash[0].ltv).to.equal(STATIC_LTV);
    expect(crash[0].threshold).to.equal(STATIC_THRESHOLD);
  });

  it("raises the estimate and cuts the LTV by at least 10 points at the first update after the 15% hour", async function () {
    const { crash } = await networkHelpers.loadFixture(replayFixture);
    const crashHour = crash.findIndex((o) => o.hourlyReturn <= -wad("0.10"));
    expect(crashHour, "the path has an hour that fell 10% or more").to.be.greaterThan(0);
    const before = crash[crashHour - 1];
    const at = crash[crashHour];
    // One update: the estimate more than doubles (it was already above the reference after the morning's slide).
    expect(at.volatility).to.be.greaterThan(2n * before.volatility);
    expect(at.volatility).to.be.greaterThan(4n * REFERENCE_VOLATILITY.WETH);
    expect(STATIC_LTV - at.ltv).to.be.greaterThanOrEqual(wad("0.10"));
  });

  it("is tighter than the static LTV and threshold at the crash's low, and never outside the bounds", async function () {
    const { crash } = await networkHelpers.loadFixture(replayFixture);
    const trough = crash.reduce((low, o) => (o.price < low.price ? o : low));
    expect(trough.ltv).to.be.lessThan(STATIC_LTV - wad("0.10"));
    expect(trough.threshold).to.be.lessThan(STATIC_THRESHOLD);
    for (const o of crash) {
      expect(o.ltv).to.be.within(STATIC_LTV - BigInt(RISK.maxLtvCut), STATIC_LTV);
      expect(o.threshold).to.be.within(STATIC_THRESHOLD - BigInt(RISK.maxThresholdCut), STATIC_THRESHOLD);
      expect(o.ltv).to.be.lessThanOrEqual(o.threshold);
    }
  });

  it("moves the threshold by at most 1 point an hour, so no update liquidates anyone at once", async function () {
    const { crash, calm, market } = await networkHelpers.loadFixture(replayFixture);
    const cut = await market.lens.THRESHOLD_CUT_PER_HOUR();
    const raise = await market.lens.THRESHOLD_RAISE_PER_HOUR();
    const all = [...crash, ...calm];
    let moved = false;
    for (let i = 1; i < all.length; i++) {
      const dt = BigInt(all[i].time - all[i - 1].time);
      const delta = all[i].threshold - all[i - 1].threshold;
      if (delta < 0n) expect(-delta).to.be.lessThanOrEqual((cut * dt) / BigInt(HOUR));
      else expect(delta).to.be.lessThanOrEqual((raise * dt) / BigInt(HOUR));
      if (delta !== 0n) moved = true;
    }
    expect(moved, "the threshold moved at all").to.equal(true);
  });

  it("decays in calm and brings the LTV and threshold back to the static values, slower than it cut them", async function () {
    const { crash, calm } = await networkHelpers.loadFixture(replayFixture);
    const end = crash.at(-1)!;
    expect(end.ltv).to.be.lessThan(STATIC_LTV);
    // The estimate falls by (1 − α) in variance per calm hour, back under the reference within two days.
    const calmAgain = calm.findIndex((o) => o.volatility <= REFERENCE_VOLATILITY.WETH);
    expect(calmAgain).to.be.within(0, 47);
    for (let i = 1; i < calm.length; i++) expect(calm[i].volatility).to.be.lessThanOrEqual(calm[i - 1].volatility);
    // The LTV climbs back at most half a point an hour; it had been cut in a single update.
    for (let i = 1; i < calm.length; i++) {
      const dt = BigInt(calm[i].time - calm[i - 1].time);
      expect(calm[i].ltv - calm[i - 1].ltv).to.be.lessThanOrEqual((wad("0.005") * dt) / BigInt(HOUR));
    }
    const back = calm.at(-1)!;
    expect(back.ltv).to.equal(STATIC_LTV);
    expect(back.threshold).to.equal(STATIC_THRESHOLD);
  });
});
