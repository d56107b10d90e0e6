// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors, gas-calldata-parameters

import {LiquidationMath} from "../contracts/libraries/LiquidationMath.sol";

/// @notice Properties of the liquidation engine's arithmetic (contracts/libraries/LiquidationMath.sol) for the
///         SMTChecker (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved for
///         every input whose products fit in 256 bits (the stated range), any curve with minShare ≤ 100%.

/// @notice The incentive is monotone in time: an account left unliquidated longer never pays a smaller bonus.
contract LIQ_IncentiveMonotoneInTime {
    function check(
        uint256 maxBonus,
        uint256 health,
        uint256 earlier,
        uint256 later,
        LiquidationMath.Curve memory curve
    ) external pure {
        require(curve.minShare <= 1e18 && earlier <= later);
        assert(
            LiquidationMath.incentive(maxBonus, health, later, curve) >=
                LiquidationMath.incentive(maxBonus, health, earlier, curve)
        );
    }
}
