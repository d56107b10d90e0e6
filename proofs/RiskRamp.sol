// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {CollateralBook} from "../contracts/core/CollateralBook.sol";
import {ICollateralVault} from "../contracts/interfaces/ICollateralVault.sol";

/// @notice Properties of the risk ramp (`CollateralBook.effective`, INV-38) for the SMTChecker (`npm run prove`),
///         one contract each: over any ramp (from and target values, either direction, the full uint64 range) and any
///         time since it started (uint40), with the rates the contract hard-codes. No sub-range.
abstract contract RampHarness {
    CollateralBook.Asset internal record;

    /// @dev A ramp's values and the seconds since it started.
    struct Ramp {
        uint256 ltvFrom;
        uint256 ltvTarget;
        uint256 thresholdFrom;
        uint256 thresholdTarget;
        uint256 elapsed;
    }

    /// @notice Sets a ramp started at `start` (not in the future) with these values, reads its effective LTV and
    ///         threshold now, and checks the contract's property of them.
    function check(
        uint64 ltvFrom,
        uint64 ltvTarget,
        uint64 thresholdFrom,
        uint64 thresholdTarget,
        uint40 start
    ) external {
        require(block.timestamp >= start);
        record.rampStart = start;
        record.ramp = ICollateralVault.RiskRamp(ltvFrom, ltvTarget, thresholdFrom, thresholdTarget);
        (uint256 ltv, uint256 threshold) = CollateralBook.effective(record);
        property(Ramp(ltvFrom, ltvTarget, thresholdFrom, thresholdTarget, block.timestamp - start), ltv, threshold);
    }

    function property(Ramp memory r, uint256 ltv, uint256 threshold) internal pure virtual;
}

/// @notice INV-38: the effective threshold stays between where its ramp started and its target, never past either.
contract RAMP_ThresholdWithinBounds is RampHarness {
    function property(Ramp memory r, uint256, uint256 threshold) internal pure override {
        uint256 low = r.thresholdFrom < r.thresholdTarget ? r.thresholdFrom : r.thresholdTarget;
        uint256 high = r.thresholdFrom < r.thresholdTarget ? r.thresholdTarget : r.thresholdFrom;
        assert(threshold >= low && threshold <= high);
    }
}

/// @notice INV-38: the effective LTV is never above the effective threshold, whatever the two ramps do.
contract RAMP_LtvBelowThreshold is RampHarness {
    function property(Ramp memory, uint256 ltv, uint256 threshold) internal pure override {
        assert(ltv <= threshold);
    }
}

/// @notice The ramp arrives: once the slower rate has had time to cover the distance, the threshold is its target (a
///         cap takes full effect; a lifted one is fully undone).
contract RAMP_ThresholdArrives is RampHarness {
    function property(Ramp memory r, uint256, uint256 threshold) internal pure override {
        uint256 distance =
            r.thresholdFrom > r.thresholdTarget
                ? r.thresholdFrom - r.thresholdTarget
                : r.thresholdTarget - r.thresholdFrom;
        if (0.0025e18 * r.elapsed >= distance * 1 hours) assert(threshold == r.thresholdTarget);
    }
}
