// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {ILendingVenue} from "../interfaces/ILendingVenue.sol";

/// @title LendingVenue
/// @notice The part every backstop venue over an outside lending market shares (issue 26): an ERC-4626 vault that
///         supplies each deposit to the market and takes each withdrawal out of it (`_supply`, `_takeOut`, the
///         market's own), letting out at most what the market holds free (`liquidity`).
/// @dev Invariants:
///      - `maxWithdraw`/`maxRedeem` never exceed the market's `liquidity` now, and never offer shares that redeem for
///        nothing: no path promises what the market would not let out.
///      - Shares are burned before the market pays out (checks-effects-interactions); nothing of nothing moves
///        (`ZeroAmount`).
///      - Virtual shares (10**6 per unit) defeat the first-depositor inflation attack, donations in the market included.
abstract contract LendingVenue is ILendingVenue, ERC4626 {
    using SafeERC20 for IERC20;

    uint8 private constant DECIMALS_OFFSET = 6;

    /// @inheritdoc ILendingVenue
    function liquidity() public view virtual returns (uint256);

    /// @notice What `owner_` may withdraw now: its shares' claim (rounded down), at most the market's liquidity.
    function maxWithdraw(address owner_) public view override returns (uint256) {
        uint256 claim = _convertToAssets(balanceOf(owner_), Math.Rounding.Floor);
        uint256 free = liquidity();
        return claim < free ? claim : free;
    }

    /// @notice The shares `owner_` may redeem now: its balance, at most what the market's liquidity pays (rounded
    ///         down); 0 when they would redeem for nothing.
    function maxRedeem(address owner_) public view override returns (uint256) {
        uint256 held = balanceOf(owner_);
        uint256 byLiquidity = _convertToShares(liquidity(), Math.Rounding.Floor);
        uint256 shares = held < byLiquidity ? held : byLiquidity;
        return _convertToAssets(shares, Math.Rounding.Floor) == 0 ? 0 : shares;
    }

    /// @dev Supplies `assets` (already here) to the market for this vault.
    function _supply(uint256 assets) internal virtual;

    /// @dev Takes exactly `assets` out of the market to `receiver`.
    function _takeOut(uint256 assets, address receiver) internal virtual;

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev Pulls `assets` from `caller`, supplies them to the market, then mints.
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        IERC20(asset()).safeTransferFrom(caller, address(this), assets);
        _supply(assets);
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    /// @dev Burns first, then has the market send `assets` straight to `receiver`.
    function _withdraw(
        address caller,
        address receiver,
        address owner_,
        uint256 assets,
        uint256 shares
    ) internal override {
        if (assets == 0 || shares == 0) revert ZeroAmount();
        if (caller != owner_) _spendAllowance(owner_, caller, shares);
        _burn(owner_, shares);
        _takeOut(assets, receiver);
        emit Withdraw(caller, receiver, owner_, assets, shares);
    }
}
