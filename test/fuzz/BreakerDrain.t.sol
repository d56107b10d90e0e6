// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";

import {ICircuitBreaker} from "../../contracts/interfaces/ICircuitBreaker.sol";
import {VaultFixture} from "../utils/VaultFixture.sol";

error FlashLoanNotRepaid();
error TransferFailed();

/// @notice Exploit-style drains, as fast as an attacker can go, against the shipped breaker policy (25% of the
///         window-start balance per 6-hour window): whatever the split, the flash-loan padding or the number of
///         blocks tried inside the window, the vault loses at most the limit, and the breaker holds the rest.
contract BreakerDrainTest is Test, VaultFixture {
    uint256 internal constant SUPPLIED = 10_000_000e6;
    uint256 internal constant LIMIT = SUPPLIED / 4;
    address internal lender = makeAddr("lender");
    address internal attacker = makeAddr("attacker");

    function setUp() public {
        _deployMarket();
        vm.warp(1_700_000_000);
        usdc.mint(lender, SUPPLIED);
        vm.startPrank(lender);
        usdc.approve(address(vault), type(uint256).max);
        vault.deposit(SUPPLIED, lender);
        vm.stopPrank();
        // An established market: the deposit's own credit has faded out of the window.
        vm.warp(block.timestamp + 13 hours);
        vm.startPrank(attacker);
        usdc.approve(address(vault), type(uint256).max);
        weth.approve(address(vault), type(uint256).max);
        vm.stopPrank();
    }

    uint256 internal borrowed;

    /// A manipulated collateral price (an oracle exploit, as at Mango or Cream) lets the attacker "borrow" the whole
    /// vault. Each block it flash-loans USDC, deposits it to pad the window, borrows in fuzzed chunks, and must get
    /// the flash loan back out in the same transaction or the whole block's attack reverts. Over up to 60 blocks
    /// inside the window the vault loses at most the limit, and keeps the rest.
    function testFuzz_borrowDrainLosesAtMostTheLimit(
        uint256[6] memory chunks,
        uint256 flashSeed,
        uint8 blocksSeed
    ) public {
        weth.mint(attacker, 1e18);
        vm.prank(attacker);
        vault.depositCollateral(address(weth), 1e18, attacker);
        oracle.setPrice(address(weth), 1e30); // $1e12 per WETH: borrow limit far above the vault's cash
        uint256 flash = bound(flashSeed, 0, 50_000_000e6);
        uint256 blocks = bound(blocksSeed, 1, 60);
        for (uint256 b; b < blocks; ++b) {
            vm.warp(block.timestamp + 12);
            vm.roll(block.number + 1);
            try this.attackBlock(chunks, flash) {} catch {} // solhint-disable-line no-empty-blocks
        }
        assertLe(borrowed, LIMIT, "drained past the limit");
        // Its take is what it borrowed, give or take rounding: each borrow's debt rounds up, which can lift the
        // share price of the padding deposit by a unit.
        assertLe(usdc.balanceOf(attacker), borrowed + chunks.length * blocks, "attacker's take");
        assertGe(vault.cash(), SUPPLIED - LIMIT, "the breaker did not hold the rest");
    }

    /// One attack transaction: flash loan in, deposit, borrow in chunks, redeem, flash loan out (or revert).
    function attackBlock(uint256[6] calldata chunks, uint256 flash) external {
        usdc.mint(attacker, flash);
        vm.startPrank(attacker);
        if (flash != 0) vault.deposit(flash, attacker);
        for (uint256 i; i < chunks.length; ++i) {
            uint256 amount = bound(chunks[i], 1, SUPPLIED);
            try vault.borrow(amount, attacker) {
                borrowed += amount;
            } catch {} // solhint-disable-line no-empty-blocks
        }
        uint256 shares = vault.balanceOf(attacker);
        if (shares != 0) vault.redeem(shares, attacker, attacker);
        // The flash loan is repaid from what actually arrived; a queued redemption cannot repay it.
        if (!usdc.transfer(makeAddr("flashLender"), flash)) revert FlashLoanNotRepaid();
        vm.stopPrank();
    }

    /// A stolen lender position (the whole supply) withdrawn as fast as possible in fuzzed chunks, each within
    /// `maxWithdraw`: at most the limit is paid out, and nothing within `maxWithdraw` is ever queued (issue 19,
    /// property 8). What is left goes out only through the explicit queued exit, which trips OUTFLOW (QUEUE level)
    /// and leaves the rest in the queue.
    function testFuzz_withdrawDrainPaysAtMostTheLimit(uint256[8] memory chunks, uint8 blocksSeed) public {
        uint256 blocks = bound(blocksSeed, 1, 30);
        vm.startPrank(lender);
        for (uint256 b; b < blocks; ++b) {
            vm.warp(block.timestamp + 12);
            vm.roll(block.number + 1);
            for (uint256 i; i < chunks.length; ++i) {
                uint256 max = vault.maxWithdraw(lender);
                if (max == 0) break;
                vault.withdraw(bound(chunks[i], 1, max), attacker, lender);
            }
        }
        assertEq(queue.claimCount(), 0, "a withdrawal within maxWithdraw was queued");
        assertLe(usdc.balanceOf(attacker), LIMIT, "paid out past the limit");
        uint256 rest = vault.convertToAssets(vault.balanceOf(lender));
        if (vault.maxWithdraw(lender) < rest) {
            vault.withdrawOrQueue(rest, attacker, lender);
            assertLe(usdc.balanceOf(attacker), LIMIT, "the queued exit paid past the limit");
            assertGt(queue.owed(address(usdc)), 0, "nothing held");
            assertEq(uint8(breaker.entry(address(usdc)).level), uint8(ICircuitBreaker.Level.QUEUE), "not tripped");
        }
        vm.stopPrank();
    }

    /// The same for a collateral: a debt-free account's collateral drained in chunks pays out at most 25% of what was
    /// deposited at the window's start; the rest is queued (never refused).
    function testFuzz_collateralDrainPaysAtMostTheLimit(uint256[8] memory chunks) public {
        address whale = makeAddr("whale");
        weth.mint(whale, 1_000e18);
        vm.startPrank(whale);
        weth.approve(address(vault), type(uint256).max);
        vault.depositCollateral(address(weth), 1_000e18, whale);
        vm.warp(block.timestamp + 13 hours);
        for (uint256 i; i < chunks.length; ++i) {
            uint256 held = vault.collateralOf(whale, address(weth));
            if (held == 0) break;
            vault.withdrawCollateral(address(weth), bound(chunks[i], 1, held), attacker);
        }
        vm.stopPrank();
        assertLe(weth.balanceOf(attacker), 250e18, "paid out past the limit");
        assertEq(
            weth.balanceOf(attacker) + weth.balanceOf(address(queue)) + vault.collateralOf(whale, address(weth)),
            1_000e18
        );
    }
}

