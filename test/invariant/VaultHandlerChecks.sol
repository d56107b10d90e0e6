// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICollateralVault} from "../../contracts/interfaces/ICollateralVault.sol";
import {ILiquidationEngine} from "../../contracts/interfaces/ILiquidationEngine.sol";
import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";
import {MockERC20} from "../../deploy/mocks/MockERC20.sol";
import {LiquidationMath} from "../../contracts/libraries/LiquidationMath.sol";
import {VaultStorage} from "../../contracts/libraries/VaultStorage.sol";
import {InvariantsSpec} from "./InvariantsSpec.sol";
import {VaultHandlerBase} from "./VaultHandlerBase.sol";

/// @notice VaultHandler's checks around liquidations and supply caps: what an account looked like before a
///         liquidation and what must hold after it (no dust, the provision kept, the ramp standing still while
///         liquidations were stopped, both bounds of a doubt), and the bound on units added past a cap.
abstract contract VaultHandlerChecks is VaultHandlerBase {
    /// @dev What the vault's cover bound on a top-up past a supply cap should say, recomputed here from raw reads.
    struct Bound {
        uint256 room; // units that still fit under the cap
        bool fits; // the holding past the cap backs at most twice the debt
        bool near; // within rounding of the bound: either answer is right
        bool unknownPrice; // a price the bound needs is FAILED: refused with PriceNotOk
    }

    function _overCapBound(
        address actor,
        MockERC20 token,
        uint256 amount,
        uint256 total,
        uint256 cap
    ) internal view returns (Bound memory b) {
        b.room = cap > total ? cap - total : 0;
        IPriceOracle.Price memory price = oracle.getPrice(address(token));
        IPriceOracle.Price memory base = oracle.getPrice(address(usdc));
        if (price.status == IPriceOracle.Status.FAILED || base.status == IPriceOracle.Status.FAILED) {
            b.unknownPrice = true;
            return b;
        }
        // As CollateralBook.addPastCap counts it: a top-up that takes the asset past its cap from within it starts a
        // new cap epoch, voiding every earlier entry (the account's own included); one made above the cap adds to the
        // account's entry of the current epoch.
        uint256 past = total <= cap ? amount - b.room : VaultStorage.overCapOf(vault, actor, address(token)) + amount;
        (, uint256 threshold) = vault.riskParams(address(token));
        uint256 coverValue = (((past * price.high) / 10 ** token.decimals()) * threshold) / 1e18;
        uint256 most = (2 * vault.debtOf(actor) * base.low) / 1e6;
        b.fits = coverValue <= most;
        uint256 gap = coverValue > most ? coverValue - most : most - coverValue;
        b.near = gap <= most / 1_000 + 1e12;
    }

    /// @dev Property 6: a top-up past the cap raises the borrow limit by no more than the units that fit under it lend.
    function _checkPastCapLendsNothing(address actor, MockERC20 token, uint256 room, uint256 limitBefore) internal {
        IPriceOracle.Price memory price = oracle.getPrice(address(token));
        (uint256 ltv, ) = vault.riskParams(address(token));
        uint256 most = limitBefore + (((room * price.low) / 10 ** token.decimals()) * ltv) / 1e18 + 1e9;
        uint256 limitAfter = vault.accountLiquidity(actor).borrowLimit;
        if (limitAfter > most) _fail("units past a supply cap lend", limitAfter - limitBefore);
    }

    /// @dev What a liquidation post-condition compares, read before the call.
    struct Before {
        ICollateralVault.AccountLiquidity liq;
        bool liquidatable;
        bool atBothBounds;
        bool doubted;
        bool unhealthyOnBorrowSide;
        uint256 held;
        uint256 payerBase;
        uint256 receiverCollateral;
        uint256 badDebt;
        uint256 flaggedAt;
        uint256 flaggedHealth;
    }

    function _before(address borrower, address liquidator, MockERC20 token) internal view returns (Before memory b) {
        b.liq = vault.liquidationView(borrower, address(0)).liq;
        ICollateralVault.AccountLiquidity memory borrowSide = vault.accountLiquidity(borrower);
        b.unhealthyOnBorrowSide = borrowSide.debt != 0 && borrowSide.debtValue > borrowSide.liquidationLimit;
        (b.atBothBounds, b.doubted) = _liquidatableAtBothBounds(borrower);
        b.liquidatable = vault.isLiquidatable(borrower);
        b.held = vault.collateralOf(borrower, address(token));
        b.payerBase = usdc.balanceOf(liquidator);
        b.receiverCollateral = token.balanceOf(liquidator);
        b.badDebt = vault.badDebt();
        b.flaggedAt = engine.flaggedAt(borrower);
        b.flaggedHealth = engine.flaggedHealth(borrower);
    }

    function _afterLiquidation(
        address borrower,
        address liquidator,
        MockERC20 token,
        Before memory b,
        ILiquidationEngine.Quote memory q
    ) internal {
        if (!b.liquidatable) _fail(InvariantsSpec.INV_13_ONLY_LIQUIDATABLE, q.repay);
        if (!b.atBothBounds) _fail(InvariantsSpec.INV_13_DOUBTED_PRICE, q.repay);
        _checkRamp(token, b, q);
        // The liquidator paid exactly repay + fee and received exactly `seize`.
        if (b.payerBase - usdc.balanceOf(liquidator) != q.repay + q.fee) _fail(InvariantsSpec.INV_14_BONUS_BOUND, 1);
        if (token.balanceOf(liquidator) - b.receiverCollateral != q.seize) _fail(InvariantsSpec.INV_14_BONUS_BOUND, 2);
        ghostBaseIn += q.repay + q.fee;
        ghostCollateralOut[address(token)] += q.seize;

        // The floor, at the bounds that favour the borrower (collateral at its high, the base at its low): at any price
        // a doubt allows, never more than the collateral's maximum bonus.
        (ICollateralVault.CollateralConfig memory cfg, uint8 decimals, ) = lens.collateralInfo(vault, address(token));
        uint256 seizedValue = (q.seize * oracle.getPrice(address(token)).high) / 10 ** decimals;
        uint256 repaidValue = (q.repay * oracle.getPrice(address(usdc)).low + 1e6 - 1) / 1e6;
        if (seizedValue > (repaidValue * (1e18 + cfg.liquidationBonus) + 1e18 - 1) / 1e18) {
            _fail(InvariantsSpec.INV_14_BONUS_BOUND, seizedValue);
        }

        // A write-off, unless the dust remainder was closed at no loss (no bad debt: the account keeps its surplus).
        if (q.writeOff && vault.badDebt() != b.badDebt) {
            uint256 amount = vault.badDebt() - b.badDebt;
            ghostBadDebt += amount;
            _sweptAll(borrower);
            // A solvent account is never liquidated into bad debt beyond a dust remainder ($100 = 100e6 units).
            if (b.liq.collateralValue >= b.liq.debtValue && amount > 100e6) {
                _fail(InvariantsSpec.INV_16_SOLVENT_NOT_WRITTEN_OFF, amount);
            }
        }
        uint256 debtAfter = vault.debtOf(borrower);
        _checkNoDust(borrower, debtAfter, b.liq.debt, q);
        if (debtAfter != 0) _checkProvisionKept(borrower, debtAfter);
        bool closed = debtAfter == 0 || vault.collateralOf(borrower, address(token)) == 0;
        if (!closed) {
            ICollateralVault.AccountLiquidity memory a = vault.liquidationView(borrower, address(0)).liq;
            // health after ≥ health before ⇔ limitAfter × debtValueBefore ≥ limitBefore × debtValueAfter
            if (a.liquidationLimit * b.liq.debtValue < b.liq.liquidationLimit * a.debtValue) {
                _fail(InvariantsSpec.INV_14_HEALTHIER_OR_CLOSED, a.debtValue);
            }
        }
        if (debtAfter != 0 && !holdsCollateral(borrower))
            _fail(InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL, debtAfter);
    }

    /// @dev Property 2: a liquidation that leaves debt leaves at least the account's shortfall (debt beyond what its
    ///      collateral covers at the liquidation side's prices, recomputed here from the vault's view after it) booked
    ///      as its provision, so the share price never rises on a loss nobody recovered. Two base units, plus one per
    ///      1,000 USDC of shortfall, absorb the difference between the engine's and the view's roundings. Skipped at
    ///      an unknown price (no shortfall can be stated there).
    function _checkProvisionKept(address borrower, uint256 debtAfter) internal {
        ICollateralVault.LiquidationView memory view_ = vault.liquidationView(borrower, address(0));
        if (view_.basePrice.status == IPriceOracle.Status.FAILED) return;
        if (view_.liq.priceStatus == IPriceOracle.Status.FAILED) return;
        uint256 covered = (view_.liq.collateralValue * 1e6) / view_.basePrice.low;
        if (debtAfter <= covered) return;
        uint256 shortfall = debtAfter - covered;
        insolventAfterLiquidation += 1;
        if (lens.provisionOf(vault, borrower) + shortfall / 1e9 + 2 < shortfall) {
            _fail(InvariantsSpec.INV_06_PROVISION_KEPT, shortfall);
        }
    }

    /// @dev Property 4 (INV-15): after a liquidation the account owes nothing, or owes and holds each at least the
    ///      dust minimum (at the liquidation side's prices, less a billionth of a dollar for rounding), or it is the
    ///      documented exception: a solvent remainder that free reserves (not earmarked for provisions) cannot pay.
    function _checkNoDust(
        address borrower,
        uint256 debtAfter,
        uint256 debtBefore,
        ILiquidationEngine.Quote memory q
    ) internal {
        if (debtAfter == 0) {
            if (q.repay < debtBefore && vault.badDebt() == _lastBadDebt) remaindersClosed += 1;
            return;
        }
        uint256 dust = engine.params().dustValue;
        ICollateralVault.AccountLiquidity memory a = vault.liquidationView(borrower, address(0)).liq;
        if (a.priceStatus == IPriceOracle.Status.FAILED) return; // valued at no price: nothing to compare
        if (a.collateralValue + 1e9 >= dust && a.debtValue + 1e9 >= dust) return;
        uint256 reserves = vault.reserves();
        // What earmarks reserves, as the engine counts it: every provision but this account's own.
        uint256 provisions = lens.totalProvision(vault) - lens.provisionOf(vault, borrower);
        bool payable_ = reserves >= provisions && reserves - provisions >= debtAfter;
        if (payable_ && _oneHoldingCovers(borrower, a.debtValue)) _fail(InvariantsSpec.INV_15_NO_DUST, debtAfter);
        remaindersLeft += 1;
    }

    /// @dev Whether one holding of `account` with a usable price is worth `value` at its price's `high`.
    function _oneHoldingCovers(address account, uint256 value) internal view returns (bool) {
        for (uint256 i; i < _collaterals.length; ++i) {
            address token = address(_collaterals[i]);
            uint256 held = vault.collateralOf(account, token);
            IPriceOracle.Price memory read = oracle.getPrice(token);
            if (held == 0 || read.status == IPriceOracle.Status.FAILED) continue;
            (, uint8 decimals, ) = lens.collateralInfo(vault, token);
            if ((held * read.high) / 10 ** decimals >= value) return true;
        }
        return false;
    }

    /// @dev Property 7: the bonus paid is at most the curve's at the quoted health with the ramp counted from the flag
    ///      or from the last moment the handler saw this liquidation stopped, whichever is later.
    function _checkRamp(MockERC20 token, Before memory b, ILiquidationEngine.Quote memory q) internal {
        uint256 flaggedAt = b.flaggedAt;
        uint256 from = flaggedAt;
        if (_stopSeenAt[address(token)] > from) from = _stopSeenAt[address(token)];
        // The sequencer never stops the liquidation of an account flagged below emergencyHealth.
        bool emergency = b.flaggedHealth < engine.params().emergencyHealth;
        if (_sequencerStopSeenAt > from && !emergency) from = _sequencerStopSeenAt;
        uint256 elapsed = flaggedAt == 0 || block.timestamp <= from ? 0 : block.timestamp - from;
        if (flaggedAt != 0 && from > flaggedAt) liquidationsAcrossStops += 1;
        ILiquidationEngine.Params memory p = engine.params();
        (ICollateralVault.CollateralConfig memory cfg, , ) = lens.collateralInfo(vault, address(token));
        uint256 most = LiquidationMath.incentive(
            cfg.liquidationBonus,
            q.health,
            elapsed,
            LiquidationMath.Curve(p.minBonusShare, p.healthRamp, p.timeRamp)
        );
        if (q.bonus > most) _fail(InvariantsSpec.INV_28_RAMP_STANDS_STILL, q.bonus);
    }

    /// @dev INV-13 under doubted prices, recomputed here from balances and raw reads, not from the vault's views:
    ///      whether `account` is liquidatable with every collateral at its price's `high` (a FAILED one at the oracle's
    ///      ceiling: the engine's rule) and its debt at the base's `low`; and whether any of those reads is a doubt
    ///      (DEGRADED with `low` < `high`). A margin of 1e9 (a billionth of a dollar) absorbs the vault's roundings.
    function _liquidatableAtBothBounds(address account) internal view returns (bool liquidatable, bool doubted) {
        uint256 debt = vault.debtOf(account);
        IPriceOracle.Price memory base = oracle.getPrice(address(usdc));
        if (debt == 0 || base.status == IPriceOracle.Status.FAILED) return (false, false);
        doubted = base.low < base.high;
        uint256 limit;
        for (uint256 i; i < _collaterals.length; ++i) {
            address token = address(_collaterals[i]);
            uint256 held = vault.collateralOf(account, token);
            if (held == 0) continue;
            IPriceOracle.Price memory read = oracle.getPrice(token);
            if (read.low < read.high) doubted = true;
            uint256 unitPrice = read.status == IPriceOracle.Status.FAILED ? oracle.priceCeiling(token) : read.high;
            (, uint8 decimals, ) = lens.collateralInfo(vault, token);
            (, uint256 threshold) = vault.riskParams(token);
            limit += (((held * unitPrice) / 10 ** decimals) * threshold) / 1e18;
        }
        uint256 debtValue = (debt * base.low + 1e6 - 1) / 1e6;
        liquidatable = debtValue + 1e9 > limit;
    }

    /// @dev After a write-off: the account holds nothing; what it held is the protocol's now.
    function _sweptAll(address account) internal {
        for (uint256 i; i < _collaterals.length; ++i) {
            if (vault.collateralOf(account, address(_collaterals[i])) != 0) {
                _fail(InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL, i);
            }
        }
        if (vault.debtOf(account) != 0) _fail(InvariantsSpec.INV_16_NO_DEBT_WITHOUT_COLLATERAL, 0);
    }
}
