// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {RateLimit} from "../contracts/libraries/RateLimit.sol";

/// @notice Properties of the outflow window's limit (contracts/libraries/RateLimit.sol) for the SMTChecker
///         (`npm run prove`). Sub-range: shares of 1%, 25% (the shipped one) and 100% (a symbolic share makes
///         base × share non-linear). No property here may read a window after a library call changed it: the checker
///         does not carry changes an internal call makes to a memory struct back to its caller
///         (proofs/fixtures/Refuted.sol, FIX_MemoryStructThroughCall).

/// @notice The limit never exceeds the window's base at a 1%, 25% or 100% share (and is the base at 100%), and a
///         tight limit is never above the normal one.
contract RL_LimitWithinBase {
    function check(uint112 base, bool tight) external pure {
        RateLimit.Window memory w;
        w.base = base;
        assert(RateLimit.limit(w, 1e18, false) == base);
        assert(RateLimit.limit(w, 0.25e18, false) <= base && RateLimit.limit(w, 0.01e18, false) <= base);
        assert(RateLimit.limit(w, 0.25e18, tight) <= RateLimit.limit(w, 0.25e18, false));
    }
}
