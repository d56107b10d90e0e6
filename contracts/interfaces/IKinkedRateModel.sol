// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInterestRateModel} from "./IInterestRateModel.sol";

/// @title IKinkedRateModel
/// @notice The two-slope utilization curve Bulwark ships (KinkedRateModel): immutable parameters, checked once at
///         construction.
interface IKinkedRateModel is IInterestRateModel {
    /// @notice Thrown when the kink is not strictly between 0 and 100%.
    error KinkOutOfBounds(uint256 kink);
    /// @notice Thrown when an APR parameter exceeds MAX_APR.
    error AprTooHigh(uint256 apr, uint256 max);

    /// @notice APR at zero utilization (WAD).
    function baseApr() external view returns (uint256);

    /// @notice APR added from 0 to the kink (WAD).
    function slope1Apr() external view returns (uint256);

    /// @notice APR added from the kink to 100% utilization (WAD).
    function slope2Apr() external view returns (uint256);

    /// @notice Utilization at which the second slope starts (WAD).
    function kink() external view returns (uint256);
}
