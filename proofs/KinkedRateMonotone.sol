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

/// @notice The borrow APR is non-decreasing in utilisation (the contract's stated invariant): of two markets on the
///         same curve, the more utilised never pays less. Each APR is rounded down on its own.
contract KRM_RateMonotone is KinkedRateModel {
    constructor(
        uint256 base,
        uint256 slope1,
        uint256 slope2,
        uint256 kink_
    ) KinkedRateModel(base, slope1, slope2, kink_) {}

    function check(uint256 cash1, uint256 debt1, uint256 cash2, uint256 debt2) external view {
        require(utilization(cash1, debt1) <= utilization(cash2, debt2));
        assert(borrowApr(cash1, debt1) <= borrowApr(cash2, debt2));
    }
}
