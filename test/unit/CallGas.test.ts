/**
 * `gasInCallsTo` (scripts/lib/bench/callGas.ts): the side-by-side bench's measure of Morpho Blue's oracle inside its
 * operations, from the chain's step trace. The ways it could lie: counting calls to other contracts, counting a nested
 * call twice, or leaving out the call's own cost (a cold account's 2,600).
 */
import { expect } from "chai";
import { network } from "hardhat";

import { gasInCallsTo } from "../../scripts/lib/bench/callGas.js";

const { ethers } = await network.create();

describe("gasInCallsTo: gas a transaction spends in calls to one contract", function () {
  it("counts each call to the target with its own cost, and nothing else", async function () {
    const [owner] = await ethers.getSigners();
    const batch = await ethers.deployContract("BatchCaller");
    const token = await ethers.deployContract("MockERC20", ["T", "T", 18]);
    const other = await ethers.deployContract("MockERC20", ["O", "O", 18]);
    const read = token.interface.encodeFunctionData("balanceOf", [owner.address]);

    const once = await (await batch.run(token, [read])).wait();
    const twice = await (await batch.run(token, [read, read])).wait();
    if (once === null || twice === null) throw new Error("no receipt");
    const one = await gasInCallsTo(ethers.provider, once.hash, await token.getAddress());
    const two = await gasInCallsTo(ethers.provider, twice.hash, await token.getAddress());
    // A first call pays for the cold account (2,600) and a cold balance slot (2,100); the second, both warm.
    expect(one)
      .to.be.greaterThan(4_700n)
      .and.lessThan(once.gasUsed - 21_000n);
    expect(two)
      .to.be.greaterThan(one)
      .and.lessThan(2n * one);
    expect(await gasInCallsTo(ethers.provider, once.hash, await other.getAddress())).to.equal(0n);
  });
});
