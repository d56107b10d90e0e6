import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { MaxUint256, ZeroAddress, parseUnits } from "ethers";
import { network } from "hardhat";

import {
  RAY,
  WAD,
  YEAR,
  borrowedMarketFixture,
  ceilDiv,
  compoundFactorUp,
  config,
  expectUnchanged,
  frozenMarketFixture,
  fundedMarketFixture,
  marketState,
  mulDivDown,
  mulDivUp,
  sharePrice,
  usd,
  wad,
} from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

/** USDC base units → USD value in WAD (price $1). */
const usdValue = (amount: bigint): bigint => amount * 10n ** 12n;

describe("CollateralVault: borrowing", function () {
  describe("depositCollateral", function () {
    it("books the collateral, emits CollateralDeposited and moves the tokens", async function () {
      const { vault, lens, weth, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      const tx = vault.connect(alice).depositCollateral(weth, wad("2"), alice.address);
      await expect(tx)
        .to.emit(vault, "CollateralDeposited")
        .withArgs(alice.address, alice.address, await weth.getAddress(), wad("2"));
      await expect(tx).to.changeTokenBalances(ethers, weth, [alice, vault], [-wad("2"), wad("2")]);
      expect(await vault.collateralOf(alice.address, weth)).to.equal(wad("2"));
      expect((await lens.collateralInfo(vault, weth)).totalDeposited).to.equal(wad("2"));
      const liq = await vault.accountLiquidity(alice.address);
      expect(liq.collateralValue).to.equal(wad("6000"));
      expect(liq.borrowLimit).to.equal(wad("4800"));
      expect(liq.liquidationLimit).to.equal(wad("5100"));
    });

    it("anyone can top up another account's collateral, which alone can withdraw it", async function () {
      const { vault, weth, alice, bob } = await networkHelpers.loadFixture(fundedMarketFixture);
      // bob opens WETH himself (only the account adds an asset it does not hold yet), then sends his own away.
      await vault.connect(bob).depositCollateral(weth, 1n, bob.address);
      await vault.connect(bob).withdrawCollateral(weth, 1n, bob.address);
      await vault.connect(bob).depositCollateral(weth, 1n, bob.address);
      await expect(vault.connect(alice).depositCollateral(weth, wad("5"), bob.address))
        .to.emit(vault, "CollateralDeposited")
        .withArgs(alice.address, bob.address, await weth.getAddress(), wad("5"));
      expect(await vault.collateralOf(bob.address, weth)).to.equal(wad("5") + 1n);
      expect(await vault.collateralOf(alice.address, weth)).to.equal(0n);
      await expect(vault.connect(alice).withdrawCollateral(weth, wad("5"), alice.address))
        .to.be.revertedWithCustomError(vault, "InsufficientCollateral")
        .withArgs(await weth.getAddress(), 0n, wad("5"));
      await expect(vault.connect(bob).withdrawCollateral(weth, wad("5"), bob.address)).to.changeTokenBalance(
        ethers,
        weth,
        bob,
        wad("5"),
      );
    });

    it("reverts with ZeroAmount, ZeroAddress and AssetNotListed, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, weth, usdc, alice } = f;
      const unlisted = await ethers.deployContract("MockERC20", ["Unlisted", "UNL", 18]);
      await unlisted.mint(alice.address, wad("10"));
      await unlisted.connect(alice).approve(vault, MaxUint256);
      await expectUnchanged(marketState(f, [unlisted]), async () => {
        await expect(vault.connect(alice).depositCollateral(weth, 0n, alice.address)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
        await expect(vault.connect(alice).depositCollateral(weth, wad("1"), ZeroAddress)).to.be.revertedWithCustomError(
          vault,
          "ZeroAddress",
        );
        await expect(vault.connect(alice).depositCollateral(unlisted, wad("1"), alice.address))
          .to.be.revertedWithCustomError(vault, "AssetNotListed")
          .withArgs(await unlisted.getAddress());
        await expect(vault.connect(alice).depositCollateral(usdc, usd("1"), alice.address))
          .to.be.revertedWithCustomError(vault, "AssetNotListed")
          .withArgs(await usdc.getAddress());
      });
    });

    it("reverts with SupplyCapExceeded one unit above the cap; exactly the cap passes", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, lens, weth, owner, alice, bob } = f;
      const wethAddress = await weth.getAddress();
      await vault.connect(owner).setCollateralConfig(wethAddress, config(wad("10"), wad("0.8"), wad("0.85")));
      await vault.connect(alice).depositCollateral(weth, wad("4"), alice.address);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(bob).depositCollateral(weth, wad("6") + 1n, bob.address))
          .to.be.revertedWithCustomError(vault, "SupplyCapExceeded")
          .withArgs(wethAddress, wad("10"), wad("10") + 1n);
      });
      await vault.connect(bob).depositCollateral(weth, wad("6"), bob.address);
      expect((await lens.collateralInfo(vault, weth)).totalDeposited).to.equal(wad("10"));
    });

    it("a third party cannot add an asset to someone else's account (issue 19, property 12); it may top one up", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, weth, wbtc, alice, bob } = f;
      // 1 wei of each asset would make every health check of alice's read one more price: refused, nothing moves.
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(bob).depositCollateral(wbtc, 1n, alice.address))
          .to.be.revertedWithCustomError(vault, "UnsolicitedCollateral")
          .withArgs(alice.address, await wbtc.getAddress());
      });
      // Alice opens WETH herself; then anyone may add to it (more collateral never lowers her health).
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      await vault.connect(bob).depositCollateral(weth, 1n, alice.address);
      expect(await vault.collateralOf(alice.address, weth)).to.equal(wad("1") + 1n);
    });

    it("a supply cap of 0 freezes new deposits but not withdrawals", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, weth, owner, alice } = f;
      await vault.connect(alice).depositCollateral(weth, wad("3"), alice.address);
      await vault.connect(owner).setCollateralConfig(weth, config(0n, wad("0.8"), wad("0.85")));
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).depositCollateral(weth, 1n, alice.address))
          .to.be.revertedWithCustomError(vault, "SupplyCapExceeded")
          .withArgs(await weth.getAddress(), 0n, wad("3") + 1n);
      });
      await vault.connect(alice).withdrawCollateral(weth, MaxUint256, alice.address);
      await expect(vault.connect(alice).depositCollateral(weth, 1n, alice.address))
        .to.be.revertedWithCustomError(vault, "SupplyCapExceeded")
        .withArgs(await weth.getAddress(), 0n, 1n);
    });

    it("reverts with TransferAmountMismatch for a fee-on-transfer collateral, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, oracle, owner, alice } = f;
      const fot = await ethers.deployContract("FeeOnTransferERC20");
      await oracle.setPrice(fot, wad("1"));
      await vault.connect(owner).listCollateral(fot, config());
      await fot.mint(alice.address, wad("1000"));
      await fot.connect(alice).approve(vault, MaxUint256);
      await expectUnchanged(marketState(f, [fot]), async () => {
        await expect(vault.connect(alice).depositCollateral(fot, wad("100"), alice.address))
          .to.be.revertedWithCustomError(vault, "TransferAmountMismatch")
          .withArgs(await fot.getAddress(), wad("100"), wad("99"));
      });
    });
  });

  describe("withdrawCollateral", function () {
    it("sends the collateral to `to` and emits CollateralWithdrawn", async function () {
      const { vault, weth, alice, bob } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
      const tx = vault.connect(alice).withdrawCollateral(weth, wad("2"), bob.address);
      await expect(tx)
        .to.emit(vault, "CollateralWithdrawn")
        .withArgs(alice.address, bob.address, await weth.getAddress(), wad("2"));
      await expect(tx).to.changeTokenBalances(ethers, weth, [vault, bob], [-wad("2"), wad("2")]);
      expect(await vault.collateralOf(alice.address, weth)).to.equal(wad("3"));
    });

    it("type(uint256).max withdraws everything and the asset stops counting for the account", async function () {
      const { vault, weth, wbtc, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
      await vault.connect(alice).depositCollateral(wbtc, 10n ** 8n, alice.address);
      await expect(vault.connect(alice).withdrawCollateral(weth, MaxUint256, alice.address))
        .to.emit(vault, "CollateralWithdrawn")
        .withArgs(alice.address, alice.address, await weth.getAddress(), wad("5"));
      expect(await vault.collateralOf(alice.address, weth)).to.equal(0n);
      expect((await vault.accountLiquidity(alice.address)).collateralValue).to.equal(wad("60000"));
      await vault.connect(alice).withdrawCollateral(wbtc, MaxUint256, alice.address);
      expect((await vault.accountLiquidity(alice.address)).collateralValue).to.equal(0n);
    });

    it("reverts with ZeroAmount, ZeroAddress, AssetNotListed and InsufficientCollateral, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, weth, wbtc, usdc, borrower } = f;
      const wethAddress = await weth.getAddress();
      await expectUnchanged(marketState(f), async () => {
        const v = vault.connect(borrower);
        await expect(v.withdrawCollateral(weth, 0n, borrower.address)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
        await expect(v.withdrawCollateral(weth, 1n, ZeroAddress)).to.be.revertedWithCustomError(vault, "ZeroAddress");
        await expect(v.withdrawCollateral(usdc, 1n, borrower.address))
          .to.be.revertedWithCustomError(vault, "AssetNotListed")
          .withArgs(await usdc.getAddress());
        await expect(v.withdrawCollateral(weth, wad("300") + 1n, borrower.address))
          .to.be.revertedWithCustomError(vault, "InsufficientCollateral")
          .withArgs(wethAddress, wad("300"), wad("300") + 1n);
        await expect(v.withdrawCollateral(wbtc, MaxUint256, borrower.address))
          .to.be.revertedWithCustomError(vault, "InsufficientCollateral")
          .withArgs(await wbtc.getAddress(), 0n, 0n);
      });
    });

    it("reverts with BorrowLimitExceeded when the rest would not cover the debt, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, weth, borrower } = f;
      // 200 WETH left → limit 200 × 3000 × 0.8 = $480k < ~$500k debt.
      const debtBefore = await vault.debtOf(borrower.address);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(borrower).withdrawCollateral(weth, wad("100"), borrower.address))
          .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
          .withArgs(borrower.address, (v: bigint) => v >= usdValue(debtBefore), wad("480000"));
        await expect(vault.connect(borrower).withdrawCollateral(weth, MaxUint256, borrower.address))
          .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
          .withArgs(borrower.address, (v: bigint) => v >= usdValue(debtBefore), 0n);
      });
      // Keeping enough (290 WETH → $696k limit) is fine.
      await vault.connect(borrower).withdrawCollateral(weth, wad("10"), borrower.address);
      expect(await vault.collateralOf(borrower.address, weth)).to.equal(wad("290"));
    });

    it("without debt, withdraws all collateral even when the oracle reverts or prices it at 0", async function () {
      const { vault, weth, wbtc, oracle, owner, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("5"), alice.address);
      await vault.connect(alice).depositCollateral(wbtc, 10n ** 8n, alice.address);
      // Price 0 for WETH: the vault never asks.
      await oracle.setPrice(weth, 0n);
      await expect(vault.connect(alice).withdrawCollateral(weth, MaxUint256, alice.address)).to.changeTokenBalance(
        ethers,
        weth,
        alice,
        wad("5"),
      );
      // An oracle that reverts for every asset: still fine.
      const empty = await ethers.deployContract("MockPriceOracle");
      await vault.connect(owner).setPriceOracle(empty);
      await expect(vault.accountLiquidity(alice.address)).to.be.revertedWithCustomError(empty, "NoPrice");
      await expect(vault.connect(alice).withdrawCollateral(wbtc, MaxUint256, alice.address)).to.changeTokenBalance(
        ethers,
        wbtc,
        alice,
        10n ** 8n,
      );
      expect(await vault.collateralOf(alice.address, weth)).to.equal(0n);
      expect(await vault.collateralOf(alice.address, wbtc)).to.equal(0n);
    });

    it("with debt, a reverting oracle or a zero price blocks the withdrawal", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, weth, oracle, owner, borrower } = f;
      await oracle.setPrice(weth, 0n);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(borrower).withdrawCollateral(weth, 1n, borrower.address))
          .to.be.revertedWithCustomError(vault, "ZeroPrice")
          .withArgs(await weth.getAddress());
      });
      const empty = await ethers.deployContract("MockPriceOracle");
      await vault.connect(owner).setPriceOracle(empty);
      await expect(vault.connect(borrower).withdrawCollateral(weth, 1n, borrower.address))
        .to.be.revertedWithCustomError(empty, "NoPrice")
        .withArgs(await weth.getAddress());
    });
  });

  describe("borrow", function () {
    it("sends the base asset, books the debt and emits Borrowed", async function () {
      const { vault, usdc, weth, alice, bob } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address);
      const amount = usd("12000");
      const tx = vault.connect(alice).borrow(amount, bob.address);
      // Index is still RAY: scaled debt equals the amount.
      await expect(tx).to.emit(vault, "Borrowed").withArgs(alice.address, bob.address, amount, amount);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [vault, bob], [-amount, amount]);
      expect(await vault.debtOf(alice.address)).to.equal(amount);
      expect(await vault.debtOf(bob.address)).to.equal(0n);
      expect(await vault.totalDebt()).to.equal(amount);
      expect(await vault.cash()).to.equal(usd("1000000") - amount);
      expect(await vault.totalAssets()).to.equal(usd("1000000"));
    });

    it("reverts with ZeroAmount and ZeroAddress, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, borrower } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(borrower).borrow(0n, borrower.address)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
        await expect(vault.connect(borrower).borrow(1n, ZeroAddress)).to.be.revertedWithCustomError(
          vault,
          "ZeroAddress",
        );
      });
    });

    it("reverts with InsufficientLiquidity above the cash, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, weth, alice } = f;
      await vault.connect(alice).depositCollateral(weth, wad("1000"), alice.address);
      const cash = await vault.cash();
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).borrow(cash + 1n, alice.address))
          .to.be.revertedWithCustomError(vault, "InsufficientLiquidity")
          .withArgs(cash, cash + 1n);
      });
      // The whole cash can be borrowed.
      await vault.connect(alice).borrow(cash, alice.address);
      expect(await vault.cash()).to.equal(0n);
    });

    it("reverts with BorrowCapExceeded above the cap, and a cap of 0 stops all borrowing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, weth, owner, alice } = f;
      await vault.connect(alice).depositCollateral(weth, wad("100"), alice.address);
      await vault.connect(owner).setBorrowCap(usd("1000"));
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).borrow(usd("1000") + 1n, alice.address))
          .to.be.revertedWithCustomError(vault, "BorrowCapExceeded")
          .withArgs(usd("1000"), usd("1000") + 1n);
      });
      await vault.connect(alice).borrow(usd("1000"), alice.address);
      await vault.connect(owner).setBorrowCap(0n);
      await expect(vault.connect(alice).borrow(1n, alice.address))
        .to.be.revertedWithCustomError(vault, "BorrowCapExceeded")
        .withArgs(0n, (debtAfter: bigint) => debtAfter > usd("1000"));
    });

    it("reverts with BorrowLimitExceeded without collateral, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, alice } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).borrow(1n, alice.address))
          .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
          .withArgs(alice.address, usdValue(1n), 0n);
      });
    });

    it("borrowing exactly to the limit passes", async function () {
      const { vault, weth, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address); // $3000 × 0.8 = $2400
      await vault.connect(alice).borrow(usd("2400"), alice.address);
      const liq = await vault.accountLiquidity(alice.address);
      expect(liq.debtValue).to.equal(liq.borrowLimit);
      expect(liq.borrowLimit).to.equal(wad("2400"));
    });

    it("one unit above the limit reverts with BorrowLimitExceeded, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, weth, alice } = f;
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).borrow(usd("2400") + 1n, alice.address))
          .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
          .withArgs(alice.address, usdValue(usd("2400") + 1n), wad("2400"));
      });
      // Same boundary for a second borrow on top of the first.
      await vault.connect(alice).borrow(usd("2000"), alice.address);
      await expect(vault.connect(alice).borrow(usd("400") + 1n, alice.address))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(alice.address, (v: bigint) => v > wad("2400"), wad("2400"));
    });

    it("reverts with ZeroPrice when the collateral or the base asset is priced at 0, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, weth, usdc, oracle, alice } = f;
      await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address);
      await oracle.setPrice(weth, 0n);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).borrow(usd("100"), alice.address))
          .to.be.revertedWithCustomError(vault, "ZeroPrice")
          .withArgs(await weth.getAddress());
      });
      await oracle.setPrice(weth, wad("3000"));
      await oracle.setPrice(usdc, 0n);
      await expect(vault.connect(alice).borrow(usd("100"), alice.address))
        .to.be.revertedWithCustomError(vault, "ZeroPrice")
        .withArgs(await usdc.getAddress());
    });
  });

  describe("valuation", function () {
    it("several collaterals of one account are valued together", async function () {
      const { vault, weth, wbtc, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address); // $3000: limit 2400, LT 2550
      // WETH alone does not cover $6780.
      await expect(vault.connect(alice).borrow(usd("6780"), alice.address))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(alice.address, wad("6780"), wad("2400"));
      await vault.connect(alice).depositCollateral(wbtc, parseUnits("0.1", 8), alice.address); // $6000: 4380, 4680
      const liq = await vault.accountLiquidity(alice.address);
      expect(liq.collateralValue).to.equal(wad("9000"));
      expect(liq.borrowLimit).to.equal(wad("6780"));
      expect(liq.liquidationLimit).to.equal(wad("7230"));
      await vault.connect(alice).borrow(usd("6780"), alice.address);
      await expect(vault.connect(alice).borrow(1n, alice.address)).to.be.revertedWithCustomError(
        vault,
        "BorrowLimitExceeded",
      );
      // Dropping either collateral now breaks the limit.
      await expect(vault.connect(alice).withdrawCollateral(weth, 1n, alice.address)).to.be.revertedWithCustomError(
        vault,
        "BorrowLimitExceeded",
      );
      await expect(vault.connect(alice).withdrawCollateral(wbtc, 1n, alice.address)).to.be.revertedWithCustomError(
        vault,
        "BorrowLimitExceeded",
      );
    });

    it("values 0-, 8- and 18-decimal collateral by whole units", async function () {
      const { vault, lens, oracle, owner, weth, wbtc, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      const gold = await ethers.deployContract("MockERC20", ["Gold bar", "GOLD", 0]);
      await oracle.setPrice(gold, wad("2000"));
      await expect(vault.connect(owner).listCollateral(gold, config()))
        .to.emit(vault, "CollateralListed")
        .withArgs(await gold.getAddress(), 0n, [wad("0.5"), wad("0.6"), wad("0.05"), MaxUint256 >> 128n]);
      expect((await lens.collateralInfo(vault, gold))[1]).to.equal(0n);
      expect((await lens.collateralInfo(vault, weth))[1]).to.equal(18n);
      expect((await lens.collateralInfo(vault, wbtc))[1]).to.equal(8n);
      await gold.mint(alice.address, 3n);
      await gold.connect(alice).approve(vault, MaxUint256);

      await vault.connect(alice).depositCollateral(gold, 3n, alice.address);
      let liq = await vault.accountLiquidity(alice.address);
      expect(liq.collateralValue).to.equal(wad("6000"));
      expect(liq.borrowLimit).to.equal(wad("3000"));
      expect(liq.liquidationLimit).to.equal(wad("3600"));

      await vault.connect(alice).depositCollateral(weth, wad("1.5"), alice.address);
      liq = await vault.accountLiquidity(alice.address);
      expect(liq.collateralValue).to.equal(wad("10500"));
      expect(liq.borrowLimit).to.equal(wad("6600"));

      await vault.connect(alice).depositCollateral(wbtc, parseUnits("0.5", 8), alice.address);
      liq = await vault.accountLiquidity(alice.address);
      expect(liq.collateralValue).to.equal(wad("40500"));
      expect(liq.borrowLimit).to.equal(wad("6600") + wad("21900"));

      // The 0-decimal collateral alone backs exactly $3000.
      await vault.connect(alice).withdrawCollateral(weth, MaxUint256, alice.address);
      await vault.connect(alice).withdrawCollateral(wbtc, MaxUint256, alice.address);
      await vault.connect(alice).borrow(usd("3000"), alice.address);
      await expect(vault.connect(alice).withdrawCollateral(gold, 1n, alice.address))
        .to.be.revertedWithCustomError(vault, "BorrowLimitExceeded")
        .withArgs(alice.address, (v: bigint) => v >= wad("3000"), wad("2000"));
    });

    it("healthFactor is max uint with no debt, even with collateral; isLiquidatable is false", async function () {
      const { vault, lens, weth, alice, bob } = await networkHelpers.loadFixture(fundedMarketFixture);
      expect(await lens.healthFactor(vault, bob.address)).to.equal(MaxUint256);
      expect(await vault.isLiquidatable(bob.address)).to.equal(false);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      expect(await lens.healthFactor(vault, alice.address)).to.equal(MaxUint256);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);
    });

    // Regression: both views used to value every collateral first, so a debt-free account reverted (ZeroPrice or the
    // oracle's own error) instead of reading healthy when a price was unavailable.
    it("healthFactor is max uint and isLiquidatable false without debt even when prices are unavailable", async function () {
      const { vault, lens, weth, oracle, owner, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      await oracle.setPrice(weth, 0n);
      expect(await lens.healthFactor(vault, alice.address)).to.equal(MaxUint256);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);
      await vault.connect(owner).setPriceOracle(await ethers.deployContract("MockPriceOracle"));
      expect(await lens.healthFactor(vault, alice.address)).to.equal(MaxUint256);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);
    });

    it("a price drop takes healthFactor below 1e18 and makes the account liquidatable", async function () {
      const { vault, lens, weth, wbtc, oracle, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      await vault.connect(alice).depositCollateral(wbtc, parseUnits("0.1", 8), alice.address);
      await vault.connect(alice).borrow(usd("6780"), alice.address);
      const liq = await vault.accountLiquidity(alice.address);
      const hf = await lens.healthFactor(vault, alice.address);
      expect(hf).to.equal(mulDivDown(liq.liquidationLimit, WAD, liq.debtValue));
      expect(hf).to.be.greaterThan(WAD);
      expect(await vault.isLiquidatable(alice.address)).to.equal(false);

      await oracle.setPrice(weth, wad("2000"));
      await oracle.setPrice(wbtc, wad("50000"));
      // Liquidation limit 2000 × 0.85 + 5000 × 0.78 = 5600 < 6780.
      const after = await lens.healthFactor(vault, alice.address);
      expect(after).to.be.lessThan(WAD);
      expect(after).to.equal(mulDivDown(wad("5600"), WAD, (await vault.accountLiquidity(alice.address)).debtValue));
      expect(await vault.isLiquidatable(alice.address)).to.equal(true);
    });
  });

  describe("repay", function () {
    it("a partial repay lowers the debt by at most the amount and emits Repaid", async function () {
      const { vault, usdc, borrower } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const amount = usd("100000");
      const tx = vault.connect(borrower).repay(amount, borrower.address);
      await expect(tx)
        .to.emit(vault, "Repaid")
        .withArgs(borrower.address, borrower.address, amount, (scaled: bigint) => scaled > 0n && scaled <= amount);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [borrower, vault], [-amount, amount]);
      const debt = await vault.debtOf(borrower.address);
      expect(debt).to.be.greaterThan(usd("400000"));
      expect(debt).to.be.lessThan(usd("400100"));
    });

    it("repay(type(uint256).max) repays everything and leaves debtOf == 0", async function () {
      const { vault, lens, usdc, weth, borrower, owner } = await networkHelpers.loadFixture(borrowedMarketFixture);
      await networkHelpers.time.increase(30 * 24 * 3600);
      const before = await usdc.balanceOf(borrower.address);
      const cashBefore = await vault.cash();
      const receipt = await (await vault.connect(borrower).repay(MaxUint256, borrower.address)).wait();
      const paid = before - (await usdc.balanceOf(borrower.address));
      expect(paid).to.be.greaterThan(usd("500000"));
      const repaid = receipt?.logs
        .map((log) => vault.interface.parseLog(log))
        .find((parsed) => parsed?.name === "Repaid");
      expect(repaid?.args.amount).to.equal(paid);
      expect(await vault.debtOf(borrower.address)).to.equal(0n);
      expect(await vault.totalDebt()).to.equal(0n);
      expect(await vault.cash()).to.equal(cashBefore + paid);
      expect(await lens.healthFactor(vault, borrower.address)).to.equal(MaxUint256);
      // Debt-free: the collateral leaves even with a dead oracle.
      await vault.connect(owner).setPriceOracle(await ethers.deployContract("MockPriceOracle"));
      await vault.connect(borrower).withdrawCollateral(weth, MaxUint256, borrower.address);
      expect(await vault.collateralOf(borrower.address, weth)).to.equal(0n);
    });

    it("anyone can repay for someone else", async function () {
      const { vault, usdc, borrower, alice } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const borrowerBalance = await usdc.balanceOf(borrower.address);
      const tx = vault.connect(alice).repay(usd("1000"), borrower.address);
      await expect(tx)
        .to.emit(vault, "Repaid")
        .withArgs(alice.address, borrower.address, usd("1000"), (s: bigint) => s > 0n);
      await expect(tx).to.changeTokenBalance(ethers, usdc, alice, -usd("1000"));
      expect(await usdc.balanceOf(borrower.address)).to.equal(borrowerBalance);
      expect(await vault.debtOf(alice.address)).to.equal(0n);
      await vault.connect(alice).repay(MaxUint256, borrower.address);
      expect(await vault.debtOf(borrower.address)).to.equal(0n);
    });

    it("reverts with ZeroAmount, ZeroAddress and NoDebt, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, borrower, alice } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(borrower).repay(0n, borrower.address)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
        await expect(vault.connect(borrower).repay(1n, ZeroAddress)).to.be.revertedWithCustomError(
          vault,
          "ZeroAddress",
        );
        await expect(vault.connect(borrower).repay(1n, alice.address))
          .to.be.revertedWithCustomError(vault, "NoDebt")
          .withArgs(alice.address);
        await expect(vault.connect(borrower).repay(MaxUint256, alice.address))
          .to.be.revertedWithCustomError(vault, "NoDebt")
          .withArgs(alice.address);
      });
    });

    it("a repay of more than the debt repays the debt (issue 19, property 12): a 1-wei front-run cannot make it revert", async function () {
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, usdc, borrower, alice } = f;
      const debt = await vault.debtOf(borrower.address);
      // Someone repays 1 unit first: the borrower's exact repayment is now more than the debt.
      await usdc.mint(alice.address, 1n);
      await usdc.connect(alice).approve(vault, 1n);
      await vault.connect(alice).repay(1n, borrower.address);
      const left = await vault.debtOf(borrower.address);
      expect(left).to.be.lessThan(debt + 1n);
      const before = await usdc.balanceOf(borrower.address);
      await expect(vault.connect(borrower).repay(debt + 1n, borrower.address))
        .to.emit(vault, "Repaid")
        .withArgs(borrower.address, borrower.address, left, anyValue);
      expect(await vault.debtOf(borrower.address)).to.equal(0n);
      // Only the debt left was taken.
      expect(before - (await usdc.balanceOf(borrower.address))).to.equal(left);
    });
  });

  describe("interest", function () {
    it("accrues per the rate model: the index, debt, totalAssets and reserves grow exactly as computed", async function () {
      const { vault, lens, rateModel, borrower, alice } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const debt0 = await vault.totalDebt();
      const assets0 = await vault.totalAssets();
      const last = await lens.lastAccrual(vault);
      expect(await vault.borrowIndex()).to.equal(RAY);
      const rate = await rateModel.borrowRatePerSecond(await vault.cash(), debt0);
      expect(rate).to.equal(mulDivDown(wad("0.04"), wad("0.5"), wad("0.9")) / YEAR);

      const elapsed = YEAR + 1n;
      await networkHelpers.time.setNextBlockTimestamp(last + elapsed);
      const index = mulDivUp(RAY, compoundFactorUp(rate, elapsed), RAY);
      const debt1 = mulDivUp(usd("500000"), index, RAY);
      const interest = debt1 - debt0;
      const reserveIncrease = ceilDiv(interest * wad("0.1"), WAD);
      // The next interaction accrues and reports it.
      await expect(vault.connect(alice).deposit(usd("1"), alice.address))
        .to.emit(vault, "InterestAccrued")
        .withArgs(index, interest, reserveIncrease);
      expect(await lens.lastAccrual(vault)).to.equal(last + elapsed);
      expect(await vault.borrowIndex()).to.equal(index);
      expect(await vault.debtOf(borrower.address)).to.equal(debt1);
      expect(await vault.totalDebt()).to.equal(debt1);
      expect(await vault.reserves()).to.equal(reserveIncrease);
      expect(await vault.totalAssets()).to.equal(assets0 + usd("1") + interest - reserveIncrease);
      // About 2.22% APR continuously compounded over a year.
      expect(interest).to.be.greaterThan(usd("11200"));
      expect(interest).to.be.lessThan(usd("11250"));
    });

    it("views include interest not yet accrued on chain (INV-04: totalAssets = cash + debt − reserves)", async function () {
      const { vault, lens, rateModel, borrower } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const rate = await rateModel.borrowRatePerSecond(await vault.cash(), await vault.totalDebt());
      await networkHelpers.time.increase(90 * 24 * 3600);
      const elapsed = BigInt(await networkHelpers.time.latest()) - (await lens.lastAccrual(vault));
      expect(elapsed).to.equal(90n * 24n * 3600n);
      const index = mulDivUp(RAY, compoundFactorUp(rate, elapsed), RAY);
      const debt = mulDivUp(usd("500000"), index, RAY);
      const reserves = ceilDiv((debt - usd("500000")) * wad("0.1"), WAD);
      expect(await vault.borrowIndex()).to.equal(index);
      expect(await vault.debtOf(borrower.address)).to.equal(debt);
      expect(await vault.totalDebt()).to.equal(debt);
      expect(await vault.reserves()).to.equal(reserves);
      expect(await vault.totalAssets()).to.equal((await vault.cash()) + debt - reserves);
      expect((await vault.accountLiquidity(borrower.address)).debt).to.equal(debt);
    });

    it("reserves are the reserve factor's share of interest, within rounding, over many accruals", async function () {
      const { vault, borrower, alice } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const debt0 = await vault.totalDebt();
      let repaid = 0n;
      for (let i = 0; i < 12; i++) {
        await networkHelpers.time.increase(30 * 24 * 3600);
        await vault.connect(alice).deposit(usd("1"), alice.address);
        await vault.connect(borrower).repay(usd("10"), borrower.address);
        repaid += usd("10");
      }
      const interest = (await vault.totalDebt()) + repaid - debt0;
      const reserves = await vault.reserves();
      const expected = interest / 10n;
      // Each accrual rounds reserves up by < 1 unit and the total debt rounds by < 1 unit per step.
      expect(reserves).to.be.at.least(expected - 30n);
      expect(reserves).to.be.at.most(expected + 30n);
    });

    it("the share price never decreases over a full borrowing lifecycle (and the books stay backed)", async function () {
      const { vault, lens, usdc, owner, weth, borrower, lender, alice } =
        await networkHelpers.loadFixture(borrowedMarketFixture);
      let last = await sharePrice(vault);
      const check = async (): Promise<void> => {
        const now = await sharePrice(vault);
        expect(now).to.be.at.least(last);
        last = now;
        // INV-03: booked cash and collateral are held; INV-04: totalAssets = cash + debt − reserves.
        expect(await usdc.balanceOf(vault)).to.be.at.least(await vault.cash());
        expect(await weth.balanceOf(vault)).to.be.at.least((await lens.collateralInfo(vault, weth)).totalDeposited);
        expect(await vault.totalAssets()).to.equal(
          (await vault.cash()) + (await vault.totalDebt()) - (await vault.reserves()),
        );
      };
      await networkHelpers.time.increase(100 * 24 * 3600);
      await check();
      await vault.connect(borrower).borrow(usd("123456.654321"), borrower.address);
      await check();
      await vault.connect(borrower).repay(7n, borrower.address);
      await check();
      await vault.connect(alice).deposit(usd("3333.333333"), alice.address);
      await check();
      await networkHelpers.time.increase(7 * 24 * 3600);
      await vault.connect(lender).withdraw(usd("99999.999999"), lender.address, lender.address);
      await check();
      await vault.connect(owner).withdrawReserves(owner.address, (await vault.reserves()) / 2n);
      await check();
      await vault.connect(borrower).repay(MaxUint256, borrower.address);
      await check();
      await vault.connect(borrower).withdrawCollateral(weth, MaxUint256, borrower.address);
      await check();
      await vault.connect(lender).redeem(await vault.maxRedeem(lender.address), lender.address, lender.address);
      await check();
    });

    it("total debt ≤ Σ account debts < total debt + number of borrowers (INV-01), down to zero", async function () {
      const { vault, weth, borrower, alice, bob } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const borrowers = [borrower, alice, bob];
      await vault.connect(alice).depositCollateral(weth, wad("10"), alice.address);
      await vault.connect(bob).depositCollateral(weth, wad("10"), bob.address);
      await vault.connect(alice).borrow(usd("7777.777777"), alice.address);
      await networkHelpers.time.increase(12_345);
      await vault.connect(bob).borrow(usd("3.000001"), bob.address);
      const checkSum = async (): Promise<void> => {
        let sum = 0n;
        let active = 0n;
        for (const b of borrowers) {
          const d = await vault.debtOf(b.address);
          sum += d;
          if (d > 0n) active++;
        }
        const total = await vault.totalDebt();
        expect(total).to.be.at.most(sum);
        expect(sum).to.be.lessThan(total + active + 1n);
      };
      for (let i = 0; i < 3; i++) {
        await networkHelpers.time.increase(40 * 24 * 3600 + i);
        await checkSum();
        await vault.connect(alice).repay(usd("1.234567"), borrowers[i].address);
        await checkSum();
      }
      for (const b of borrowers) {
        await vault.connect(b).repay(MaxUint256, b.address);
        await checkSum();
      }
      expect(await vault.totalDebt()).to.equal(0n);
    });

    it("the vault caps the model's rate at MAX_BORROW_RATE_PER_SECOND", async function () {
      const { vault, lens, owner, alice } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const wild = await ethers.deployContract("KinkedRateModel", [wad("10"), wad("10"), wad("10"), wad("0.5")]);
      await vault.connect(owner).setInterestRateModel(wild);
      const cap = await lens.MAX_BORROW_RATE_PER_SECOND();
      expect(cap).to.equal(wad("10") / YEAR);
      expect(await wild.borrowRatePerSecond(await vault.cash(), await vault.totalDebt())).to.be.greaterThan(cap);
      const index0 = await vault.borrowIndex();
      const last = await lens.lastAccrual(vault);
      await networkHelpers.time.setNextBlockTimestamp(last + 86_400n);
      await vault.connect(alice).deposit(usd("1"), alice.address);
      expect(await vault.borrowIndex()).to.equal(mulDivUp(index0, compoundFactorUp(cap, 86_400n), RAY));
    });
  });

  describe("rounding favours the protocol", function () {
    it("borrowing 1 wei books at least 1 wei of debt (index at RAY)", async function () {
      const { vault, weth, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      await vault.connect(alice).borrow(1n, alice.address);
      expect(await vault.debtOf(alice.address)).to.be.at.least(1n);
      expect(await vault.totalDebt()).to.be.at.least(1n);
    });

    it("borrowing 1 wei after interest books at least 1 wei of debt (index above RAY)", async function () {
      const { vault, weth, alice } = await networkHelpers.loadFixture(frozenMarketFixture);
      expect(await vault.borrowIndex()).to.be.greaterThan(RAY);
      await vault.connect(alice).depositCollateral(weth, wad("1"), alice.address);
      const total = await vault.totalDebt();
      await expect(vault.connect(alice).borrow(1n, alice.address))
        .to.emit(vault, "Borrowed")
        .withArgs(alice.address, alice.address, 1n, 1n);
      expect(await vault.debtOf(alice.address)).to.be.at.least(1n);
      expect((await vault.totalDebt()) - total).to.be.at.least(1n);
    });

    it("tiny partial repays after interest never reduce debt by more than paid", async function () {
      const { vault, usdc, borrower } = await networkHelpers.loadFixture(frozenMarketFixture);
      const index = await vault.borrowIndex();
      expect(index).to.be.greaterThan(RAY);
      for (const amount of [1n, 2n, 3n, 5n, 10n, 99n, 1_000_001n]) {
        const debt = await vault.debtOf(borrower.address);
        const total = await vault.totalDebt();
        const assets = await vault.totalAssets();
        const balance = await usdc.balanceOf(borrower.address);
        await expect(vault.connect(borrower).repay(amount, borrower.address))
          .to.emit(vault, "Repaid")
          .withArgs(borrower.address, borrower.address, amount, mulDivDown(amount, RAY, index));
        expect(balance - (await usdc.balanceOf(borrower.address))).to.equal(amount);
        expect(debt - (await vault.debtOf(borrower.address))).to.be.at.most(amount);
        expect(total - (await vault.totalDebt())).to.be.at.most(amount);
        expect(await vault.totalAssets()).to.be.at.least(assets);
      }
      // 1 wei at an index above RAY burns no scaled debt at all.
      expect(mulDivDown(1n, RAY, index)).to.equal(0n);
    });
  });
});
