// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {CollateralBook} from "../contracts/core/CollateralBook.sol";

/// @notice The targets a restarted risk ramp heads for (`CollateralBook.restartRamp`, INV-38), for the SMTChecker
///         (`npm run prove`). Compiled with proofs/spec/Math.sol for OpenZeppelin's `Math` (its min and max are
///         branchless code on assembly the checker cannot read). Full range: any uint64 config with LTV ≤ threshold
///         (what `validate` lets in), any caps, any ramp in progress.
abstract contract TargetsHarness {
    CollateralBook.Asset internal record;

    /// @notice Lists an asset with this config, caps and ramp in progress, restarts its ramp now, and checks the
    ///         property of the targets it set.
    function check(
        uint64 borrowLtv,
        uint64 threshold,
        uint64 ltvCap,
        uint64 thresholdCap,
        uint40 rampStart,
        uint64 ltvFrom,
        uint64 thresholdFrom
    ) external {
        require(borrowLtv <= threshold && rampStart <= block.timestamp);
        (record.config.borrowLtv, record.config.liquidationThreshold) = (borrowLtv, threshold);
        (record.ltvCap, record.thresholdCap, record.rampStart) = (ltvCap, thresholdCap, rampStart);
        (record.ramp.ltvFrom, record.ramp.thresholdFrom) = (ltvFrom, thresholdFrom);
        CollateralBook.restartRamp(address(0), record);
        property(borrowLtv, threshold, ltvCap, thresholdCap, record.ramp.ltvTarget, record.ramp.thresholdTarget);
    }

    function property(
        uint256 borrowLtv,
        uint256 threshold,
        uint256 ltvCap,
        uint256 thresholdCap,
        uint256 ltvTarget,
        uint256 thresholdTarget
    ) internal pure virtual;
}

/// @notice INV-38: the threshold target lies between half the config's threshold (rounded up) and the config's
///         threshold, and under the cap unless the cap is below that floor: a cap can cut a threshold by half at
///         most, and a target never exceeds the config governance set.
contract RAMP_ThresholdTargetWithinBounds is TargetsHarness {
    function property(
        uint256,
        uint256 threshold,
        uint256,
        uint256 thresholdCap,
        uint256,
        uint256 thresholdTarget
    ) internal pure override {
        uint256 floor = (threshold + 1) / 2;
        assert(thresholdTarget >= floor && thresholdTarget <= threshold);
        assert(thresholdTarget <= thresholdCap || thresholdTarget == floor);
    }
}

/// @notice INV-38 and INV-11: the LTV target is at most the config's LTV and the cap, and sits at least the config's
///         LTV-to-threshold gap below the threshold target (or at 0): nobody borrows at a limit the falling threshold
///         would liquidate.
contract RAMP_LtvTargetKeepsGap is TargetsHarness {
    function property(
        uint256 borrowLtv,
        uint256 threshold,
        uint256 ltvCap,
        uint256,
        uint256 ltvTarget,
        uint256 thresholdTarget
    ) internal pure override {
        assert(ltvTarget <= borrowLtv && ltvTarget <= ltvCap);
        assert(ltvTarget + (threshold - borrowLtv) <= thresholdTarget || ltvTarget == 0);
    }
}
