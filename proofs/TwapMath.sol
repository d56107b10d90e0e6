// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {TwapMath} from "../contracts/libraries/TwapMath.sol";

/// @notice Properties of the TWAP's mean tick (contracts/libraries/TwapMath.sol) for the SMTChecker (`npm run prove`),
///         one contract each, over any pair of tick cumulatives. Sub-range: a 30-minute window (a symbolic window
///         makes the division non-linear, and the checker does not settle it within a minute).

/// @notice The mean tick is the floor of the cumulative's change over the window (rounded towards −∞, as Uniswap's
///         oracle library does): mean × window ≤ Δ < (mean + 1) × window. A price never rounds up for token0.
contract TWAP_MeanTickIsFloor {
    function check(int56 cumulativeStart, int56 cumulativeEnd) external pure {
        int24 mean = TwapMath.meanTick(cumulativeStart, cumulativeEnd, 1800);
        int256 delta = int256(cumulativeEnd) - int256(cumulativeStart);
        int256 w = 1800;
        assert(int256(mean) * w <= delta && delta < (int256(mean) + 1) * w);
    }
}
