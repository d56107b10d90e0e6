/**
 * SimPoker (bench/contracts/sim/SimPoker.sol): the replay's breaker pokes of a block in one transaction. It must leave
 * the breaker as separate transactions would: every poke runs, in order, and one that reverts (or runs out of its gas)
 * is skipped without undoing or stopping the others; a transaction too small to give each poke its gas reverts.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import { collateral, deployChainlinkMarket } from "../../scripts/lib/testMarket.js";

const { ethers } = await network.create();
const REVERT = 1; // TestAggregator.Mode

describe("SimPoker: a block's breaker pokes in one transaction", function () {
  it("runs every poke in order; one that reverts or runs out of gas is skipped and stops none of the others", async function () {
    const [owner, keeper] = await ethers.getSigners();
    const market = await deployChainlinkMarket(ethers, { owner });
    const { breaker } = market;
    const weth = await collateral(market, "WETH").getAddress();
    const wbtc = await collateral(market, "WBTC").getAddress();
    const poker = await ethers.deployContract("SimPoker");
    // Both collaterals' feeds fail: a poke of each trips its entry (ORACLE), which the breaker logs.
    for (const symbol of ["WETH", "WBTC"]) await (await market.feeds.get(symbol)!.setMode(REVERT)).wait();
    const notListed = ethers.Wallet.createRandom().address; // poke(notListed) reverts UnknownAsset

    // A poke starved of gas is skipped: the transaction succeeds and trips nothing, where a fed poke trips WETH below.
    const starved = await (await poker.pokeAll(breaker, [weth], 1_000n)).wait();
    expect(starved?.status).to.equal(1);
    expect(starved?.logs).to.have.length(0);
    expect((await breaker.entry(weth)).level).to.equal(0n);

    const tx = await poker.connect(keeper).pokeAll(breaker, [notListed, weth, ZeroAddress, wbtc], 400_000n, {
      gasLimit: 2_000_000n,
    });
    const receipt = await tx.wait();
    const tripped = (receipt?.logs ?? [])
      .map((log) => (log.address === (breaker.target as string) ? breaker.interface.parseLog(log) : null))
      .filter((parsed) => parsed?.name === "BreakerUpdated" && parsed.args.tripped)
      .map((parsed) => parsed?.args.asset);
    expect(tripped).to.deep.equal([weth, wbtc]); // in order, past the reverting one
    expect((await breaker.entry(weth)).level).to.be.greaterThan(0n);
    expect((await breaker.entry(wbtc)).level).to.be.greaterThan(0n);

    // A transaction too small to hand the next poke its whole gas reverts instead of starving it.
    await expect(poker.pokeAll(breaker, [weth, wbtc], 400_000n, { gasLimit: 300_000n })).to.be.revertedWithCustomError(
      poker,
      "NotEnoughGas",
    );
  });
});
