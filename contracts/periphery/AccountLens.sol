// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";

/// @title AccountLens
/// @notice Reads many accounts' positions in one call, for keepers and the crash simulation: one `eth_call` instead
///         of one per account. Holds no state and no funds; every figure is the vault's own `accountLiquidity`.
/// @dev Invariants: `liquidities(vault, accounts)[i]` equals `vault.accountLiquidity(accounts[i])`, and `positions`
///      equals `vault.scaledDebtOf` and `vault.collateralOf`, at the same block.
///      The loop is bounded by the caller's array (a view, never in a user's transaction path).
contract AccountLens {
    /// @notice The vault's `accountLiquidity` of each of `accounts`, in order.
    /// @param vault The vault to read.
    /// @param accounts The accounts to read.
    /// @return out One `AccountLiquidity` per account.
    function liquidities(
        ICollateralVault vault,
        address[] calldata accounts
    ) external view returns (ICollateralVault.AccountLiquidity[] memory out) {
        out = new ICollateralVault.AccountLiquidity[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            out[i] = vault.accountLiquidity(accounts[i]);
        }
    }

    /// @notice The raw positions of `accounts`: scaled debt (debt = scaled × `borrowIndex()` / 1e27, rounded up, as
    ///         the vault computes it) and holdings of each of `assets`, in order. No prices and no interest are
    ///         computed: a caller that values many accounts reads each price and the index once.
    /// @param vault The vault to read.
    /// @param assets The collateral assets to report, in order.
    /// @param accounts The accounts to read.
    /// @return scaledDebts `vault.scaledDebtOf(accounts[i])`.
    /// @return balances `balances[i][j]` is `vault.collateralOf(accounts[i], assets[j])`.
    function positions(
        ICollateralVault vault,
        address[] calldata assets,
        address[] calldata accounts
    ) external view returns (uint256[] memory scaledDebts, uint256[][] memory balances) {
        scaledDebts = new uint256[](accounts.length);
        balances = new uint256[][](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            scaledDebts[i] = vault.scaledDebtOf(accounts[i]);
            uint256[] memory held = new uint256[](assets.length);
            for (uint256 j; j < assets.length; ++j) {
                held[j] = vault.collateralOf(accounts[i], assets[j]);
            }
            balances[i] = held;
        }
    }
}
