// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {RateLimit} from "../contracts/libraries/RateLimit.sol";
import {WindowHarness} from "./WindowHarness.sol";

/// @notice The outflow window's admission properties (contracts/libraries/RateLimit.sol), apart from RateLimit.sol:
///         z3's defaults give up on them within seconds; its newer arithmetic solver (the prover's second
///         configuration) proves them in about 5 s. Sub-range: a one-day window (WindowHarness.sol).

/// @notice Issue 11, property 9: an outflow (`x`) the window admits under a limit (`y`) is within the limit together
///         with the net outflow the window already counts (what `record` then adds it to). Read-only: see
///         RateLimit.sol on reading a window after a call changed it.
contract RL_AdmittedOutflowWithinLimit is WindowHarness {
    function property(RateLimit.Window memory w, uint256 amount, uint256 limit_) internal view override {
        // amount > 0: nothing always fits, even where use is above a limit that has shrunk (`fits`).
        require(amount > 0 && amount <= uint256(uint112(type(int112).max)) && limit_ < 2 ** 255);
        if (RateLimit.fits(w, LENGTH, amount, limit_))
            assert(RateLimit.net(w, LENGTH) + int256(amount) <= int256(limit_));
    }
}

/// @notice `fits(x)` under a limit `y` holds exactly when x ≤ `room(y)`: the room a monitor reads is what the vault
///         lets out.
contract RL_FitsExactlyRoom is WindowHarness {
    function property(RateLimit.Window memory w, uint256 amount, uint256 limit_) internal view override {
        assert(RateLimit.fits(w, LENGTH, amount, limit_) == (amount <= RateLimit.room(w, LENGTH, limit_)));
    }
}
