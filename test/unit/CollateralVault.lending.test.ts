import { expect } from "chai";
import { MaxUint256, ZeroAddress } from "ethers";
import { network } from "hardhat";

import { deployCollateralVault } from "../../scripts/lib/vaultLibraries.js";

import {
  RAY,
  borrowedMarketFixture,
  emptyMarketFixture,
  expectUnchanged,
  frozenMarketFixture,
  fundedMarketFixture,
  marketState,
  sharePrice,
  usd,
  wad,
} from "./helpers/vault.js";
import type { MarketFixture } from "./helpers/vault.js";

const { ethers, networkHelpers } = await network.create();

/** Constructor arguments of a vault over `base`, with the market's oracle and rate model unless overridden. */
async function vaultArgs(
  f: MarketFixture,
  overrides: { base?: string; oracle?: string; rateModel?: string; reserveFactor?: bigint; owner?: string } = {},
): Promise<[string, string, string, string, string, bigint, bigint, string]> {
  return [
    overrides.base ?? (await f.usdc.getAddress()),
    "Test Vault",
    "tv",
    overrides.oracle ?? (await f.oracle.getAddress()),
    overrides.rateModel ?? (await f.rateModel.getAddress()),
    overrides.reserveFactor ?? wad("0.1"),
    usd("1000"),
    overrides.owner ?? f.owner.address,
  ];
}

