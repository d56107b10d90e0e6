/**
 * VaultModule: the vault's rarely run code (governance, the risk modules' hooks, the engine's write-offs, remainders
 * and provisions, `accountLiquidity`, `isLiquidatable`), which the vault creates in its constructor and runs by DELEGATECALL over its
 * own storage, keeping its bytecode under issue 18's 20,000 bytes.
 *
 * The attacks on that split, each written first:
 * - call the module directly (it must refuse: `NotDelegated`);
 * - reach the module through the vault's fallback from outside, or make the vault call itself with a governance
 *   call in it (only the two views may run there);
 * - a forwarded function that leaves the vault's reentrancy lock held, so a second call in the same transaction
 *   fails (the forwarder must return through the modifier);
 * - a selector in the module that the vault does not forward, or forwards with another signature.
 * The behaviour of each forwarded function is tested where it always was (CollateralVault.*.test.ts, NoDust, risk).
 */
import { expect } from "chai";
import { concat, MaxUint256, ParamType, ZeroAddress } from "ethers";
import type { FunctionFragment, Interface } from "ethers";
import { network } from "hardhat";

import { borrowedMarketFixture, config, usd, wad } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

/** A value of `param`'s type that encodes (zeros throughout). */
function zeroOf(param: ParamType): unknown {
  if (param.baseType === "tuple") return (param.components ?? []).map(zeroOf);
  if (param.baseType === "address") return ZeroAddress;
  if (param.baseType === "bool") return false;
  return 0n;
}

