// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";

import {VaultFixture} from "../utils/VaultFixture.sol";

error ShareTransferFailed();

/// @notice Issue 19, property 8, fuzzed over arbitrary timing and flows against the shipped breaker policy: every
///         ERC-4626 `max*` is what the call does now. A `withdraw` of `maxWithdraw` (a `redeem` of `maxRedeem`) pays
///         the receiver exactly, in the same transaction, and queues nothing; one unit more reverts (never queues);
///         `maxRedeem` is `maxWithdraw` in shares, short by at most a unit of rounding. `maxDeposit`/`maxMint` are 0
///         exactly when a deposit would revert (supply stopped), and a deposit within them goes through.
contract Erc4626LimitsFuzzTest is Test, VaultFixture {
    address internal lender = makeAddr("lender");
    address internal saver = makeAddr("saver");
    address internal borrower = makeAddr("borrower");
    address internal receiver = makeAddr("receiver");

    function setUp() public {
        _deployMarket();
        breaker.setGuardian(address(this));
        vm.warp(1_700_000_000);
        vm.roll(1_000);
        _supply(lender, 10_000_000e6);
        _supply(saver, 2_000_000e6);
        weth.mint(borrower, 2_000e18);
        vm.startPrank(borrower);
        weth.approve(address(vault), type(uint256).max);
        usdc.approve(address(vault), type(uint256).max);
        vault.depositCollateral(address(weth), 2_000e18, borrower);
        vm.stopPrank();
        vm.warp(block.timestamp + 13 hours);
        vm.roll(block.number + 4_000);
    }

    function _supply(address who, uint256 amount) internal {
        usdc.mint(who, amount);
        vm.startPrank(who);
        usdc.approve(address(vault), type(uint256).max);
        vault.deposit(amount, who);
        vm.stopPrank();
    }

    /// Arbitrary interleavings of exits (within the limits and the explicit queued one), deposits, borrows,
    /// repayments, share transfers, guardian stops and time: after each step, every limit tells the truth.
    function testFuzz_everyMaxIsWhatTheCallDoesNow(uint256[10] memory steps) public {
        for (uint256 i; i < steps.length; ++i) {
            _step(steps[i]);
            _checkWithdrawLimits(lender);
            _checkWithdrawLimits(saver);
            _checkDepositLimits(saver);
        }
    }

    /// The same after the outflow limit is spent and tripped, then time passes: the limits count the reset the next
    /// exit would make (no poke needed), and say 0 while it would not.
    function testFuzz_limitsAcrossAnOutflowTrip(uint32 later, uint256 extra) public {
        uint256 max = vault.maxWithdraw(lender);
        vm.prank(lender);
        vault.withdraw(max, lender, lender);
        vm.prank(lender);
        vault.withdrawOrQueue(bound(extra, 1, 1_000_000e6), lender, lender); // trips OUTFLOW
        assertEq(vault.maxWithdraw(lender), 0, "a limit promised a queued exit");
        vm.warp(block.timestamp + (later % 2 days));
        vm.roll(block.number + 1 + (later % 2 days) / 12);
        _checkWithdrawLimits(lender);
        _checkWithdrawLimits(saver);
        _checkDepositLimits(saver);
    }

    // ----------------------------------------------------------------- steps

    function _step(uint256 seed) internal {
        uint256 kind = seed % 9;
        uint256 amount = (seed >> 8) % 3_000_000e6;
        if (kind == 0) {
            uint256 max = vault.maxWithdraw(lender);
            if (max != 0) {
                vm.prank(lender);
                vault.withdraw(bound(amount, 1, max), lender, lender);
            }
        } else if (kind == 1) {
            uint256 max = vault.maxRedeem(saver);
            if (max != 0 && vault.previewRedeem(max) != 0) {
                vm.prank(saver);
                vault.redeem(max, saver, saver);
            }
        } else if (kind == 2) {
            if (vault.maxDeposit(saver) != 0 && amount != 0) {
                usdc.mint(saver, amount);
                vm.prank(saver);
                vault.deposit(amount, saver);
            }
        } else if (kind == 3) {
            vm.prank(borrower);
            try vault.borrow(amount + 1, borrower) {} catch {} // solhint-disable-line no-empty-blocks
        } else if (kind == 4) {
            usdc.mint(borrower, amount + 1);
            vm.prank(borrower);
            try vault.repay(amount + 1, borrower) {} catch {} // solhint-disable-line no-empty-blocks
        } else if (kind == 5) {
            uint256 claim = vault.convertToAssets(vault.balanceOf(lender));
            vm.prank(lender);
            try vault.withdrawOrQueue(bound(amount, 1, claim / 2 + 1), lender, lender) {} catch {} // solhint-disable-line no-empty-blocks
        } else if (kind == 6) {
            uint256 shares = vault.balanceOf(saver) / 4;
            vm.prank(saver);
            if (!vault.transfer(lender, shares)) revert ShareTransferFailed();
        } else if (kind == 7) {
            // The guardian stops supply or lenders' withdrawals (or both) on the base asset or everywhere.
            uint8 mask = uint8(1 + ((seed >> 200) % 3)); // SUPPLY 1, WITHDRAW 2, both 3
            breaker.guardianTrip((seed >> 210) % 2 == 0 ? address(usdc) : address(0), mask);
        } else {
            uint256 dt = (seed >> 8) % 30 hours;
            vm.warp(block.timestamp + dt);
            vm.roll(block.number + 1 + dt / 12);
        }
    }

    // ----------------------------------------------------------------- checks

    /// @dev `maxWithdraw` and `maxRedeem` of `who`, each tried in a state that is then thrown away.
    function _checkWithdrawLimits(address who) internal {
        uint256 max = vault.maxWithdraw(who);
        uint256 claim = vault.convertToAssets(vault.balanceOf(who));
        if (max != 0) {
            uint256 snapshot = vm.snapshotState();
            uint256 claims = queue.claimCount();
            uint256 before = usdc.balanceOf(receiver);
            vm.prank(who);
            vault.withdraw(max, receiver, who);
            assertEq(usdc.balanceOf(receiver) - before, max, "withdraw(maxWithdraw) did not pay now");
            assertEq(queue.claimCount(), claims, "withdraw(maxWithdraw) was queued");
            vm.revertToState(snapshot);
        }
        if (max < claim) {
            uint256 claims = queue.claimCount();
            vm.prank(who);
            vm.expectRevert(); // the breaker's OutflowLimitReached or ActionPaused, or ERC4626ExceededMaxWithdraw
            vault.withdraw(max + 1, receiver, who);
            assertEq(queue.claimCount(), claims, "a withdraw past maxWithdraw was queued");
        }

        uint256 maxShares = vault.maxRedeem(who);
        uint256 assets = vault.previewRedeem(maxShares);
        if (assets != 0) {
            uint256 snapshot = vm.snapshotState();
            uint256 claims = queue.claimCount();
            uint256 before = usdc.balanceOf(receiver);
            vm.prank(who);
            uint256 out = vault.redeem(maxShares, receiver, who);
            assertEq(out, assets, "redeem paid other than its preview");
            assertEq(usdc.balanceOf(receiver) - before, assets, "redeem(maxRedeem) did not pay now");
            assertEq(queue.claimCount(), claims, "redeem(maxRedeem) was queued");
            vm.revertToState(snapshot);
        }
        // In shares, the same limit: rounded down by less than one unit of assets.
        assertLe(assets, max, "maxRedeem buys more than maxWithdraw");
        assertGe(assets + 1, max, "maxRedeem is short of maxWithdraw by more than rounding");
    }

    /// @dev `maxDeposit`/`maxMint` are 0 exactly when a deposit reverts.
    function _checkDepositLimits(address who) internal {
        uint256 max = vault.maxDeposit(who);
        assertEq(vault.maxMint(who), max, "maxMint and maxDeposit disagree");
        usdc.mint(who, 1_000e6);
        uint256 snapshot = vm.snapshotState();
        vm.prank(who);
        if (max == 0) {
            vm.expectRevert(); // the breaker's ActionPaused: supply is stopped
            vault.deposit(1_000e6, who);
        } else {
            assertEq(max, type(uint256).max, "a bounded maxDeposit");
            vault.deposit(1_000e6, who); // goes through
        }
        vm.revertToState(snapshot);
        // The standard's own reading of the limit: IERC4626 callers see the same.
        assertEq(IERC4626(address(vault)).maxDeposit(who), max);
    }
}
