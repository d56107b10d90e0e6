// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {LossLedger} from "../contracts/core/LossLedger.sol";

/// @notice A release of recovered gains (`LossLedger.heldBack`) over time, for the SMTChecker (`npm run prove`). The
///         checker has one block time per call: "later" is the same release shifted `dt` earlier.

/// @notice INV-06: what a release holds back only falls as time passes (so the share price rises through it and never
///         jumps). Not settled within the time limit, not in CI (test/unit/PartialLiquidationProvision.test.ts).
contract LOSS_HeldBackOnlyFalls {
    function check(uint128 amount, uint64 start, uint64 end, uint64 dt) external view {
        require(start <= block.timestamp && uint256(end) >= dt && uint256(start) >= dt);
        uint256 held = LossLedger.heldBack(LossLedger.Release(amount, start, end));
        assert(LossLedger.heldBack(LossLedger.Release(amount, start - dt, end - dt)) <= held);
    }
}
