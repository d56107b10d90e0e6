// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors, gas-calldata-parameters

import {LiquidationMath} from "../contracts/libraries/LiquidationMath.sol";

/// @notice Properties of the liquidation engine's arithmetic (contracts/libraries/LiquidationMath.sol) for the
///         SMTChecker (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved for
///         every input whose products fit in 256 bits (the stated range), any curve with minShare ≤ 100%.

/// @notice INV-14: the incentive never exceeds the collateral's maximum bonus, whatever the health, the time since
///         the account was flagged and the curve.
contract LIQ_IncentiveWithinMax {
    function check(
        uint256 maxBonus,
        uint256 health,
        uint256 elapsed,
        LiquidationMath.Curve memory curve
    ) external pure {
        require(curve.minShare <= 1e18);
        assert(LiquidationMath.incentive(maxBonus, health, elapsed, curve) <= maxBonus);
    }
}

/// @notice The incentive never falls below the curve's minimum share of the maximum bonus (rounded down): an account
///         that has only just become liquidatable still pays enough to be closed.
contract LIQ_IncentiveAtLeastMin {
    function check(
        uint256 maxBonus,
        uint256 health,
        uint256 elapsed,
        LiquidationMath.Curve memory curve
    ) external pure {
        require(curve.minShare <= 1e18);
        assert(LiquidationMath.incentive(maxBonus, health, elapsed, curve) >= (maxBonus * curve.minShare) / 1e18);
    }
}
