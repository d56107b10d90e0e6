// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInterestRateModel} from "../interfaces/IInterestRateModel.sol";
import {IKinkedRateModel} from "../interfaces/IKinkedRateModel.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";

/// @title KinkedRateModel
/// @notice Two-slope utilization rate model: the rate rises gently up to the kink, then steeply, so that high
///         utilization pays lenders enough to come back and borrowers enough to leave.
/// @dev Immutable: a new curve is a new contract, set through the timelock.
///      Invariants: the rate is non-decreasing in utilization; at most base + slope1 + slope2 (≤ 3 × MAX_APR).
///      utilization = debt / (cash + debt), rounded down; rate = APR / 365 days, rounded down.
contract KinkedRateModel is IKinkedRateModel {
    using FixedPointMath for uint256;

    /// @notice Highest APR any single parameter may take (1000%).
    uint256 public constant MAX_APR = 10e18;
    uint256 private constant YEAR = 365 days;

    /// @inheritdoc IKinkedRateModel
    uint256 public immutable baseApr;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable slope1Apr;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable slope2Apr;
    /// @inheritdoc IKinkedRateModel
    uint256 public immutable kink;

    /// @param baseApr_ APR at zero utilization.
    /// @param slope1Apr_ APR added between 0 and the kink.
    /// @param slope2Apr_ APR added between the kink and 100%.
    /// @param kink_ Kink utilization, strictly between 0 and 1e18.
    constructor(uint256 baseApr_, uint256 slope1Apr_, uint256 slope2Apr_, uint256 kink_) {
        if (kink_ == 0 || kink_ >= FixedPointMath.WAD) revert KinkOutOfBounds(kink_);
        if (baseApr_ > MAX_APR) revert AprTooHigh(baseApr_, MAX_APR);
        if (slope1Apr_ > MAX_APR) revert AprTooHigh(slope1Apr_, MAX_APR);
        if (slope2Apr_ > MAX_APR) revert AprTooHigh(slope2Apr_, MAX_APR);
        baseApr = baseApr_;
        slope1Apr = slope1Apr_;
        slope2Apr = slope2Apr_;
        kink = kink_;
    }

    /// @notice Share of supplied funds that is borrowed (WAD), rounded down.
    /// @param cash Base asset available in the vault.
    /// @param debt Outstanding debt.
    function utilization(uint256 cash, uint256 debt) public pure returns (uint256) {
        if (debt == 0) return 0;
        return debt.wadDivDown(cash + debt);
    }

    /// @notice Borrow APR (WAD) at the given liquidity.
    /// @param cash Base asset available in the vault.
    /// @param debt Outstanding debt.
    function borrowApr(uint256 cash, uint256 debt) public view returns (uint256) {
        uint256 utilized = utilization(cash, debt);
        if (utilized <= kink) return baseApr + slope1Apr.mulDivDown(utilized, kink);
        return baseApr + slope1Apr + slope2Apr.mulDivDown(utilized - kink, FixedPointMath.WAD - kink);
    }

    /// @inheritdoc IInterestRateModel
    function borrowRatePerSecond(uint256 cash, uint256 debt) external view returns (uint256) {
        return borrowApr(cash, debt) / YEAR;
    }
}
