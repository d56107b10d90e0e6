// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IPriceOracle} from "../../contracts/interfaces/IPriceOracle.sol";

/// @notice Measures the gas of IPriceOracle.getPrice inside one call: first read (cold accounts and storage) and a
///         second read of the same asset (warm), as a vault action that prices an asset twice would see it.
///         Used by `npm run bench`. Test helper only.
contract OracleReadGauge {
    /// @notice Gas of a cold then a warm read of `asset`, and the read itself.
    function measure(
        IPriceOracle oracle,
        address asset
    ) external view returns (uint256 cold, uint256 warm, IPriceOracle.Price memory price) {
        uint256 before = gasleft();
        oracle.getPrice(asset);
        cold = before - gasleft();
        before = gasleft();
        price = oracle.getPrice(asset);
        warm = before - gasleft();
    }
}
