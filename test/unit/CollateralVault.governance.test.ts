import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";

import {
  WAD,
  YEAR,
  borrowedMarketFixture,
  ceilDiv,
  compoundFactorUp,
  config,
  emptyMarketFixture,
  expectUnchanged,
  frozenMarketFixture,
  fundedMarketFixture,
  marketState,
  mulDivUp,
  readState,
  usd,
  wad,
} from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

/** Governance-visible state: parameters, listed assets and their configs, ownership. */
async function governanceState(f: MarketFixture): Promise<unknown[]> {
  const { vault, lens } = f;
  const assets = await vault.collateralAssets();
  const infos: unknown[] = [];
  for (const asset of assets) infos.push(await lens.collateralInfo(vault, asset));
  return [
    await lens.parameters(vault),
    assets,
    infos,
    await vault.owner(),
    await vault.pendingOwner(),
    await readState(vault, lens, f.usdc, [f.weth, f.wbtc], [f.owner, f.lender, f.borrower, f.alice]),
  ];
}

describe("CollateralVault: governance", function () {
  describe("listCollateral", function () {
    it("lists an asset with its decimals and config, and emits CollateralListed", async function () {
      const { vault, lens, oracle, owner, weth, wbtc } = await networkHelpers.loadFixture(emptyMarketFixture);
      const link = await ethers.deployContract("MockERC20", ["Chainlink", "LINK", 18]);
      await oracle.setPrice(link, wad("15"));
      const cfg = config(wad("5000"), wad("0.6"), wad("0.7"), wad("0.1"));
      await expect(vault.connect(owner).listCollateral(link, cfg))
        .to.emit(vault, "CollateralListed")
        .withArgs(await link.getAddress(), 18n, [
          cfg.borrowLtv,
          cfg.liquidationThreshold,
          cfg.liquidationBonus,
          cfg.supplyCap,
        ]);
      expect(await vault.collateralAssets()).to.deep.equal([
        await weth.getAddress(),
        await wbtc.getAddress(),
        await link.getAddress(),
      ]);
      const [stored, decimals, deposited] = await lens.collateralInfo(vault, link);
      expect(stored).to.deep.equal([cfg.borrowLtv, cfg.liquidationThreshold, cfg.liquidationBonus, cfg.supplyCap]);
      expect(decimals).to.equal(18n);
      expect(deposited).to.equal(0n);
    });

    it("reverts with ZeroAddress, BaseAssetNotCollateral and AssetAlreadyListed, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const { vault, owner, usdc, weth } = f;
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          await expect(vault.connect(owner).listCollateral(ZeroAddress, config())).to.be.revertedWithCustomError(
            vault,
            "ZeroAddress",
          );
          await expect(vault.connect(owner).listCollateral(usdc, config()))
            .to.be.revertedWithCustomError(vault, "BaseAssetNotCollateral")
            .withArgs(await usdc.getAddress());
          await expect(vault.connect(owner).listCollateral(weth, config()))
            .to.be.revertedWithCustomError(vault, "AssetAlreadyListed")
            .withArgs(await weth.getAddress());
        },
      );
    });

    it("reverts with UnsupportedDecimals for 19 decimals, no decimals() and a non-contract", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const { vault, owner, alice } = f;
      const t19 = await ethers.deployContract("MockERC20", ["Nineteen", "T19", 19]);
      const noDecimals = await ethers.deployContract("NoDecimalsERC20");
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          await expect(vault.connect(owner).listCollateral(t19, config()))
            .to.be.revertedWithCustomError(vault, "UnsupportedDecimals")
            .withArgs(await t19.getAddress(), 19n);
          await expect(vault.connect(owner).listCollateral(noDecimals, config()))
            .to.be.revertedWithCustomError(vault, "UnsupportedDecimals")
            .withArgs(await noDecimals.getAddress(), MaxUint256);
          await expect(vault.connect(owner).listCollateral(alice.address, config()))
            .to.be.revertedWithCustomError(vault, "UnsupportedDecimals")
            .withArgs(alice.address, MaxUint256);
        },
      );
    });

    it("reverts with TooManyCollaterals on the 17th asset", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const { vault, lens, owner } = f;
      const max = await lens.MAX_COLLATERALS();
      expect(max).to.equal(16n);
      for (let i = (await vault.collateralAssets()).length; i < Number(max); i++) {
        const token = await ethers.deployContract("MockERC20", [`T${i}`, `T${i}`, i]);
        await vault.connect(owner).listCollateral(token, config());
      }
      expect(await vault.collateralAssets()).to.have.length(16);
      const extra = await ethers.deployContract("MockERC20", ["Seventeen", "T17", 18]);
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          await expect(vault.connect(owner).listCollateral(extra, config()))
            .to.be.revertedWithCustomError(vault, "TooManyCollaterals")
            .withArgs(16n);
        },
      );
    });

    it("the 16th listed asset (highest mask bit) works as collateral", async function () {
      const { vault, owner, oracle, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      let last = await ethers.deployContract("MockERC20", ["T", "T", 18]);
      for (let i = 2; i < 16; i++) {
        last = await ethers.deployContract("MockERC20", [`T${i}`, `T${i}`, 18]);
        await vault.connect(owner).listCollateral(last, config());
      }
      await oracle.setPrice(last, wad("2"));
      await last.mint(alice.address, wad("100"));
      await last.connect(alice).approve(vault, MaxUint256);
      await vault.connect(alice).depositCollateral(last, wad("100"), alice.address);
      expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(wad("100"));
      await vault.connect(alice).borrow(usd("100"), alice.address);
      await expect(vault.connect(alice).borrow(1n, alice.address)).to.be.revertedWithCustomError(
        vault,
        "BorrowLimitExceeded",
      );
    });

    it("validates the config: LtvAboveThreshold, ThresholdOutOfBounds, BonusTooHigh, NoLiquidationBuffer", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const { vault, owner } = f;
      const token = await ethers.deployContract("MockERC20", ["New", "NEW", 18]);
      const list = (cfg: ReturnType<typeof config>) => vault.connect(owner).listCollateral(token, cfg);
      const cap = wad("1000");
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          await expect(list(config(cap, wad("0.81"), wad("0.8"))))
            .to.be.revertedWithCustomError(vault, "LtvAboveThreshold")
            .withArgs(wad("0.81"), wad("0.8"));
          await expect(list(config(cap, 0n, 0n)))
            .to.be.revertedWithCustomError(vault, "ThresholdOutOfBounds")
            .withArgs(0n, wad("0.95"));
          await expect(list(config(cap, wad("0.5"), wad("0.95") + 1n, 0n)))
            .to.be.revertedWithCustomError(vault, "ThresholdOutOfBounds")
            .withArgs(wad("0.95") + 1n, wad("0.95"));
          await expect(list(config(cap, wad("0.5"), wad("0.6"), wad("0.2") + 1n)))
            .to.be.revertedWithCustomError(vault, "BonusTooHigh")
            .withArgs(wad("0.2") + 1n, wad("0.2"));
          // 0.9 × 1.12 = 1.008 ≥ 1: liquidating at the threshold would already be underwater.
          await expect(list(config(cap, wad("0.8"), wad("0.9"), wad("0.12"))))
            .to.be.revertedWithCustomError(vault, "NoLiquidationBuffer")
            .withArgs(wad("0.9"), wad("0.12"));
          // 0.95 × 1.0527 = 1.000065.
          await expect(list(config(cap, wad("0.9"), wad("0.95"), wad("0.0527"))))
            .to.be.revertedWithCustomError(vault, "NoLiquidationBuffer")
            .withArgs(wad("0.95"), wad("0.0527"));
        },
      );
    });

    it("accepts the bounds themselves: LTV = LT, LT = 95% with 5% bonus, bonus = 20% with LT 80%", async function () {
      const { vault, owner } = await networkHelpers.loadFixture(emptyMarketFixture);
      for (const cfg of [
        config(1n, wad("0.9"), wad("0.9"), 0n),
        config(1n, 0n, wad("0.95"), wad("0.05")),
        config(1n, wad("0.7"), wad("0.8"), wad("0.2")),
      ]) {
        const token = await ethers.deployContract("MockERC20", ["Ok", "OK", 6]);
        await expect(vault.connect(owner).listCollateral(token, cfg)).to.emit(vault, "CollateralListed");
      }
    });
  });

  describe("setCollateralConfig", function () {
    it("cuts the LTV at once, ramps the threshold down at 1 point an hour, and emits CollateralConfigUpdated and RiskRampStarted", async function () {
      const { vault, lens, owner, weth, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      expect((await vault.accountLiquidity(alice.address)).borrowLimit).to.equal(wad("2400"));
      const cfg = config(wad("10"), wad("0.5"), wad("0.7"), wad("0.1"));
      const tx = await vault.connect(owner).setCollateralConfig(weth, cfg);
      await expect(tx)
        .to.emit(vault, "CollateralConfigUpdated")
        .withArgs(await weth.getAddress(), [
          cfg.borrowLtv,
          cfg.liquidationThreshold,
          cfg.liquidationBonus,
          cfg.supplyCap,
        ]);
      // From the values in effect (LTV 80%, threshold 85%) towards the new config; no risk-manager caps.
      const noCap = 2n ** 64n - 1n;
      await expect(tx)
        .to.emit(vault, "RiskRampStarted")
        .withArgs(await weth.getAddress(), [wad("0.8"), wad("0.5"), wad("0.85"), wad("0.7")], noCap, noCap);
      const start = BigInt((await tx.getBlock())?.timestamp ?? 0);
      const [stored, decimals, deposited] = await lens.collateralInfo(vault, weth);
      expect(stored).to.deep.equal([cfg.borrowLtv, cfg.liquidationThreshold, cfg.liquidationBonus, cfg.supplyCap]);
      expect(decimals).to.equal(18n);
      expect(deposited).to.equal(wad("1"));
      // In the block of the change: the LTV cut applies, the threshold has not moved.
      expect(await networkHelpers.time.latest()).to.equal(Number(start));
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.5"), wad("0.85")]);
      let liq = await vault.accountLiquidity(alice.address);
      expect(liq.borrowLimit).to.equal(wad("1500"));
      expect(liq.liquidationLimit).to.equal(wad("2550"));
      // An hour later: one point lower.
      await networkHelpers.time.increaseTo(start + 3600n);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.5"), wad("0.84")]);
      liq = await vault.accountLiquidity(alice.address);
      expect(liq.borrowLimit).to.equal(wad("1500"));
      expect(liq.liquidationLimit).to.equal(wad("2520"));
      // A second before the end (15 h for 15 points) it is still a second's cut (rounded down) above the target...
      await networkHelpers.time.increaseTo(start + 15n * 3600n - 1n);
      const [, almost] = await vault.riskParams(weth);
      expect(almost).to.equal(wad("0.85") - (wad("0.01") * (15n * 3600n - 1n)) / 3600n);
      expect(almost).to.be.greaterThan(wad("0.7"));
      // ...and from then on it is the new threshold, where it stays.
      await networkHelpers.time.increaseTo(start + 15n * 3600n);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.5"), wad("0.7")]);
      await networkHelpers.time.increase(30 * 24 * 3600);
      expect(await vault.riskParams(weth)).to.deep.equal([wad("0.5"), wad("0.7")]);
      liq = await vault.accountLiquidity(alice.address);
      expect(liq.borrowLimit).to.equal(wad("1500"));
      expect(liq.liquidationLimit).to.equal(wad("2100"));
    });

    it("reverts with AssetNotListed and the config errors, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const { vault, lens, owner, usdc, weth } = f;
      const set = (cfg: ReturnType<typeof config>) => vault.connect(owner).setCollateralConfig(weth, cfg);
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          await expect(vault.connect(owner).setCollateralConfig(usdc, config()))
            .to.be.revertedWithCustomError(vault, "AssetNotListed")
            .withArgs(await usdc.getAddress());
          await expect(lens.collateralInfo(vault, usdc))
            .to.be.revertedWithCustomError(vault, "AssetNotListed")
            .withArgs(await usdc.getAddress());
          await expect(set(config(1n, wad("0.9"), wad("0.8"))))
            .to.be.revertedWithCustomError(vault, "LtvAboveThreshold")
            .withArgs(wad("0.9"), wad("0.8"));
          await expect(set(config(1n, 0n, 0n)))
            .to.be.revertedWithCustomError(vault, "ThresholdOutOfBounds")
            .withArgs(0n, wad("0.95"));
          await expect(set(config(1n, 0n, wad("0.96"))))
            .to.be.revertedWithCustomError(vault, "ThresholdOutOfBounds")
            .withArgs(wad("0.96"), wad("0.95"));
          await expect(set(config(1n, wad("0.5"), wad("0.6"), wad("0.25"))))
            .to.be.revertedWithCustomError(vault, "BonusTooHigh")
            .withArgs(wad("0.25"), wad("0.2"));
          await expect(set(config(1n, wad("0.8"), wad("0.9"), wad("0.12"))))
            .to.be.revertedWithCustomError(vault, "NoLiquidationBuffer")
            .withArgs(wad("0.9"), wad("0.12"));
        },
      );
    });
  });

  describe("rate and price parameters", function () {
    it("setBorrowCap applies and emits BorrowCapSet", async function () {
      const { vault, lens, owner } = await networkHelpers.loadFixture(emptyMarketFixture);
      await expect(vault.connect(owner).setBorrowCap(usd("42")))
        .to.emit(vault, "BorrowCapSet")
        .withArgs(usd("42"));
      expect((await lens.parameters(vault)).borrowCap).to.equal(usd("42"));
    });

    it("setReserveFactor accrues with the old factor first, then applies and emits ReserveFactorSet", async function () {
      const { vault, lens, rateModel, owner } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const rate = await rateModel.borrowRatePerSecond(await vault.cash(), await vault.totalDebt());
      const last = await lens.lastAccrual(vault);
      await networkHelpers.time.setNextBlockTimestamp(last + YEAR);
      const index = mulDivUp(10n ** 27n, compoundFactorUp(rate, YEAR), 10n ** 27n);
      const interest = mulDivUp(usd("500000"), index, 10n ** 27n) - usd("500000");
      const tx = vault.connect(owner).setReserveFactor(wad("0.5"));
      await expect(tx)
        .to.emit(vault, "InterestAccrued")
        .withArgs(index, interest, ceilDiv(interest * wad("0.1"), WAD));
      await expect(tx).to.emit(vault, "ReserveFactorSet").withArgs(wad("0.5"));
      expect((await lens.parameters(vault)).reserveFactor).to.equal(wad("0.5"));
      // From now on half of the interest goes to reserves.
      const reserves0 = await vault.reserves();
      const debt0 = await vault.totalDebt();
      await networkHelpers.time.increase(30 * 24 * 3600);
      const interest2 = (await vault.totalDebt()) - debt0;
      expect((await vault.reserves()) - reserves0).to.equal(ceilDiv(interest2 * wad("0.5"), WAD));
    });

    it("setReserveFactor reverts with ReserveFactorTooHigh above 50%, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          await expect(f.vault.connect(f.owner).setReserveFactor(wad("0.5") + 1n))
            .to.be.revertedWithCustomError(f.vault, "ReserveFactorTooHigh")
            .withArgs(wad("0.5") + 1n, wad("0.5"));
        },
      );
      await f.vault.connect(f.owner).setReserveFactor(0n);
      expect((await f.lens.parameters(f.vault)).reserveFactor).to.equal(0n);
    });

    it("setInterestRateModel accrues under the old model, then applies and emits InterestRateModelSet", async function () {
      const { vault, lens, rateModel, owner } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const steep = await ethers.deployContract("KinkedRateModel", [wad("1"), wad("1"), wad("1"), wad("0.5")]);
      const rate = await rateModel.borrowRatePerSecond(await vault.cash(), await vault.totalDebt());
      const last = await lens.lastAccrual(vault);
      await networkHelpers.time.setNextBlockTimestamp(last + YEAR);
      const index = mulDivUp(10n ** 27n, compoundFactorUp(rate, YEAR), 10n ** 27n);
      const tx = vault.connect(owner).setInterestRateModel(steep);
      await expect(tx)
        .to.emit(vault, "InterestAccrued")
        .withArgs(
          index,
          (v: bigint) => v > 0n,
          (v: bigint) => v > 0n,
        );
      await expect(tx)
        .to.emit(vault, "InterestRateModelSet")
        .withArgs(await steep.getAddress());
      expect((await lens.parameters(vault)).rateModel).to.equal(await steep.getAddress());
      expect(await vault.borrowIndex()).to.equal(index);
      // The new model now drives accrual.
      const steepRate = await steep.borrowRatePerSecond(await vault.cash(), await vault.totalDebt());
      await networkHelpers.time.increase(3600);
      expect(await vault.borrowIndex()).to.equal(mulDivUp(index, compoundFactorUp(steepRate, 3600n), 10n ** 27n));
    });

    it("setInterestRateModel and setPriceOracle revert with ZeroAddress, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          await expect(f.vault.connect(f.owner).setInterestRateModel(ZeroAddress)).to.be.revertedWithCustomError(
            f.vault,
            "ZeroAddress",
          );
          await expect(f.vault.connect(f.owner).setPriceOracle(ZeroAddress)).to.be.revertedWithCustomError(
            f.vault,
            "ZeroAddress",
          );
        },
      );
    });

    it("setPriceOracle applies at once and emits PriceOracleSet", async function () {
      const { vault, lens, owner, usdc, weth, borrower } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const next = await ethers.deployContract("MockPriceOracle");
      await next.setPrice(usdc, wad("1"));
      await next.setPrice(weth, wad("1500"));
      await expect(vault.connect(owner).setPriceOracle(next))
        .to.emit(vault, "PriceOracleSet")
        .withArgs(await next.getAddress());
      expect((await lens.parameters(vault)).oracle).to.equal(await next.getAddress());
      expect((await vault.accountLiquidity(borrower.address)).collateralValue).to.equal(wad("450000"));
      expect(await vault.isLiquidatable(borrower.address)).to.equal(true);
    });
  });

  describe("withdrawReserves", function () {
    it("sends reserves out of cash, emits ReservesWithdrawn and leaves totalAssets unchanged", async function () {
      const { vault, usdc, owner, bob } = await networkHelpers.loadFixture(frozenMarketFixture);
      const reserves = await vault.reserves();
      expect(reserves).to.be.greaterThan(usd("1000"));
      const assets = await vault.totalAssets();
      const cash = await vault.cash();
      const amount = reserves / 3n;
      const tx = vault.connect(owner).withdrawReserves(bob.address, amount);
      await expect(tx).to.emit(vault, "ReservesWithdrawn").withArgs(bob.address, amount);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [vault, bob], [-amount, amount]);
      expect(await vault.reserves()).to.equal(reserves - amount);
      expect(await vault.cash()).to.equal(cash - amount);
      expect(await vault.totalAssets()).to.equal(assets);
      // All the rest, exactly.
      await vault.connect(owner).withdrawReserves(owner.address, reserves - amount);
      expect(await vault.reserves()).to.equal(0n);
    });

    it("reverts with ZeroAmount, ZeroAddress and InsufficientReserves, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, owner } = f;
      const reserves = await vault.reserves();
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(owner).withdrawReserves(owner.address, 0n)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
        await expect(vault.connect(owner).withdrawReserves(ZeroAddress, 1n)).to.be.revertedWithCustomError(
          vault,
          "ZeroAddress",
        );
        await expect(vault.connect(owner).withdrawReserves(owner.address, reserves + 1n))
          .to.be.revertedWithCustomError(vault, "InsufficientReserves")
          .withArgs(reserves, reserves + 1n);
      });
    });

    it("reverts with InsufficientReserves when the cash does not cover the reserves", async function () {
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, owner, lender, borrower } = f;
      const reserves = await vault.reserves();
      // Lenders may take all the cash: reserves are then backed by debt only.
      await vault.connect(lender).withdraw(await vault.maxWithdraw(lender.address), lender.address, lender.address);
      expect(await vault.cash()).to.equal(0n);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(owner).withdrawReserves(owner.address, 1n))
          .to.be.revertedWithCustomError(vault, "InsufficientReserves")
          .withArgs(0n, 1n);
      });
      await vault.connect(borrower).repay(usd("100"), borrower.address);
      await expect(vault.connect(owner).withdrawReserves(owner.address, usd("100") + 1n))
        .to.be.revertedWithCustomError(vault, "InsufficientReserves")
        .withArgs(usd("100"), usd("100") + 1n);
      await vault.connect(owner).withdrawReserves(owner.address, usd("100"));
      expect(await vault.reserves()).to.equal(reserves - usd("100"));
    });
  });

  describe("access control", function () {
    it("every governance function reverts with OwnableUnauthorizedAccount for a non-owner, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, weth, alice } = f;
      const token = await ethers.deployContract("MockERC20", ["New", "NEW", 18]);
      const v = vault.connect(alice);
      const calls = [
        () => v.listCollateral(token, config()),
        () => v.setCollateralConfig(weth, config()),
        () => v.setBorrowCap(1n),
        () => v.setReserveFactor(0n),
        () => v.setInterestRateModel(alice.address),
        () => v.setPriceOracle(alice.address),
        () => v.withdrawReserves(alice.address, 1n),
        () => v.transferOwnership(alice.address),
        () => v.renounceOwnership(),
      ];
      await expectUnchanged(
        () => governanceState(f),
        async () => {
          for (const call of calls) {
            await expect(call())
              .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
              .withArgs(alice.address);
          }
        },
      );
    });

    it("ownership moves in two steps (Ownable2Step)", async function () {
      const { vault, lens, owner, alice, bob } = await networkHelpers.loadFixture(emptyMarketFixture);
      await expect(vault.connect(owner).transferOwnership(alice.address))
        .to.emit(vault, "OwnershipTransferStarted")
        .withArgs(owner.address, alice.address);
      expect(await vault.owner()).to.equal(owner.address);
      expect(await vault.pendingOwner()).to.equal(alice.address);
      // Still the old owner's vault until accepted.
      await vault.connect(owner).setBorrowCap(1n);
      await expect(vault.connect(alice).setBorrowCap(2n))
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(alice.address);
      await expect(vault.connect(bob).acceptOwnership())
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(bob.address);
      await expect(vault.connect(alice).acceptOwnership())
        .to.emit(vault, "OwnershipTransferred")
        .withArgs(owner.address, alice.address);
      expect(await vault.owner()).to.equal(alice.address);
      expect(await vault.pendingOwner()).to.equal(ZeroAddress);
      await vault.connect(alice).setBorrowCap(2n);
      expect((await lens.parameters(vault)).borrowCap).to.equal(2n);
      await expect(vault.connect(owner).setBorrowCap(3n))
        .to.be.revertedWithCustomError(vault, "OwnableUnauthorizedAccount")
        .withArgs(owner.address);
    });
  });
});
