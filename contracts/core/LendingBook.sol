// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FixedPointMath} from "../libraries/FixedPointMath.sol";

/// @title LendingBook
/// @notice The vault's books of the base asset: the cash it holds on its books, the reserves carved out of interest,
///         and what borrowers owe, stored index-scaled (debt = scaled × borrowIndex / RAY, rounded up). One storage
///         struct of the vault; these helpers are internal, compiled into the vault and into `LiquidationSettlement`,
///         so both move debt the same way.
/// @dev Invariants (IDs from InvariantsSpec.sol):
///      - INV-01 `totalScaledDebt` == Σ `scaledDebt[account]`: every helper moves both by the same amount.
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

    /// @notice The base asset's books (base units; the index in RAY).
    struct Book {
        uint256 cash; // base asset the vault holds on its books (donations excluded)
        uint256 reserves; // the protocol's share, first to absorb losses
        uint256 totalScaledDebt;
        uint256 borrowIndex;
        mapping(address account => uint256) scaledDebt;
    }

    /// @dev `account`'s debt at `index`, rounded up.
    function debtOf(Book storage book, address account, uint256 index) internal view returns (uint256) {
        return book.scaledDebt[account].mulDivUp(index, FixedPointMath.RAY);
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
        book.scaledDebt[account] += scaled;
        uint256 totalScaled = book.totalScaledDebt + scaled;
        book.totalScaledDebt = totalScaled;
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
        uint256 accountScaled = book.scaledDebt[account];
        scaled = all ? accountScaled : amount.mulDivDown(FixedPointMath.RAY, book.borrowIndex);
        book.scaledDebt[account] = accountScaled - scaled;
        book.totalScaledDebt -= scaled;
    }
}
