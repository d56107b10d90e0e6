import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { collateral, deployMarket } from "../../scripts/lib/testMarket.js";
import { deployCollateralVault } from "../../scripts/lib/vaultLibraries.js";

import {
  config,
  deployZeroRateModel,
  expectUnchanged,
  fundedMarketFixture,
  marketState,
  usd,
  wad,
  YEAR,
} from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";
import { vaultSlot } from "./helpers/vaultSlots.js";
import type { ReentrantERC20 } from "../../typechain-types/index.js";

const { ethers, networkHelpers } = await network.create();

interface HookFixture extends MarketFixture {
  hook: ReentrantERC20;
}

/** Funded market with a hooked token (ERC-777 style transfer callback) listed as collateral at $1. */
async function hookFixture(connection: NetworkConnection): Promise<HookFixture> {
  const f = await fundedMarketFixture(connection);
  const hook = await connection.ethers.deployContract("ReentrantERC20");
  await f.oracle.setPrice(hook, wad("1"));
  await f.vault.connect(f.owner).listCollateral(hook, config());
  await hook.mint(f.alice.address, wad("1000000"));
  await hook.connect(f.alice).approve(f.vault, MaxUint256);
  // Alice already has collateral and a little debt, so every reentrant call would otherwise be valid.
  await f.vault.connect(f.alice).depositCollateral(hook, wad("10000"), f.alice.address);
  await f.vault.connect(f.alice).borrow(usd("100"), f.alice.address);
  return { ...f, hook };
}

/**
 * Books `amount` more cash in the vault, with the tokens behind it (INV-03), as if lenders had supplied it. No lender can
 * supply 2^127 units at once (the share supply is uint128 and shares carry six more decimals than assets), so the
 * states with totals near uint128 are reached by writing the cash (bits 0–127 of VaultStorage's CASH_SLOT).
 */
async function seedCash(
  helpers: NetworkConnection["networkHelpers"],
  market: { vault: MarketFixture["vault"]; usdc: MarketFixture["usdc"] },
  amount: bigint,
) {
  const vaultAddress = await market.vault.getAddress();
  const cash = await market.vault.cash();
  if (cash + amount >= 2n ** 128n) throw new Error("seedCash: cash is a uint128");
  // The cash is bits 0–127 of its slot; the share supply, bits 128–255, stays as it is.
  const supply = await market.vault.totalSupply();
  await market.usdc.mint(vaultAddress, amount);
  await helpers.setStorageAt(vaultAddress, vaultSlot("CASH"), (supply << 128n) | (cash + amount));
}

/**
 * Books `scaled` more index-scaled debt in the vault's total (bits 128–255 of the slot after the cash), as if accounts
 * the test does not name owed it. One account's scaled debt is a uint96 (LendingBook.Position) and no lender can
 * supply more than about 2^108 units, so the states with a total near uint128 are reached by writing the total.
 */
async function seedScaledDebt(
  helpers: NetworkConnection["networkHelpers"],
  market: { vault: MarketFixture["vault"] },
  scaled: bigint,
) {
  const vaultAddress = await market.vault.getAddress();
  const slot = vaultSlot("CASH") + 1n;
  const word = BigInt(await market.vault.extsload(ethers.toBeHex(slot, 32)));
  const total = (word >> 128n) + scaled;
  if (total >= 2n ** 128n) throw new Error("seedScaledDebt: the total is a uint128");
  await helpers.setStorageAt(vaultAddress, slot, (total << 128n) | (word & (2n ** 128n - 1n)));
}

/**
 * A market nothing real reaches, for the uint128 totals: 2^127 USDC units of cash, 2^126 of scaled debt (2^95 of it the
 * borrower's, the rest seeded) against WETH at $10^30, at the capped rate. Without the circuit breaker (its windows
 * count in uint112, far below these amounts).
 */
