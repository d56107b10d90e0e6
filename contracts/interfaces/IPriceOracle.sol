// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPriceOracle
/// @notice The vault's only view of prices. The oracle adapter (issue 3) implements it over validated Chainlink
///         feeds; until then tests use a settable double behind the same interface.
/// @dev Assumptions the vault relies on: the price is in USD per one whole unit of the asset, WAD-scaled
///      (1e18 = $1), whatever the token's or the feed's decimals; it does not change within a transaction.
///      A zero answer is never used: the vault reverts with `ZeroPrice` (INV-24).
interface IPriceOracle {
    /// @notice USD price of one whole unit (10**decimals base units) of `asset`, scaled by 1e18.
    /// @param asset The ERC-20 token to price.
    /// @return priceWad The price; the implementation reverts if it has none.
    function getPrice(address asset) external view returns (uint256 priceWad);
}
