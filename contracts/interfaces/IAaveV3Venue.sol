// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPool} from "@aave/core-v3/contracts/interfaces/IPool.sol";

import {ILendingVenue} from "./ILendingVenue.sol";

/// @notice Aave v3.1's booked balance of a reserve (virtual accounting): what it lets out, whatever its aToken holds.
interface IAaveVirtualAccounting {
    /// @notice The underlying `asset`'s reserve has booked.
    function getVirtualUnderlyingBalance(address asset) external view returns (uint128);
}

/// @title IAaveV3Venue
/// @notice An ERC-4626 vault over one Aave v3 reserve (a static aToken): a venue the backstop's allocator can be
///         allowed to put idle cash into (issue 26). `liquidity` is the underlying the reserve's aToken holds (at most
///         what it has booked, on Aave v3.1 and later), 0 while the reserve is paused or inactive.
interface IAaveV3Venue is ILendingVenue {
    /// @notice Thrown for a zero pool address.
    error ZeroAddress();
    /// @notice Thrown when the pool has no reserve for `asset`.
    error ReserveNotListed(address asset);
    /// @notice Thrown when the pool paid out other than what was asked.
    error WithdrawMismatch(uint256 asked, uint256 paid);

    /// @notice The Aave v3 pool.
    function pool() external view returns (IPool);

    /// @notice The reserve's aToken, which this vault holds.
    function aToken() external view returns (address);
}
