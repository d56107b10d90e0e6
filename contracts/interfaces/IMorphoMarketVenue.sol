// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IMorpho, Id, MarketParams} from "@morpho-org/morpho-blue/src/interfaces/IMorpho.sol";

import {ILendingVenue} from "./ILendingVenue.sol";

/// @title IMorphoMarketVenue
/// @notice An ERC-4626 vault that supplies one Morpho Blue market: a venue the backstop's allocator can be allowed
///         to put idle cash into (issue 26). `liquidity` is the market's supply less its borrows, interest to now.
interface IMorphoMarketVenue is ILendingVenue {
    /// @notice Thrown for a zero Morpho address.
    error ZeroAddress();
    /// @notice Thrown when Morpho has no market for `id` (never created).
    error MarketNotCreated(Id id);

    /// @notice The Morpho Blue singleton.
    function morpho() external view returns (IMorpho);

    /// @notice The market supplied (its loan token is this vault's asset).
    function marketParams() external view returns (MarketParams memory);

    /// @notice Morpho's id of the market.
    function marketId() external view returns (Id);
}
