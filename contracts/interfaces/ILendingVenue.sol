// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ILendingVenue
/// @notice What every backstop venue over an outside lending market shares (issue 26): an ERC-4626 vault whose assets
///         all sit in the market, letting out at most what the market holds free.
interface ILendingVenue {
    /// @notice Thrown for a deposit, mint, withdrawal or redemption of nothing.
    error ZeroAmount();

    /// @notice What the market could let out now (0 while it lets nothing out).
    function liquidity() external view returns (uint256);
}
