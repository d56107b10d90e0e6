// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICollateralVault} from "../interfaces/ICollateralVault.sol";
import {FixedPointMath} from "../libraries/FixedPointMath.sol";
import {LendingBook} from "./LendingBook.sol";
import {LossLedger} from "./LossLedger.sol";
import {VaultState} from "./VaultState.sol";

/// @title InterestAccrual
/// @notice The vault's interest and share-price arithmetic, on its state (`VaultState`): shared by `CollateralVault`
///         and `VaultModule`, which run it over the same storage.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-06 the borrow index never decreases (each step multiplies it by a compound factor ≥ 1, rounded up) and
///        saturates at type(uint216).max rather than lock an accrual.
///      - INV-04 `_totalAssets` == cash + total debt − max(reserves, Σ provisions − what the backstop holds for
///        them) − gains held back, floored at 0.
///      - Reserves never exceed what interest and recoveries put in (`LendingBook.capped`); they round up, out of
///        interest that also rounds up.
abstract contract InterestAccrual is VaultState {
    using FixedPointMath for uint256;

    /// @dev Brings the borrow index, and with it total debt and reserves, up to now. Idempotent within a block.
    function _accrue() internal {
        if (block.timestamp == _lending.lastAccrual) return;
        uint256 oldIndex = _lending.borrowIndex;
        (uint256 index, uint256 debt, uint256 reserves_) = _accrued();
        // One slot: the index (unchanged when nothing is borrowed) and the time.
        (_lending.borrowIndex, _lending.lastAccrual) = (uint216(index), uint40(block.timestamp)); // ≤ max: _accrued
        if (index == oldIndex) return;
        uint256 reserveIncrease = reserves_ - _lending.reserves;
        uint256 interest = debt - uint256(_lending.totalScaledDebt).mulDivUp(oldIndex, FixedPointMath.RAY);
        _lending.reserves = uint128(reserves_); // ≤ type(uint128).max: _accrued saturates it
        emit ICollateralVault.InterestAccrued(index, interest, reserveIncrease);
    }

    /// @dev Borrow index, total debt and reserves as they would be after accruing to now. Rounds up the index and
    ///      total debt (debt grows), and reserves up (they are carved out of the interest, so never exceed it).
    function _accrued() internal view returns (uint256 index, uint256 debt, uint256 reserves_) {
        index = _lending.borrowIndex;
        reserves_ = _lending.reserves;
        uint256 scaledTotal = _lending.totalScaledDebt;
        debt = scaledTotal.mulDivUp(index, FixedPointMath.RAY);
        uint256 elapsed = block.timestamp - _lending.lastAccrual;
        if (elapsed == 0 || scaledTotal == 0) return (index, debt, reserves_);

        uint256 rate = _rateModel.borrowRatePerSecond(_lending.cash, debt);
        if (rate > LendingBook.MAX_BORROW_RATE_PER_SECOND) rate = LendingBook.MAX_BORROW_RATE_PER_SECOND;
        index = index.mulDivUp(FixedPointMath.compoundFactorUp(rate, elapsed), FixedPointMath.RAY);
        // The index saturates (10^38 times its start: about 9 years at the 1000% APR cap, 137 at the shipped curve's
        // 64% top) rather than lock every accrual; past it interest stops (docs/known-issues.md).
        if (index > type(uint216).max) index = type(uint216).max;
        uint256 newDebt = scaledTotal.mulDivUp(index, FixedPointMath.RAY);
        uint256 factor = uint256(_reserveFactor) + _reserveBoost;
        if (factor > LendingBook.MAX_RESERVE_FACTOR) factor = LendingBook.MAX_RESERVE_FACTOR;
        reserves_ = LendingBook.capped(reserves_ + (newDebt - debt).wadMulUp(factor));
        debt = newDebt;
    }

    /// @dev cash + total debt − max(reserves, Σ provisions) − gains still held back, with interest accrued to now
    ///      (INV-04; `CollateralVault.totalAssets`).
    function _totalAssets() internal view returns (uint256) {
        (, uint256 debt, uint256 reserves_) = _accrued();
        uint256 provisions = _losses.totalProvision;
        // Reserves, or the provisions past what the backstop holds for them: it is read only when provisions exceed
        // reserves, and never exceeds them (BackstopLink: each change of provisions sets it again, to at most their
        // excess), so the common path costs what it did before the backstop.
        uint256 held =
            (reserves_ > provisions ? reserves_ : _uncovered(provisions, reserves_)) + LossLedger.heldBackNow(_losses);
        uint256 gross = _lending.cash + debt;
        return gross > held ? gross - held : 0;
    }

    /// @dev max(reserves, `provisions` − what the backstop holds for them), for `provisions` ≥ `reserves_`.
    function _uncovered(uint256 provisions, uint256 reserves_) private view returns (uint256) {
        unchecked {
            provisions -= _backstop.earmarked; // ≤ provisions (BackstopLink's invariant)
        }
        return provisions > reserves_ ? provisions : reserves_;
    }
}
