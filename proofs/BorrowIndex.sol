// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {FixedPointMath} from "../contracts/libraries/FixedPointMath.sol";

/// @notice The borrow index's growth (contracts/libraries/FixedPointMath.sol, as InterestAccrual applies it) for the
///         SMTChecker (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved for
///         every index, rate and time whose products fit in 256 bits (the stated range).

/// @notice INV-06: the borrow index never decreases: an accrual multiplies it by the compound factor, rounded up,
///         and that factor is at least 1 + rate × time (every Taylor term is non-negative and rounded up).
contract FPM_IndexNeverDecreases {
    function check(uint256 index, uint256 ratePerSecond, uint256 elapsed) external pure {
        uint256 factor = FixedPointMath.compoundFactorUp(ratePerSecond, elapsed);
        assert(factor >= 1e27 + ratePerSecond * elapsed * 1e9);
        assert(FixedPointMath.mulDivUp(index, factor, 1e27) >= index);
    }
}