/// @notice Value-neutral loops leave the outflow limit where it was, whoever runs them: deposit-then-withdraw,
///         withdraw-then-deposit, deposit-transfer-withdraw across two accounts, borrow-then-repay.
contract BreakerLoopTest is Test, VaultFixture {
    address internal lender = makeAddr("lender");
    address internal a = makeAddr("a");
    address internal b = makeAddr("b");

    function setUp() public {
        _deployMarket();
        vm.warp(1_700_000_000);
        usdc.mint(lender, 10_000_000e6);
        vm.startPrank(lender);
        usdc.approve(address(vault), type(uint256).max);
        vault.deposit(10_000_000e6, lender);
        vm.stopPrank();
        vm.warp(block.timestamp + 13 hours);
        for (uint256 i; i < 2; ++i) {
            address who = i == 0 ? a : b;
            vm.startPrank(who);
            usdc.approve(address(vault), type(uint256).max);
            weth.approve(address(vault), type(uint256).max);
            vm.stopPrank();
        }
        // Open the window with a small honest withdrawal.
        vm.prank(lender);
        vault.withdraw(1e6, lender, lender);
    }

    function _used() internal view returns (uint256) {
        return breaker.entry(address(usdc)).outflowUsed;
    }

    function testFuzz_loopsLeaveTheLimitUntouched(uint256 amountSeed, uint8 loops) public {
        uint256 amount = bound(amountSeed, 1e6, 2_000_000e6);
        uint256 before = _used();
        weth.mint(a, 10_000e18);
        vm.prank(a);
        vault.depositCollateral(address(weth), 10_000e18, a);
        for (uint256 i; i < loops % 8; ++i) {
            usdc.mint(a, amount);
            vm.startPrank(a);
            // deposit, hand the shares to b, b withdraws: the credit follows the shares.
            uint256 shares = vault.deposit(amount, a);
            if (!vault.transfer(b, shares)) revert TransferFailed();
            vm.stopPrank();
            vm.prank(b);
            vault.redeem(shares, b, b);
            // borrow then repay.
            vm.startPrank(a);
            vault.borrow(amount, a);
            vault.repay(amount, a);
            vm.stopPrank();
        }
        assertEq(_used(), before, "a neutral loop consumed the limit");
        assertEq(queue.claimCount(), 0, "a neutral loop was queued");
    }
}
