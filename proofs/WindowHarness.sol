// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// `require` states a precondition the model checker assumes.
// solhint-disable gas-custom-errors

import {RateLimit} from "../contracts/libraries/RateLimit.sol";

/// @notice The outflow window harness of RateLimit.sol and RateLimitWindow.sol: an arbitrary window started at or
///         before now, and two arbitrary amounts, handed to the contract's property. The window's length is one day
///         (the shipped default; a symbolic length makes the bucket division non-linear).
abstract contract WindowHarness {
    uint256 internal constant LENGTH = 1 days;

    /// @notice Builds the window from its fields and checks the contract's property of it with `x` and `y`.
    function check(
        int112 current,
        uint112 base,
        int112 previous,
        int112 older,
        uint32 start,
        uint256 x,
        uint256 y
    ) external view {
        require(block.timestamp >= start);
        property(RateLimit.Window(current, base, 0, previous, older, start), x, y);
    }

    function property(RateLimit.Window memory w, uint256 x, uint256 y) internal view virtual;
}
