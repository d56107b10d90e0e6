// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";

/// @title TokenTransfers
/// @notice How the vault takes tokens in: exactly the amount asked, measured by the change in its own balance.
/// @dev Invariant INV-37: a token that delivers anything else (a fee on transfer, a rebase mid-transfer) is rejected
///      with `TransferAmountMismatch`, so the books never count what did not arrive.
library TokenTransfers {
    using SafeERC20 for IERC20;

    /// @dev Pulls exactly `amount` of `token` from `from` into this contract.
    function pullExact(IERC20 token, address from, uint256 amount) internal {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert ICollateralVault.TransferAmountMismatch(address(token), amount, received);
    }
}
