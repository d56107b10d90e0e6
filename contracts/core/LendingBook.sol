// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {FixedPointMath} from "../libraries/FixedPointMath.sol";

/// @title LendingBook
/// @notice The vault's books of the base asset: the cash it holds on its books, the reserves carved out of interest,
///         and what borrowers owe, stored index-scaled (debt = scaled × borrowIndex / RAY, rounded up). One storage
///         struct of the vault; these helpers are internal, compiled into the vault and into `LiquidationSettlement`,
///         so both move debt the same way.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-01 `totalScaledDebt` == Σ `positions[account].scaledDebt`: every helper moves both by the same amount.
///      - INV-09 rounding favours the protocol: a borrow adds scaled debt rounded up (the borrower owes at least what
///        it took), a partial repayment removes scaled debt rounded down (it is credited no more than it paid).
library LendingBook {
    using FixedPointMath for uint256;

    /// @notice Highest reserve factor: lenders keep at least half of the interest.
    uint256 internal constant MAX_RESERVE_FACTOR = 0.5e18;
    /// @notice Most the risk manager may add to the reserve factor while reserves rebuild (the sum stays capped at
    ///         MAX_RESERVE_FACTOR).
    uint256 internal constant MAX_RESERVE_BOOST = 0.25e18;
    /// @notice Highest borrow rate honoured, 1000% APR per second: a faulty rate model cannot explode debt.
    uint256 internal constant MAX_BORROW_RATE_PER_SECOND = uint256(10e18) / 365 days;

    /// @notice One account's word: its scaled debt, the circuit breaker's credit word for its borrowing, and which
    ///         collateral it holds, in one slot, so that a borrow by an account that holds collateral writes a slot that
    ///         is already set (its debt and its credit together), and a valuation reads its debt and its holdings
    ///         together. The holdings are `CollateralBook`'s (bit i: asset i; MAX_COLLATERALS is 16). The credit word
    ///         is ICircuitBreaker.onSupply's format (what the account's repayments in the current outflow bucket let
    ///         it borrow without counting against the shared limit, or what its borrows there counted): the vault
    ///         stores it and never reads inside it. Scaled debt is uint96: 7.9 × 10^28 units, 7.9 × 10^10 whole
    ///         tokens of an 18-decimal base asset; a borrow past it reverts (SafeCast), and changes nothing.
    struct Position {
        uint96 scaledDebt; // debt ÷ borrow index (RAY)
        uint128 borrowCredit; // the breaker's credit word for this account's borrowing (ICircuitBreaker.beforeBorrow)
        uint16 holdings; // bit i: holds some of CollateralBook's asset i
        uint16 pastCap; // bit i: holds some of asset i it added past the asset's supply cap (CollateralBook.overCap)
    }

    /// @notice An account's balance of lender shares or of one collateral, with the circuit breaker's credit word for
    ///         it beside it (ICircuitBreaker.onSupply: what its deposits in the current outflow bucket let it withdraw
    ///         without counting against the shared limit), so that a deposit writes one slot, not two. The vault stores
    ///         the word and never reads inside it. Balances are uint128 (as Morpho Blue's): a balance past 2^128 units
    ///         reverts (SafeCast), which no real token's supply reaches for a collateral (its cap is a uint128) and a
    ///         share balance reaches only past 3.4 × 10^14 whole tokens of an 18-decimal base asset (shares carry six
    ///         more decimals than assets).
    struct Balance {
        uint128 amount;
        uint128 credit;
    }

    /// @notice The base asset's books (base units; the index in RAY).
    ///         Reserves and total scaled debt share a slot: every accrual reads both and writes reserves, and a borrow or
    ///         repayment then writes the total into the slot the accrual has already written. Both are uint128 (as
    ///         Morpho Blue's totals): a base asset needs fewer than 2^128 units in all (every real token has). The index
    ///         and the last accrual time share the next slot, so an accrual writes two slots, not three. Reserves and
    ///         the index grow without a user's action (interest), so they saturate rather than revert (`capped`,
    ///         the vault's `_accrued`): nothing that accrues can ever lock the vault; a share of interest past the cap
    ///         stays with lenders. Cash and the lender share supply share the first slot (uint128 each, as Morpho Blue's
    ///         supply totals): every deposit and withdrawal writes both, and every share price reads both.
    struct Book {
        uint128 cash; // base asset the vault holds on its books (donations excluded)
        uint128 shareSupply; // all lender shares (VaultShares)
        uint128 reserves; // the protocol's share, first to absorb losses
        uint128 totalScaledDebt;
        uint216 borrowIndex; // RAY; saturates at 10^38 times its start (the vault's _accrued)
        uint40 lastAccrual; // when interest last accrued: an accrual writes it with the index, in one slot
        mapping(address account => Position) positions;
    }

    /// @dev `account`'s debt at `index`, rounded up.
    function debtOf(Book storage book, address account, uint256 index) internal view returns (uint256) {
        return uint256(book.positions[account].scaledDebt).mulDivUp(index, FixedPointMath.RAY);
    }

    /// @dev `value` as reserves, saturating at type(uint128).max: what the cap cannot hold stays with lenders (cash and
    ///      debt count it; reserves do not), so no accrual, fee or recovery ever reverts on it.
    function capped(uint256 value) internal pure returns (uint128) {
        return value > type(uint128).max ? type(uint128).max : uint128(value);
    }

    /// @dev `account`'s holdings and past-cap bits (`Position`), read with its scaled debt in one slot.
    function holdingsOf(Book storage book, address account) internal view returns (uint256 holdings, uint256 pastCap) {
        Position storage position = book.positions[account];
        return (position.holdings, position.pastCap);
    }

    /// @dev Adds `amount` of debt at the current index. Scaled debt rounds up: the borrower owes at least `amount`.
    ///      Returns the scaled debt added and the total debt after it (rounded up).
    function increaseDebt(
        Book storage book,
        address account,
        uint256 amount
    ) internal returns (uint256 scaled, uint256 totalDebtAfter) {
        uint256 index = book.borrowIndex;
        scaled = amount.mulDivUp(FixedPointMath.RAY, index);
        Position storage position = book.positions[account];
        // A scaled debt past uint96 reverts (SafeCastOverflowedUintDowncast): 7.9e28 base units (Position).
        position.scaledDebt = SafeCast.toUint96(position.scaledDebt + scaled);
        uint256 totalScaled = book.totalScaledDebt + scaled;
        book.totalScaledDebt = SafeCast.toUint128(totalScaled);
        totalDebtAfter = totalScaled.mulDivUp(index, FixedPointMath.RAY);
    }

    /// @dev Removes `amount` of debt at the current index. Scaled debt burned rounds down (the borrower is credited
    ///      no more than paid); `all` burns the whole position, whose debt rounded up equals what was paid.
    function decreaseDebt(
        Book storage book,
        address account,
        uint256 amount,
        bool all
    ) internal returns (uint256 scaled) {
        Position storage position = book.positions[account];
        uint256 accountScaled = position.scaledDebt;
        scaled = all ? accountScaled : amount.mulDivDown(FixedPointMath.RAY, book.borrowIndex);
        position.scaledDebt = uint96(accountScaled - scaled); // ≤ accountScaled, which fits
        book.totalScaledDebt -= uint128(scaled); // ≤ the account's scaled debt, itself ≤ the total (INV-01)
    }
}