describe("VaultModule: the vault's rare code, run in the vault's context", function () {
  async function fixture() {
    const f = await networkHelpers.loadFixture(borrowedMarketFixture);
    const vaultAddress = await f.vault.getAddress();
    // The vault's constructor creates its module with its first CREATE (a contract's nonce starts at 1).
    const moduleAddress = ethers.getCreateAddress({ from: vaultAddress, nonce: 1 });
    const module = await ethers.getContractAt("VaultModule", moduleAddress);
    return { ...f, vaultAddress, moduleAddress, module };
  }

  it("is deployed by the vault, and every function it has is one the vault forwards, with the same signature", async function () {
    const { vault, module, moduleAddress } = await fixture();
    expect(await ethers.provider.getCode(moduleAddress)).to.not.equal("0x");
    const moduleFunctions: FunctionFragment[] = [];
    module.interface.forEachFunction((fn) => moduleFunctions.push(fn));
    expect(moduleFunctions.map((fn) => fn.name).sort()).to.deep.equal(
      [
        "accountLiquidity",
        "closeRemainder",
        "isLiquidatable",
        "listCollateral",
        "settleBackstopIncomeShare",
        "releaseProtocolCollateral",
        "linkBackstopAndShare",
        "setBorrowCap",
        "setCircuitBreaker",
        "setCollateralConfig",
        "setInterestRateModel",
        "setLiquidationEngine",
        "setPriceOracle",
        "setProvision",
        "setReserveBoost",
        "setReserveFactor",
        "setRiskCaps",
        "setRiskModules",
        "settleRecovery",
        "withdrawReserves",
        "writeOffBadDebt",
      ].sort(),
    );
    for (const fn of moduleFunctions) {
      const inVault = (vault.interface as Interface).getFunction(fn.selector);
      expect(inVault?.format("sighash"), fn.name).to.equal(fn.format("sighash"));
      expect(inVault?.stateMutability, fn.name).to.equal(fn.stateMutability);
      const outputs = (f: FunctionFragment) => f.outputs.map((o) => o.format("sighash"));
      expect(inVault && outputs(inVault), fn.name).to.deep.equal(outputs(fn));
    }
  });

  it("called directly, every one of its functions reverts NotDelegated", async function () {
    const { module, moduleAddress, attacker } = await fixture();
    const functions: FunctionFragment[] = [];
    module.interface.forEachFunction((fn) => functions.push(fn));
    for (const fn of functions) {
      const data = (module.interface as Interface).encodeFunctionData(fn, fn.inputs.map(zeroOf));
      const call = fn.constant
        ? ethers.provider.call({ to: moduleAddress, data })
        : attacker.sendTransaction({ to: moduleAddress, data });
      await expect(call, fn.name).to.be.revertedWithCustomError(module, "NotDelegated");
    }
  });

  it("the vault still refuses a function it does not have, with no data, as before it had a fallback", async function () {
    const { vaultAddress, attacker, vault } = await fixture();
    await expect(attacker.sendTransaction({ to: vaultAddress, data: "0x12345678" })).to.be.revertedWithoutReason(
      ethers,
    );
    await expect(attacker.sendTransaction({ to: vaultAddress, data: "0x" })).to.be.revertedWithoutReason(ethers);
    await expect(attacker.sendTransaction({ to: vaultAddress, value: 1n })).to.be.revertedWithoutReason(ethers);
    // The fallback's own path, tried from outside: the prefixed view and a prefixed governance call.
    const view = concat(["0x00000000", vault.interface.encodeFunctionData("accountLiquidity", [attacker.address])]);
    await expect(
      ethers.provider.call({ to: vaultAddress, data: view, from: attacker.address }),
    ).to.be.revertedWithoutReason(ethers);
    const cap = concat(["0x00000000", vault.interface.encodeFunctionData("setBorrowCap", [1n])]);
    await expect(attacker.sendTransaction({ to: vaultAddress, data: cap })).to.be.revertedWithoutReason(ethers);
  });

  it("even the vault calling itself runs nothing there but accountLiquidity and isLiquidatable: no governance, no reserves out", async function () {
    const { vault, vaultAddress, attacker, borrower } = await fixture();
    await networkHelpers.impersonateAccount(vaultAddress);
    await networkHelpers.setBalance(vaultAddress, wad("1"));
    const asVault = await ethers.getSigner(vaultAddress);
    for (const data of [
      vault.interface.encodeFunctionData("setBorrowCap", [1n]),
      vault.interface.encodeFunctionData("withdrawReserves", [attacker.address, 1n]),
      vault.interface.encodeFunctionData("setLiquidationEngine", [attacker.address]),
      vault.interface.encodeFunctionData("writeOffBadDebt", [borrower.address]),
    ]) {
      await expect(
        asVault.sendTransaction({ to: vaultAddress, data: concat(["0x00000000", data]) }),
      ).to.be.revertedWithoutReason(ethers);
    }
    // The one view it runs answers with the account's position: its debt as the vault itself computes it.
    const data = concat(["0x00000000", vault.interface.encodeFunctionData("accountLiquidity", [borrower.address])]);
    const raw = await ethers.provider.call({ to: vaultAddress, data, from: vaultAddress });
    const [viaFallback] = vault.interface.decodeFunctionResult("accountLiquidity", raw);
    expect(viaFallback.debt).to.equal(await vault.debtOf(borrower));
    expect(viaFallback.debt).to.be.greaterThan(0n);
    expect(viaFallback.collateralValue).to.be.greaterThan(viaFallback.debtValue);
    const liquidatable = concat([
      "0x00000000",
      vault.interface.encodeFunctionData("isLiquidatable", [borrower.address]),
    ]);
    const [healthy] = vault.interface.decodeFunctionResult(
      "isLiquidatable",
      await ethers.provider.call({ to: vaultAddress, data: liquidatable, from: vaultAddress }),
    );
    expect(healthy).to.equal(false);
    await expect(
      ethers.provider.call({ to: vaultAddress, data: liquidatable, from: attacker.address }),
    ).to.be.revertedWithoutReason(ethers);
  });

  it("a forwarded function releases the reentrancy lock: a second locked call and a deposit in the same transaction", async function () {
    const { vault, vaultAddress, owner, bob, usdc } = await fixture();
    await networkHelpers.time.increase(30 * 24 * 3600);
    const batch = await ethers.deployContract("BatchCaller");
    await vault.connect(owner).transferOwnership(await batch.getAddress());
    await batch.run(vaultAddress, [vault.interface.encodeFunctionData("acceptOwnership")]);
    expect(await vault.owner()).to.equal(await batch.getAddress());
    const before = await (await ethers.getContractAt("MockERC20", await vault.asset())).balanceOf(bob);
    const batchAddress = await batch.getAddress();
    await usdc.mint(batchAddress, usd("1"));
    await batch.run(await usdc.getAddress(), [usdc.interface.encodeFunctionData("approve", [vaultAddress, usd("1")])]);
    await batch.run(vaultAddress, [
      vault.interface.encodeFunctionData("withdrawReserves", [bob.address, 1n]),
      vault.interface.encodeFunctionData("withdrawReserves", [bob.address, 1n]),
      vault.interface.encodeFunctionData("deposit", [usd("1"), batchAddress]), // the vault's own lock, after them
    ]);
    const after = await (await ethers.getContractAt("MockERC20", await vault.asset())).balanceOf(bob);
    expect(after - before).to.equal(2n);
    expect(await vault.balanceOf(batchAddress)).to.be.greaterThan(0n);
  });

  it("keeps its arguments' names in the vault's ABI (the vault declares them; only the module reads them)", async function () {
    const { vault, module } = await fixture();
    module.interface.forEachFunction((fn) => {
      const inVault = (vault.interface as Interface).getFunction(fn.selector);
      expect(inVault?.inputs.length, fn.name).to.equal(fn.inputs.length);
      for (const input of inVault?.inputs ?? []) expect(input.name, `${fn.name} input`).to.not.equal("");
    });
  });

  it("holds the vault's lock while it runs: a token hook during settleRecovery's pull cannot reenter", async function () {
    const { vault, owner, oracle, alice, bob } = await fixture();
    const hook = await ethers.deployContract("ReentrantERC20");
    await oracle.setPrice(hook, wad("1"));
    await vault.connect(owner).listCollateral(hook, config());
    // `bob` is the recovery module and hands back unsold units of the hooked token, which the vault pulls from him.
    await vault.connect(owner).setRiskModules(ZeroAddress, bob.address);
    await hook.mint(bob.address, wad("10"));
    await hook.connect(bob).approve(vault, MaxUint256);
    await hook.mint(alice.address, wad("10"));
    await hook.connect(alice).approve(vault, MaxUint256);
    const selector = vault.interface.getError("ReentrancyGuardReentrantCall")?.selector;
    for (const payload of [
      vault.interface.encodeFunctionData("depositCollateral", [await hook.getAddress(), 1n, alice.address]),
      vault.interface.encodeFunctionData("deposit", [1n, alice.address]),
      vault.interface.encodeFunctionData("repay", [1n, alice.address]),
    ]) {
      await hook.arm(vault, payload);
      await vault.connect(bob).settleRecovery(hook, wad("1"), 0n);
      expect(await hook.reenteredOk()).to.equal(false);
      expect(await hook.revertData()).to.equal(selector);
    }
    // Positive control: the hook does call back (a view passes).
    await hook.arm(vault, vault.interface.encodeFunctionData("cash"));
    await vault.connect(bob).settleRecovery(hook, wad("1"), 0n);
    expect(await hook.reenteredOk()).to.equal(true);
  });

  it("passes its return value and its custom errors through the vault unchanged", async function () {
    const { vault, engine, borrower, owner } = await fixture();
    const engineAddress = await engine.getAddress();
    await networkHelpers.impersonateAccount(engineAddress);
    await networkHelpers.setBalance(engineAddress, wad("1"));
    const asEngine = await ethers.getSigner(engineAddress);
    await networkHelpers.time.increase(3600);
    const debt = await vault.debtOf(borrower);
    // writeOffBadDebt returns the debt written off (interest to the next block included).
    const written = await vault.connect(asEngine).writeOffBadDebt.staticCall(borrower);
    expect(written).to.be.greaterThanOrEqual(debt);
    expect(written - debt).to.be.lessThan(usd("1"));
    await expect(vault.connect(owner).setReserveFactor(wad("1")))
      .to.be.revertedWithCustomError(vault, "ReserveFactorTooHigh")
      .withArgs(wad("1"), wad("0.5"));
  });
});
