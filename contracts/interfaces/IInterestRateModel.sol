// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IInterestRateModel
/// @notice Maps the vault's liquidity to a borrow rate. Stateless; the vault caps whatever it returns at
///         `MAX_BORROW_RATE_PER_SECOND`, so a faulty model cannot make debt explode.
interface IInterestRateModel {
    /// @notice Borrow rate per second, WAD-scaled (1e18 = 100% per second), for the given liquidity.
    /// @param cash Base asset held by the vault and available to borrow, in base units.
    /// @param debt Total outstanding debt, interest included, in base units.
    /// @return ratePerSecondWad The per-second borrow rate.
    function borrowRatePerSecond(uint256 cash, uint256 debt) external view returns (uint256 ratePerSecondWad);
}