async function hugeFixture({ ethers: e, networkHelpers: helpers }: NetworkConnection) {
  const [owner, lender, borrower] = await e.getSigners();
  const market = await deployMarket(e, { owner, wireBreaker: false, borrowCap: "1" + "0".repeat(40) });
  const { vault, usdc, oracle } = market;
  const weth = collateral(market, "WETH");
  await oracle.setPrice(weth, 10n ** 48n);
  await usdc.mint(lender.address, usd("1000"));
  await usdc.connect(lender).approve(vault, MaxUint256);
  await vault.connect(lender).deposit(usd("1000"), lender.address);
  await seedCash(helpers, market, 2n ** 127n);
  await weth.mint(borrower.address, wad("300"));
  await weth.connect(borrower).approve(vault, MaxUint256);
  await vault.connect(borrower).depositCollateral(weth, wad("300"), borrower.address);
  const cappedRate = await e.deployContract("KinkedRateModel", [wad("10"), 0n, 0n, wad("0.5")]);
  await vault.connect(owner).setInterestRateModel(cappedRate);
  await vault.connect(borrower).borrow(2n ** 95n, borrower.address);
  await seedScaledDebt(helpers, market, 2n ** 126n - (await vault.totalDebt()));
  await usdc.mint(borrower.address, usd("1000"));
  await usdc.connect(borrower).approve(vault, MaxUint256);
  return { ...market, weth, lender, borrower };
}

