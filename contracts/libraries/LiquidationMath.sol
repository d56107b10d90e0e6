// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "./FixedPointMath.sol";

/// @title LiquidationMath
/// @notice The liquidation engine's arithmetic, pure so it can be fuzzed on its own. Values are USD WAD, ratios WAD,
///         amounts in token base units. Every function names its rounding, always against the liquidator:
///         collateral out rounds down, base in rounds up.
library LiquidationMath {
    using FixedPointMath for uint256;

    uint256 internal constant WAD = 1e18;

    /// @notice Shape of the incentive: what share of an asset's maximum bonus a liquidation earns.
    /// @param minShare Share paid to an account that has only just become liquidatable (WAD).
    /// @param healthRamp Fall in health factor below 1 over which the share climbs to 100% (WAD).
    /// @param timeRamp Seconds since an account was flagged over which the share climbs to 100%.
    struct Curve {
        uint256 minShare;
        uint256 healthRamp;
        uint256 timeRamp;
    }

    /// @notice The bonus a liquidation earns now: maxBonus × min(1, minShare + (1 − minShare) × urgency), where
    ///         urgency = (1 − health) / healthRamp + elapsed / timeRamp. It grows as health falls and as an
    ///         unhealthy account is left untouched, and never exceeds `maxBonus`. Rounded down.
    /// @param maxBonus The collateral's maximum bonus (WAD).
    /// @param health The account's health factor (WAD, < 1 when liquidatable).
    /// @param elapsed Seconds since the account was flagged (0 when it was not).
    function incentive(
        uint256 maxBonus,
        uint256 health,
        uint256 elapsed,
        Curve memory curve
    ) internal pure returns (uint256) {
        uint256 urgency = health < WAD ? (WAD - health).wadDivDown(curve.healthRamp) : 0;
        if (urgency < WAD) urgency += elapsed.mulDivDown(WAD, curve.timeRamp);
        if (urgency > WAD) urgency = WAD;
        uint256 share = curve.minShare + (WAD - curve.minShare).wadMulDown(urgency);
        return maxBonus.wadMulDown(share);
    }

    /// @notice `bonus`, cut so that closing a solvent account cannot make it insolvent: (1 + bonus) × debtValue ≤
    ///         collateralValue whenever collateralValue ≥ debtValue. An insolvent account keeps the full bonus (its
    ///         loss is certain already; the bonus is what gets it closed). Rounded down.
    function capForSolvency(uint256 bonus, uint256 collateralValue, uint256 debtValue) internal pure returns (uint256) {
        if (collateralValue < debtValue || debtValue == 0) return bonus;
        uint256 room = collateralValue.mulDivDown(WAD, debtValue) - WAD;
        return bonus < room ? bonus : room;
    }

    /// @notice Debt value to repay, seizing one collateral at `bonus`, for the account's health to reach `target`:
    ///         (target × debtValue − liquidationLimit) / (target − (1 + bonus) × threshold). Rounded up, so the
    ///         target is reached. Returns 0 when the account is already at the target, and type(uint256).max when
    ///         no partial liquidation of this collateral can raise health (target ≤ (1 + bonus) × threshold).
    ///         The result is ≥ debtValue exactly when health ≤ (1 + bonus) × threshold: below that point every
    ///         partial liquidation lowers health, and only closing the debt is allowed.
    /// @param debtValue The account's debt value.
    /// @param liquidationLimit Σ collateral value × threshold.
    /// @param target Health factor to restore (WAD, ≥ 1).
    /// @param bonus The bonus this liquidation pays (WAD).
    /// @param threshold The seized collateral's liquidation threshold (WAD).
    function repayValueToTarget(
        uint256 debtValue,
        uint256 liquidationLimit,
        uint256 target,
        uint256 bonus,
        uint256 threshold
    ) internal pure returns (uint256) {
        uint256 want = debtValue.wadMulUp(target);
        if (want <= liquidationLimit) return 0;
        uint256 drag = (WAD + bonus).wadMulUp(threshold);
        if (target <= drag) return type(uint256).max;
        return (want - liquidationLimit).mulDivUp(WAD, target - drag);
    }

    /// @notice Value of `amount` units of a token at `price` (WAD USD per whole token), rounded down.
    function valueDown(uint256 amount, uint256 price, uint8 decimals) internal pure returns (uint256) {
        return amount.mulDivDown(price, 10 ** decimals);
    }

    /// @notice Value of `amount` units of a token at `price`, rounded up.
    function valueUp(uint256 amount, uint256 price, uint8 decimals) internal pure returns (uint256) {
        return amount.mulDivUp(price, 10 ** decimals);
    }

    /// @notice Collateral units a liquidator receives for repaying `repay` base units: the repaid value (base at
    ///         `basePrice`) × (1 + bonus), in collateral at `collateralPrice`. Rounded down.
    function seizeFor(
        uint256 repay,
        uint256 basePrice,
        uint8 baseDecimals,
        uint256 collateralPrice,
        uint8 collateralDecimals,
        uint256 bonus
    ) internal pure returns (uint256) {
        uint256 value = valueDown(repay, basePrice, baseDecimals).wadMulDown(WAD + bonus);
        return value.mulDivDown(10 ** collateralDecimals, collateralPrice);
    }

    /// @notice Base units a liquidator must repay to receive `seize` collateral units: the inverse of `seizeFor`,
    ///         rounded up.
    function repayFor(
        uint256 seize,
        uint256 basePrice,
        uint8 baseDecimals,
        uint256 collateralPrice,
        uint8 collateralDecimals,
        uint256 bonus
    ) internal pure returns (uint256) {
        uint256 value = valueUp(seize, collateralPrice, collateralDecimals).mulDivUp(WAD, WAD + bonus);
        return value.mulDivUp(10 ** baseDecimals, basePrice);
    }

    /// @notice The protocol's fee on a liquidation: `feeShare` of the bonus on `repay`, in base units, rounded up.
    function protocolFee(uint256 repay, uint256 bonus, uint256 feeShare) internal pure returns (uint256) {
        return repay.mulDivUp(bonus.wadMulUp(feeShare), WAD);
    }
}
