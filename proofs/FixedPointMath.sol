// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {FixedPointMath} from "../contracts/libraries/FixedPointMath.sol";

/// @notice Properties of the fixed-point library (contracts/libraries/FixedPointMath.sol) for the SMTChecker
///         (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`: proved for every input
///         whose products fit in 256 bits (the stated range; test/unit/MathDifferential.test.ts covers the rest
///         against a BigInt reference).

/// @notice INV-09's building block: wadMulDown and wadMulUp round the way their names say: Down is the largest q with
///         q × WAD ≤ x × y, Up is at least x × y / WAD and at most Down + 1.
contract FPM_WadMulRoundsAsNamed {
    function check(uint256 x, uint256 y) external pure {
        uint256 down = FixedPointMath.wadMulDown(x, y);
        uint256 up = FixedPointMath.wadMulUp(x, y);
        assert(down * 1e18 <= x * y && x * y < (down + 1) * 1e18);
        assert(up * 1e18 >= x * y && up <= down + 1);
    }
}

/// @notice INV-09's building block: wadDivDown is the largest q with q × y ≤ x × WAD (it divides the right way round,
///         and down), for any y > 0 (a zero divisor reverts in the real code, which the checker does not model:
///         proofs/fixtures/Refuted.sol, FIX_DivisionByZeroGoesOn).
contract FPM_WadDivRoundsDown {
    function check(uint256 x, uint256 y) external pure {
        require(y > 0);
        uint256 quotient = FixedPointMath.wadDivDown(x, y);
        assert(quotient * y <= x * 1e18 && x * 1e18 < (quotient + 1) * y);
    }
}
