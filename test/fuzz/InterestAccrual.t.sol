// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {VaultFixture} from "../utils/VaultFixture.sol";
import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";

/// @notice Fuzz tests of interest accrual through the vault's public API: monotonicity, the reserve split,
///         rounding direction of account debt, path (in)dependence and full repayment.
contract InterestAccrualFuzzTest is Test, VaultFixture {
    address internal lender = makeAddr("lender");
    address internal borrower = makeAddr("borrower");

    function setUp() public {
        _deployMarket();
        usdc.mint(lender, 11_000_000e6); // 1M kept back for the touches that force accrual
        vm.startPrank(lender);
        usdc.approve(address(vault), type(uint256).max);
        vault.deposit(10_000_000e6, lender);
        vm.stopPrank();

        weth.mint(borrower, 10_000e18);
        usdc.mint(borrower, 1_000_000e6);
        vm.startPrank(borrower);
        weth.approve(address(vault), type(uint256).max);
        usdc.approve(address(vault), type(uint256).max);
        vault.depositCollateral(address(weth), 10_000e18, borrower); // $30M, borrow limit $24M
        vm.stopPrank();
        // Interest is tested here, not the breaker: let the whole balance out, from the next block on.
        breaker.setAssetParams(
            address(usdc),
            ICircuitBreaker.AssetParams({
                outflowShare: 1e18,
                outflowWindow: 6 hours,
                maxFall: 0.05e18,
                fallWindow: 1 hours
            })
        );
        vm.roll(block.number + 1);
    }

    function _borrow(uint256 amount) internal {
        vm.prank(borrower);
        vault.borrow(amount, borrower);
    }

    /// @dev Index, debt and totalAssets never fall; reserves take exactly their share of the interest (rounded up,
    ///      never more than the interest).
    function testFuzz_accrual_monotonicAndReserveSplit(uint256 amount, uint256 elapsed) public {
        amount = bound(amount, 1, 9_999_999e6);
        elapsed = bound(elapsed, 1, 5 * 365 days);
        _borrow(amount);

        uint256 index0 = vault.borrowIndex();
        uint256 debt0 = vault.totalDebt();
        uint256 assets0 = vault.totalAssets();
        uint256 reserves0 = vault.reserves();

        vm.warp(block.timestamp + elapsed);
        uint256 interest = vault.totalDebt() - debt0;
        uint256 reserveIncrease = vault.reserves() - reserves0;

        assertGe(vault.borrowIndex(), index0, "index fell");
        assertGe(vault.totalAssets(), assets0, "share value fell");
        assertLe(reserveIncrease, interest, "reserves above interest");
        assertApproxEqAbs(reserveIncrease, interest / 10, 1, "reserve factor 10%");

        // The view and the state-changing accrual agree.
        uint256 viewDebt = vault.totalDebt();
        vm.prank(lender);
        vault.deposit(1e6, lender);
        assertEq(vault.totalDebt(), viewDebt, "view and accrual disagree");
    }

    /// @dev A single borrower owes at least the books' total debt, and at most one unit more (INV-01).
    function testFuzz_accountDebtRoundsUp(uint256 amount, uint256 elapsed) public {
        amount = bound(amount, 1, 9_999_999e6);
        elapsed = bound(elapsed, 0, 5 * 365 days);
        _borrow(amount);
        assertGe(vault.debtOf(borrower), amount, "borrower owes less than borrowed");
        vm.warp(block.timestamp + elapsed);
        uint256 debt = vault.debtOf(borrower);
        uint256 total = vault.totalDebt();
        assertGe(debt, total);
        assertLe(debt, total + 1);
    }

    /// @dev Accruing twice (a touch in between) is never cheaper for the borrower than accruing once, and not more
    ///      than 2% dearer over at most a year (more frequent compounding plus the rate rising with utilization).
    function testFuzz_accrual_splitNeverCheaper(uint256 amount, uint256 t1, uint256 t2) public {
        amount = bound(amount, 1e6, 9_000_000e6);
        t1 = bound(t1, 1, 180 days);
        t2 = bound(t2, 1, 180 days);
        _borrow(amount);
        uint256 snapshot = vm.snapshotState();

        vm.warp(block.timestamp + t1 + t2);
        uint256 once = vault.totalDebt();

        vm.revertToState(snapshot);
        vm.warp(block.timestamp + t1);
        vm.prank(lender);
        vault.deposit(1, lender); // any touch accrues
        vm.warp(block.timestamp + t2);
        uint256 twice = vault.totalDebt();

        assertGe(twice + 1, once, "split accrual cheaper");
        assertLe(twice, once + once / 50, "split accrual far dearer");
    }

    /// @dev repay(max) always clears the account, however long interest ran, and the books stay consistent.
    function testFuzz_repayAll_clearsDebt(uint256 amount, uint256 elapsed, uint256 partialRepay) public {
        amount = bound(amount, 1, 900_000e6);
        elapsed = bound(elapsed, 1, 365 days);
        _borrow(amount);
        vm.warp(block.timestamp + elapsed);

        partialRepay = bound(partialRepay, 0, vault.debtOf(borrower));
        vm.startPrank(borrower);
        if (partialRepay != 0 && partialRepay < vault.debtOf(borrower)) {
            uint256 before = vault.debtOf(borrower);
            vault.repay(partialRepay, borrower);
            // Rounding favours the protocol: debt falls by no more than what was paid.
            assertGe(vault.debtOf(borrower) + partialRepay, before, "credited more than paid");
        }
        vault.repay(type(uint256).max, borrower);
        vm.stopPrank();

        assertEq(vault.debtOf(borrower), 0, "debt left");
        assertEq(vault.totalDebt(), 0, "total debt left");
        assertEq(vault.totalAssets(), vault.cash() - vault.reserves(), "books");
    }
}
