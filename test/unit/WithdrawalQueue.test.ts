/**
 * WithdrawalQueue on its own (a stand-in EOA plays the vault, so every defensive check is reachable), and the vault's
 * `setCircuitBreaker` wiring checks.
 */
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import { WithdrawalQueue__factory } from "../../typechain-types/index.js";
import { deployMarket } from "../../scripts/lib/testMarket.js";
import type { NetworkConnection } from "hardhat/types/network";
import { emptyMarketFixture, wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

async function standaloneQueueFixture({ ethers: e }: NetworkConnection) {
  const [vault, alice, bob] = await e.getSigners();
  const token = await e.deployContract("MockERC20", ["Token", "TKN", 18]);
  const queue = await e.deployContract("WithdrawalQueue", [vault.address]);
  return { vault, alice, bob, token, queue };
}

describe("WithdrawalQueue", function () {
  it("refuses a zero vault at construction (ZeroInput)", async function () {
    const [deployer] = await ethers.getSigners();
    const factory = new WithdrawalQueue__factory(deployer);
    await expect(factory.deploy(ZeroAddress)).to.be.revertedWithCustomError(factory, "ZeroInput");
  });

  it("enqueue: only the vault, no zero beneficiary, asset or amount, and only claims it already holds tokens for", async function () {
    const { vault, alice, token, queue } = await networkHelpers.loadFixture(standaloneQueueFixture);
    await expect(queue.connect(alice).enqueue(alice.address, token, 1n, 0n))
      .to.be.revertedWithCustomError(queue, "NotVault")
      .withArgs(alice.address);
    for (const [beneficiary, asset, amount] of [
      [ZeroAddress, await token.getAddress(), 1n],
      [alice.address, ZeroAddress, 1n],
      [alice.address, await token.getAddress(), 0n],
    ] as const) {
      await expect(queue.connect(vault).enqueue(beneficiary, asset, amount, 0n)).to.be.revertedWithCustomError(
        queue,
        "ZeroInput",
      );
    }
    // Unfunded: 5 tokens owed needs 5 here; with 4, nothing is recorded.
    await token.mint(await queue.getAddress(), wad("4"));
    await expect(queue.connect(vault).enqueue(alice.address, token, wad("5"), 0n))
      .to.be.revertedWithCustomError(queue, "Unfunded")
      .withArgs(await token.getAddress(), wad("5"), wad("4"));
    expect([await queue.owed(token), await queue.claimCount()]).to.deep.equal([0n, 0n]);
    // A second claim must be covered on top of the first: owed never exceeds the balance.
    await queue.connect(vault).enqueue(alice.address, token, wad("3"), 0n);
    await expect(queue.connect(vault).enqueue(alice.address, token, wad("2"), 0n))
      .to.be.revertedWithCustomError(queue, "Unfunded")
      .withArgs(await token.getAddress(), wad("5"), wad("4"));
  });

  it("claimOf, claim and claimTo on an id that does not exist revert NoClaim", async function () {
    const { alice, queue } = await networkHelpers.loadFixture(standaloneQueueFixture);
    await expect(queue.claimOf(0n)).to.be.revertedWithCustomError(queue, "NoClaim").withArgs(0n);
    await expect(queue.claim(7n)).to.be.revertedWithCustomError(queue, "NoClaim").withArgs(7n);
    await expect(queue.connect(alice).claimTo(7n, alice.address))
      .to.be.revertedWithCustomError(queue, "NoClaim")
      .withArgs(7n);
    await expect(queue.connect(alice).claimTo(0n, ZeroAddress)).to.be.revertedWithCustomError(queue, "ZeroInput");
  });
});

describe("CollateralVault.setCircuitBreaker", function () {
  it("refuses zero addresses and a breaker or queue bound to another vault (WrongVault), changing nothing", async function () {
    const { vault, lens, owner, breaker, queue } = await networkHelpers.loadFixture(emptyMarketFixture);
    await expect(vault.connect(owner).setCircuitBreaker(ZeroAddress, queue)).to.be.revertedWithCustomError(
      vault,
      "ZeroAddress",
    );
    await expect(vault.connect(owner).setCircuitBreaker(breaker, ZeroAddress)).to.be.revertedWithCustomError(
      vault,
      "ZeroAddress",
    );
    const other = await deployMarket(ethers);
    await expect(vault.connect(owner).setCircuitBreaker(other.breaker, queue))
      .to.be.revertedWithCustomError(vault, "WrongVault")
      .withArgs(await other.breaker.getAddress());
    await expect(vault.connect(owner).setCircuitBreaker(breaker, other.queue))
      .to.be.revertedWithCustomError(vault, "WrongVault")
      .withArgs(await other.queue.getAddress());
    expect(await lens.circuitBreaker(vault)).to.deep.equal([await breaker.getAddress(), await queue.getAddress()]);
  });
});
