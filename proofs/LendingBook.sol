// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// Harnesses for the model checker: contracts are named after the property they state (PREFIX_Property), and
// `require` states a precondition the checker assumes.
// solhint-disable contract-name-capwords, gas-custom-errors

import {LendingBook} from "../contracts/core/LendingBook.sol";

/// @notice Properties of the debt books (contracts/core/LendingBook.sol) for the SMTChecker (`npm run prove`), through
///         storage, compiled with proofs/spec/Math.sol for OpenZeppelin's `Math`. Not settled, and not in CI: each is
///         unknown within the time limit (INV-01 and INV-09 are checked by the invariant suites and
///         test/fuzz/InterestAccrual.t.sol). Sub-range: scaled debts below 2^95 and borrows below 2^94 units (2 × 10^10
///         whole tokens at 18 decimals), so that SafeCast never reverts: the checker does not model a custom-error
///         revert (proofs/fixtures/Abstracted.sol); any index ≥ 1 RAY.

/// @notice INV-09: a borrow of `amount` raises the borrower's debt (rounded up, as it is read) by at least `amount`,
///         and the total debt the book returns is the sum of the scaled debts, rounded up.
contract LEND_BorrowRoundsUp {
    LendingBook.Book internal book;

    function check(address account, uint96 scaledBefore, uint216 index, uint256 amount) external {
        require(index >= 1e27 && scaledBefore < 2 ** 95 && amount < 2 ** 94);
        book.borrowIndex = index;
        book.positions[account].scaledDebt = scaledBefore;
        book.totalScaledDebt = scaledBefore;
        uint256 before = LendingBook.debtOf(book, account, index);
        (, uint256 totalAfter) = LendingBook.increaseDebt(book, account, amount);
        uint256 afterwards = LendingBook.debtOf(book, account, index);
        assert(afterwards >= before + amount);
        assert(totalAfter == afterwards);
    }
}

/// @notice INV-09: a partial repayment of `amount` lowers the borrower's debt by at most `amount` (scaled debt burned
///         rounds down: nobody is credited more than it paid); repaying all clears it.
contract LEND_RepayCreditsNoMore {
    LendingBook.Book internal book;

    function check(address account, uint96 scaledBefore, uint216 index, uint256 amount, bool all) external {
        require(index >= 1e27 && scaledBefore < 2 ** 95);
        book.borrowIndex = index;
        book.positions[account].scaledDebt = scaledBefore;
        book.totalScaledDebt = scaledBefore;
        uint256 before = LendingBook.debtOf(book, account, index);
        LendingBook.decreaseDebt(book, account, amount, all);
        uint256 afterwards = LendingBook.debtOf(book, account, index);
        if (all) assert(afterwards == 0);
        else assert(afterwards + amount >= before);
    }
}

/// @notice INV-01: a borrow or a repayment moves the account's scaled debt and the book's total scaled debt by the
///         same amount, so their sums stay equal.
contract LEND_ScaledSumsMoveTogether {
    LendingBook.Book internal book;

    function check(
        address account,
        uint96 scaledBefore,
        uint128 othersScaled,
        uint216 index,
        uint256 amount,
        bool borrow,
        bool all
    ) external {
        require(index >= 1e27 && scaledBefore < 2 ** 95 && othersScaled < 2 ** 95 && amount < 2 ** 94);
        book.borrowIndex = index;
        book.positions[account].scaledDebt = scaledBefore;
        book.totalScaledDebt = othersScaled + scaledBefore;
        if (borrow) LendingBook.increaseDebt(book, account, amount);
        else LendingBook.decreaseDebt(book, account, amount, all);
        assert(book.totalScaledDebt == othersScaled + book.positions[account].scaledDebt);
    }
}
