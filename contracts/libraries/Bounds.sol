// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Thrown when a governance parameter is outside its hard-coded bounds: its name, the value, and the bounds.
error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);

/// @title Bounds
/// @notice The one bounds check every Bulwark contract applies to the parameters governance sets. Each contract's
///         interface declares the same `ParameterOutOfBounds` error, so every contract reverts it with one signature.
library Bounds {
    /// @dev Reverts `ParameterOutOfBounds(name, value, min, max)` unless min ≤ value ≤ max.
    function check(bytes32 name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert ParameterOutOfBounds(name, value, min, max);
    }
}
