// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {LiquidationMath} from "../../contracts/libraries/LiquidationMath.sol";

/// @notice Fuzz tests of every math path of LiquidationMath: the incentive curve's bounds and monotonicity, the
///         repay-to-target formula against the health it produces, and the protocol-favouring rounding of seize,
///         repay and fee.
contract LiquidationMathFuzzTest is Test {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant MAX_BONUS = 0.2e18; // the vault's MAX_LIQUIDATION_BONUS

    function _curve(
        uint256 minShare,
        uint256 healthRamp,
        uint256 timeRamp
    ) internal pure returns (LiquidationMath.Curve memory) {
        return
            LiquidationMath.Curve(
                bound(minShare, 0, WAD),
                bound(healthRamp, 0.01e18, WAD),
                bound(timeRamp, 60, 1 days)
            );
    }

    // ----------------------------------------------------------------- incentive

    function testFuzz_incentive_withinMinShareAndMax(
        uint256 maxBonus,
        uint256 health,
        uint256 elapsed,
        uint256 minShare,
        uint256 healthRamp,
        uint256 timeRamp
    ) public pure {
        maxBonus = bound(maxBonus, 0, MAX_BONUS);
        health = bound(health, 0, 2 * WAD);
        elapsed = bound(elapsed, 0, 3650 days);
        LiquidationMath.Curve memory c = _curve(minShare, healthRamp, timeRamp);
        uint256 bonus = LiquidationMath.incentive(maxBonus, health, elapsed, c);
        assertLe(bonus, maxBonus, "never above the collateral's maximum");
        assertGe(bonus, (maxBonus * c.minShare) / WAD, "never below the minimum share");
    }

    function testFuzz_incentive_growsAsHealthFalls(
        uint256 maxBonus,
        uint256 h1,
        uint256 h2,
        uint256 elapsed,
        uint256 minShare,
        uint256 healthRamp,
        uint256 timeRamp
    ) public pure {
        maxBonus = bound(maxBonus, 0, MAX_BONUS);
        h1 = bound(h1, 0, WAD);
        h2 = bound(h2, h1, WAD); // h2 healthier
        elapsed = bound(elapsed, 0, 2 days);
        LiquidationMath.Curve memory c = _curve(minShare, healthRamp, timeRamp);
        assertGe(
            LiquidationMath.incentive(maxBonus, h1, elapsed, c),
            LiquidationMath.incentive(maxBonus, h2, elapsed, c)
        );
    }

    function testFuzz_incentive_growsWithTimeUntouched(
        uint256 maxBonus,
        uint256 health,
        uint256 t1,
        uint256 t2,
        uint256 minShare,
        uint256 healthRamp,
        uint256 timeRamp
    ) public pure {
        maxBonus = bound(maxBonus, 0, MAX_BONUS);
        health = bound(health, 0, WAD);
        t1 = bound(t1, 0, 2 days);
        t2 = bound(t2, t1, 2 days);
        LiquidationMath.Curve memory c = _curve(minShare, healthRamp, timeRamp);
        assertGe(
            LiquidationMath.incentive(maxBonus, health, t2, c),
            LiquidationMath.incentive(maxBonus, health, t1, c)
        );
        // Keeper liveness: once the time ramp has run, the bonus is at its maximum whatever the health.
        assertEq(LiquidationMath.incentive(maxBonus, health, c.timeRamp, c), maxBonus);
    }

    // ----------------------------------------------------------------- repay to target

    /// @dev Health after repaying `repayValue` and seizing repayValue × (1 + bonus) of collateral with `threshold`.
    function _healthAfter(
        uint256 debtValue,
        uint256 limit,
        uint256 repayValue,
        uint256 bonus,
        uint256 threshold
    ) internal pure returns (uint256) {
        uint256 lost = (((repayValue * (WAD + bonus)) / WAD) * threshold) / WAD;
        return ((limit - lost) * WAD) / (debtValue - repayValue);
    }

    function testFuzz_repayToTarget_restoresTarget(
        uint256 debtValue,
        uint256 health,
        uint256 target,
        uint256 bonus,
        uint256 threshold
    ) public pure {
        debtValue = bound(debtValue, 1e18, 1e30); // $1 to $1T
        threshold = bound(threshold, 0.1e18, 0.95e18);
        bonus = bound(bonus, 0, MAX_BONUS);
        vm.assume(((WAD + bonus) * threshold) / WAD < WAD); // INV-17, as the vault enforces at listing
        target = bound(target, WAD, 1.5e18);
        health = bound(health, 0.5e18, WAD - 1);
        uint256 limit = (debtValue * health) / WAD;

        uint256 repayValue = LiquidationMath.repayValueToTarget(debtValue, limit, target, bonus, threshold);
        uint256 drag = ((WAD + bonus) * threshold + WAD - 1) / WAD;
        if (repayValue >= debtValue) {
            // Only where partial liquidation cannot raise health (up to rounding at the boundary).
            assertLe(limit * WAD, (drag + 1e9) * debtValue, "full close only below (1 + bonus) x threshold");
            return;
        }
        // Seizing exactly the formula's amount reaches the target, up to the rounding of the inputs.
        uint256 after_ = _healthAfter(debtValue, limit, repayValue, bonus, threshold);
        assertGe(after_ + 1e9, target, "restores the target health");
        // And never lowers health: each partial liquidation leaves the account healthier (INV-14).
        assertGe(after_ + 1, health, "health does not fall");
    }

    function testFuzz_repayToTarget_isNotExcessive(
        uint256 debtValue,
        uint256 health,
        uint256 bonus,
        uint256 threshold
    ) public pure {
        debtValue = bound(debtValue, 1e20, 1e30);
        threshold = bound(threshold, 0.1e18, 0.95e18);
        bonus = bound(bonus, 0, MAX_BONUS);
        vm.assume(((WAD + bonus) * threshold) / WAD < WAD);
        uint256 target = 1.05e18;
        health = bound(health, 0.5e18, WAD - 1);
        uint256 limit = (debtValue * health) / WAD;
        uint256 repayValue = LiquidationMath.repayValueToTarget(debtValue, limit, target, bonus, threshold);
        vm.assume(repayValue < debtValue && repayValue > 1e12);
        // Repaying 0.01% less leaves the account below the target: the formula takes no more than it needs.
        uint256 less = repayValue - repayValue / 10_000;
        assertLt(_healthAfter(debtValue, limit, less, bonus, threshold), target);
    }

    function testFuzz_repayToTarget_zeroWhenAlreadyThere(
        uint256 debtValue,
        uint256 health,
        uint256 target
    ) public pure {
        debtValue = bound(debtValue, 1, 1e30);
        target = bound(target, WAD, 1.5e18);
        health = bound(health, target, 10 * WAD);
        uint256 limit = (debtValue * health) / WAD + 1;
        vm.assume((debtValue * target + WAD - 1) / WAD <= limit);
        assertEq(LiquidationMath.repayValueToTarget(debtValue, limit, target, 0.05e18, 0.8e18), 0);
    }

    function testFuzz_capForSolvency_closingASolventAccountCreatesNoBadDebt(
        uint256 bonus,
        uint256 collateralValue,
        uint256 debtValue
    ) public pure {
        bonus = bound(bonus, 0, MAX_BONUS);
        debtValue = bound(debtValue, 1, 1e33);
        collateralValue = bound(collateralValue, 0, 2 * debtValue);
        uint256 capped = LiquidationMath.capForSolvency(bonus, collateralValue, debtValue);
        assertLe(capped, bonus, "never raises the bonus");
        if (collateralValue >= debtValue) {
            // Seizing everything at the capped bonus repays the whole debt.
            assertGe(collateralValue * WAD, debtValue * (WAD + capped), "no bad debt from a solvent account");
        } else {
            assertEq(capped, bonus, "an insolvent account keeps its bonus");
        }
    }

    // ----------------------------------------------------------------- seize, repay, fee

    function testFuzz_seizeFor_neverAboveTheBonus(
        uint256 repay,
        uint256 basePrice,
        uint256 collateralPrice,
        uint8 baseDecimals,
        uint8 collateralDecimals,
        uint256 bonus
    ) public pure {
        baseDecimals = uint8(bound(baseDecimals, 0, 18));
        collateralDecimals = uint8(bound(collateralDecimals, 0, 18));
        repay = bound(repay, 0, 1e30);
        basePrice = bound(basePrice, 1e12, 1e24);
        collateralPrice = bound(collateralPrice, 1e9, 1e27);
        bonus = bound(bonus, 0, MAX_BONUS);
        uint256 seize = LiquidationMath.seizeFor(
            repay,
            basePrice,
            baseDecimals,
            collateralPrice,
            collateralDecimals,
            bonus
        );
        // The floor (INV-14): what the liquidator receives is worth at most the repaid value × (1 + bonus).
        uint256 seizedValue = LiquidationMath.valueDown(seize, collateralPrice, collateralDecimals);
        uint256 repaidValue = LiquidationMath.valueUp(repay, basePrice, baseDecimals);
        assertLe(seizedValue, (repaidValue * (WAD + bonus) + WAD - 1) / WAD);
    }

    function testFuzz_repayFor_paysAtLeastTheFloor(
        uint256 seize,
        uint256 basePrice,
        uint256 collateralPrice,
        uint8 baseDecimals,
        uint8 collateralDecimals,
        uint256 bonus
    ) public pure {
        baseDecimals = uint8(bound(baseDecimals, 0, 18));
        collateralDecimals = uint8(bound(collateralDecimals, 0, 18));
        seize = bound(seize, 0, 1e30);
        basePrice = bound(basePrice, 1e12, 1e24);
        collateralPrice = bound(collateralPrice, 1e9, 1e27);
        bonus = bound(bonus, 0, MAX_BONUS);
        uint256 repay = LiquidationMath.repayFor(
            seize,
            basePrice,
            baseDecimals,
            collateralPrice,
            collateralDecimals,
            bonus
        );
        // Paying `repay` for `seize` never gives more than the bonus: repaid value × (1 + bonus) ≥ seized value.
        uint256 seizedValue = LiquidationMath.valueDown(seize, collateralPrice, collateralDecimals);
        uint256 repaidValue = LiquidationMath.valueUp(repay, basePrice, baseDecimals);
        assertGe((repaidValue * (WAD + bonus) + WAD - 1) / WAD, seizedValue);
        // And the round trip favours the protocol: that repayment buys no more than `seize` back (rounding aside,
        // which only ever shrinks what is seized).
        assertLe(
            LiquidationMath.seizeFor(repay, basePrice, baseDecimals, collateralPrice, collateralDecimals, bonus),
            seize + LiquidationMath.seizeFor(1, basePrice, baseDecimals, collateralPrice, collateralDecimals, bonus) + 1
        );
    }

    function testFuzz_tinyLiquidationsCannotFarmRounding(
        uint256 repay,
        uint256 pieces,
        uint256 collateralPrice,
        uint256 bonus
    ) public pure {
        // USDC base ($1, 6 decimals) against an 18-decimal collateral.
        repay = bound(repay, 1, 1e15);
        pieces = bound(pieces, 2, 50);
        collateralPrice = bound(collateralPrice, 1e15, 1e24);
        bonus = bound(bonus, 0, MAX_BONUS);
        uint256 piece = repay / pieces;
        vm.assume(piece != 0);
        uint256 whole = LiquidationMath.seizeFor(piece * pieces, 1e18, 6, collateralPrice, 18, bonus);
        uint256 split = pieces * LiquidationMath.seizeFor(piece, 1e18, 6, collateralPrice, 18, bonus);
        assertLe(split, whole, "splitting a liquidation never seizes more");
        // Each piece also pays a fee of at least one unit whenever the bonus and fee share are positive.
        if (bonus != 0) assertGe(LiquidationMath.protocolFee(piece, bonus, 0.1e18), 1);
    }

    function testFuzz_protocolFee_roundsUp(uint256 repay, uint256 bonus, uint256 feeShare) public pure {
        repay = bound(repay, 0, 1e36);
        bonus = bound(bonus, 0, MAX_BONUS);
        feeShare = bound(feeShare, 0, 0.5e18);
        uint256 fee = LiquidationMath.protocolFee(repay, bonus, feeShare);
        assertGe(fee * WAD * WAD, repay * bonus * feeShare, "never below the exact fee");
        assertLe(fee, (repay * bonus) / WAD + 1, "never above the bonus");
    }
}