describe("CollateralVault: lending (ERC-4626 side)", function () {
  describe("deployment", function () {
    it("stores its parameters and starts with an empty book", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const { vault, lens } = f;
      expect(await vault.name()).to.equal("Bulwark USDC");
      expect(await vault.symbol()).to.equal("bwUSDC");
      expect(await vault.asset()).to.equal(await f.usdc.getAddress());
      expect(await vault.owner()).to.equal(f.owner.address);
      expect(await lens.parameters(vault)).to.deep.equal([
        await f.oracle.getAddress(),
        await f.rateModel.getAddress(),
        wad("0.1"),
        usd("100000000"),
      ]);
      expect(await vault.borrowIndex()).to.equal(RAY);
      expect(await vault.totalAssets()).to.equal(0n);
      expect(await vault.totalDebt()).to.equal(0n);
      expect(await vault.cash()).to.equal(0n);
      expect(await vault.reserves()).to.equal(0n);
      expect(await vault.collateralAssets()).to.deep.equal([await f.weth.getAddress(), await f.wbtc.getAddress()]);
    });

    it("gives shares 6 + 6 = 12 decimals over USDC (virtual offset)", async function () {
      const { vault } = await networkHelpers.loadFixture(emptyMarketFixture);
      expect(await vault.decimals()).to.equal(12n);
    });

    it("reverts with ZeroAddress for a zero oracle or rate model", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      await expect(
        deployCollateralVault(ethers, await vaultArgs(f, { oracle: ZeroAddress })),
      ).to.be.revertedWithCustomError(f.vault, "ZeroAddress");
      await expect(
        deployCollateralVault(ethers, await vaultArgs(f, { rateModel: ZeroAddress })),
      ).to.be.revertedWithCustomError(f.vault, "ZeroAddress");
    });

    it("reverts with ReserveFactorTooHigh above 50% and accepts exactly 50%", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const max = await f.lens.MAX_RESERVE_FACTOR();
      expect(max).to.equal(wad("0.5"));
      await expect(deployCollateralVault(ethers, await vaultArgs(f, { reserveFactor: max + 1n })))
        .to.be.revertedWithCustomError(f.vault, "ReserveFactorTooHigh")
        .withArgs(max + 1n, max);
      const ok = await deployCollateralVault(ethers, await vaultArgs(f, { reserveFactor: max }));
      expect((await f.lens.parameters(ok)).reserveFactor).to.equal(max);
    });

    it("reverts with UnsupportedDecimals for a 19-decimal base asset and for one without decimals()", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const t19 = await ethers.deployContract("MockERC20", ["Nineteen", "T19", 19]);
      await expect(deployCollateralVault(ethers, await vaultArgs(f, { base: await t19.getAddress() })))
        .to.be.revertedWithCustomError(f.vault, "UnsupportedDecimals")
        .withArgs(await t19.getAddress(), 19n);
      const noDecimals = await ethers.deployContract("NoDecimalsERC20");
      await expect(deployCollateralVault(ethers, await vaultArgs(f, { base: await noDecimals.getAddress() })))
        .to.be.revertedWithCustomError(f.vault, "UnsupportedDecimals")
        .withArgs(await noDecimals.getAddress(), MaxUint256);
    });

    it("accepts 0- and 18-decimal base assets (shares get 6 and 24 decimals)", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      for (const decimals of [0n, 18n]) {
        const token = await ethers.deployContract("MockERC20", ["Base", "B", decimals]);
        const v = await deployCollateralVault(ethers, await vaultArgs(f, { base: await token.getAddress() }));
        expect(await v.decimals()).to.equal(decimals + 6n);
      }
    });

    it("reverts with OwnableInvalidOwner for a zero owner", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      await expect(deployCollateralVault(ethers, await vaultArgs(f, { owner: ZeroAddress })))
        .to.be.revertedWithCustomError(f.vault, "OwnableInvalidOwner")
        .withArgs(ZeroAddress);
    });
  });

  describe("deposit and mint", function () {
    it("mints 1e6 shares per base unit on the first deposit and books the cash", async function () {
      const { vault, usdc, lender, alice } = await networkHelpers.loadFixture(emptyMarketFixture);
      const amount = usd("1000");
      const tx = vault.connect(lender).deposit(amount, alice.address);
      await expect(tx)
        .to.emit(vault, "Deposit")
        .withArgs(lender.address, alice.address, amount, amount * 10n ** 6n);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [lender, vault], [-amount, amount]);
      expect(await vault.balanceOf(alice.address)).to.equal(amount * 10n ** 6n);
      expect(await vault.balanceOf(lender.address)).to.equal(0n);
      expect(await vault.cash()).to.equal(amount);
      expect(await vault.totalAssets()).to.equal(amount);
    });

    it("mint takes previewMint assets (rounded up) and mints exactly the shares asked", async function () {
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, usdc, alice } = f;
      const shares = 123_456_789_123n;
      const assets = await vault.previewMint(shares);
      expect(assets).to.be.greaterThan(0n);
      // Rounded up: never less than the floor value of those shares.
      expect(assets).to.be.at.least(await vault.convertToAssets(shares));
      const tx = vault.connect(alice).mint(shares, alice.address);
      await expect(tx).to.emit(vault, "Deposit").withArgs(alice.address, alice.address, assets, shares);
      await expect(tx).to.changeTokenBalance(ethers, usdc, alice, -assets);
      expect(await vault.balanceOf(alice.address)).to.equal(shares);
    });

    it("reverts with ZeroAmount for deposit(0) and mint(0), changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, alice } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).deposit(0n, alice.address)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
        await expect(vault.connect(alice).mint(0n, alice.address)).to.be.revertedWithCustomError(vault, "ZeroAmount");
      });
    });

    it("reverts with ERC20InvalidReceiver for a zero receiver, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, alice } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).deposit(usd("1"), ZeroAddress))
          .to.be.revertedWithCustomError(vault, "ERC20InvalidReceiver")
          .withArgs(ZeroAddress);
      });
    });

    it("reverts with TransferAmountMismatch when the base asset takes a fee on transfer", async function () {
      const f = await networkHelpers.loadFixture(emptyMarketFixture);
      const fot = await ethers.deployContract("FeeOnTransferERC20");
      const fotVault = await deployCollateralVault(ethers, await vaultArgs(f, { base: await fot.getAddress() }));
      await fot.mint(f.alice.address, wad("1000"));
      await fot.connect(f.alice).approve(fotVault, MaxUint256);
      const read = async (): Promise<bigint[]> => [
        await fot.balanceOf(f.alice.address),
        await fot.balanceOf(fotVault),
        await fotVault.totalAssets(),
        await fotVault.totalSupply(),
        await fotVault.cash(),
      ];
      await expectUnchanged(read, async () => {
        await expect(fotVault.connect(f.alice).deposit(wad("100"), f.alice.address))
          .to.be.revertedWithCustomError(fotVault, "TransferAmountMismatch")
          .withArgs(await fot.getAddress(), wad("100"), wad("99"));
        const shares = wad("100") * 10n ** 6n;
        await expect(fotVault.connect(f.alice).mint(shares, f.alice.address))
          .to.be.revertedWithCustomError(fotVault, "TransferAmountMismatch")
          .withArgs(await fot.getAddress(), wad("100"), wad("99"));
      });
    });
  });

  describe("withdraw and redeem", function () {
    it("withdraw sends the assets, burns previewWithdraw shares and emits Withdraw", async function () {
      const { vault, usdc, lender, alice } = await networkHelpers.loadFixture(fundedMarketFixture);
      const assets = usd("250000");
      const shares = await vault.previewWithdraw(assets);
      const tx = vault.connect(lender).withdraw(assets, alice.address, lender.address);
      await expect(tx)
        .to.emit(vault, "Withdraw")
        .withArgs(lender.address, alice.address, lender.address, assets, shares);
      await expect(tx).to.changeTokenBalances(ethers, usdc, [vault, alice], [-assets, assets]);
      expect(await vault.cash()).to.equal(usd("750000"));
      expect(await vault.balanceOf(lender.address)).to.equal(usd("750000") * 10n ** 6n);
    });

    it("redeem of all shares returns the whole deposit when nothing is lent", async function () {
      const { vault, usdc, lender } = await networkHelpers.loadFixture(fundedMarketFixture);
      const shares = await vault.balanceOf(lender.address);
      await expect(vault.connect(lender).redeem(shares, lender.address, lender.address)).to.changeTokenBalance(
        ethers,
        usdc,
        lender,
        usd("1000000"),
      );
      expect(await vault.totalSupply()).to.equal(0n);
      expect(await vault.totalAssets()).to.equal(0n);
    });

    it("reverts with ZeroAmount for withdraw(0) and redeem(0), changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, lender } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(lender).withdraw(0n, lender.address, lender.address)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
        await expect(vault.connect(lender).redeem(0n, lender.address, lender.address)).to.be.revertedWithCustomError(
          vault,
          "ZeroAmount",
        );
      });
    });

    it("reverts with ZeroAddress for a zero receiver, changing nothing", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, lender } = f;
      await expectUnchanged(marketState(f), async () => {
        await expect(
          vault.connect(lender).withdraw(usd("1"), ZeroAddress, lender.address),
        ).to.be.revertedWithCustomError(vault, "ZeroAddress");
        await expect(
          vault.connect(lender).redeem(10n ** 12n, ZeroAddress, lender.address),
        ).to.be.revertedWithCustomError(vault, "ZeroAddress");
      });
    });

    it("a third party needs an allowance to withdraw for the owner, and spends it", async function () {
      const f = await networkHelpers.loadFixture(fundedMarketFixture);
      const { vault, usdc, lender, alice } = f;
      const assets = usd("100");
      const shares = await vault.previewWithdraw(assets);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(alice).withdraw(assets, alice.address, lender.address))
          .to.be.revertedWithCustomError(vault, "ERC20InsufficientAllowance")
          .withArgs(alice.address, 0n, shares);
      });
      await vault.connect(lender).approve(alice.address, shares);
      await expect(vault.connect(alice).withdraw(assets, alice.address, lender.address)).to.changeTokenBalance(
        ethers,
        usdc,
        alice,
        assets,
      );
      expect(await vault.allowance(lender.address, alice.address)).to.equal(0n);
    });

    it("caps maxWithdraw and maxRedeem at the cash when funds are lent out", async function () {
      const { vault, lender } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const cash = await vault.cash();
      expect(cash).to.equal(usd("500000"));
      expect(await vault.maxWithdraw(lender.address)).to.equal(cash);
      const maxRedeem = await vault.maxRedeem(lender.address);
      expect(maxRedeem).to.be.lessThan(await vault.balanceOf(lender.address));
      expect(await vault.previewRedeem(maxRedeem)).to.be.at.most(cash);
    });

    it("reverts with ERC4626ExceededMaxWithdraw when a lender asks for more than the cash", async function () {
      const f = await networkHelpers.loadFixture(borrowedMarketFixture);
      const { vault, lender } = f;
      const cash = await vault.cash();
      const claim = await vault.convertToAssets(await vault.balanceOf(lender.address));
      expect(claim).to.be.greaterThan(cash);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(lender).withdraw(cash + 1n, lender.address, lender.address))
          .to.be.revertedWithCustomError(vault, "ERC4626ExceededMaxWithdraw")
          .withArgs(lender.address, cash + 1n, cash);
        await expect(vault.connect(lender).withdraw(usd("1000000"), lender.address, lender.address))
          .to.be.revertedWithCustomError(vault, "ERC4626ExceededMaxWithdraw")
          .withArgs(lender.address, usd("1000000"), cash);
      });
      // Exactly the cash still goes through.
      await vault.connect(lender).withdraw(cash, lender.address, lender.address);
      expect(await vault.cash()).to.equal(0n);
    });

    it("reverts with ERC4626ExceededMaxRedeem when a lender redeems more than the cash covers", async function () {
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, lender } = f;
      const shares = await vault.balanceOf(lender.address);
      const maxRedeem = await vault.maxRedeem(lender.address);
      expect(maxRedeem).to.be.lessThan(shares);
      await expectUnchanged(marketState(f), async () => {
        await expect(vault.connect(lender).redeem(shares, lender.address, lender.address))
          .to.be.revertedWithCustomError(vault, "ERC4626ExceededMaxRedeem")
          .withArgs(lender.address, shares, maxRedeem);
      });
      await vault.connect(lender).redeem(maxRedeem, lender.address, lender.address);
      expect(await vault.cash()).to.be.lessThan(usd("0.000002"));
    });
  });

  describe("round trips never pay out more than was put in", function () {
    // Share price after a year of interest, frozen: about 1.01 USDC per 1e12 shares, so rounding bites.
    const amounts = [1n, 7n, 999_999n, usd("1"), usd("123456.789012")];

    it("the frozen market has a non-trivial share price", async function () {
      const { vault } = await networkHelpers.loadFixture(frozenMarketFixture);
      expect(await sharePrice(vault)).to.be.greaterThan(10n ** 24n);
      expect(await vault.totalAssets()).to.be.greaterThan(usd("1000000"));
    });

    for (const amount of amounts) {
      it(`redeem(deposit(${amount})) ≤ ${amount}`, async function () {
        const { vault, usdc, alice } = await networkHelpers.loadFixture(frozenMarketFixture);
        const shares = await vault.connect(alice).deposit.staticCall(amount, alice.address);
        await vault.connect(alice).deposit(amount, alice.address);
        expect(await vault.balanceOf(alice.address)).to.equal(shares);
        if ((await vault.previewRedeem(shares)) === 0n) {
          // The shares are worth less than one base unit: redeeming them reverts rather than paying out 0.
          await expect(vault.connect(alice).redeem(shares, alice.address, alice.address)).to.be.revertedWithCustomError(
            vault,
            "ZeroAmount",
          );
          return;
        }
        const before = await usdc.balanceOf(alice.address);
        await vault.connect(alice).redeem(shares, alice.address, alice.address);
        const out = (await usdc.balanceOf(alice.address)) - before;
        expect(out).to.be.at.most(amount);
        expect(amount - out).to.be.at.most(1n);
      });

      it(`withdraw(${amount}) burns at least the shares deposit(${amount}) minted`, async function () {
        const { vault, alice } = await networkHelpers.loadFixture(frozenMarketFixture);
        await vault.connect(alice).deposit(usd("1000000"), alice.address);
        const minted = await vault.previewDeposit(amount);
        const burned = await vault.previewWithdraw(amount);
        expect(burned).to.be.at.least(minted);
        const sharesBefore = await vault.balanceOf(alice.address);
        await vault.connect(alice).withdraw(amount, alice.address, alice.address);
        expect(sharesBefore - (await vault.balanceOf(alice.address))).to.equal(burned);
      });
    }

    it("redeem(mint(s)) returns at most the assets mint took", async function () {
      const { vault, usdc, alice } = await networkHelpers.loadFixture(frozenMarketFixture);
      for (const shares of [1n, 999_999n, 10n ** 12n + 1n, 987_654_321_987_654n]) {
        const b0 = await usdc.balanceOf(alice.address);
        await vault.connect(alice).mint(shares, alice.address);
        const b1 = await usdc.balanceOf(alice.address);
        const paid = b0 - b1;
        expect(paid).to.be.greaterThan(0n); // even 1 share costs a whole base unit (rounded up)
        if ((await vault.previewRedeem(shares)) === 0n) {
          await expect(vault.connect(alice).redeem(shares, alice.address, alice.address)).to.be.revertedWithCustomError(
            vault,
            "ZeroAmount",
          );
          continue;
        }
        await vault.connect(alice).redeem(shares, alice.address, alice.address);
        const received = (await usdc.balanceOf(alice.address)) - b1;
        expect(received).to.be.at.most(paid);
      }
    });

    it("the share price never decreases through deposits, mints, withdrawals and redemptions", async function () {
      const { vault, alice, bob } = await networkHelpers.loadFixture(frozenMarketFixture);
      let last = await sharePrice(vault);
      const check = async (): Promise<void> => {
        const now = await sharePrice(vault);
        expect(now).to.be.at.least(last);
        last = now;
      };
      for (const amount of [1n, 3n, 1_000_001n, usd("777.777777"), usd("50000")]) {
        await vault.connect(alice).deposit(amount, alice.address);
        await check();
        await vault.connect(bob).mint(amount * 997n, bob.address);
        await check();
        const withdrawable = await vault.maxWithdraw(alice.address);
        if (withdrawable > 0n) {
          await vault.connect(alice).withdraw(withdrawable / 2n + 1n, alice.address, alice.address);
          await check();
        }
        const bobShares = await vault.balanceOf(bob.address);
        if ((await vault.previewRedeem(bobShares)) > 0n) {
          await vault.connect(bob).redeem(bobShares, bob.address, bob.address);
          await check();
        }
      }
    });
  });

  describe("donations and the first-depositor attack", function () {
    it("a direct USDC or collateral transfer is booked neither as cash nor as collateral", async function () {
      const { vault, lens, usdc, weth, borrower, attacker } = await networkHelpers.loadFixture(borrowedMarketFixture);
      const cash = await vault.cash();
      const deposited = (await lens.collateralInfo(vault, weth)).totalDeposited;
      const borrowerCollateral = await vault.collateralOf(borrower.address, weth);
      await usdc.connect(attacker).transfer(vault, usd("1000000"));
      await weth.connect(attacker).transfer(vault, wad("100"));
      expect(await vault.cash()).to.equal(cash);
      expect((await lens.collateralInfo(vault, weth)).totalDeposited).to.equal(deposited);
      expect(await vault.collateralOf(borrower.address, weth)).to.equal(borrowerCollateral);
      expect(await vault.collateralOf(attacker.address, weth)).to.equal(0n);
      expect(await usdc.balanceOf(vault)).to.equal(cash + usd("1000000"));
      expect(await weth.balanceOf(vault)).to.equal(deposited + wad("100"));
    });

    it("with rates frozen, a donation leaves every lender- and borrower-facing number identical", async function () {
      const f = await networkHelpers.loadFixture(frozenMarketFixture);
      const { vault, lens, usdc, weth, wbtc, borrower, attacker, lender } = f;
      const read = async (): Promise<unknown[]> => [
        await vault.totalAssets(),
        await vault.cash(),
        await sharePrice(vault),
        await vault.previewDeposit(usd("1000")),
        await vault.previewRedeem(10n ** 18n),
        await vault.maxWithdraw(lender.address),
        await vault.maxRedeem(lender.address),
        await vault.accountLiquidity(borrower.address),
        await lens.healthFactor(vault, borrower.address),
        await vault.collateralOf(attacker.address, weth),
        await vault.collateralOf(attacker.address, wbtc),
        (await lens.collateralInfo(vault, weth)).totalDeposited,
        await vault.totalDebt(),
        await vault.reserves(),
      ];
      const before = await read();
      await usdc.connect(attacker).transfer(vault, usd("1000000"));
      await weth.connect(attacker).transfer(vault, wad("100"));
      await wbtc.connect(attacker).transfer(vault, 10n ** 8n);
      expect(await read()).to.deep.equal(before);
    });

    it("first-depositor inflation attack: the victim still gets fair shares", async function () {
      const { vault, usdc, attacker, alice } = await networkHelpers.loadFixture(emptyMarketFixture);
      // Attacker opens the vault with 1 wei and donates 1M USDC straight to it.
      await vault.connect(attacker).deposit(1n, attacker.address);
      const fairShares = await vault.previewDeposit(usd("1000"));
      await usdc.connect(attacker).transfer(vault, usd("1000000"));

      const deposit = usd("1000");
      await vault.connect(alice).deposit(deposit, alice.address);
      const shares = await vault.balanceOf(alice.address);
      // Within 0.0001% of the fair share count (here exactly equal: donations are not booked).
      const diff = shares > fairShares ? shares - fairShares : fairShares - shares;
      expect(diff * 1_000_000n).to.be.at.most(fairShares);
      expect(shares).to.be.greaterThan(0n);
      const value = await vault.previewRedeem(shares);
      expect(value * 1_000_000n).to.be.at.least(deposit * 999_999n);
      // The attacker cannot pull the donation back out.
      expect(await vault.maxWithdraw(attacker.address)).to.be.at.most(1n);
      await vault.connect(alice).redeem(shares, alice.address, alice.address);
      expect(await usdc.balanceOf(alice.address)).to.be.at.least(usd("10000000") - 1n);
    });
  });
});
