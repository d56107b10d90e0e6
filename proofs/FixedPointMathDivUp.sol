// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {FixedPointMath} from "../contracts/libraries/FixedPointMath.sol";

/// @notice wadDivUp for the SMTChecker (`npm run prove`), compiled with proofs/spec/Math.sol for OpenZeppelin's
///         `Math`. Not settled within the time limit, so not in CI (test/fuzz/FixedPointMath.t.sol and
///         test/unit/MathDifferential.test.ts check it).

/// @notice INV-09's building block: wadDivUp is at least x × WAD / y and at most wadDivDown + 1, for any y > 0.
contract FPM_WadDivRoundsUp {
    function check(uint256 x, uint256 y) external pure {
        require(y > 0);
        uint256 up = FixedPointMath.wadDivUp(x, y);
        assert(up * y >= x * 1e18 && up <= FixedPointMath.wadDivDown(x, y) + 1);
    }
}