describe("CollateralVault: safety", function () {
  describe("reentrancy (INV-36)", function () {
    /** Calls the hooked token will try to make into the vault while a transfer of it is in flight. */
    function payloads(f: HookFixture, hookAddress: string): Array<[string, string]> {
      const i = f.vault.interface;
      const a = f.alice.address;
      return [
        ["depositCollateral", i.encodeFunctionData("depositCollateral", [hookAddress, 1n, a])],
        ["borrow", i.encodeFunctionData("borrow", [1n, a])],
        ["withdrawCollateral", i.encodeFunctionData("withdrawCollateral", [hookAddress, 1n, a])],
        ["repay", i.encodeFunctionData("repay", [1n, a])],
        ["deposit", i.encodeFunctionData("deposit", [1n, a])],
        ["mint", i.encodeFunctionData("mint", [10n ** 6n, a])],
        ["withdraw", i.encodeFunctionData("withdraw", [1n, a, a])],
        ["redeem", i.encodeFunctionData("redeem", [10n ** 6n, a, a])],
      ];
    }

    function reentrancySelector(f: HookFixture): string {
      const fragment = f.vault.interface.getError("ReentrancyGuardReentrantCall");
      if (fragment === null) throw new Error("ReentrancyGuardReentrantCall missing from the ABI");
      return fragment.selector;
    }

    it("the hook really calls back: a view call during the transfer succeeds (positive control)", async function () {
      const f = await networkHelpers.loadFixture(hookFixture);
      const { vault, hook, alice } = f;
      await hook.arm(vault, vault.interface.encodeFunctionData("cash"));
      await vault.connect(alice).depositCollateral(hook, wad("1"), alice.address);
      expect(await hook.reenteredOk()).to.equal(true);
      expect(await hook.hookTarget()).to.equal(ZeroAddress);
    });

    for (const trigger of ["depositCollateral", "withdrawCollateral"] as const) {
      it(`every state-changing entry point reverts with ReentrancyGuardReentrantCall during ${trigger}`, async function () {
        const f = await networkHelpers.loadFixture(hookFixture);
        const { vault, hook, alice } = f;
        const hookAddress = await hook.getAddress();
        const selector = reentrancySelector(f);
        for (const [name, payload] of payloads(f, hookAddress)) {
          const collateralBefore = await vault.collateralOf(alice.address, hook);
          const debtBefore = await vault.debtOf(alice.address);
          await hook.arm(vault, payload);
          if (trigger === "depositCollateral") {
            await vault.connect(alice).depositCollateral(hook, wad("5"), alice.address);
          } else {
            await vault.connect(alice).withdrawCollateral(hook, wad("5"), alice.address);
          }
          expect(await hook.reenteredOk(), name).to.equal(false);
          expect(await hook.revertData(), name).to.equal(selector);
          // The outer call did exactly its own job, once.
          const delta = trigger === "depositCollateral" ? wad("5") : -wad("5");
          expect(await vault.collateralOf(alice.address, hook), name).to.equal(collateralBefore + delta);
          expect(await vault.debtOf(alice.address), name).to.be.at.least(debtBefore);
          expect(await vault.debtOf(alice.address), name).to.be.lessThan(debtBefore + 10n);
        }
      });
    }

    it("the reentrancy revert data decodes to ReentrancyGuardReentrantCall()", async function () {
      const f = await networkHelpers.loadFixture(hookFixture);
      const { vault, hook, alice } = f;
      await hook.arm(vault, vault.interface.encodeFunctionData("borrow", [usd("1"), alice.address]));
      await vault.connect(alice).withdrawCollateral(hook, wad("1"), alice.address);
      const parsed = vault.interface.parseError(await hook.revertData());
      expect(parsed?.name).to.equal("ReentrancyGuardReentrantCall");
      expect(parsed?.args.length).to.equal(0);
      // The reentrant borrow did not happen.
      expect(await vault.debtOf(alice.address)).to.be.lessThan(usd("100") + 10n);
    });
  });

  describe("read-only reentrancy (INV-36)", function () {
    /** A vault whose base asset has a transfer hook, at 0% interest so nothing moves between blocks. */
    async function hookedBaseFixture(connection: NetworkConnection) {
      const { ethers: e } = connection;
      const [owner, lender, borrower] = await e.getSigners();
      const base = await e.deployContract("ReentrantERC20");
      const weth = await e.deployContract("MockERC20", ["Wrapped Ether", "WETH", 18]);
      const oracle = await e.deployContract("MockPriceOracle");
      const zeroRate = await e.deployContract("KinkedRateModel", [0n, 0n, 0n, wad("0.9")]);
      const vault = await deployCollateralVault(e, [
        base,
        "Hooked",
        "hBASE",
        oracle,
        zeroRate,
        0n,
        MaxUint256,
        owner.address,
      ]);
      await oracle.setPrice(base, wad("1"));
      await oracle.setPrice(weth, wad("3000"));
      await vault.connect(owner).listCollateral(weth, config(MaxUint256 >> 128n, wad("0.8"), wad("0.85")));
      for (const who of [lender, borrower]) {
        await base.mint(who.address, wad("1000000"));
        await base.connect(who).approve(vault, MaxUint256);
      }
      await weth.mint(borrower.address, wad("100"));
      await weth.connect(borrower).approve(vault, MaxUint256);
      await vault.connect(lender).deposit(wad("500000"), lender.address);
      await vault.connect(borrower).depositCollateral(weth, wad("100"), borrower.address);
      await vault.connect(borrower).borrow(wad("100000"), borrower.address);
      return { vault, base, lender, borrower };
    }

    // Regression: repay used to book the cash only after pulling the tokens, so a hook reading the vault mid-transfer
    // saw debt already reduced but the cash not yet in: a share price lower by the repaid amount.
    it("a view read during any base-asset transfer never sees the share price below its value before the call", async function () {
      const { vault, base, lender, borrower } = await networkHelpers.loadFixture(hookedBaseFixture);
      const oneShare = 10n ** (await vault.decimals());
      const actions: Array<[string, () => Promise<unknown>]> = [
        ["deposit", () => vault.connect(lender).deposit(wad("1000"), lender.address)],
        ["borrow", () => vault.connect(borrower).borrow(wad("1000"), borrower.address)],
        ["repay", () => vault.connect(borrower).repay(wad("50000"), borrower.address)],
        ["repay all", () => vault.connect(borrower).repay(MaxUint256, borrower.address)],
        ["withdraw", () => vault.connect(lender).withdraw(wad("1000"), lender.address, lender.address)],
      ];
      for (const [name, action] of actions) {
        const before = await vault.convertToAssets(oneShare);
        await base.arm(vault, vault.interface.encodeFunctionData("convertToAssets", [oneShare]));
        await action();
        expect(await base.reenteredOk(), name).to.equal(true);
        const [seen] = vault.interface.decodeFunctionResult("convertToAssets", await base.revertData());
        expect(seen, name).to.be.greaterThanOrEqual(before);
        expect(await vault.convertToAssets(oneShare), name).to.be.greaterThanOrEqual(before);
      }
    });
  });

  describe("ether and unknown calls", function () {
    it("sending ETH to the vault reverts", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, alice } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(alice.sendTransaction({ to: await vault.getAddress(), value: 1n })).to.be.revertedWithoutReason(
          ethers,
        );
        await expect(
          alice.sendTransaction({ to: await vault.getAddress(), value: 1n, data: "0x12345678" }),
        ).to.be.revertedWithoutReason(ethers);
      });
      expect(await ethers.provider.getBalance(vault)).to.equal(0n);
    });
  });

  describe("uint128 totals (reserves and total scaled debt share a slot; cash and the share supply another) and uint96 positions", function () {
    it("a borrow that would take the total scaled debt past uint128 reverts SafeCastOverflowedUintDowncast and changes nothing", async function () {
      // The total seeded to within 2^90 of its bound; the borrower's own 2^95 + 2^91 still fits its uint96.
      const f = await networkHelpers.loadFixture(hugeFixture);
      const { vault, borrower } = f;
      const total = BigInt(await vault.extsload(ethers.toBeHex(vaultSlot("CASH") + 1n, 32))) >> 128n;
      await seedScaledDebt(networkHelpers, f, 2n ** 128n - 2n ** 90n - total);
      await expectUnchanged(
        async () => [await vault.totalDebt(), await vault.cash(), await vault.debtOf(borrower.address)],
        async () => {
          await expect(vault.connect(borrower).borrow(2n ** 91n, borrower.address))
            .to.be.revertedWithCustomError(vault, "SafeCastOverflowedUintDowncast")
            // the total scaled debt it would have been (past uint128; the index moves with the block)
            .withArgs(128, (value: bigint) => value >= 2n ** 128n);
        },
      );
    });

    it("a borrow that would take one account's scaled debt past uint96 reverts SafeCastOverflowedUintDowncast and changes nothing", async function () {
      // 7.9 × 10^28 units: 7.9 × 10^10 whole tokens of an 18-decimal base asset (docs/known-issues.md).
      const f = await networkHelpers.loadFixture(hugeFixture);
      const { vault, borrower } = f;
      const amount = 2n ** 96n; // with the 2^95 already owed, past uint96 at any index of at most 1.5
      await expectUnchanged(
        async () => [await vault.totalDebt(), await vault.cash(), await vault.debtOf(borrower.address)],
        async () => {
          await expect(vault.connect(borrower).borrow(amount, borrower.address))
            .to.be.revertedWithCustomError(vault, "SafeCastOverflowedUintDowncast")
            .withArgs(96, (value: bigint) => value >= 2n ** 96n && value < 2n ** 97n);
        },
      );
    });

    it("a deposit that would take the cash past uint128 reverts SafeCastOverflowedUintDowncast and changes nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, usdc, alice } = f;
      await seedCash(networkHelpers, f, 2n ** 128n - 1n - (await vault.cash()));
      const amount = 10n ** 21n; // enough for a share at this price
      await usdc.mint(alice.address, amount);
      expect(await vault.previewDeposit(amount)).to.be.greaterThan(0n);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).deposit(amount, alice.address))
          .to.be.revertedWithCustomError(vault, "SafeCastOverflowedUintDowncast")
          .withArgs(128, 2n ** 128n - 1n + amount);
      });
    });
  });

  describe("uint128 share supply (beside the cash; each balance beside its deposit credit)", function () {
    it("a mint past 2^128 − 1 shares in all reverts SafeCastOverflowedUintDowncast and changes nothing; a transfer cannot pass it", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, usdc, lender, alice } = f;
      const room = 2n ** 128n - 1n - (await vault.totalSupply()); // about 3.4 × 10^32 units of the base asset
      await usdc.mint(lender.address, 2n * (await vault.previewMint(room)));
      await usdc.connect(lender).approve(vault, MaxUint256);
      await vault.connect(lender).mint(room, lender.address);
      expect(await vault.totalSupply()).to.equal(2n ** 128n - 1n);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(lender).mint(1n, lender.address))
          .to.be.revertedWithCustomError(vault, "SafeCastOverflowedUintDowncast")
          .withArgs(128, 2n ** 128n);
      });
      // Every balance is at most the supply, so no transfer can take one past the bound: all of it moves.
      const shares = await vault.balanceOf(lender.address);
      await vault.connect(lender).transfer(alice.address, shares);
      expect(await vault.balanceOf(alice.address)).to.equal(shares);
      expect(await vault.totalSupply()).to.equal(2n ** 128n - 1n);
    });
  });

  describe("uint128 reserves saturate: interest never locks the vault", function () {
    it("a year at the capped rate on 2^126 of debt takes reserves past uint128: they stop at the cap, and accrual, repay and the views go on", async function () {
      const { vault, borrower } = await networkHelpers.loadFixture(hugeFixture);
      await networkHelpers.time.increase(Number(YEAR));
      const cap = 2n ** 128n - 1n;
      expect(await vault.reserves()).to.equal(cap); // the view saturates as the accrual will
      const before = await vault.totalAssets();
      await vault.connect(borrower).repay(usd("1"), borrower.address); // accrues: no revert
      expect(await vault.reserves()).to.equal(cap);
      // The protocol's share past the cap stays with lenders: the share price keeps rising with the interest.
      expect(await vault.totalAssets()).to.be.greaterThan(before);
      await networkHelpers.time.increase(3600);
      await vault.connect(borrower).repay(usd("1"), borrower.address);
      expect(await vault.reserves()).to.equal(cap);
    });
  });

  describe("share token (ERC-20) errors", function () {
    it("reverts with ERC20InsufficientBalance, ERC20InvalidReceiver and ERC20InvalidSpender, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, usdc, lender, alice } = f;
      const shares = await vault.balanceOf(lender.address);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(lender).transfer(alice.address, shares + 1n))
          .to.be.revertedWithCustomError(vault, "ERC20InsufficientBalance")
          .withArgs(lender.address, shares, shares + 1n);
        await expect(vault.connect(lender).transfer(ZeroAddress, 1n))
          .to.be.revertedWithCustomError(vault, "ERC20InvalidReceiver")
          .withArgs(ZeroAddress);
        await expect(vault.connect(lender).approve(ZeroAddress, 1n))
          .to.be.revertedWithCustomError(vault, "ERC20InvalidSpender")
          .withArgs(ZeroAddress);
        // Depositing more than one holds fails inside the base token.
        const balance = await usdc.balanceOf(alice.address);
        await expect(vault.connect(alice).deposit(balance + 1n, alice.address))
          .to.be.revertedWithCustomError(usdc, "ERC20InsufficientBalance")
          .withArgs(alice.address, balance, balance + 1n);
      });
    });
  });

  describe("liquidation hooks", function () {
    /** Funded market at 0% interest; alice posted 10 WETH and borrowed 24,000 USDC; WETH fell to $2740 (health 0.97). */
    async function unhealthyFixture(connection: NetworkConnection): Promise<MarketFixture> {
      const f = await fundedMarketFixture(connection);
      await f.vault.connect(f.owner).setInterestRateModel(await deployZeroRateModel(connection.ethers));
      await f.vault.connect(f.alice).depositCollateral(f.weth, wad("10"), f.alice.address);
      await f.vault.connect(f.alice).borrow(usd("24000"), f.alice.address);
      await f.oracle.setPrice(f.weth, wad("2740"));
      return f;
    }

    it("NotLiquidationEngine: every hook rejects any caller but the engine, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(unhealthyFixture);
      const { vault, weth, owner, alice, bob } = f;
      const settlement = {
        borrower: alice.address,
        asset: await weth.getAddress(),
        repay: usd("1000"),
        seize: wad("0.1"),
        fee: 0n,
        receiver: bob.address,
        payer: bob.address,
        initiator: bob.address,
        provision: 0n,
      };
      await expectUnchanged(marketState(f), async () => {
        for (const caller of [owner, alice, bob]) {
          await expect(vault.connect(caller).executeLiquidation(settlement, "0x"))
            .to.be.revertedWithCustomError(vault, "NotLiquidationEngine")
            .withArgs(caller.address);
          await expect(vault.connect(caller).writeOffBadDebt(alice.address))
            .to.be.revertedWithCustomError(vault, "NotLiquidationEngine")
            .withArgs(caller.address);
          await expect(vault.connect(caller).setProvision(alice.address, 0n))
            .to.be.revertedWithCustomError(vault, "NotLiquidationEngine")
            .withArgs(caller.address);
        }
      });
    });

    it("FlashCallbackFailed: a receiver that answers with the wrong magic value, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(unhealthyFixture);
      const { vault, engine, weth, alice, bob } = f;
      const receiver = await ethers.deployContract("LiqBadReceiver");
      await expectUnchanged(marketState(f), async () => {
        await expect(engine.connect(bob).flashLiquidate(alice.address, weth, MaxUint256, receiver, "0x01"))
          .to.be.revertedWithCustomError(vault, "FlashCallbackFailed")
          .withArgs(await receiver.getAddress());
      });
      expect(await weth.balanceOf(receiver)).to.equal(0n);
    });

    it("LiquidationExceedsPosition and ProvisionExceedsDebt: an engine asking for more than the account has", async function () {
      const f = await networkHelpers.loadFixture(unhealthyFixture);
      const { vault, lens, weth, owner, alice, bob, attacker } = f;
      // A plain signer as the engine, so it can send any settlement.
      await vault.connect(owner).setLiquidationEngine(attacker.address);
      const debt = await vault.debtOf(alice.address);
      const held = await vault.collateralOf(alice.address, weth);
      const settlement = {
        borrower: alice.address,
        asset: await weth.getAddress(),
        repay: debt,
        seize: held,
        fee: 0n,
        receiver: bob.address,
        payer: bob.address,
        initiator: bob.address,
        provision: 0n,
      };
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(attacker).executeLiquidation({ ...settlement, repay: debt + 1n }, "0x"))
          .to.be.revertedWithCustomError(vault, "LiquidationExceedsPosition")
          .withArgs(debt, debt + 1n, held, held);
        await expect(vault.connect(attacker).executeLiquidation({ ...settlement, seize: held + 1n }, "0x"))
          .to.be.revertedWithCustomError(vault, "LiquidationExceedsPosition")
          .withArgs(debt, debt, held, held + 1n);
        await expect(vault.connect(attacker).setProvision(alice.address, debt + 1n))
          .to.be.revertedWithCustomError(vault, "ProvisionExceedsDebt")
          .withArgs(debt, debt + 1n);
        await expect(vault.connect(attacker).setProvision(bob.address, 1n))
          .to.be.revertedWithCustomError(vault, "ProvisionExceedsDebt")
          .withArgs(0n, 1n);
      });
      // Exactly the position passes.
      await vault.connect(attacker).setProvision(alice.address, debt);
      expect(await lens.provisionOf(vault, alice.address)).to.equal(debt);
    });
  });

  describe("error coverage", function () {
    // Where each error in the vault's and the rate model's ABI is triggered. A new error in the ABI fails this
    // test until it is given a test (or a reason it cannot be reached through the public API).
    const vaultErrors: Record<string, string> = {
      AssetAlreadyListed: "governance",
      AssetNotListed: "borrowing, governance, risk (setRiskCaps, settleRecovery, riskParams, riskRamp)",
      BaseAssetNotCollateral: "governance",
      BonusTooHigh: "governance",
      BorrowCapExceeded: "borrowing",
      BorrowLimitExceeded: "borrowing (borrow and withdrawCollateral)",
      ERC20InsufficientAllowance: "lending",
      ERC20InsufficientBalance: "safety",
      ERC20InvalidApprover: "unreachable: approvals always come from msg.sender",
      ERC20InvalidReceiver: "lending, safety",
      ERC20InvalidSender: "unreachable: shares are never moved from address(0)",
      ERC20InvalidSpender: "safety",
      ERC4626ExceededMaxDeposit:
        "unreachable: deposit skips the check, as maxDeposit is 0 only while the breaker's onSupply refuses (ActionPaused)",
      ERC4626ExceededMaxMint: "unreachable: as ERC4626ExceededMaxDeposit (maxMint is maxDeposit)",
      ERC4626ExceededMaxRedeem: "lending",
      ERC4626ExceededMaxWithdraw: "lending",
      FlashCallbackFailed: "safety (liquidation hooks)",
      InsufficientCollateral: "borrowing",
      InsufficientLiquidity: "borrowing",
      InsufficientProtocolCollateral: "risk (releaseProtocolCollateral)",
      InsufficientReserves: "governance",
      LiquidationExceedsPosition: "safety (liquidation hooks)",
      LtvAboveThreshold: "governance",
      NoDebt: "borrowing",
      NotDelegated: "VaultModule.test.ts (the vault's module called directly)",
      BackstopAlreadySet: "Backstop.test.ts (governance)",
      IncomeShareTooHigh: "Backstop.test.ts (governance)",
      NoLiquidationBuffer: "governance, Governance roles (a bonus raised mid-ramp)",
      NotLiquidationEngine: "safety (liquidation hooks), LiquidationEngine rules",
      NotRiskModule: "risk (every risk-module function; module unset), Governance roles",
      OwnableInvalidOwner: "lending (constructor)",
      OwnableUnauthorizedAccount: "governance",
      PriceNotOk: "oracle policy",
      ProvisionExceedsDebt: "safety (liquidation hooks)",
      ReentrancyGuardReentrantCall: "safety",
      RenounceDisabled: "Governance roles (renounceOwnership)",
      RemainderNotCovered: "NoDust.test.ts (the engine checks free reserves first: a direct engine call)",
      ReserveBoostTooHigh: "risk (setReserveBoost)",
      ReserveFactorTooHigh: "lending (constructor), governance",
      SafeCastOverflowedUintDowncast: "safety (a total scaled debt past uint128)",
      SafeERC20FailedOperation: "unreachable with the test tokens: they revert rather than return false",
      SupplyCapExceeded: "borrowing",
      ThresholdCapTooLow: "risk (setRiskCaps, boundary at half the threshold)",
      ThresholdOutOfBounds: "governance",
      TooManyCollaterals: "governance",
      UnsolicitedCollateral: "borrowing (a third party's first deposit of an asset)",
      TransferAmountMismatch: "lending (base asset), borrowing (collateral), risk (settleRecovery)",
      WrongVault: "WithdrawalQueue.test.ts (setCircuitBreaker)",
      UnsupportedDecimals: "lending (constructor), governance",
      ZeroAddress: "lending, borrowing, governance",
      ZeroAmount: "lending, borrowing, governance, risk (releaseProtocolCollateral)",
      ZeroPrice: "borrowing",
    };

    it("lists every custom error of CollateralVault and KinkedRateModel", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const names: string[] = [];
      f.vault.interface.forEachError((e) => names.push(e.name));
      expect([...names].sort()).to.deep.equal(Object.keys(vaultErrors).sort());
      const modelNames: string[] = [];
      f.rateModel.interface.forEachError((e) => modelNames.push(e.name));
      expect(modelNames.sort()).to.deep.equal(["AprTooHigh", "KinkOutOfBounds"]); // KinkedRateModel.test.ts
    });
  });
});
