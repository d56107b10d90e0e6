// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {LossLedger} from "../contracts/core/LossLedger.sol";

/// @notice What a release of recovered gains still holds back from `totalAssets` (`LossLedger.heldBack`, INV-06: no
///         instant gain), for the SMTChecker (`npm run prove`), over any release (uint128 amount, any start before
///         now, any end). The checker has one block time per call: "later" is the same release shifted `dt` earlier.

/// @notice INV-06: a release never holds back more than its amount, and nothing once it has ended.
contract LOSS_HeldBackWithinRelease {
    function check(uint128 amount, uint64 start, uint64 end) external view {
        require(start <= block.timestamp);
        uint256 held = LossLedger.heldBack(LossLedger.Release(amount, start, end));
        assert(held <= amount);
        if (block.timestamp >= end) assert(held == 0);
    }
}
