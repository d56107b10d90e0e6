// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "../interfaces/IPriceOracle.sol";

/// @notice Settable price double behind IPriceOracle, for tests and the in-process demo until the Chainlink adapter
///         (issue 3) replaces it. Test helper only.
contract MockPriceOracle is IPriceOracle {
    /// @notice Thrown when no price was ever set for `asset`.
    error NoPrice(address asset);

    mapping(address asset => uint256) public prices;
    mapping(address asset => bool) public isSet;

    event PriceSet(address indexed asset, uint256 priceWad);

    /// @notice Sets the WAD USD price of one whole `asset` (zero allowed, to test the vault's zero-price guard).
    function setPrice(address asset, uint256 priceWad) external {
        prices[asset] = priceWad;
        isSet[asset] = true;
        emit PriceSet(asset, priceWad);
    }

    /// @inheritdoc IPriceOracle
    function getPrice(address asset) external view returns (uint256) {
        if (!isSet[asset]) revert NoPrice(asset);
        return prices[asset];
    }
}
