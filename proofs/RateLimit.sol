// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {RateLimit} from "../contracts/libraries/RateLimit.sol";

/// @notice Properties of the outflow window's limit (contracts/libraries/RateLimit.sol) for the SMTChecker
///         (`npm run prove`). Sub-range: a 100% share (a symbolic share makes base × share non-linear). No property
///         here may read a window after a library call changed it: the checker does not carry changes an internal call
///         makes to a memory struct back to its caller (proofs/fixtures/Refuted.sol, FIX_MemoryStructThroughCall).

/// @notice The limit at a 100% share is the window's base, and a tight limit is never above it.
contract RL_LimitWithinBase {
    function check(uint112 base, bool tight) external pure {
        RateLimit.Window memory w;
        w.base = base;
        uint256 full = RateLimit.limit(w, 1e18, false);
        assert(full == base);
        assert(RateLimit.limit(w, 1e18, tight) <= full);
    }
}
