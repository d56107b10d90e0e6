// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Test} from "forge-std/Test.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

import {VaultFixture} from "../utils/VaultFixture.sol";
import {Backstop} from "../../contracts/backstop/Backstop.sol";
import {BackstopAllocator} from "../../contracts/backstop/BackstopAllocator.sol";
import {IBackstopAllocator} from "../../contracts/interfaces/IBackstopAllocator.sol";
import {AllocatorHandler} from "./AllocatorHandler.sol";

/// @notice Issue 26's stateful fuzz of the backstop's allocator with a compromised agent key (AllocatorHandler): funds
///         never leave the allowed set (the backstop, the allowed venues, stakers' own withdrawals; a venue's default
///         goes to its sink), every limit holds (caps, the idle floor, both rate limits over any span), and after a
///         freeze no agent call succeeds. `test_handlerReachesAllocatorStates` shows the handler reaches the states that
///         matter.
contract AllocatorInvariantTest is StdInvariant, Test, VaultFixture {
    AllocatorHandler internal handler;
    Backstop internal backstop;
    BackstopAllocator internal allocator;
    address internal constant SINK = address(0xdead);
    address internal constant GUARDIAN = address(0x6A4D);
    uint256 internal constant INITIAL_STAKE = 20_000e6;

    function setUp() public {
        _deployMarket();
        breaker.setGuardian(GUARDIAN);
        backstop = new Backstop(vault, "Backstop", "BS", address(this), 1 days, 1 days);
        allocator = new BackstopAllocator(backstop, address(this), address(0), 0.2e18);
        handler = new AllocatorHandler(backstop, allocator, usdc, breaker);
        allocator.setAgent(address(handler));
        backstop.setAllocator(address(allocator));
        for (uint256 i; i < 2; ++i) {
            allocator.setVenue(
                address(handler.venues(i)),
                IBackstopAllocator.VenueConfig({
                    cap: uint128(handler.CAP()),
                    depositCapacity: uint128(handler.DEPOSIT_CAPACITY()),
                    withdrawCapacity: uint128(handler.WITHDRAW_CAPACITY()),
                    period: uint32(handler.PERIOD()),
                    allowed: true
                })
            );
        }
        usdc.mint(address(this), INITIAL_STAKE);
        usdc.approve(address(backstop), INITIAL_STAKE);
        backstop.deposit(INITIAL_STAKE, address(this));

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](14);
        selectors[0] = AllocatorHandler.allocate.selector;
        selectors[1] = AllocatorHandler.allocate.selector;
        selectors[2] = AllocatorHandler.deallocate.selector;
        selectors[3] = AllocatorHandler.recall.selector;
        selectors[4] = AllocatorHandler.stake.selector;
        selectors[5] = AllocatorHandler.requestUnstake.selector;
        selectors[6] = AllocatorHandler.exit.selector;
        selectors[7] = AllocatorHandler.lose.selector;
        selectors[8] = AllocatorHandler.pause.selector;
        selectors[9] = AllocatorHandler.lend.selector;
        selectors[10] = AllocatorHandler.freeze.selector;
        selectors[11] = AllocatorHandler.unfreeze.selector;
        selectors[12] = AllocatorHandler.warp.selector;
        selectors[13] = AllocatorHandler.exit.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev Every unit minted is with a staker, the backstop, an allowed venue, or a venue's sink (its defaults and
    ///      loans): never with the never-allowed venue, the allocator or the agent.
    function invariant_fundsStayInTheAllowedSet() public view {
        address rogue = address(handler.venues(2));
        assertEq(usdc.balanceOf(rogue), 0, "cash in a venue never allowed");
        assertEq(handler.venues(2).balanceOf(address(backstop)), 0, "shares of a venue never allowed");
        assertEq(usdc.balanceOf(address(allocator)), 0, "cash at the allocator");
        assertEq(usdc.balanceOf(address(handler)), 0, "cash with the agent");
        uint256 held = usdc.balanceOf(address(this)) + usdc.balanceOf(address(backstop)) + usdc.balanceOf(SINK);
        for (uint256 i; i < 2; ++i) held += usdc.balanceOf(address(handler.venues(i)));
        for (uint256 i; i < 3; ++i) held += usdc.balanceOf(handler.stakers(i));
        assertEq(held, INITIAL_STAKE + handler.minted(), "a unit left the allowed set");
        address[] memory listed = backstop.venues();
        assertLe(listed.length, 4, "too many venues");
        for (uint256 i; i < listed.length; ++i) assertTrue(listed[i] != rogue, "a venue never allowed is listed");
    }

    /// @dev Caps and the idle floor held after every deposit; each rate limit let at most twice its capacity through in
    ///      any span of one period (a token bucket: capacity at the start, plus one period's refill).
    function invariant_limitsHold() public view {
        assertEq(handler.capBreaches(), 0, "a deposit passed its venue's cap");
        assertEq(handler.floorBreaches(), 0, "a deposit left idle cash below its floor");
        _checkBuckets(handler.depositMoves(), handler.DEPOSIT_CAPACITY());
        _checkBuckets(handler.withdrawalMoves(), handler.WITHDRAW_CAPACITY());
    }

    /// @dev After a freeze, and until governance unfreezes, no agent call succeeds.
    function invariant_frozenMeansNoAgentMove() public view {
        assertEq(handler.frozenSuccesses(), 0, "an agent call succeeded while frozen");
    }

    /// @dev The backstop's books: idle cash booked is never more than its balance; earmarks never more than idle.
    function invariant_backstopBooks() public view {
        assertLe(backstop.idle(), usdc.balanceOf(address(backstop)), "idle past the balance");
        assertLe(backstop.earmarked(), backstop.idle(), "earmarked past idle");
    }

    function _checkBuckets(AllocatorHandler.Move[] memory moves, uint256 capacity) private view {
        uint256 period = handler.PERIOD();
        for (uint256 i; i < moves.length; ++i) {
            uint256 sum;
            for (uint256 j = i; j < moves.length; ++j) {
                if (moves[j].venue == moves[i].venue && moves[j].at < moves[i].at + period) sum += moves[j].amount;
            }
            assertLe(sum, 2 * capacity, "a rate limit let more than it may through in one period");
        }
    }

    /// @dev The handler reaches what matters: allocations and refusals, deallocations, recalls, a venue's default, a
    ///      staker's exit paid out of a venue (exits take from venues first), and agent calls refused while frozen.
    function test_handlerReachesAllocatorStates() public {
        handler.stake(0, 50_000e6);
        handler.allocate(0, 20_000e6);
        handler.allocate(1, 20_000e6);
        handler.allocate(2, 1_000e6); // never allowed: refused
        handler.allocate(0, 20_000e6); // past the bucket: refused
        handler.deallocate(1, 5_000e6);
        assertEq(handler.allocations(), 2);
        assertEq(handler.refusedAllocations(), 2);
        assertEq(handler.deallocations(), 1);
        // A staker whose exit idle cash cannot pay alone.
        handler.requestUnstake(0);
        handler.warp(1 days);
        handler.warp(1);
        handler.exit(0, 10_000e12); // 10,000 USDC of shares (6 extra decimals): out of venue 1, venue 0 untouched
        assertEq(handler.exitsFromVenues(), 1);
        // A default marks a venue down: anyone recalls.
        handler.lose(0, 0.5e18);
        handler.recall(0);
        assertEq(handler.recalls(), 1);
        assertEq(handler.markdowns(), 1);
        // Frozen: the agent is refused.
        handler.freeze();
        handler.allocate(1, 1_000e6);
        handler.deallocate(1, 1_000e6);
        assertEq(handler.frozenRefusals(), 2);
        assertEq(handler.frozenSuccesses(), 0);
        invariant_fundsStayInTheAllowedSet();
        invariant_limitsHold();
    }
}
