// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {KinkedRateModel} from "../contracts/core/KinkedRateModel.sol";

/// @notice Properties of the interest rate curve (contracts/core/KinkedRateModel.sol) for the SMTChecker
///         (`npm run prove`), over any curve its constructor accepts (kink strictly inside (0, 1), each APR ≤ 1000%)
///         and any cash and debt. Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved wherever the
///         products fit in 256 bits (the stated range).

/// @notice Utilisation never exceeds 100%, and the borrow APR never exceeds base + slope1 + slope2 (the contract's
///         stated bound, ≤ 3 × MAX_APR): no cash and debt figures make the curve run away.
contract KRM_RateWithinMax is KinkedRateModel {
    constructor(
        uint256 base,
        uint256 slope1,
        uint256 slope2,
        uint256 kink_
    ) KinkedRateModel(base, slope1, slope2, kink_) {}

    function check(uint256 cash, uint256 debt) external view {
        assert(utilization(cash, debt) <= 1e18);
        assert(borrowApr(cash, debt) <= baseApr + slope1Apr + slope2Apr);
    }
}
