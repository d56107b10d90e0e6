// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMorpho, Id, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";

/// @title IMorphoMarketVenue
/// @notice An ERC-4626 vault that supplies one Morpho Blue market: a venue the backstop's allocator can be allowed
///         to put idle cash into (issue 26).
interface IMorphoMarketVenue {
    /// @notice Thrown for a zero Morpho address.
    error ZeroAddress();
    /// @notice Thrown when Morpho has no market for `id` (never created).
    error MarketNotCreated(Id id);
    /// @notice Thrown for a deposit, mint, withdrawal or redemption of nothing.
    error ZeroAmount();

    /// @notice The Morpho Blue singleton.
    function morpho() external view returns (IMorpho);

    /// @notice The market supplied (its loan token is this vault's asset).
    function marketParams() external view returns (MarketParams memory);

    /// @notice Morpho's id of the market.
    function marketId() external view returns (Id);

    /// @notice What the market could let out now: its supply less its borrows, interest accrued to now.
    function liquidity() external view returns (uint256);
}
