// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Minimal token without `decimals()`: listing it must fail with UnsupportedDecimals. Test helper only.
contract NoDecimalsERC20 {
    function balanceOf(address) external pure returns (uint256) {
        return 0;
    }
}
