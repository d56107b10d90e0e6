// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {LiquidationMath} from "../contracts/libraries/LiquidationMath.sol";

/// @notice Properties of the liquidation engine's arithmetic (contracts/libraries/LiquidationMath.sol) for the
///         SMTChecker (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved for
///         every input whose products fit in 256 bits (the stated range), any curve with minShare ≤ 100%.

/// @notice The repayment to a target health is 0 exactly when the account is at the target already, and "no partial
///         liquidation helps" (type(uint256).max) exactly when, below it, the target is at or under the drag
///         (1 + bonus) × threshold.
contract LIQ_RepayToTargetCases {
    function check(
        uint256 debtValue,
        uint256 liquidationLimit,
        uint256 target,
        uint256 bonus,
        uint256 threshold
    ) external pure {
        uint256 repay = LiquidationMath.repayValueToTarget(debtValue, liquidationLimit, target, bonus, threshold);
        uint256 want = (debtValue * target + 1e18 - 1) / 1e18;
        uint256 drag = ((1e18 + bonus) * threshold + 1e18 - 1) / 1e18;
        if (want <= liquidationLimit) assert(repay == 0);
        else if (target <= drag) assert(repay == type(uint256).max);
        else assert(repay > 0 && repay < type(uint256).max);
    }
}
