// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "../../contracts/libraries/FixedPointMath.sol";
import {LiquidationMath} from "../../contracts/libraries/LiquidationMath.sol";
import {TwapMath} from "../../contracts/libraries/TwapMath.sol";

/// @notice Exposes the math libraries' functions one to one, for the BigInt differential test
///         (test/unit/MathDifferential.test.ts). Test helper only.
contract MathLibrariesHarness {
    /// @notice `FixedPointMath.mulDivDown(x, y, d)`.
    function mulDivDown(uint256 x, uint256 y, uint256 d) external pure returns (uint256) {
        return FixedPointMath.mulDivDown(x, y, d);
    }

    /// @notice `FixedPointMath.mulDivUp(x, y, d)`.
    function mulDivUp(uint256 x, uint256 y, uint256 d) external pure returns (uint256) {
        return FixedPointMath.mulDivUp(x, y, d);
    }

    /// @notice The four WAD helpers of `FixedPointMath` at once: wadMulDown, wadMulUp, wadDivDown, wadDivUp.
    function wad(uint256 x, uint256 y) external pure returns (uint256, uint256, uint256, uint256) {
        return (
            FixedPointMath.wadMulDown(x, y),
            FixedPointMath.wadMulUp(x, y),
            FixedPointMath.wadDivDown(x, y),
            FixedPointMath.wadDivUp(x, y)
        );
    }

    /// @notice `FixedPointMath.compoundFactorUp(rate, elapsed)`.
    function compoundFactorUp(uint256 rate, uint256 elapsed) external pure returns (uint256) {
        return FixedPointMath.compoundFactorUp(rate, elapsed);
    }

    /// @notice `FixedPointMath.sqrtWadDown(x)`.
    function sqrtWadDown(uint256 x) external pure returns (uint256) {
        return FixedPointMath.sqrtWadDown(x);
    }

    /// @notice `LiquidationMath.incentive`.
    function incentive(
        uint256 maxBonus,
        uint256 health,
        uint256 elapsed,
        LiquidationMath.Curve calldata curve
    ) external pure returns (uint256) {
        return LiquidationMath.incentive(maxBonus, health, elapsed, curve);
    }

    /// @notice `LiquidationMath.capForSolvency`.
    function capForSolvency(uint256 bonus, uint256 collateralValue, uint256 debtValue) external pure returns (uint256) {
        return LiquidationMath.capForSolvency(bonus, collateralValue, debtValue);
    }

    /// @notice `LiquidationMath.repayValueToTarget`.
    function repayValueToTarget(
        uint256 debtValue,
        uint256 liquidationLimit,
        uint256 target,
        uint256 bonus,
        uint256 threshold
    ) external pure returns (uint256) {
        return LiquidationMath.repayValueToTarget(debtValue, liquidationLimit, target, bonus, threshold);
    }

    /// @notice `LiquidationMath.seizeFor` and `repayFor` at the same prices: the collateral for `repay`, and the
    ///         repayment for `seize`.
    function seizeAndRepay(
        uint256 repay,
        uint256 seize,
        uint256 basePrice,
        uint8 baseDecimals,
        uint256 collateralPrice,
        uint8 collateralDecimals,
        uint256 bonus
    ) external pure returns (uint256 seized, uint256 repaid) {
        seized = LiquidationMath.seizeFor(repay, basePrice, baseDecimals, collateralPrice, collateralDecimals, bonus);
        repaid = LiquidationMath.repayFor(seize, basePrice, baseDecimals, collateralPrice, collateralDecimals, bonus);
    }

    /// @notice `LiquidationMath.protocolFee`.
    function protocolFee(uint256 repay, uint256 bonus, uint256 feeShare) external pure returns (uint256) {
        return LiquidationMath.protocolFee(repay, bonus, feeShare);
    }

    /// @notice `TwapMath.meanTick`.
    function meanTick(int56 cumulativeStart, int56 cumulativeEnd, uint32 window) external pure returns (int24) {
        return TwapMath.meanTick(cumulativeStart, cumulativeEnd, window);
    }
}
