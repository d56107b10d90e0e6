/**
 * Issue 19, property 5: a feed pinned at its floor is never OK.
 *
 * A Chainlink OCR aggregator clamps every answer to [minAnswer, maxAnswer]. The review's attack: an adapter floor
 * (`minPrice`) below the aggregator's `minAnswer` cannot see the clamp, so when the market falls through it the feed
 * keeps publishing `minAnswer`, the adapter reads it as a live OK price, and a $1,000,000 borrow against worthless
 * collateral went through (Venus and Blizz on LUNA, May 2022). Now configuring an asset reads each feed's clamp
 * (from its current aggregator, or the feed itself) and refuses bounds that do not sit CLAMP_MARGIN (5%) inside it,
 * so an answer at or near the clamp is OUT_OF_BOUNDS: FAILED, never OK.
 */
import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import {
  adapterFixture,
  answer,
  assetConfig,
  expectPrice,
  failed,
  MAX_PRICE,
  ok,
  wad,
  WETH,
} from "./helpers/oracleAdapter.js";

const { networkHelpers, ethers } = await network.create();

const CLAMP = answer("100", 8); // minAnswer: $100
const CEILING = answer("1000000000", 8); // maxAnswer: $1e9
const FLOOR_WAD = wad("100");
const CEILING_WAD = wad("1000000000");

/** The adapter fixture plus a fresh WETH feed clamped at [$100, $1e9], answering $3000, not configured yet. */
async function clampedFeedFixture(connection: NetworkConnection) {
  const f = await adapterFixture(connection);
  const clamped = await connection.ethers.deployContract("TestAggregator", [8, "LUNA / USD"]);
  await clamped.setClamp(CLAMP, CEILING);
  await clamped.push(answer("3000", 8));
  return { ...f, clamped };
}

describe("A feed pinned at its floor is never OK (issue 19, property 5)", function () {
  it("bounds that cannot see the clamp are refused: minPrice below minAnswer × 1.05, maxPrice above maxAnswer × 0.95", async function () {
    const { adapter, owner, clamped } = await networkHelpers.loadFixture(clampedFeedFixture);
    const feedAddress = await clamped.getAddress();
    for (const minPrice of [wad("1"), FLOOR_WAD, wad("104.99")]) {
      await expect(adapter.connect(owner).setAssetConfig(WETH, assetConfig(clamped, { minPrice })))
        .to.be.revertedWithCustomError(adapter, "BoundsBlindToClamp")
        .withArgs(feedAddress, FLOOR_WAD, CEILING_WAD, minPrice, MAX_PRICE);
    }
    const maxPrice = wad("950000001");
    await expect(adapter.connect(owner).setAssetConfig(WETH, assetConfig(clamped, { minPrice: wad("105"), maxPrice })))
      .to.be.revertedWithCustomError(adapter, "BoundsBlindToClamp")
      .withArgs(feedAddress, FLOOR_WAD, CEILING_WAD, wad("105"), maxPrice);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(clamped, { minPrice: wad("105") }));
    expect((await adapter.assetConfig(WETH)).minPrice).to.equal(wad("105"));
  });

  it("the market falls through the clamp: the pinned answer, and any answer near it, is FAILED / OUT_OF_BOUNDS", async function () {
    const { adapter, owner, clamped } = await networkHelpers.loadFixture(clampedFeedFixture);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(clamped, { minPrice: wad("105") }));
    await expectPrice(adapter, WETH, ok(wad("3000")));
    await clamped.push(answer("0.0001", 8)); // the market is at $0.0001; the aggregator publishes $100
    expect((await clamped.latestRoundData())[1]).to.equal(CLAMP);
    await expectPrice(adapter, WETH, failed("OUT_OF_BOUNDS"));
    await clamped.push(answer("104", 8)); // 4% above the clamp: it may be the clamp tomorrow
    await expectPrice(adapter, WETH, failed("OUT_OF_BOUNDS"));
    await clamped.push(answer("106", 8));
    await expectPrice(adapter, WETH, ok(wad("106")));
  });

  it("reads the clamp of a proxy's current aggregator (Chainlink's EACAggregatorProxy → OCR aggregator)", async function () {
    const { adapter, owner, clamped } = await networkHelpers.loadFixture(clampedFeedFixture);
    const proxy = await ethers.deployContract("MirrorAggregatorProxy", [await clamped.getAddress(), owner.address]);
    expect(await adapter.feedClamp(proxy)).to.deep.equal([FLOOR_WAD, CEILING_WAD]);
    await expect(
      adapter.connect(owner).setAssetConfig(WETH, assetConfig(proxy, { minPrice: wad("3") })),
    ).to.be.revertedWithCustomError(adapter, "BoundsBlindToClamp");
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(proxy, { minPrice: wad("105") }));
  });

  it("a secondary feed's clamp is checked as the primary's", async function () {
    const { adapter, owner, feed, clamped } = await networkHelpers.loadFixture(clampedFeedFixture);
    await expect(
      adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: clamped })),
    ).to.be.revertedWithCustomError(adapter, "BoundsBlindToClamp");
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { secondary: clamped, minPrice: wad("105") }));
  });

  it("a feed exposing no clamp constrains nothing (its clamp reads (0, 0)); a minAnswer ≤ 0 is no floor", async function () {
    const { adapter, owner, feed } = await networkHelpers.loadFixture(adapterFixture);
    expect(await adapter.feedClamp(feed)).to.deep.equal([0n, 0n]);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(feed, { minPrice: 1n }));
    const negative = await ethers.deployContract("TestAggregator", [8, "ETH / USD"]);
    await negative.setClamp(-1n, CEILING);
    await negative.push(answer("3000", 8));
    expect(await adapter.feedClamp(negative)).to.deep.equal([0n, CEILING_WAD]);
    await adapter.connect(owner).setAssetConfig(WETH, assetConfig(negative, { minPrice: 1n }));
    await expectPrice(adapter, WETH, ok(wad("3000")));
  });
});
